"""Interactions with a person or a company: the timeline (domain/activities.py).

Kept apart from ``models`` for its size; its personal columns are listed in
``models.PERSONAL_COLUMNS``. The table joins ``Base.metadata`` when this module is
imported: the services using it do, and so do the migrations' environment.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from privacycrm_desktop.persistence.models import Base


class Activity(Base):
    """One interaction (migration 0016): on a contact or on a company, never both."""

    __tablename__ = "activity"
    __table_args__ = (
        Index("ix_activity_contact_time", "contact_id", "occurred_at", "id"),
        Index("ix_activity_company_time", "company_id", "occurred_at", "id"),
        {"sqlite_autoincrement": True},
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contact.id", ondelete="CASCADE"))
    company_id: Mapped[int | None] = mapped_column(ForeignKey("company.id", ondelete="CASCADE"))
    #: ``domain.activities.ActivityKind`` value.
    kind: Mapped[str] = mapped_column(String(20))
    occurred_at: Mapped[dt.datetime] = mapped_column(DateTime)
    summary: Mapped[str] = mapped_column(String(200))
    details: Mapped[str] = mapped_column(Text, default="")
    #: An attached file (an e-mail, a scanned letter), kept like consent evidence.
    attachment: Mapped[bytes | None] = mapped_column(LargeBinary)
    attachment_name: Mapped[str] = mapped_column(String(300), default="")
    #: Where what it says came from, when given; else the interaction itself.
    source_id: Mapped[int | None] = mapped_column(ForeignKey("source.id"), index=True)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime)


class ActivityPerson(Base):
    """Another person who took part in an interaction (migration 0020): the interaction
    shows on their timeline too, marked as linked. The row goes with the interaction and
    with the person (ON DELETE CASCADE): erasing a linked person takes the link, never the
    interaction of the other."""

    __tablename__ = "activity_person"
    __table_args__ = (Index("ix_activity_person_contact", "contact_id", "activity_id"),)
    activity_id: Mapped[int] = mapped_column(
        ForeignKey("activity.id", ondelete="CASCADE"), primary_key=True
    )
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contact.id", ondelete="CASCADE"), primary_key=True
    )
