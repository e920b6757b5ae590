"""``contact_digest_due``: the contacts whose stored digests are due, kept by triggers.

Before each marketing list, the contacts whose suppression digests were missing or
forgotten were found by reading every contact (an anti-join over a million: half a second
of a list of 50,000). The triggers that forget a contact's digests when a point changes
now also put it in this small table, as does a new contact; a new or changed key puts
one mark there (``contact_digests.EVERY``: the next list finds the contacts without a set
for the key as before, once). Storing the digests (``contact_digests.refresh``, the
server's ``pcrm_store_digests``) and deleting the contact take it out. The list reads
the table instead. The SQLite triggers on addresses and numbers read no other table (a
batch migration copying ``contact`` could not rename its copy otherwise).

Filled here, in one statement, with exactly the contacts due now: those without a
complete set for the key (all of them without a key, or where this connection may not
read it: the first list stores them). On PostgreSQL no desk role writes the table
(``TABLE_POLICY``); the functions below are replaced by the system role's by
``grants.enable`` on a server that enforces the roles.

Revision ID: 0029_contact_digest_due
Revises: 0028_organisation_address_index
"""

import sqlalchemy as sa
from alembic import op

from privacycrm_desktop.domain.suppression import key_fingerprint
from privacycrm_desktop.persistence.contact_digests import SQLITE_TRIGGERS
from privacycrm_desktop.persistence.postgres.data_sql import (
    DIGEST_DUE_KEY,
    DIGEST_DUE_NEW,
    DIGEST_FORGET,
    DIGEST_FORGET_ADDED,
)

revision = "0029_contact_digest_due"
down_revision = "0028_organisation_address_index"
branch_labels = None
depends_on = None

#: The contacts due now: no marker of a complete set for the key (none without a key).
FILL = (
    "INSERT INTO contact_digest_due (contact_id) SELECT c.id FROM contact c "
    "WHERE NOT EXISTS (SELECT 1 FROM contact_digest d WHERE d.contact_id = c.id "
    "AND d.kind = '' AND d.digest = :fingerprint)"
)
PG_TRIGGERS = (
    "CREATE TRIGGER contact_digest_new AFTER INSERT ON contact "
    "REFERENCING NEW TABLE AS added FOR EACH STATEMENT "
    "EXECUTE FUNCTION pcrm_contact_digest_new()",
    "CREATE TRIGGER contact_digest_key AFTER INSERT OR UPDATE ON setting FOR EACH ROW "
    "WHEN (NEW.key = 'suppression.salt') EXECUTE FUNCTION pcrm_contact_digest_key()",
)
#: migration 0024's SQLite triggers (and 0026's), replaced by the ones that make due.
_OLD_SQLITE = (
    "contact_digest_name",
    "contact_digest_gone",
    "contact_digest_id",
    "contact_email_digest_insert",
    "contact_email_digest_update",
    "contact_email_digest_delete",
    "contact_phone_digest_insert",
    "contact_phone_digest_update",
    "contact_phone_digest_delete",
)
_NEW_SQLITE = ("contact_digest_new", "contact_digest_key_new", "contact_digest_key_change")

#: For the downgrade: the triggers of migrations 0024 and 0026 (SQLite) and the functions
#: of migrations 0024 and 0027 (PostgreSQL), as they were.
_SQLITE_0026 = (
    "CREATE TRIGGER contact_digest_name AFTER UPDATE OF first_name, "
    "last_name, postcode ON contact WHEN old.first_name IS NOT new.first_name OR "
    "old.last_name IS NOT new.last_name OR old.postcode IS NOT new.postcode BEGIN "
    "DELETE FROM contact_digest WHERE contact_id = old.id; END",
    "CREATE TRIGGER contact_digest_gone AFTER DELETE ON contact "
    "BEGIN DELETE FROM contact_digest WHERE contact_id = old.id; END",
    "CREATE TRIGGER contact_digest_id AFTER UPDATE OF id ON contact "
    "WHEN old.id IS NOT new.id BEGIN "
    "DELETE FROM contact_digest WHERE contact_id IN (old.id, new.id); END",
    "CREATE TRIGGER contact_email_digest_insert AFTER INSERT ON contact_email "
    "BEGIN DELETE FROM contact_digest WHERE contact_id = new.contact_id; END",
    "CREATE TRIGGER contact_email_digest_update AFTER UPDATE ON contact_email "
    "BEGIN DELETE FROM contact_digest WHERE contact_id IN (old.contact_id, new.contact_id); END",
    "CREATE TRIGGER contact_email_digest_delete AFTER DELETE ON contact_email "
    "BEGIN DELETE FROM contact_digest WHERE contact_id = old.contact_id; END",
    "CREATE TRIGGER contact_phone_digest_insert AFTER INSERT ON contact_phone "
    "BEGIN DELETE FROM contact_digest WHERE contact_id = new.contact_id; END",
    "CREATE TRIGGER contact_phone_digest_update AFTER UPDATE ON contact_phone "
    "BEGIN DELETE FROM contact_digest WHERE contact_id IN (old.contact_id, new.contact_id); END",
    "CREATE TRIGGER contact_phone_digest_delete AFTER DELETE ON contact_phone "
    "BEGIN DELETE FROM contact_digest WHERE contact_id = old.contact_id; END",
)
_PG_FORGET_0027 = """
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
$$;
CREATE OR REPLACE FUNCTION pcrm_contact_digest_forget_added() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
    PERFORM 1 FROM contact WHERE id IN (SELECT contact_id FROM added) ORDER BY id
        FOR NO KEY UPDATE;
    DELETE FROM contact_digest WHERE contact_id IN (SELECT contact_id FROM added);
    RETURN NULL;
END $fn$
"""


def upgrade() -> None:
    op.create_table(
        "contact_digest_due",
        sa.Column("contact_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint("contact_id", name=op.f("pk_contact_digest_due")),
    )
    bind = op.get_bind()
    salt = bind.execute(
        sa.text("SELECT value FROM setting WHERE key = 'suppression.salt'")
    ).scalar()
    fingerprint = key_fingerprint(salt) if salt else None
    bind.execute(sa.text(FILL), {"fingerprint": fingerprint})
    if bind.dialect.name == "postgresql":
        for template in (DIGEST_FORGET, DIGEST_FORGET_ADDED, DIGEST_DUE_NEW, DIGEST_DUE_KEY):
            op.execute(template.replace("{definer}", ""))
        for statement in PG_TRIGGERS:
            op.execute(statement)
    else:
        for name in _OLD_SQLITE:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS contact_digest_new ON contact")
        op.execute("DROP TRIGGER IF EXISTS contact_digest_key ON setting")
        op.execute("DROP FUNCTION IF EXISTS pcrm_contact_digest_new()")
        op.execute("DROP FUNCTION IF EXISTS pcrm_contact_digest_key()")
        op.execute(_PG_FORGET_0027)
    else:
        for name in _OLD_SQLITE + _NEW_SQLITE:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        for statement in _SQLITE_0026:
            op.execute(statement)
    op.drop_table("contact_digest_due")
