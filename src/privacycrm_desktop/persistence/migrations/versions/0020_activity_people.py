"""Linked people of an interaction: the ``activity_person`` table.

An interaction (on a person or a company) may name other contacts who took part; each link
is one row (interaction, contact), gone with either (ON DELETE CASCADE). The interaction
shows on each linked person's timeline: ``ix_activity_person_contact`` (contact,
interaction) is the range read for it. Ids only: no personal text in this table; the
server grants follow ``persistence/postgres/policy.py`` (as for ``activity``). A new
table only.

Revision ID: 0020_activity_people
Revises: 0019_company_merges
"""

import sqlalchemy as sa
from alembic import op

revision = "0020_activity_people"
down_revision = "0019_company_merges"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "activity_person",
        sa.Column("activity_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["activity_id"],
            ["activity.id"],
            name=op.f("fk_activity_person_activity_id_activity"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contact.id"],
            name=op.f("fk_activity_person_contact_id_contact"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("activity_id", "contact_id", name=op.f("pk_activity_person")),
    )
    op.create_index("ix_activity_person_contact", "activity_person", ["contact_id", "activity_id"])


def downgrade() -> None:
    op.drop_index("ix_activity_person_contact", table_name="activity_person")
    op.drop_table("activity_person")
