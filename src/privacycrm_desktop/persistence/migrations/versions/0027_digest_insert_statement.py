"""On PostgreSQL, an insert of e-mail addresses or numbers forgets the stored digests of
their contacts once per statement, not once per row (``contact_digest``, migration 0024).

The row trigger ran, for every address and number added, a SELECT that locks the contact
and a DELETE of its digests: 40,000 statements for an import of 20,000 contacts with an
address and a number each, a fifth of the server's time writing them. A statement trigger
with the rows the statement added (``REFERENCING NEW TABLE``) locks the same contacts (in
id order, as ``pcrm_store_digests`` does) and deletes the same rows in two statements.
Changes and deletions keep the row trigger. SQLite is unchanged (its triggers are row
triggers only, and cheap: no statement of their own).

On a server that enforces the roles, ``grants.enable`` (run after every migration)
replaces the function with the one owned by the system role
(``postgres/data_sql.DIGEST_FORGET_ADDED``), as for migration 0024's.

Revision ID: 0027_digest_insert_statement
Revises: 0026_digest_id_change
"""

from alembic import op

revision = "0027_digest_insert_statement"
down_revision = "0026_digest_id_change"
branch_labels = None
depends_on = None

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION pcrm_contact_digest_forget_added() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
    PERFORM 1 FROM contact WHERE id IN (SELECT contact_id FROM added) ORDER BY id
        FOR NO KEY UPDATE;
    DELETE FROM contact_digest WHERE contact_id IN (SELECT contact_id FROM added);
    RETURN NULL;
END $fn$
"""
TABLES = ("contact_email", "contact_phone")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(PG_FUNCTION)
    for table in TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_digest ON {table}")
        op.execute(
            f"CREATE TRIGGER {table}_digest AFTER UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION pcrm_contact_digest_forget()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_digest_insert AFTER INSERT ON {table} "
            "REFERENCING NEW TABLE AS added FOR EACH STATEMENT "
            "EXECUTE FUNCTION pcrm_contact_digest_forget_added()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_digest_insert ON {table}")
        op.execute(f"DROP TRIGGER IF EXISTS {table}_digest ON {table}")
        op.execute(
            f"CREATE TRIGGER {table}_digest AFTER INSERT OR UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION pcrm_contact_digest_forget()"
        )
    op.execute("DROP FUNCTION IF EXISTS pcrm_contact_digest_forget_added()")
