"""``ix_contact_import_batch_id`` holds only the contacts an import brought (partial index).

Every contact had an entry, NULL for those typed in or made by the demo (all 1,000,000 of
the benchmark's): each erased contact deleted one from it, a b-tree more that the yearly
cleanup changes and copies through the WAL. Its readers (undoing an import, its history,
the import's duplicate check) look up ``import_batch_id = :batch``, which the partial index
answers (a query's ``column = value`` implies ``column IS NOT NULL`` on both engines).

An index, not a table change: no batch copy of a table (DESIGN.md, Known traps); nothing
personal, no grants (PostgreSQL grants on tables, not indexes).

Revision ID: 0025_erasure_indexes
Revises: 0024_contact_digests
"""

import sqlalchemy as sa
from alembic import op

revision = "0025_erasure_indexes"
down_revision = "0024_contact_digests"
branch_labels = None
depends_on = None

_WHERE = sa.text("import_batch_id IS NOT NULL")


def upgrade() -> None:
    op.drop_index("ix_contact_import_batch_id", table_name="contact")
    op.create_index(
        "ix_contact_import_batch_id",
        "contact",
        ["import_batch_id"],
        sqlite_where=_WHERE,
        postgresql_where=_WHERE,
    )


def downgrade() -> None:
    op.drop_index("ix_contact_import_batch_id", table_name="contact")
    op.create_index("ix_contact_import_batch_id", "contact", ["import_batch_id"])
