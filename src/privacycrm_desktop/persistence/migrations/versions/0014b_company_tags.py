"""Tags on companies: ``company_tag`` says which company carries which tag (the same tags
as the contacts'), with who put it there, when, and the source when a file brought it.
A new table only; the server's privileges come from ``TABLE_POLICY`` (its version changes,
so ``grants.needs_upgrade`` applies them).

Revision ID: 0014b_company_tags
Revises: 0014_custom_fields
"""

import sqlalchemy as sa
from alembic import op

revision = "0014b_company_tags"
down_revision = "0014_custom_fields"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "company_tag",
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("tag_id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["company.id"],
            name=op.f("fk_company_tag_company_id_company"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tag_id"], ["tag.id"], name=op.f("fk_company_tag_tag_id_tag"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["source_id"], ["source.id"], name=op.f("fk_company_tag_source_id_source")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["app_user.id"], name=op.f("fk_company_tag_recorded_by_app_user")
        ),
        sa.PrimaryKeyConstraint("company_id", "tag_id", name=op.f("pk_company_tag")),
    )
    op.create_index("ix_company_tag_tag", "company_tag", ["tag_id", "company_id"])
    op.create_index("ix_company_tag_source_id", "company_tag", ["source_id"])


def downgrade() -> None:
    op.drop_index("ix_company_tag_source_id", table_name="company_tag")
    op.drop_index("ix_company_tag_tag", table_name="company_tag")
    op.drop_table("company_tag")
