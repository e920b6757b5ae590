"""Audit events that could not be written before the program ended, kept aside.

A sign-in or an audited read while the database cannot be written (another program's
lock, a read-only file or folder, a full disk) queues its audit event in the unit of work
(persistence/unit_of_work.py). When the program ends with events still queued, they are
written, as JSON lines, to a file in this computer's settings folder (one per database),
and the next start that opens that database queues them again; the first write
transaction appends them to the hash chain, each with the time it happened and
``deferred=1`` in its detail. Audit events hold no personal value (docs/architecture.md), so this
file holds none either.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
from pathlib import Path

from sqlalchemy.orm import Session

from privacycrm_desktop.persistence.unit_of_work import UnitOfWork
from privacycrm_desktop.services.audit import record_event

#: The keys of one kept event (``record_event``'s keywords; ``at`` in ISO form).
EVENT_KEYS = ("actor", "action", "entity", "entity_id", "at", "detail")


def event_values(
    *, actor: str, action: str, entity: str, entity_id: object, at: dt.datetime, detail: str
) -> dict[str, str]:
    """An audit event as plain values, for ``UnitOfWork.defer``."""
    return {
        "actor": actor,
        "action": action,
        "entity": entity,
        "entity_id": str(entity_id),
        "at": at.isoformat(),
        "detail": detail,
    }


def _record(session: Session, event: dict[str, str]) -> None:
    record_event(
        session,
        actor=event["actor"],
        action=event["action"],
        entity=event["entity"],
        entity_id=event["entity_id"],
        at=dt.datetime.fromisoformat(event["at"]),
        detail=event["detail"],
    )


def spool_file(folder: Path, database: str) -> Path:
    """The file keeping *database*'s events aside (named by a digest of its location)."""
    digest = hashlib.sha256(database.encode("utf-8")).hexdigest()[:24]
    return folder / "pending-audit" / f"{digest}.jsonl"


def keep_aside(uow: UnitOfWork, folder: Path, database: str) -> int:
    """Move the queued audit events to the spool file; how many (0 when none)."""
    events = uow.take_deferred()
    if not events:
        return 0
    path = spool_file(folder, database)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as handle:
        for event in events:
            handle.write(json.dumps({k: event[k] for k in EVENT_KEYS}) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    return len(events)


def take_back(uow: UnitOfWork, folder: Path, database: str) -> int:
    """Queue the events kept aside for *database* again (and remove the file); how many.

    They stay queued in memory: written by the next write transaction, or kept aside
    again when the program ends first."""
    path = spool_file(folder, database)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return 0
    events = []
    for line in lines:
        with contextlib.suppress(ValueError, TypeError, KeyError):
            loaded = json.loads(line)
            events.append({k: str(loaded[k]) for k in EVENT_KEYS})
    for event in events:
        uow.defer(lambda session, e=event: _record(session, e), event)  # type: ignore[misc]
    path.unlink(missing_ok=True)
    return len(events)
