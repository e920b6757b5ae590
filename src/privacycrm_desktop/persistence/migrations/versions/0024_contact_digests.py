"""The suppression digests of every contact, stored (``contact_digest``): a marketing list
of 50,000 no longer hashes each contact's addresses, numbers and name + postcode to check
them against the suppression list and the opt-outs keyed by a contact point; it joins.

Triggers forget a contact's digests when its name, postcode, addresses or numbers change
(on every write path); the marketing list computes what is missing. Filled here for the
existing contacts where the suppression key is readable (SQLite; the administrator on
PostgreSQL); elsewhere the first list fills them. The server's privileges come from
``TABLE_POLICY`` (its version changes, so ``grants.needs_upgrade`` applies them). HMACs
only, never clear text; the rows go with their contact (a trigger: no foreign key, a
merge has nothing to move or restore here).

Revision ID: 0024_contact_digests
Revises: 0023_pg_write_rules
"""

import sqlalchemy as sa
from alembic import op

revision = "0024_contact_digests"
down_revision = "0023_pg_write_rules"
branch_labels = None
depends_on = None

#: As persistence/contact_digests.py has them (a migration script stays as it was written).
SQLITE_TRIGGERS = (
    "CREATE TRIGGER IF NOT EXISTS contact_digest_name AFTER UPDATE OF first_name, "
    "last_name, postcode ON contact WHEN old.first_name IS NOT new.first_name OR "
    "old.last_name IS NOT new.last_name OR old.postcode IS NOT new.postcode BEGIN "
    "DELETE FROM contact_digest WHERE contact_id = old.id; END",
    "CREATE TRIGGER IF NOT EXISTS contact_digest_gone AFTER DELETE ON contact "
    "BEGIN DELETE FROM contact_digest WHERE contact_id = old.id; END",
    "CREATE TRIGGER IF NOT EXISTS contact_email_digest_insert AFTER INSERT ON contact_email "
    "BEGIN DELETE FROM contact_digest WHERE contact_id = new.contact_id; END",
    "CREATE TRIGGER IF NOT EXISTS contact_email_digest_update AFTER UPDATE ON contact_email "
    "BEGIN DELETE FROM contact_digest WHERE contact_id IN (old.contact_id, new.contact_id); END",
    "CREATE TRIGGER IF NOT EXISTS contact_email_digest_delete AFTER DELETE ON contact_email "
    "BEGIN DELETE FROM contact_digest WHERE contact_id = old.contact_id; END",
    "CREATE TRIGGER IF NOT EXISTS contact_phone_digest_insert AFTER INSERT ON contact_phone "
    "BEGIN DELETE FROM contact_digest WHERE contact_id = new.contact_id; END",
    "CREATE TRIGGER IF NOT EXISTS contact_phone_digest_update AFTER UPDATE ON contact_phone "
    "BEGIN DELETE FROM contact_digest WHERE contact_id IN (old.contact_id, new.contact_id); END",
    "CREATE TRIGGER IF NOT EXISTS contact_phone_digest_delete AFTER DELETE ON contact_phone "
    "BEGIN DELETE FROM contact_digest WHERE contact_id = old.contact_id; END",
)
PG_FUNCTION = """
CREATE OR REPLACE FUNCTION pcrm_contact_digest_forget() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'contact' THEN
        DELETE FROM contact_digest WHERE contact_id = OLD.id;
        RETURN NULL;
    END IF;
    IF TG_OP <> 'INSERT' THEN
        DELETE FROM contact_digest WHERE contact_id = OLD.contact_id;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        DELETE FROM contact_digest WHERE contact_id = NEW.contact_id;
    END IF;
    RETURN NULL;
END
$$
"""
PG_TRIGGERS = (
    "CREATE TRIGGER contact_digest_name AFTER UPDATE OF first_name, last_name, postcode "
    "ON contact FOR EACH ROW WHEN (OLD.first_name IS DISTINCT FROM NEW.first_name "
    "OR OLD.last_name IS DISTINCT FROM NEW.last_name "
    "OR OLD.postcode IS DISTINCT FROM NEW.postcode) "
    "EXECUTE FUNCTION pcrm_contact_digest_forget()",
    "CREATE TRIGGER contact_digest_gone AFTER DELETE ON contact "
    "FOR EACH ROW EXECUTE FUNCTION pcrm_contact_digest_forget()",
    "CREATE TRIGGER contact_email_digest AFTER INSERT OR UPDATE OR DELETE ON contact_email "
    "FOR EACH ROW EXECUTE FUNCTION pcrm_contact_digest_forget()",
    "CREATE TRIGGER contact_phone_digest AFTER INSERT OR UPDATE OR DELETE ON contact_phone "
    "FOR EACH ROW EXECUTE FUNCTION pcrm_contact_digest_forget()",
)


def upgrade() -> None:
    op.create_table(
        "contact_digest",
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("point", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("contact_id", "kind", "digest", name=op.f("pk_contact_digest")),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_contact_digest_digest", "contact_digest", ["digest", "contact_id"])
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute(PG_FUNCTION)
        for statement in PG_TRIGGERS:
            op.execute(statement)
    else:
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)
    # The existing contacts' digests, where this connection may read the key.
    salt = bind.execute(
        sa.text("SELECT value FROM setting WHERE key = 'suppression.salt'")
    ).scalar()
    if salt:
        from privacycrm_desktop.persistence.contact_digests import refresh

        # Written here by the administrator: the server's pcrm_store_digests (if any)
        # runs as the system role, which owns this new table only once grants.enable ran.
        refresh(bind, salt, by_server=False, due=False)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS contact_digest_name ON contact")
        op.execute("DROP TRIGGER IF EXISTS contact_digest_gone ON contact")
        op.execute("DROP TRIGGER IF EXISTS contact_email_digest ON contact_email")
        op.execute("DROP TRIGGER IF EXISTS contact_phone_digest ON contact_phone")
        op.execute("DROP FUNCTION IF EXISTS pcrm_contact_digest_forget()")
    else:
        for statement in SQLITE_TRIGGERS:
            name = statement.split()[5]
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_index("ix_contact_digest_digest", table_name="contact_digest")
    op.drop_table("contact_digest")
