"""What a restore carries over from the current database into the restored copy.

A backup is a picture of the past: people erased after it was taken are in it again. The
erasure ledger holds the id of every erased contact (contact ids are stable: an older copy
gives the same person the same id) with the time, the reason and whether it was an
anonymisation. Replaying means: every ledger entry of the current database that the
restored copy does not have is erased again in the copy, with the same reason (so the same
suppression entries are made), by the same code path as any erasure (rows, consent
evidence, search index, staging rows); the entry itself is kept with its original time, so
a later restore replays it again. The suppression list and its salt are carried over as
they are (an objection after the backup stays an objection), and so are the opt-out events
recorded after the backup for people who are in it (a withdrawn consent must not come back
with a restore). Apart from those opt-outs no personal value is read from the current
database: only ids, codes, times and salted hashes. The highest contact id the current
database ever handed out is carried over too, so the restored copy never gives an id
that named somebody after the backup to somebody else.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from privacycrm_desktop.domain.access import Role
from privacycrm_desktop.domain.consent import ConsentStatus
from privacycrm_desktop.domain.erasure import ErasureReason
from privacycrm_desktop.persistence.dialect import contact_id_mark, raise_contact_id_mark
from privacycrm_desktop.persistence.models import (
    ConsentEvent,
    Contact,
    PrivacyStatement,
    Purpose,
    Setting,
    Suppression,
    User,
)
from privacycrm_desktop.persistence.record_models import ErasureLedger, RetentionHold
from privacycrm_desktop.persistence.sqlite_driver import sqlite3
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.erasure import erase_in_session
from privacycrm_desktop.services.marketing_facts import SALT_KEY


@dataclass(frozen=True)
class LedgerEntry:
    """One erasure, as the ledger keeps it (no personal value)."""

    contact_id: int
    erased_at: dt.datetime
    reason_code: str
    anonymised: bool


@dataclass(frozen=True)
class SuppressionEntry:
    """One salted hash on the suppression list."""

    hash_kind: str
    digest: str
    reason: str
    created_at: dt.datetime


@dataclass(frozen=True)
class OptOut:
    """An opt-out event (columns as stored; the ids are checked against the copy)."""

    contact_id: int | None
    purpose_id: int
    channel: str
    method: str
    evidence: str
    statement_id: int | None
    product_category: str
    contact_point_hash: str
    recorded_by: int | None
    recorded_at: dt.datetime


@dataclass(frozen=True)
class CarryOver:
    """What the restored copy takes from the database it replaces."""

    ledger: tuple[LedgerEntry, ...] = ()
    suppression: tuple[SuppressionEntry, ...] = ()
    salt: str | None = None
    opt_outs: tuple[OptOut, ...] = ()
    #: The highest contact id ever handed out (persistence/dialect.contact_id_mark).
    contact_id_mark: int = 0


_OPT_OUT_COLUMNS = (
    ConsentEvent.contact_id,
    ConsentEvent.purpose_id,
    ConsentEvent.channel,
    ConsentEvent.method,
    ConsentEvent.evidence,
    ConsentEvent.statement_id,
    ConsentEvent.product_category,
    ConsentEvent.contact_point_hash,
    ConsentEvent.recorded_by,
    ConsentEvent.recorded_at,
)


def read_carry_over(session: Session, since: dt.datetime | None = None) -> CarryOver:
    """The ledger, suppression list and salt of the (current) database behind *session*,
    and its opt-out events recorded after *since* (the backup's time)."""
    ledger = tuple(
        LedgerEntry(cid, at, reason, bool(anon))
        for cid, at, reason, anon in session.execute(
            select(
                ErasureLedger.contact_id,
                ErasureLedger.erased_at,
                ErasureLedger.reason_code,
                ErasureLedger.anonymised,
            ).order_by(ErasureLedger.id)
        ).tuples()
    )
    suppression = tuple(
        SuppressionEntry(kind, digest, reason, at)
        for kind, digest, reason, at in session.execute(
            select(
                Suppression.hash_kind,
                Suppression.digest,
                Suppression.reason,
                Suppression.created_at,
            )
        ).tuples()
    )
    salt = session.get(Setting, SALT_KEY)
    opt_outs: tuple[OptOut, ...] = ()
    if since is not None:
        opt_outs = tuple(
            OptOut(*row)
            for row in session.execute(
                select(*_OPT_OUT_COLUMNS)
                .where(
                    ConsentEvent.status == ConsentStatus.OPT_OUT.value,
                    ConsentEvent.recorded_at >= since,
                    ConsentEvent.contact_id.is_not(None),
                )
                .order_by(ConsentEvent.id)
            ).tuples()
        )
    return CarryOver(
        ledger,
        suppression,
        salt.value if salt is not None else None,
        opt_outs,
        contact_id_mark(session),
    )


def _when(value: object) -> dt.datetime:
    return value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))


