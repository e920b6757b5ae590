"""Tags: coloured labels, many per contact.

``tag`` holds the labels (the name unique once folded, a colour); ``contact_tag`` which
contact carries which, with who put it there, when, and the source when an import file
brought it. The list filters by a tag through ``ix_contact_tag_tag`` (tag, contact) and
probes the primary key (contact, tag) while it walks its sort index. New tables only: no
batch copy of an existing table.

Revision ID: 0012_tags
Revises: 0010_fts_secure_delete
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_tags"
down_revision = "0010_fts_secure_delete"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tag",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("folded", sa.String(length=60), nullable=False),
        sa.Column("colour", sa.String(length=7), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["app_user.id"], name=op.f("fk_tag_created_by_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tag")),
        sa.UniqueConstraint("folded", name=op.f("uq_tag_folded")),
    )
    op.create_table(
        "contact_tag",
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("tag_id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contact.id"],
            name=op.f("fk_contact_tag_contact_id_contact"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tag_id"], ["tag.id"], name=op.f("fk_contact_tag_tag_id_tag"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["source_id"], ["source.id"], name=op.f("fk_contact_tag_source_id_source")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["app_user.id"], name=op.f("fk_contact_tag_recorded_by_app_user")
        ),
        sa.PrimaryKeyConstraint("contact_id", "tag_id", name=op.f("pk_contact_tag")),
    )
    op.create_index("ix_contact_tag_tag", "contact_tag", ["tag_id", "contact_id"])
    op.create_index("ix_contact_tag_source_id", "contact_tag", ["source_id"])


def downgrade() -> None:
    op.drop_index("ix_contact_tag_source_id", table_name="contact_tag")
    op.drop_index("ix_contact_tag_tag", table_name="contact_tag")
    op.drop_table("contact_tag")
    op.drop_table("tag")
