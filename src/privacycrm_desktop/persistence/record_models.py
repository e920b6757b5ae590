"""The tables no screen needs to open, kept apart from ``models`` so the start does not
build their mappings (issue 23): special-category data, retention holds, disclosures,
rectifications, the erasure ledger and anonymised records, the stored counters and id high
water, and import staging rows. The tables join ``Base.metadata`` when this module is
imported: the services that use them, the migrations' environment and the schema tests do.
Only these tables point at ``models``' tables (none the other way), as for the other
``*_models`` modules.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from privacycrm_desktop.persistence.models import Base


class ImportStaging(Base):
    """Rows of an import under review; emptied when the import ends or is erased."""

    __tablename__ = "import_staging"
    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("import_batch.id", ondelete="CASCADE"))
    row_number: Mapped[int] = mapped_column(Integer)
    payload: Mapped[str] = mapped_column(Text)


class ContactCount(Base):
    """The number of contacts, kept by triggers on ``contact`` (one row, id 1)."""

    __tablename__ = "contact_count"
    id: Mapped[int] = mapped_column(primary_key=True)
    n: Mapped[int] = mapped_column(Integer)


class KeepUntilCount(Base):
    """How many contacts may be kept until each date, kept by triggers on ``contact``."""

    __tablename__ = "keep_until_count"
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    n: Mapped[int] = mapped_column(Integer)


class SpecialCategoryDatum(Base):
    """Special-category data (GDPR 9/10), locked until written consent exists."""

    __tablename__ = "special_category_datum"
    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contact.id", ondelete="CASCADE"), index=True
    )
    category: Mapped[str] = mapped_column(String(40))
    value: Mapped[str] = mapped_column(Text)
    consent_event_id: Mapped[int] = mapped_column(ForeignKey("consent_event.id"))
    source_id: Mapped[int] = mapped_column(ForeignKey("source.id"), index=True)
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime)


class RetentionHold(Base):
    """Something that keeps a contact past its keep-until date, with a reason and an end."""

    __tablename__ = "retention_hold"
    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contact.id", ondelete="CASCADE"), index=True
    )
    reason: Mapped[str] = mapped_column(String(500))
    until: Mapped[dt.date] = mapped_column(Date)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)


class Disclosure(Base):
    """Data of one person passed to a recipient, and when the person was told."""

    __tablename__ = "disclosure"
    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contact.id", ondelete="SET NULL"), index=True
    )
    recipient_id: Mapped[int] = mapped_column(ForeignKey("recipient.id"))
    purpose_id: Mapped[int | None] = mapped_column(ForeignKey("purpose.id"))
    categories: Mapped[str] = mapped_column(Text, default="")
    disclosed_on: Mapped[dt.date] = mapped_column(Date)
    subject_informed_on: Mapped[dt.date | None] = mapped_column(Date)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))


class Rectification(Base):
    """A correction: old and new value, and why."""

    __tablename__ = "rectification"
    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contact.id", ondelete="CASCADE"), index=True
    )
    request_id: Mapped[int | None] = mapped_column(ForeignKey("rights_request.id"))
    field: Mapped[str] = mapped_column(String(60))
    old_value: Mapped[str] = mapped_column(Text)
    new_value: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime)


class ErasureLedger(Base):
    """Ids of erased contacts, replayed after a backup restore. No personal values."""

    __tablename__ = "erasure_ledger"
    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(Integer, index=True)
    erased_at: Mapped[dt.datetime] = mapped_column(DateTime)
    reason_code: Mapped[str] = mapped_column(String(30))
    anonymised: Mapped[bool] = mapped_column(Boolean, default=False)


class AnonymisedRecord(Base):
    """What stays of an anonymised contact for statistics (rule 9): nothing identifying."""

    __tablename__ = "anonymised_record"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    relationship: Mapped[str] = mapped_column(String(30))
    #: The first two characters of the postcode (a region), or "".
    region: Mapped[str] = mapped_column(String(2), default="")
    customer_since: Mapped[int | None] = mapped_column(Integer)
    anonymised_on: Mapped[dt.date] = mapped_column(Date)


class IdHighWater(Base):
    """The highest id ever handed out per table (only "contact" so far), so an id is never
    given to a second person: SQLite's rowid would reuse the highest id after a delete, and
    the audit trail, the erasure ledger and a restore's replay would then name two people.
    Every insert takes its id from here on SQLite (``persistence.dialect.reserve_contact_ids``);
    PostgreSQL's sequence never goes back, and a restore raises both (services.backup.carry_over).
    """

    __tablename__ = "id_high_water"
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    last_id: Mapped[int] = mapped_column(Integer)