def read_carry_over_file(db_file: Path) -> CarryOver | None:
    """The same from a database that may be damaged; None when it cannot be read at all.

    Each part is read on its own, so a damaged suppression table does not lose the ledger.
    """
    if not db_file.is_file():
        return None
    try:
        conn = sqlite3.connect(f"file:{db_file}?mode=ro", uri=True)
    except sqlite3.Error:
        return None
    ledger: tuple[LedgerEntry, ...] = ()
    suppression: tuple[SuppressionEntry, ...] = ()
    salt: str | None = None
    try:
        with contextlib.suppress(sqlite3.Error, ValueError):
            ledger = tuple(
                LedgerEntry(int(cid), _when(at), str(reason), bool(anon))
                for cid, at, reason, anon in conn.execute(
                    "SELECT contact_id, erased_at, reason_code, anonymised "
                    "FROM erasure_ledger ORDER BY id"
                )
            )
        with contextlib.suppress(sqlite3.Error, ValueError):
            suppression = tuple(
                SuppressionEntry(str(kind), str(digest), str(reason), _when(at))
                for kind, digest, reason, at in conn.execute(
                    "SELECT hash_kind, digest, reason, created_at FROM suppression"
                )
            )
        with contextlib.suppress(sqlite3.Error):
            row = conn.execute("SELECT value FROM setting WHERE key = ?", (SALT_KEY,)).fetchone()
            salt = str(row[0]) if row else None
        mark = 0
        for query in (
            "SELECT max(last_id) FROM id_high_water WHERE name = 'contact'",
            "SELECT max(id) FROM contact",
        ):
            with contextlib.suppress(sqlite3.Error, ValueError, TypeError):
                mark = max(mark, int(conn.execute(query).fetchone()[0] or 0))
    finally:
        conn.close()
    return CarryOver(ledger, suppression, salt, contact_id_mark=mark)


def _known(session: Session) -> set[tuple[int, dt.datetime]]:
    return {
        (cid, at)
        for cid, at in session.execute(
            select(ErasureLedger.contact_id, ErasureLedger.erased_at)
        ).tuples()
    }


def pending_erasures(session: Session, carry: CarryOver) -> list[LedgerEntry]:
    """Ledger entries of the current database that the restored copy lacks, oldest first."""
    known = _known(session)
    return [e for e in carry.ledger if (e.contact_id, e.erased_at) not in known]


def erasures_to_replay(session: Session, carry: CarryOver) -> int:
    """How many people in the restored copy will be erased again."""
    ids = {e.contact_id for e in pending_erasures(session, carry)}
    if not ids:
        return 0
    present = session.scalars(select(Contact.id).where(Contact.id.in_(ids))).all()
    return len(present)


def replay(session: Session, carry: CarryOver, actor_name: str, now: dt.datetime) -> int:
    """Erase again, in the restored copy, everyone erased after the backup; carry the
    suppression list over. Returns how many contacts were erased again."""
    if carry.salt is not None and session.get(Setting, SALT_KEY) is None:
        session.add(Setting(key=SALT_KEY, value=carry.salt))
        session.flush()
    actor = Actor(user_id=0, username=actor_name, role=Role.OWNER)
    # Ids used after the backup (erased ones included) are never handed out again.
    ledger_top = max((e.contact_id for e in carry.ledger), default=0)
    raise_contact_id_mark(session, max(carry.contact_id_mark, ledger_top))
    replayed = 0
    for entry in pending_erasures(session, carry):
        if session.get(Contact, entry.contact_id) is not None:
            # The person is erased in the database being replaced: a hold in the old copy
            # was ended since, and does not keep them now.
            session.execute(
                delete(RetentionHold).where(RetentionHold.contact_id == entry.contact_id)
            )
            erase_in_session(
                session,
                actor,
                entry.contact_id,
                ErasureReason.parse(entry.reason_code),
                now,
                anonymise=entry.anonymised,
            )
            # Keep the original time, so a later restore recognises the entry.
            session.execute(
                update(ErasureLedger)
                .where(ErasureLedger.contact_id == entry.contact_id, ErasureLedger.erased_at == now)
                .values(erased_at=entry.erased_at)
            )
            replayed += 1
        else:
            session.add(
                ErasureLedger(
                    contact_id=entry.contact_id,
                    erased_at=entry.erased_at,
                    reason_code=entry.reason_code,
                    anonymised=entry.anonymised,
                )
            )
        session.flush()
    existing = {(row.hash_kind, row.digest): row for row in session.scalars(select(Suppression))}
    for item in carry.suppression:
        row = existing.get((item.hash_kind, item.digest))
        if row is None:
            session.add(
                Suppression(
                    hash_kind=item.hash_kind,
                    digest=item.digest,
                    reason=item.reason,
                    created_at=item.created_at,
                )
            )
        elif row.reason != item.reason:
            row.reason, row.created_at = item.reason, item.created_at
    session.flush()
    _carry_opt_outs(session, carry.opt_outs)
    return replayed


def _carry_opt_outs(session: Session, opt_outs: tuple[OptOut, ...]) -> None:
    """Add the opt-outs recorded since the backup, for the people and purposes in the copy."""
    if not opt_outs:
        return
    contacts = set(session.scalars(select(Contact.id)))
    purposes = set(session.scalars(select(Purpose.id)))
    statements = set(session.scalars(select(PrivacyStatement.id)))
    users = set(session.scalars(select(User.id)))
    present = set(
        session.execute(
            select(
                ConsentEvent.contact_id,
                ConsentEvent.purpose_id,
                ConsentEvent.channel,
                ConsentEvent.recorded_at,
            ).where(ConsentEvent.status == ConsentStatus.OPT_OUT.value)
        ).tuples()
    )
    for o in opt_outs:
        if o.contact_id not in contacts or o.purpose_id not in purposes:
            continue
        if (o.contact_id, o.purpose_id, o.channel, o.recorded_at) in present:
            continue  # in the backup already (made in the same instant)
        session.add(
            ConsentEvent(
                contact_id=o.contact_id,
                purpose_id=o.purpose_id,
                channel=o.channel,
                status=ConsentStatus.OPT_OUT.value,
                method=o.method,
                evidence=o.evidence,
                statement_id=o.statement_id if o.statement_id in statements else None,
                product_category=o.product_category,
                contact_point_hash=o.contact_point_hash,
                recorded_by=o.recorded_by if o.recorded_by in users else None,
                recorded_at=o.recorded_at,
            )
        )
    session.flush()
