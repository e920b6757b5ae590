"""The audit chain as anchors see it, and the server's anchor row.

An anchor is (position, hash, time) of the newest event someone outside the database's
writer saw. Because each event's hash covers the one before, an event at the anchored
position with the anchored hash pins every earlier event: a chain that still holds there
was neither truncated nor re-chained below the anchor.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, Integer, String, select, text
from sqlalchemy.orm import Mapped, Session, mapped_column

from privacycrm_desktop.persistence.models import AuditEvent, Base


class AuditAnchor(Base):
    """The newest audit event the app wrote, kept apart from the chain.

    Row 1 is the anchor; a row is added for good whenever an append finds the chain not
    ending at it. On PostgreSQL every append updates it in the same transaction, and only
    the app's definer role may write it, so a desk role that deletes or appends audit rows
    with plain SQL leaves the chain disagreeing with it. On SQLite the table stays empty:
    whoever can write the file could change it too (the anchor file and the backups'
    manifests serve there, services/audit_anchors.py).
    """

    __tablename__ = "audit_anchor"
    id: Mapped[int] = mapped_column(primary_key=True)
    #: The id of the newest event; ids run 1, 2, 3... so it is also the number of events.
    events: Mapped[int] = mapped_column(Integer)
    head: Mapped[str] = mapped_column(String(64))
    at: Mapped[str] = mapped_column(String(32))
    #: Rows after the first are kept for good: the app found the chain ending at event
    #: ``found`` instead of the anchored one (written outside the app), at time ``at``.
    found: Mapped[int] = mapped_column(Integer, default=0)


#: Where ``record_event`` notes the events a session appended, for the unit of work to
#: hand to the anchor file once they are committed: a list of (id, hash, at).
AUDIT_APPENDED = "privacycrm.audit_appended"
SERVER_ANCHOR_ID = 1


@dataclass(frozen=True)
class ChainPositions:
    """The chain as (id -> hash), and its newest restore event (id and time, or 0 and "")."""

    hashes: dict[int, str]
    last_restore_at: str
    last_restore_id: int = 0

    @property
    def last_id(self) -> int:
        return max(self.hashes, default=0)

    @property
    def last_restore(self) -> str:
        """ "id:hash" of the newest restore event, as a backup's manifest records it."""
        if not self.last_restore_id:
            return ""
        return f"{self.last_restore_id}:{self.hashes.get(self.last_restore_id, '')}"


def chain_positions(conn: Session | Connection) -> ChainPositions:
    """Every event's id and hash (no personal value; 100,000 events read in well under 1 s)."""
    rows = conn.execute(select(AuditEvent.id, AuditEvent.hash)).tuples()
    hashes = {int(i): str(h) for i, h in rows}
    restore = conn.execute(
        select(AuditEvent.id, AuditEvent.at)
        .where(AuditEvent.action == "backup.restore")
        .order_by(AuditEvent.id.desc())
        .limit(1)
    ).first()
    if restore is None:
        return ChainPositions(hashes, "")
    return ChainPositions(hashes, str(restore[1]), int(restore[0]))


def last_event(conn: Session | Connection) -> tuple[int, str, str] | None:
    """(id, hash, at) of the newest event, or None for an empty trail."""
    row = conn.execute(
        select(AuditEvent.id, AuditEvent.hash, AuditEvent.at).order_by(AuditEvent.id.desc())
    ).first()
    return None if row is None else (int(row[0]), str(row[1]), str(row[2]))


#: Engines whose database has the anchor table (asked once per engine and process).
_ANCHOR_TABLE: dict[int, bool] = {}


def _has_anchor_table(session: Session) -> bool:
    bind = session.get_bind()
    engine = bind.engine if isinstance(bind, Connection) else bind
    key = id(engine)
    if key not in _ANCHOR_TABLE:
        found = session.execute(text("SELECT to_regclass('audit_anchor') IS NOT NULL")).scalar()
        if not found:
            return False  # not remembered: a migration may add it in this process
        _ANCHOR_TABLE[key] = True
    return _ANCHOR_TABLE[key]


def write_server_anchor(
    session: Session, previous: tuple[int, str] | None, events: int, head: str, at: str
) -> None:
    """Move the server's anchor to the event just appended (PostgreSQL only; the caller's
    transaction, which holds the audit turn, so no other desk's append is in between).

    *previous* is the (id, hash) the new event was chained onto. When the anchor does not
    name it, someone appended, removed or re-wrote events outside the app since its last
    append: the old anchor is kept in a row of its own for the check to report, before it
    moves on (else the app's next append would hide a forged one).
    """
    if not _has_anchor_table(session):
        return  # a database not yet migrated to 0007 (only a test writes to one)
    anchored = read_server_anchor(session)
    if anchored is not None and (anchored[0], anchored[1]) != (previous or (0, "")):
        session.execute(
            text(
                "INSERT INTO audit_anchor (id, events, head, at, found) SELECT "
                "max(id) + 1, :events, :head, :at, :found FROM audit_anchor"
            ),
            {
                "events": anchored[0],
                "head": anchored[1],
                "at": at,
                "found": previous[0] if previous else 0,
            },
        )
    session.execute(
        text(
            "INSERT INTO audit_anchor (id, events, head, at) VALUES (:id, :events, :head, :at) "
            "ON CONFLICT (id) DO UPDATE SET events = excluded.events, head = excluded.head, "
            "at = excluded.at"
        ),
        {"id": SERVER_ANCHOR_ID, "events": events, "head": head, "at": at},
    )


def kept_server_anchors(conn: Session | Connection) -> list[tuple[int, str, str, int]]:
    """(events, head, found at, chain's newest then) of every anchor an append found the
    chain not ending at."""
    rows = conn.execute(
        select(AuditAnchor.events, AuditAnchor.head, AuditAnchor.at, AuditAnchor.found)
        .where(AuditAnchor.id != SERVER_ANCHOR_ID)
        .order_by(AuditAnchor.id)
    ).tuples()
    return [(int(e), str(h), str(a), int(f)) for e, h, a, f in rows]


def read_server_anchor(conn: Session | Connection) -> tuple[int, str, str] | None:
    """(events, head, at) of the server's anchor row, or None when there is none."""
    row = conn.execute(
        select(AuditAnchor.events, AuditAnchor.head, AuditAnchor.at).where(
            AuditAnchor.id == SERVER_ANCHOR_ID
        )
    ).first()
    return None if row is None else (int(row[0]), str(row[1]), str(row[2]))
