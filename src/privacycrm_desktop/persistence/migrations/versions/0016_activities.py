"""Interactions: calls, meetings, e-mails, letters, visits and notes on a person or a company.

``activity`` holds one interaction: on a contact or on a company (exactly one of them), its
kind, when it happened, who logged it and when, a short summary and details, the source of
what it says when one was given (else the interaction itself is the source: who logged what
and when), and an optional attached file (kept in the database like consent evidence, so
an erasure takes it with the row). One person's timeline, newest first, is one range of
``ix_activity_contact_time`` (contact, occurred at, id) read backwards; a company's of
``ix_activity_company_time``; the newest interaction per person (retention) is the end of
that same range. The field catalogue of an initialised database gains the interactions
(kind, date, summary) and their details (restricted). New tables only.

Revision ID: 0016_activities
Revises: 0015_merges
"""

import sqlalchemy as sa
from alembic import op

revision = "0016_activities"
down_revision = "0015_merges"
branch_labels = None
depends_on = None

_FIELDS = (
    ("activities", "normal", "customer_relationship,prospect_follow_up"),
    ("activity_details", "restricted", "customer_relationship,prospect_follow_up"),
)


def upgrade() -> None:
    op.create_table(
        "activity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("company_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("occurred_at", sa.DateTime(), nullable=False),
        sa.Column("summary", sa.String(length=200), nullable=False),
        sa.Column("details", sa.Text(), nullable=False, server_default=""),
        sa.Column("attachment", sa.LargeBinary(), nullable=True),
        sa.Column("attachment_name", sa.String(length=300), nullable=False, server_default=""),
        sa.Column("source_id", sa.Integer(), nullable=True),
        sa.Column("recorded_by", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "(contact_id IS NULL) <> (company_id IS NULL)", name=op.f("ck_activity_one_owner")
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contact.id"],
            name=op.f("fk_activity_contact_id_contact"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["company.id"],
            name=op.f("fk_activity_company_id_company"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["source_id"], ["source.id"], name=op.f("fk_activity_source_id_source")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["app_user.id"], name=op.f("fk_activity_recorded_by_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activity")),
        # Ids are never handed out twice (the audit names an interaction by its id).
        sqlite_autoincrement=True,
    )
    op.create_index("ix_activity_contact_time", "activity", ["contact_id", "occurred_at", "id"])
    op.create_index("ix_activity_company_time", "activity", ["company_id", "occurred_at", "id"])
    op.create_index("ix_activity_source_id", "activity", ["source_id"])
    bind = op.get_bind()
    if bind.execute(sa.text("SELECT count(*) FROM field_catalogue")).scalar():
        for field, sensitivity, purposes in _FIELDS:
            bind.execute(
                sa.text(
                    "INSERT INTO field_catalogue (field, sensitivity, purposes) "
                    "SELECT CAST(:f AS VARCHAR(60)), CAST(:s AS VARCHAR(30)), "
                    "CAST(:p AS TEXT) WHERE NOT EXISTS "
                    "(SELECT 1 FROM field_catalogue WHERE field = CAST(:f AS VARCHAR(60)))"
                ),
                {"f": field, "s": sensitivity, "p": purposes},
            )


def downgrade() -> None:
    bind = op.get_bind()
    for field, _sensitivity, _purposes in _FIELDS:
        bind.execute(sa.text("DELETE FROM role_field_access WHERE field = :f"), {"f": field})
        bind.execute(sa.text("DELETE FROM field_catalogue WHERE field = :f"), {"f": field})
    op.drop_index("ix_activity_source_id", table_name="activity")
    op.drop_index("ix_activity_company_time", table_name="activity")
    op.drop_index("ix_activity_contact_time", table_name="activity")
    op.drop_table("activity")
