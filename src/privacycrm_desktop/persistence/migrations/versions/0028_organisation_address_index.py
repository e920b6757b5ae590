"""``ix_contact_organisation_address``: the organisation addresses (a partial index).

A marketing list decides every organisation address one by one (reachable without
consent, rule 4): finding them read every contact (kind is in no index), a tenth of a list
of 50,000 from a million contacts. The partial index holds only theirs (3 % of the demo's).

An index, not a table change: no batch copy of a table (DESIGN.md, Known traps); nothing
personal, no grants (PostgreSQL grants on tables, not indexes).

Revision ID: 0028_organisation_address_index
Revises: 0027_digest_insert_statement
"""

import sqlalchemy as sa
from alembic import op

revision = "0028_organisation_address_index"
down_revision = "0027_digest_insert_statement"
branch_labels = None
depends_on = None

_WHERE = sa.text("kind = 'organisation_address'")


def upgrade() -> None:
    op.create_index(
        "ix_contact_organisation_address",
        "contact",
        ["id"],
        sqlite_where=_WHERE,
        postgresql_where=_WHERE,
    )


def downgrade() -> None:
    op.drop_index("ix_contact_organisation_address", table_name="contact")
