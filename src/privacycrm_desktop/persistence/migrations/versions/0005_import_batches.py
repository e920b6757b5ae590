"""Imports (issue 7): what a batch declared and counted, and indexes to find its rows.

The purpose and legal basis declared for the batch, its file format and counts (never a
personal value) go on ``import_batch``; ``contact.import_batch_id`` and
``source.import_batch_id`` are indexed so undo and the history find a batch's rows
without reading every contact; ``contact_email.address`` is indexed case-insensitively
so the duplicate check looks addresses up instead of loading a million of them.

Revision ID: 0005_import_batches
Revises: 0004_keep_until_counts
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_import_batches"
down_revision = "0004_keep_until_counts"
branch_labels = None
depends_on = None

COUNTS = ("total_rows", "imported", "merged", "skipped", "invalid")


def upgrade() -> None:
    with op.batch_alter_table("import_batch") as batch:
        batch.add_column(
            sa.Column("file_format", sa.String(length=10), nullable=False, server_default="")
        )
        batch.add_column(sa.Column("purpose_id", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column("legal_basis", sa.String(length=30), nullable=False, server_default="")
        )
        for name in COUNTS:
            batch.add_column(sa.Column(name, sa.Integer(), nullable=False, server_default="0"))
        batch.create_foreign_key(
            op.f("fk_import_batch_purpose_id_purpose"), "purpose", ["purpose_id"], ["id"]
        )
    op.create_index("ix_contact_import_batch_id", "contact", ["import_batch_id"])
    op.create_index("ix_source_import_batch_id", "source", ["import_batch_id"])
    # Case-insensitive look-ups of e-mail addresses (an import's duplicate check); the
    # model declares the same columns without the collation (see models.ContactEmail).
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE INDEX ix_contact_email_address ON contact_email (lower(address), contact_id)"
        )
    else:
        op.execute(
            "CREATE INDEX ix_contact_email_address "
            "ON contact_email (address COLLATE NOCASE, contact_id)"
        )


def downgrade() -> None:
    op.drop_index("ix_contact_email_address", table_name="contact_email")
    op.drop_index("ix_source_import_batch_id", table_name="source")
    op.drop_index("ix_contact_import_batch_id", table_name="contact")
    with op.batch_alter_table("import_batch") as batch:
        batch.drop_constraint(op.f("fk_import_batch_purpose_id_purpose"), type_="foreignkey")
        for name in reversed(COUNTS):
            batch.drop_column(name)
        batch.drop_column("legal_basis")
        batch.drop_column("purpose_id")
        batch.drop_column("file_format")
