"""Audit anchors (issue 15): the newest event the app wrote, kept apart from the chain.

``audit_anchor`` holds one row: the id, hash and time of the newest audit event. On
PostgreSQL the app updates it with every append, in the same transaction, and it is seeded
here from the chain as it stands, so an existing trail is anchored from the upgrade on.
SQLite gets the same (empty) table so that both back ends share one schema; there the
anchors live outside the file (services/audit_anchors.py).

Revision ID: 0009_audit_anchor
Revises: 0008_contact_id_high_water
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_audit_anchor"
down_revision = "0008_contact_id_high_water"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_anchor",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.Column("head", sa.String(length=64), nullable=False),
        sa.Column("at", sa.String(length=32), nullable=False),
        sa.Column("found", sa.Integer(), nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_anchor")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "INSERT INTO audit_anchor (id, events, head, at) "
            "SELECT 1, id, hash, at FROM audit_event ORDER BY id DESC LIMIT 1"
        )


def downgrade() -> None:
    op.drop_table("audit_anchor")
