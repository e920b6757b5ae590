"""Custom fields on companies and a keep rule per custom field (issue 21): what a field
applies to (``custom_field.applies_to``: contact or company), how long its values are kept
(``custom_field.keep_months``, none: as long as the contact or company), and each
company's values (``company_custom_value``, with a source like a contact's). The server's
privileges and row policies come from ``postgres.policy`` and ``row_policies`` when the
migration ends, as for every table.

Revision ID: 0018_company_custom_fields
Revises: 0017_tasks
"""

import sqlalchemy as sa
from alembic import op

revision = "0018_company_custom_fields"
down_revision = "0017_tasks"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("custom_field") as batch:
        batch.add_column(
            sa.Column("applies_to", sa.String(length=10), nullable=False, server_default="contact")
        )
        batch.add_column(sa.Column("keep_months", sa.Integer(), nullable=True))
    op.create_table(
        "company_custom_value",
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("field_id", sa.Integer(), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["company.id"],
            name=op.f("fk_company_custom_value_company_id_company"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["field_id"],
            ["custom_field.id"],
            name=op.f("fk_company_custom_value_field_id_custom_field"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["source_id"], ["source.id"], name=op.f("fk_company_custom_value_source_id_source")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"],
            ["app_user.id"],
            name=op.f("fk_company_custom_value_recorded_by_app_user"),
        ),
        sa.PrimaryKeyConstraint("company_id", "field_id", name=op.f("pk_company_custom_value")),
    )
    op.create_index("ix_company_custom_value_field_id", "company_custom_value", ["field_id"])
    op.create_index("ix_company_custom_value_source_id", "company_custom_value", ["source_id"])


def downgrade() -> None:
    op.drop_index("ix_company_custom_value_source_id", table_name="company_custom_value")
    op.drop_index("ix_company_custom_value_field_id", table_name="company_custom_value")
    op.drop_table("company_custom_value")
    with op.batch_alter_table("custom_field") as batch:
        batch.drop_column("keep_months")
        batch.drop_column("applies_to")
