"""Tags: coloured labels, many per contact.

``tag`` holds the labels (the name unique once folded, a colour); ``contact_tag`` which
contact carries which, with who put it there, when, and the source when an import file
brought it, and copies of the contact's columns the list sorts by (sort name,
organisation, city, relationship): the list filtered by a tag reads its windows in each
order from an index of its own (tag, column, sort name, contact) at any offset, and counts
a tag's contacts there. A trigger on ``contact`` keeps the copies equal (migrate.py puts
it back after a batch migration that copies ``contact``). New tables only: no batch copy
of an existing table.

Revision ID: 0013_tags
Revises: 0012_companies
"""

import sqlalchemy as sa
from alembic import op

revision = "0013_tags"
down_revision = "0012_companies"
branch_labels = None
depends_on = None

#: As persistence/migrate.py re-creates it (a migration script stays as it was written).
SQLITE_TRIGGER = (
    "CREATE TRIGGER IF NOT EXISTS contact_tag_sort_name "
    "AFTER UPDATE OF sort_name, organisation, city, relationship ON contact "
    "WHEN old.sort_name IS NOT new.sort_name OR old.organisation IS NOT new.organisation "
    "OR old.city IS NOT new.city OR old.relationship IS NOT new.relationship BEGIN "
    "UPDATE contact_tag SET sort_name = new.sort_name, organisation = new.organisation, "
    "city = new.city, relationship = new.relationship WHERE contact_id = new.id; END"
)
PG_FUNCTION = """
CREATE OR REPLACE FUNCTION pcrm_contact_tag_sort_name() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE contact_tag SET sort_name = NEW.sort_name, organisation = NEW.organisation,
        city = NEW.city, relationship = NEW.relationship WHERE contact_id = NEW.id;
    RETURN NULL;
END
$$
"""
PG_TRIGGER = (
    "CREATE TRIGGER contact_tag_sort_name "
    "AFTER UPDATE OF sort_name, organisation, city, relationship ON contact "
    "FOR EACH ROW WHEN (OLD.sort_name IS DISTINCT FROM NEW.sort_name "
    "OR OLD.organisation IS DISTINCT FROM NEW.organisation "
    "OR OLD.city IS DISTINCT FROM NEW.city OR OLD.relationship IS DISTINCT FROM NEW.relationship) "
    "EXECUTE FUNCTION pcrm_contact_tag_sort_name()"
)


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
        sa.Column("sort_name", sa.String(length=400), nullable=False, server_default=""),
        sa.Column("organisation", sa.String(length=200), nullable=False, server_default=""),
        sa.Column("city", sa.String(length=200), nullable=False, server_default=""),
        sa.Column("relationship", sa.String(length=30), nullable=False, server_default=""),
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
    op.create_index("ix_contact_tag_sort", "contact_tag", ["tag_id", "sort_name", "contact_id"])
    for column in ("organisation", "city", "relationship"):
        op.create_index(
            f"ix_contact_tag_{'org' if column == 'organisation' else column}_sort",
            "contact_tag",
            ["tag_id", column, "sort_name", "contact_id"],
        )
    op.create_index("ix_contact_tag_source_id", "contact_tag", ["source_id"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_FUNCTION)
        op.execute(PG_TRIGGER)
    else:
        op.execute(SQLITE_TRIGGER)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS contact_tag_sort_name ON contact")
        op.execute("DROP FUNCTION IF EXISTS pcrm_contact_tag_sort_name()")
    else:
        op.execute("DROP TRIGGER IF EXISTS contact_tag_sort_name")
    op.drop_index("ix_contact_tag_source_id", table_name="contact_tag")
    for name in ("org", "city", "relationship"):
        op.drop_index(f"ix_contact_tag_{name}_sort", table_name="contact_tag")
    op.drop_index("ix_contact_tag_sort", table_name="contact_tag")
    op.drop_table("contact_tag")
    op.drop_table("tag")
