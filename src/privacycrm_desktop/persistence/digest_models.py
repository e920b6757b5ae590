"""The stored suppression digests of every contact (``contact_digest``, migration 0024),
kept apart from ``models`` for its size. The table joins ``Base.metadata`` when this module
is imported: persistence/contact_digests.py and the marketing list do, and so do the
migrations' environment and the schema tests.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from privacycrm_desktop.persistence.models import Base


class ContactDigest(Base):
    """The suppression digests of a contact's points, kept so a marketing list need not
    hash every contact (migration 0024): the first ``PREFIX`` characters of each digest
    the suppression list may hold one of its points under (``candidate_digests``),
    ``point`` marking the plain form that opt-outs are keyed by (``point_digest``); a
    contact whose prefix matches is hashed, the whole digest decides. A row with an
    empty ``kind`` says the set is complete for the key whose fingerprint is its
    ``digest``. Triggers delete a
    contact's rows when its name, postcode, addresses or numbers change; the marketing
    list computes the missing ones. HMACs only, never clear text; gone with the contact
    (its trigger).
    """

    __tablename__ = "contact_digest"
    # No foreign key: a trigger deletes the rows with their contact (a merge or an undo
    # has nothing to move or restore here: the rows are derived, never the record).
    contact_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    point: Mapped[bool] = mapped_column(Boolean, default=False)

    # Without a rowid (SQLite): the key is the row, the digests are not stored twice.
    __table_args__ = (
        Index("ix_contact_digest_digest", "digest", "contact_id"),
        {"sqlite_with_rowid": False},
    )


class ContactDigestDue(Base):
    """The contacts whose stored digests are due (migration 0029): missing, forgotten by
    an edit of a point, or made with another key. Triggers add a contact when it is
    inserted, when a point changes (where they forget its digests) and when the key
    changes; storing the digests takes it out, and so does its deletion. A marketing list
    reads this small table instead of every contact to find the stale ones. On
    PostgreSQL no desk role writes it (a desk that deleted a row could hide a person from
    the suppression check): the triggers and ``pcrm_store_digests`` do, as the system
    role.
    """

    __tablename__ = "contact_digest_due"
    contact_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
