"""The search index scrubs deleted words itself: FTS5 ``secure-delete`` (issue 17).

Erasure used to run FTS5 ``optimize`` (rewrite the whole index) so the words of an erased
person left the file; with the operating system's SQLite 3.40.1 that sometimes corrupted the
index. The app now runs its own SQLite (persistence/sqlite_driver.py, 3.45 or newer), whose
FTS5 has ``secure-delete``: a deleted row's entries are removed from the index pages at once,
so the erasure needs no rewrite. The option is stored in the index's own config table, so it
holds for every connection (and every backup) from now on. A database written with it can
only be written by an SQLite that knows the option (3.42+); the app never uses another.

PostgreSQL has no FTS5 (its search table is an ordinary table): nothing to do.

Revision ID: 0010_fts_secure_delete
Revises: 0009_audit_anchor
"""

import contextlib

from alembic import op

revision = "0010_fts_secure_delete"
down_revision = "0009_audit_anchor"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute("INSERT INTO contact_fts(contact_fts, rank) VALUES ('secure-delete', 1)")
    # Words left in the index by deletions before this revision go now, once. An index the
    # old SQLite already broke cannot be merged: the migration goes on (a failed statement
    # leaves an SQLite transaction open and intact), and the first check finds the index
    # and rebuilds it from the contacts (services/storage_repair.py).
    with contextlib.suppress(Exception):
        op.execute("INSERT INTO contact_fts(contact_fts) VALUES ('optimize')")


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute("INSERT INTO contact_fts(contact_fts, rank) VALUES ('secure-delete', 0)")
