"""Merges of duplicate companies, and merge records that keep the id they kept.

``company_merge`` and ``company_redirect`` do for companies what ``contact_merge`` and
``contact_redirect`` do for contacts (services/company_merges.py). ``contact_merge`` loses
its foreign key on ``survivor_id``: a merge record names the contact it kept for good,
even once that contact was merged into another (the key's ON DELETE SET NULL, and the
later merge's move of the column, rewrote past merges' records). ``company_merge`` has
no such key from the start. The copy of ``contact_merge`` is small (one row a merge).

Revision ID: 0019_company_merges
Revises: 0018_company_custom_fields
"""

import sqlalchemy as sa
from alembic import op

revision = "0019_company_merges"
down_revision = "0018_company_custom_fields"
branch_labels = None
depends_on = None

_FK = "fk_contact_merge_survivor_id_contact"


def upgrade() -> None:
    with op.batch_alter_table("contact_merge") as batch:
        batch.drop_constraint(_FK, type_="foreignkey")
    op.create_table(
        "company_merge",
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
            ["created_by"], ["app_user.id"], name=op.f("fk_company_merge_created_by_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_company_merge")),
    )
    op.create_index("ix_company_merge_survivor_id", "company_merge", ["survivor_id"])
    op.create_table(
        "company_redirect",
        sa.Column("old_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("survivor_id", sa.Integer(), nullable=False),
        sa.Column("merge_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["survivor_id"],
            ["company.id"],
            name=op.f("fk_company_redirect_survivor_id_company"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["merge_id"],
            ["company_merge.id"],
            name=op.f("fk_company_redirect_merge_id_company_merge"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("old_id", name=op.f("pk_company_redirect")),
    )
    op.create_index("ix_company_redirect_survivor_id", "company_redirect", ["survivor_id"])
    op.create_index("ix_company_redirect_merge_id", "company_redirect", ["merge_id"])


def downgrade() -> None:
    op.drop_index("ix_company_redirect_merge_id", table_name="company_redirect")
    op.drop_index("ix_company_redirect_survivor_id", table_name="company_redirect")
    op.drop_table("company_redirect")
    op.drop_index("ix_company_merge_survivor_id", table_name="company_merge")
    op.drop_table("company_merge")
    op.execute(
        "UPDATE contact_merge SET survivor_id = NULL "
        "WHERE survivor_id NOT IN (SELECT id FROM contact)"
    )
    with op.batch_alter_table("contact_merge") as batch:
        batch.create_foreign_key(_FK, "contact", ["survivor_id"], ["id"], ondelete="SET NULL")
