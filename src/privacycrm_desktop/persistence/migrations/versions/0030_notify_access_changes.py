"""The other desks hear of a change of the field matrix or the custom fields (PostgreSQL).

Each desk keeps the field matrix and the custom fields' definitions in memory
(``AccessService``) and forgets them when its change watch hears that another desk
changed something. On SQLite every commit of another connection is heard
(``PRAGMA data_version``); on the server only the contact tables notified (migration
0006), so a desk that was running went on showing a field the owner had just hidden.
``role_field_access`` and ``custom_field`` now notify the same channel, and so does a
change of a user's role or active flag (a desk where they are signed in locks).

Revision ID: 0030_notify_access_changes
Revises: 0029_contact_digest_due
"""

from alembic import op

revision = "0030_notify_access_changes"
down_revision = "0029_contact_digest_due"
branch_labels = None
depends_on = None

#: The tables whose change another desk must hear of (the function is migration 0006's).
TABLES = ("role_field_access", "custom_field")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_notify AFTER INSERT OR UPDATE OR DELETE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION pcrm_notify_contacts()"
        )
    # A user's role or active flag: a desk where they are signed in locks (change_watch).
    # Not every update: each sign-in writes the user's row.
    op.execute(
        "CREATE TRIGGER app_user_notify AFTER INSERT OR UPDATE OF role, active OR DELETE "
        "ON app_user FOR EACH STATEMENT EXECUTE FUNCTION pcrm_notify_contacts()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in (*TABLES, "app_user"):
        op.execute(f"DROP TRIGGER IF EXISTS {table}_notify ON {table}")
