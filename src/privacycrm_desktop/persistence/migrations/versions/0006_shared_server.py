"""A shared PostgreSQL server (issue 10): other desks hear about changed contacts.

On PostgreSQL, a statement-level trigger on ``contact``, ``contact_email`` and
``contact_phone`` sends ``NOTIFY privacycrm_contacts`` with the operation's name. The
server delivers notifications only at commit and folds identical ones of a transaction
into one, so a 100,000-row import wakes the other desks once per chunk, not per row. The
payload never names a contact. SQLite needs nothing here: other programs on the same file
are seen through ``PRAGMA data_version``.

Revision ID: 0006_shared_server
Revises: 0005_import_batches
"""

from alembic import op

revision = "0006_shared_server"
down_revision = "0005_import_batches"
branch_labels = None
depends_on = None

CHANNEL = "privacycrm_contacts"
TABLES = ("contact", "contact_email", "contact_phone")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "CREATE FUNCTION pcrm_notify_contacts() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN PERFORM pg_notify('{CHANNEL}', TG_OP); RETURN NULL; END $$"
    )
    for table in TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_notify AFTER INSERT OR UPDATE OR DELETE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION pcrm_notify_contacts()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_notify ON {table}")
    op.execute("DROP FUNCTION IF EXISTS pcrm_notify_contacts()")
