"""Writing audit events inside the action's own transaction, chained by hash."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from privacycrm_desktop.domain.audit import GENESIS_HASH, AuditRecord, chain_hash
from privacycrm_desktop.persistence.models import AuditEvent
from privacycrm_desktop.persistence.unit_of_work import UnitOfWork


def record_event(
    session: Session,
    *,
    actor: str,
    action: str,
    entity: str,
    entity_id: object,
    at: dt.datetime,
    detail: str = "",
) -> None:
    """Append an audit event. *detail* must never hold a personal value (counts, codes)."""
    previous = session.execute(
        select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)
    ).scalar()
    record = AuditRecord(
        at=at.isoformat(timespec="microseconds"),
        actor=actor,
        action=action,
        entity=entity,
        entity_id=str(entity_id),
        detail=detail,
    )
    prev_hash = previous or GENESIS_HASH
    session.add(
        AuditEvent(
            at=record.at,
            actor=record.actor,
            action=record.action,
            entity=record.entity,
            entity_id=record.entity_id,
            detail=record.detail,
            prev_hash=prev_hash,
            hash=chain_hash(prev_hash, record),
        )
    )


def verify_chain(session: Session) -> int | None:
    """The id of the first event that does not match its chain, or None when all hold."""
    expected_prev = GENESIS_HASH
    for event in session.scalars(select(AuditEvent).order_by(AuditEvent.id)):
        record = AuditRecord(
            event.at, event.actor, event.action, event.entity, event.entity_id, event.detail
        )
        if event.prev_hash != expected_prev or event.hash != chain_hash(event.prev_hash, record):
            return event.id
        expected_prev = event.hash
    return None


class AuditService:
    """Checks of the audit trail that the CLI and the audit viewer run."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    def verify(self) -> int | None:
        """The id of the first event that breaks the hash chain, or None when it holds.

        Reveals no personal data (audit rows hold none), so it needs no role: whoever can
        open the owner-only database file can recompute the chain anyway.
        """
        with self._uow() as uow:
            return verify_chain(uow.session)
