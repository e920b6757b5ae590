"""Every order's index of the list also holds the columns the saved views test.

The saved views (expired, expiring within 30 days, due for re-consent, by relationship)
read by key walk the index of the list's order from a bookmark and test each entry; the
name index has held the keep-until date and reason since migration 0011, the other orders'
did not, so each entry walked read its table row: at a million contacts a window of the
view "expiring" (1.5 % of the list) sorted by city walked 14,000 entries, 23-110 ms, and by
OFFSET up to 1.4 s (bench/bench_list.py). With the columns in the index no row is read
for an entry the view leaves out.

Indexes, not a table change: no batch copy of the contact table (DESIGN.md, Known traps);
nothing personal, no grants (PostgreSQL grants on tables, not indexes).

Revision ID: 0031_list_view_cover
Revises: 0030_notify_access_changes
"""

from alembic import op

revision = "0031_list_view_cover"
down_revision = "0030_notify_access_changes"
branch_labels = None
depends_on = None

#: Each index: its columns before and after.
INDEXES = {
    "ix_contact_city_sort": (
        ["city", "sort_name", "id"],
        ["city", "sort_name", "id", "keep_until", "keep_reason", "relationship"],
    ),
    "ix_contact_org_sort": (
        ["organisation", "sort_name", "id"],
        ["organisation", "sort_name", "id", "keep_until", "keep_reason", "relationship"],
    ),
    "ix_contact_relationship_sort": (
        ["relationship", "sort_name", "id"],
        ["relationship", "sort_name", "id", "keep_until", "keep_reason"],
    ),
    "ix_contact_keep_until": (
        ["keep_until", "keep_reason", "id"],
        ["keep_until", "keep_reason", "id", "relationship"],
    ),
}


def upgrade() -> None:
    for name, (_before, after) in INDEXES.items():
        op.drop_index(name, table_name="contact")
        op.create_index(name, "contact", after)


def downgrade() -> None:
    for name, (before, _after) in INDEXES.items():
        op.drop_index(name, table_name="contact")
        op.create_index(name, "contact", before)
