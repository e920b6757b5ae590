"""Merges of duplicate contacts (services/merges.py): what each merge did, so it can be
undone, and where an id that was merged away leads now.

``contact_merge`` keeps, until the merge is undone, expires or its survivor is erased, a
copy of every row that referred to the merged contacts before the merge (``snapshot``,
personal data: read only by those who may merge) and the keys of the rows referring to the
survivor right after it (``result``). ``contact_redirect`` maps a merged-away id to its
survivor (ids only), so an old id (an export's, the audit's) still finds the person.
``company_merge`` and ``company_redirect`` do the same for companies
(services/company_merges.py). A merge record's ``survivor_id`` has no foreign key: it
names the record kept for good, even once that one was merged or erased since.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, or_, select
from sqlalchemy.orm import Mapped, mapped_column

from privacycrm_desktop.persistence import company_models  # noqa: F401  (company.id)
from privacycrm_desktop.persistence.models import Base


class ContactMerge(Base):
    """One merge of contacts into a survivor."""

    __tablename__ = "contact_merge"
    id: Mapped[int] = mapped_column(primary_key=True)
    #: The contact kept, for good (no foreign key: a later merge or erasure of that
    #: contact leaves the record as it was; ``closed`` says when the copy went).
    survivor_id: Mapped[int | None] = mapped_column(Integer, index=True)
    #: The merged-away ids, comma-separated (ids only).
    merged_ids: Mapped[str] = mapped_column(String(2000))
    #: JSON: the rows before the merge, per table ("" once undone, expired or erased).
    snapshot: Mapped[str] = mapped_column(Text, default="")
    #: JSON: the primary keys of the rows referring to the survivor after the merge.
    result: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    undone_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    #: Why the snapshot is gone: "", "undone", "erased" or "expired".
    closed: Mapped[str] = mapped_column(String(20), default="")


class CompanyMerge(Base):
    """One merge of companies into a survivor (services/company_merges.py)."""

    __tablename__ = "company_merge"
    id: Mapped[int] = mapped_column(primary_key=True)
    #: The company kept, for good (no foreign key, as ``ContactMerge.survivor_id``).
    survivor_id: Mapped[int | None] = mapped_column(Integer, index=True)
    merged_ids: Mapped[str] = mapped_column(String(2000))
    snapshot: Mapped[str] = mapped_column(Text, default="")
    result: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    undone_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    closed: Mapped[str] = mapped_column(String(20), default="")


class CompanyRedirect(Base):
    """A merged-away company id and the survivor it leads to."""

    __tablename__ = "company_redirect"
    old_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    survivor_id: Mapped[int] = mapped_column(
        ForeignKey("company.id", ondelete="CASCADE"), index=True
    )
    merge_id: Mapped[int] = mapped_column(
        ForeignKey("company_merge.id", ondelete="CASCADE"), index=True
    )


class ContactRedirect(Base):
    """A merged-away contact id and the survivor it leads to."""

    __tablename__ = "contact_redirect"
    old_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    survivor_id: Mapped[int] = mapped_column(
        ForeignKey("contact.id", ondelete="CASCADE"), index=True
    )
    merge_id: Mapped[int] = mapped_column(
        ForeignKey("contact_merge.id", ondelete="CASCADE"), index=True
    )


def merges_into(ids: Any) -> Any:
    """The condition on ``contact_merge`` of the merges into these contacts (an
    expression of ids): those that kept one of them, and those that kept a contact merged
    into one of them since."""
    redirected = select(ContactRedirect.old_id).where(ContactRedirect.survivor_id.in_(ids))
    return or_(ContactMerge.survivor_id.in_(ids), ContactMerge.survivor_id.in_(redirected))
