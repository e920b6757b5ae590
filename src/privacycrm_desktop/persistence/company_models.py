"""Companies as records of their own, and the people working there (domain/companies.py).

Kept apart from ``models`` for its size (their personal columns are listed in its
``PERSONAL_COLUMNS``). The tables join ``Base.metadata`` when this module is imported: the
services using them do, and so do the migrations' environment and the schema tests.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from privacycrm_desktop.persistence.models import Base


class Company(Base):
    """A company (a legal entity) with its enterprise number, address and relationship."""

    __tablename__ = "company"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    #: The name folded and trimmed (``domain.companies.company_key``): search and duplicates.
    name_key: Mapped[str] = mapped_column(String(200), index=True)
    legal_form: Mapped[str] = mapped_column(String(30), default="")
    #: Compact: "BE0403170701" (shown as "BE 0403.170.701").
    vat: Mapped[str] = mapped_column(String(20), default="", index=True)
    street: Mapped[str] = mapped_column(String(200), default="")
    postcode: Mapped[str] = mapped_column(String(20), default="")
    city: Mapped[str] = mapped_column(String(200), default="")
    country: Mapped[str] = mapped_column(String(2), default="BE")
    email: Mapped[str] = mapped_column(String(320), default="")
    phone: Mapped[str] = mapped_column(String(32), default="")
    website: Mapped[str] = mapped_column(String(300), default="")
    relationship: Mapped[str] = mapped_column(String(30), default="prospect")
    notes: Mapped[str] = mapped_column(Text, default="")
    #: The source of every field without a ``CompanyProvenance`` row of its own.
    source_id: Mapped[int] = mapped_column(ForeignKey("source.id"), index=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class CompanyProvenance(Base):
    """The source of one company field's current value, when it differs from the company's."""

    __tablename__ = "company_provenance"
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("company.id", ondelete="CASCADE"))
    field: Mapped[str] = mapped_column(String(60))
    source_id: Mapped[int] = mapped_column(ForeignKey("source.id"), index=True)
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))

    __table_args__ = (UniqueConstraint("company_id", "field", name="uq_company_provenance_field"),)


class CompanyLink(Base):
    """A person at a company: function and department, from ``started_on`` until
    ``ended_on`` (None: still there). An ended link is kept: the person's history."""

    __tablename__ = "company_link"
    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contact.id", ondelete="CASCADE"), index=True
    )
    company_id: Mapped[int] = mapped_column(
        ForeignKey("company.id", ondelete="CASCADE"), index=True
    )
    function: Mapped[str] = mapped_column(String(200), default="")
    department: Mapped[str] = mapped_column(String(200), default="")
    started_on: Mapped[dt.date | None] = mapped_column(Date)
    ended_on: Mapped[dt.date | None] = mapped_column(Date)
    #: Where the link and its function came from.
    source_id: Mapped[int] = mapped_column(ForeignKey("source.id"), index=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)


class CompanyTag(Base):
    """A tag on a company (who put it there and when; a file's source when one brought
    it). Tags are shared with the contacts (``models.Tag``)."""

    __tablename__ = "company_tag"
    company_id: Mapped[int] = mapped_column(
        ForeignKey("company.id", ondelete="CASCADE"), primary_key=True
    )
    tag_id: Mapped[int] = mapped_column(ForeignKey("tag.id", ondelete="CASCADE"), primary_key=True)
    source_id: Mapped[int | None] = mapped_column(ForeignKey("source.id"), index=True)
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    __table_args__ = (Index("ix_company_tag_tag", "tag_id", "company_id"),)
