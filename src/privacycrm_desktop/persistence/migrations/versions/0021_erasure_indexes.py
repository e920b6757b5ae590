"""Every reference to a contact has an index that starts with it: ``request_contact``.

Deleting a contact makes the database look up each table that refers to it (ON DELETE
CASCADE / SET NULL). ``request_contact``'s key starts with the request, so each erased
contact read the whole table (once per contact: the yearly cleanup erases hundreds of
thousands), and the erasure's "forget the requester" step read it too. A test enumerates
the foreign keys to ``contact`` and checks each has such an index.

An index, not a table change: no batch copy of a table (DESIGN.md, Known traps); nothing
personal, no grants (PostgreSQL grants on tables, not indexes).

Revision ID: 0021_erasure_indexes
Revises: 0020_activity_people
"""

from alembic import op

revision = "0021_erasure_indexes"
down_revision = "0020_activity_people"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_request_contact_contact_id", "request_contact", ["contact_id"])


def downgrade() -> None:
    op.drop_index("ix_request_contact_contact_id", table_name="request_contact")
