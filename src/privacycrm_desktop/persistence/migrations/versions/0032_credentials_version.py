"""``app_user.credentials_version``: a desk where a user is signed in locks when their
password is reset.

A reset password may be known to someone else, yet a desk where the user was signed in
went on unlocked (only a change of role or active flag locked it). The column goes one
up at each reset (``AuthService.reset_password``; on a server that enforces the roles,
``pcrm_user_change``, which ``grants.enable`` installs anew after this migration), never
at a sign-in or its rehash; the actor keeps the generation it signed in with, and
``AuthService.still_signed_in`` compares it. Not the hash: a desk role on PostgreSQL may
not read it. The column is granted to every desk role with the rest of ``app_user`` (by
``grants.enable``, run after every migration), and its update notifies the other desks as
one of the role or active flag does (migration 0030's trigger).

Revision ID: 0032_credentials_version
Revises: 0031_list_view_cover
"""

import sqlalchemy as sa
from alembic import op

from privacycrm_desktop.persistence.postgres.roles import run_sql

revision = "0032_credentials_version"
down_revision = "0031_list_view_cover"
branch_labels = None
depends_on = None

#: Migration 0030's trigger, and the same on the new column too.
_TRIGGER = (
    "CREATE TRIGGER app_user_notify AFTER INSERT OR UPDATE OF {columns} OR DELETE "
    "ON app_user FOR EACH STATEMENT EXECUTE FUNCTION pcrm_notify_contacts()"
)
#: What ``pcrm_user_change`` adds to a reset (persistence/postgres/owner_sql.py).
_BUMP = ",\n            credentials_version = credentials_version + 1"
_FUNCTION = "pcrm_user_change(text, text, text, text, text, text, timestamp)"


def upgrade() -> None:
    # ALTER TABLE in place on SQLite too (no batch copy of app_user, which other tables
    # reference: a downgrade run with foreign keys on could not drop the copy's original).
    op.add_column(
        "app_user",
        sa.Column("credentials_version", sa.Integer(), nullable=False, server_default="0"),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS app_user_notify ON app_user")
        op.execute(_TRIGGER.format(columns="role, active, credentials_version"))


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS app_user_notify ON app_user")
        op.execute(_TRIGGER.format(columns="role, active"))
        # The server's function (where it enforces the roles) as it was before: it would
        # write a column no longer there.
        definition = bind.execute(
            sa.text(
                "SELECT pg_get_functiondef(to_regprocedure(:f)) "
                "WHERE to_regprocedure(:f) IS NOT NULL"
            ),
            {"f": _FUNCTION},
        ).scalar()
        if definition is not None and _BUMP in definition:
            run_sql(bind, definition.replace(_BUMP, ""))  # no parameter parsing
    op.drop_column("app_user", "credentials_version")  # SQLite 3.35+; the app needs 3.45
