"""Retention: why a contact is kept (in the keep-until index), anonymised records, and
indexes on the source references (erasure deletes sources nothing uses any more).

Revision ID: 0003_retention
Revises: 0002_contact_count
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_retention"
down_revision = "0002_contact_count"
branch_labels = None
depends_on = None

SOURCE_TABLES = (
    "contact",
    "contact_email",
    "contact_phone",
    "field_provenance",
    "special_category_datum",
)


def upgrade() -> None:
    with op.batch_alter_table("contact") as batch:
        batch.add_column(
            sa.Column("keep_reason", sa.String(length=60), nullable=False, server_default="")
        )
    op.drop_index("ix_contact_keep_until", table_name="contact")
    op.create_index("ix_contact_keep_until", "contact", ["keep_until", "keep_reason", "id"])
    op.create_index("ix_contact_keep_reason", "contact", ["keep_reason", "keep_until"])
    for table in SOURCE_TABLES:
        op.create_index(f"ix_{table}_source_id", table, ["source_id"])
    op.create_table(
        "anonymised_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("relationship", sa.String(length=30), nullable=False),
        sa.Column("region", sa.String(length=2), nullable=False),
        sa.Column("customer_since", sa.Integer(), nullable=True),
        sa.Column("anonymised_on", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_anonymised_record")),
    )


def downgrade() -> None:
    op.drop_table("anonymised_record")
    op.drop_index("ix_contact_keep_reason", table_name="contact")
    for table in SOURCE_TABLES:
        op.drop_index(f"ix_{table}_source_id", table_name=table)
    op.drop_index("ix_contact_keep_until", table_name="contact")
    op.create_index("ix_contact_keep_until", "contact", ["keep_until", "id"])
    with op.batch_alter_table("contact") as batch:
        batch.drop_column("keep_reason")
