"""A contact whose id changes forgets the stored digests of both ids (``contact_digest``).

The rows have no foreign key (migration 0024): a trigger deletes them when a contact's
name, postcode, addresses or numbers change or it is deleted. A change of ``contact.id``
with plain SQL left them behind under the old id, marked complete; a person inserted at
that id then inherited them, and a marketing list took the unsubscribed person for one
matching nothing on the suppression list (an outside test, as a sales user on the
server). The app never changes an id; this trigger makes such a change forget the rows
of both ids, on both engines (on PostgreSQL through ``pcrm_contact_digest_forget``, which
runs as the system role).

Revision ID: 0026_digest_id_change
Revises: 0025_erasure_indexes
"""

from alembic import op

revision = "0026_digest_id_change"
down_revision = "0025_erasure_indexes"
branch_labels = None
depends_on = None

#: As persistence/contact_digests.py had them (migration 0029 adds the due contacts).
ID_TRIGGER_SQLITE = (
    "CREATE TRIGGER IF NOT EXISTS contact_digest_id AFTER UPDATE OF id ON contact "
    "WHEN old.id IS NOT new.id BEGIN "
    "DELETE FROM contact_digest WHERE contact_id IN (old.id, new.id); END"
)
ID_TRIGGER_PG = (
    "CREATE TRIGGER contact_digest_id AFTER UPDATE OF id ON contact FOR EACH ROW "
    "WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION pcrm_contact_digest_forget()"
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(ID_TRIGGER_PG)
    else:
        op.execute(ID_TRIGGER_SQLITE)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS contact_digest_id ON contact")
    else:
        op.execute("DROP TRIGGER IF EXISTS contact_digest_id")
