"""Merges of duplicate contacts: a record of each merge (enough to undo it) and the
redirect of each merged-away id to its survivor; indexes for the duplicate finder's
name groupings. New tables and indexes only: no batch copy of an existing table.

Revision ID: 0015_merges
Revises: 0014b_company_tags
"""

import sqlalchemy as sa
from alembic import op

revision = "0015_merges"
down_revision = "0014b_company_tags"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "contact_merge",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survivor_id", sa.Integer(), nullable=True),
        sa.Column("merged_ids", sa.String(length=2000), nullable=False),
        sa.Column("snapshot", sa.Text(), nullable=False),
        sa.Column("result", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("undone_at", sa.DateTime(), nullable=True),
        sa.Column("closed", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["survivor_id"],
            ["contact.id"],
            name=op.f("fk_contact_merge_survivor_id_contact"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["app_user.id"], name=op.f("fk_contact_merge_created_by_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_merge")),
    )
    op.create_index("ix_contact_merge_survivor_id", "contact_merge", ["survivor_id"])
    op.create_table(
        "contact_redirect",
        sa.Column("old_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("survivor_id", sa.Integer(), nullable=False),
        sa.Column("merge_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["survivor_id"],
            ["contact.id"],
            name=op.f("fk_contact_redirect_survivor_id_contact"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["merge_id"],
            ["contact_merge.id"],
            name=op.f("fk_contact_redirect_merge_id_contact_merge"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("old_id", name=op.f("pk_contact_redirect")),
    )
    op.create_index("ix_contact_redirect_survivor_id", "contact_redirect", ["survivor_id"])
    op.create_index("ix_contact_redirect_merge_id", "contact_redirect", ["merge_id"])
    # The finder groups by name and postcode reading this index only.
    op.create_index("ix_contact_name_postcode", "contact", ["sort_name", "postcode", "id"])


def downgrade() -> None:
    op.drop_index("ix_contact_name_postcode", table_name="contact")
    op.drop_index("ix_contact_redirect_merge_id", table_name="contact_redirect")
    op.drop_index("ix_contact_redirect_survivor_id", table_name="contact_redirect")
    op.drop_table("contact_redirect")
    op.drop_index("ix_contact_merge_survivor_id", table_name="contact_merge")
    op.drop_table("contact_merge")
