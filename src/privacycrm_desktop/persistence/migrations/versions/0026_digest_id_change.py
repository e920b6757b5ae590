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

from privacycrm_desktop.persistence.contact_digests import ID_TRIGGER_PG, ID_TRIGGER_SQLITE

revision = "0026_digest_id_change"
down_revision = "0025_erasure_indexes"
branch_labels = None
depends_on = None


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
