"""Tasks and follow-ups (domain/tasks.py), kept apart from ``models`` for its size.

A task linked to a person is the person's data (catalogue field ``tasks``): its title and
details are listed in ``PERSONAL_COLUMNS``, and the row goes with the person (ON DELETE
CASCADE: an erasure, a cleanup or the undo of an import deletes it). The tables join
``Base.metadata`` when this module is imported: the services using them do, and so do the
migrations' environment and the schema tests.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, DateTime, ForeignKey, Index, String, Text, Time
from sqlalchemy.orm import Mapped, mapped_column

from privacycrm_desktop.persistence.models import PERSONAL_COLUMNS, Base


class Task(Base):
    """A thing to do, by whom and when, perhaps about one person or one company.

    ``ix_task_open``: the open tasks of one user, in due order, are one range of the
    index (assignee, done_at IS NULL, due date, time): "My day" reads only its rows.
    """

    __tablename__ = "task"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    details: Mapped[str] = mapped_column(Text, default="")
    due_on: Mapped[dt.date | None] = mapped_column(Date)
    #: Local wall-clock time of day (None: some time that day).
    due_time: Mapped[dt.time | None] = mapped_column(Time)
    assignee_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contact.id", ondelete="CASCADE"), index=True
    )
    company_id: Mapped[int | None] = mapped_column(
        ForeignKey("company.id", ondelete="CASCADE"), index=True
    )
    #: ``domain.tasks.TaskOrigin``: manual, request_deadline, consent_reconfirmation.
    origin: Mapped[str] = mapped_column(String(30), default="manual")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    done_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    done_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))

    __table_args__ = (
        Index("ix_task_open", "assignee_id", "done_at", "due_on", "due_time", "id"),
        {"sqlite_autoincrement": True},
    )


PERSONAL_COLUMNS.update({"task.title": "tasks", "task.details": "tasks"})
