"""Contacts per keep-until date, kept by triggers, for the main window's expiry counts.

Counting the expired contacts of a million (often 30 %) read a large part of an index at
every start; a few thousand dates with their counts answer the same question at once.

Revision ID: 0004_keep_until_counts
Revises: 0003_retention
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_keep_until_counts"
down_revision = "0003_retention"
branch_labels = None
depends_on = None

TRIGGERS = (
    "CREATE TRIGGER IF NOT EXISTS keep_until_count_insert AFTER INSERT ON contact "
    "WHEN new.keep_until IS NOT NULL BEGIN "
    "INSERT INTO keep_until_count (day, n) VALUES (new.keep_until, 1) "
    "ON CONFLICT (day) DO UPDATE SET n = n + 1; END",
    "CREATE TRIGGER IF NOT EXISTS keep_until_count_delete AFTER DELETE ON contact "
    "WHEN old.keep_until IS NOT NULL BEGIN "
    "UPDATE keep_until_count SET n = n - 1 WHERE day = old.keep_until; END",
    "CREATE TRIGGER IF NOT EXISTS keep_until_count_update AFTER UPDATE OF keep_until ON contact "
    "WHEN old.keep_until IS NOT new.keep_until BEGIN "
    "UPDATE keep_until_count SET n = n - 1 WHERE day = old.keep_until; "
    "INSERT INTO keep_until_count (day, n) SELECT new.keep_until, 1 "
    "WHERE new.keep_until IS NOT NULL "
    "ON CONFLICT (day) DO UPDATE SET n = n + 1; END",
)


#: On PostgreSQL a view (see 0002): no shared counter rows for concurrent desks to queue on.
PG_VIEW = (
    "CREATE VIEW keep_until_count AS SELECT keep_until AS day, count(*) AS n FROM contact "
    "WHERE keep_until IS NOT NULL GROUP BY keep_until"
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_VIEW)
        return
    op.create_table(
        "keep_until_count",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_keep_until_count")),
    )
    op.execute(
        "INSERT INTO keep_until_count (day, n) SELECT keep_until, count(*) FROM contact "
        "WHERE keep_until IS NOT NULL GROUP BY keep_until"
    )
    for statement in TRIGGERS:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP VIEW keep_until_count")
        return
    for name in ("insert", "delete", "update"):
        op.execute(f"DROP TRIGGER IF EXISTS keep_until_count_{name}")
    op.drop_table("keep_until_count")
