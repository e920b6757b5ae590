"""Tasks and follow-ups: the ``task`` table.

A task has a title, details, a due date with an optional time, an assignee (an app user),
at most one linked person or company (its row goes with them: ON DELETE CASCADE), who made
it and when, who did it and when, and its origin (manual, a request's deadline, a consent
to re-confirm). ``ix_task_open`` (assignee, done_at, due date, time, id) makes "the open
tasks of one user in due order" one index range. AUTOINCREMENT on SQLite: a deleted task's
id is never handed out again, so the audit's ids name one task. The catalogue gains the
person's field ``tasks``. A new table only: no batch copy of an existing table.

Revision ID: 0017_tasks
Revises: 0016_activities
"""

import sqlalchemy as sa
from alembic import op

revision = "0017_tasks"
down_revision = "0016_activities"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "task",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("due_time", sa.Time(), nullable=True),
        sa.Column("assignee_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("company_id", sa.Integer(), nullable=True),
        sa.Column("origin", sa.String(length=30), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("done_at", sa.DateTime(), nullable=True),
        sa.Column("done_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["assignee_id"], ["app_user.id"], name=op.f("fk_task_assignee_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contact.id"],
            name=op.f("fk_task_contact_id_contact"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["company.id"],
            name=op.f("fk_task_company_id_company"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["app_user.id"], name=op.f("fk_task_created_by_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["done_by"], ["app_user.id"], name=op.f("fk_task_done_by_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task")),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_task_open", "task", ["assignee_id", "done_at", "due_on", "due_time", "id"])
    op.create_index("ix_task_contact_id", "task", ["contact_id"])
    op.create_index("ix_task_company_id", "task", ["company_id"])
    bind = op.get_bind()
    if bind.execute(sa.text("SELECT count(*) FROM field_catalogue")).scalar():
        bind.execute(
            sa.text(
                "INSERT INTO field_catalogue (field, sensitivity, purposes) SELECT "
                "'tasks', 'normal', 'customer_relationship,prospect_follow_up' "
                "WHERE NOT EXISTS (SELECT 1 FROM field_catalogue WHERE field = 'tasks')"
            )
        )


def downgrade() -> None:
    bind = op.get_bind()
    bind.execute(sa.text("DELETE FROM role_field_access WHERE field = 'tasks'"))
    bind.execute(sa.text("DELETE FROM field_catalogue WHERE field = 'tasks'"))
    op.drop_index("ix_task_company_id", table_name="task")
    op.drop_index("ix_task_contact_id", table_name="task")
    op.drop_index("ix_task_open", table_name="task")
    op.drop_table("task")
