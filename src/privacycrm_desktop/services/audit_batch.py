"""Appending many audit events at once (a batch of erasures): one chain read, one insert.

The same events, ids and hashes as ``audit.record_event`` called once per event, without
its per-event head lookup, ORM flush and head update: for the annual cleanup those cost
more than the erasures themselves.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import NamedTuple

from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from privacycrm_desktop.domain.audit import GENESIS_HASH, AuditRecord, chain_hash
from privacycrm_desktop.persistence.audit_anchor import AUDIT_APPENDED, write_server_anchor
from privacycrm_desktop.persistence.dialect import take_audit_turn
from privacycrm_desktop.persistence.models import AuditEvent, Setting
from privacycrm_desktop.persistence.postgres.roles import server_functions
from privacycrm_desktop.services.audit import HEAD_SETTING


class AuditEntry(NamedTuple):
    """One event of a batch; *detail* never holds a personal value (counts, codes)."""

    action: str
    entity: str
    entity_id: object
    detail: str = ""


def record_events(
    session: Session, *, actor: str, at: dt.datetime, entries: Sequence[AuditEntry]
) -> None:
    """Append *entries* to the audit chain, in order, in the caller's transaction.

    Where the PostgreSQL server enforces the roles, the server appends each one
    (``pcrm_audit_append``, as ``record_event``), all in one statement: no desk role may
    write the audit itself.
    """
    if not entries:
        return
    if server_functions(session.connection()):
        _server_append(session, actor, at, entries)
        return
    session.flush()
    take_audit_turn(session)
    last = session.execute(
        select(AuditEvent.id, AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)
    ).first()
    event_id = 0 if last is None else int(last[0])
    head = GENESIS_HASH if last is None else str(last[1])
    stamp = at.isoformat(timespec="microseconds")
    rows: list[dict[str, object]] = []
    appended: list[tuple[int, str, str]] = []
    for entry in entries:
        event_id += 1
        record = AuditRecord(
            at=stamp,
            actor=actor,
            action=entry.action,
            entity=entry.entity,
            entity_id=str(entry.entity_id),
            detail=entry.detail,
            event_id=str(event_id),
        )
        new_hash = chain_hash(head, record)
        rows.append(
            {
                "id": event_id,
                "at": record.at,
                "actor": record.actor,
                "action": record.action,
                "entity": record.entity,
                "entity_id": record.entity_id,
                "detail": record.detail,
                "prev_hash": head,
                "hash": new_hash,
            }
        )
        appended.append((event_id, new_hash, stamp))
        head = new_hash
    session.execute(insert(AuditEvent), rows)
    session.merge(Setting(key=HEAD_SETTING, value=f"{event_id}:{head}"))
    if session.get_bind().dialect.name == "postgresql":
        previous = None if last is None else (int(last[0]), str(last[1]))
        write_server_anchor(session, previous, event_id, head, stamp)
    # For the anchor file outside the database, once the commit has made it durable.
    session.info.setdefault(AUDIT_APPENDED, []).extend(appended)
    session.flush()


#: The server's append of every entry, in the entries' order, in one call (one chain
#: read, one insert: ``pcrm_audit_append_many``).
_SERVER_APPEND_MANY = text(
    "SELECT event_id, event_hash FROM pcrm_audit_append_many(:actor, CAST(:actions AS text[]), "
    "CAST(:entities AS text[]), CAST(:ids AS text[]), CAST(:details AS text[]), :at)"
)
#: The same, once per entry, in one round trip: for a server whose functions are from
#: before ``pcrm_audit_append_many`` (its administrator has not opened it with this version).
_SERVER_APPEND = text(
    "SELECT a.event_id, a.event_hash FROM unnest(CAST(:actions AS text[]), "
    "CAST(:entities AS text[]), CAST(:ids AS text[]), CAST(:details AS text[])) "
    "WITH ORDINALITY AS e(action, entity, entity_id, detail, n) "
    "CROSS JOIN LATERAL pcrm_audit_append(:actor, e.action, e.entity, e.entity_id, "
    "e.detail, :at) AS a ORDER BY e.n"
)
_HAS_APPEND_MANY = text(
    "SELECT to_regprocedure('pcrm_audit_append_many(text, text[], text[], text[], text[], text)')"
    " IS NOT NULL"
)


def _server_append(
    session: Session, actor: str, at: dt.datetime, entries: Sequence[AuditEntry]
) -> None:
    session.flush()
    stamp = at.isoformat(timespec="microseconds")
    conn = session.connection()
    many = conn.info.get("pcrm_append_many")
    if many is None:
        many = conn.info["pcrm_append_many"] = bool(conn.execute(_HAS_APPEND_MANY).scalar())
    appended = session.execute(
        _SERVER_APPEND_MANY if many else _SERVER_APPEND,
        {
            "actions": [e.action for e in entries],
            "entities": [e.entity for e in entries],
            "ids": [str(e.entity_id) for e in entries],
            "details": [e.detail for e in entries],
            "actor": actor,
            "at": stamp,
        },
    ).all()
    # The function moved the server's anchor itself; the anchor file outside the database
    # learns of the events once the commit has made them durable.
    session.info.setdefault(AUDIT_APPENDED, []).extend(
        (int(event_id), str(event_hash), stamp) for event_id, event_hash in appended
    )
