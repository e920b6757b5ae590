"""Custom fields: the owner's definitions (``custom_field``) and each contact's values
(``custom_value``, with a source like every other value). New tables only.

Revision ID: 0014_custom_fields
Revises: 0013_tags
"""

import sqlalchemy as sa
from alembic import op

revision = "0014_custom_fields"
down_revision = "0013_tags"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "custom_field",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("label", sa.String(length=80), nullable=False),
        sa.Column("labels", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("choices", sa.Text(), nullable=False),
        sa.Column("purposes", sa.Text(), nullable=False),
        sa.Column("category", sa.String(length=60), nullable=False),
        sa.Column("restricted", sa.Boolean(), nullable=False),
        sa.Column("searchable", sa.Boolean(), nullable=False),
        sa.Column("exported", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["app_user.id"], name=op.f("fk_custom_field_created_by_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_custom_field")),
        sa.UniqueConstraint("key", name=op.f("uq_custom_field_key")),
    )
    op.create_table(
        "custom_value",
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("field_id", sa.Integer(), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contact.id"],
            name=op.f("fk_custom_value_contact_id_contact"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["field_id"],
            ["custom_field.id"],
            name=op.f("fk_custom_value_field_id_custom_field"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["source_id"], ["source.id"], name=op.f("fk_custom_value_source_id_source")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["app_user.id"], name=op.f("fk_custom_value_recorded_by_app_user")
        ),
        sa.PrimaryKeyConstraint("contact_id", "field_id", name=op.f("pk_custom_value")),
    )
    op.create_index("ix_custom_value_field_id", "custom_value", ["field_id"])
    op.create_index("ix_custom_value_source_id", "custom_value", ["source_id"])


def downgrade() -> None:
    op.drop_index("ix_custom_value_source_id", table_name="custom_value")
    op.drop_index("ix_custom_value_field_id", table_name="custom_value")
    op.drop_table("custom_value")
    op.drop_table("custom_field")
