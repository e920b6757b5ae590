"""Merges of duplicate contacts (services/merges.py): what each merge did, so it can be
undone, and where an id that was merged away leads now.

``contact_merge`` keeps, until the merge is undone, expires or its survivor is erased, a
copy of every row that referred to the merged contacts before the merge (``snapshot``,
personal data: read only by those who may merge) and the keys of the rows referring to the
survivor right after it (``result``). ``contact_redirect`` maps a merged-away id to its
survivor (ids only), so an old id (an export's, the audit's) still finds the person.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from privacycrm_desktop.persistence.models import Base


class ContactMerge(Base):
    """One merge of contacts into a survivor."""

    __tablename__ = "contact_merge"
    id: Mapped[int] = mapped_column(primary_key=True)
    #: None once the survivor was erased (the snapshot is then emptied too).
    survivor_id: Mapped[int | None] = mapped_column(
        ForeignKey("contact.id", ondelete="SET NULL"), index=True
    )
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
