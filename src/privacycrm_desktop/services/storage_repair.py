"""Rebuild what is derived from the data when a check finds it does not match.

The search index (FTS5 on SQLite, a folded table on PostgreSQL), the contact counter and
the keep-until counts per date are copies of facts held in the contact rows. When a check
(``check``, the daily check, start-up after a failed check) finds one of them damaged or
drifted, the app rebuilds it from the rows instead of asking for a backup: the index is
dropped and filled again contact by contact (it cannot be trusted to rebuild from itself),
the counters are recounted. One write transaction, with its audit event
(``storage.repair``, the parts repaired; no personal value).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from privacycrm_desktop.domain.audit_actions import INTEGRITY_CHECK_ACTOR
from privacycrm_desktop.persistence import search, search_rows
from privacycrm_desktop.persistence.migrate import recount
from privacycrm_desktop.persistence.models import Contact
from privacycrm_desktop.persistence.storage_health import (
    CONTACT_COUNT,
    KEEP_UNTIL_COUNTS,
    SEARCH_INDEX,
)
from privacycrm_desktop.persistence.unit_of_work import UnitOfWork
from privacycrm_desktop.services.audit import record_event
from privacycrm_desktop.services.clock import Clock

#: Contacts indexed per step (progress is reported after each).
CHUNK = 5000

#: Who the audit trail names for a repair the app made by itself.
ACTOR = INTEGRITY_CHECK_ACTOR

Progress = Callable[[int, int], None]


def rebuild_search_index(session: Session, progress: Progress | None = None) -> int:
    """Drop the search index and index every contact again from its rows; the count."""
    ids = list(session.scalars(select(Contact.id).order_by(Contact.id)))
    search.recreate(session)
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        search.index_new_rows(session, list(search_rows.rows_of(session, chunk)))
        if progress is not None:
            progress(min(start + CHUNK, len(ids)), len(ids))
    return len(ids)


def repair(
    uow: UnitOfWork,
    clock: Clock,
    parts: Iterable[str],
    progress: Progress | None = None,
) -> tuple[str, ...]:
    """Rebuild *parts* (``SEARCH_INDEX``, ``CONTACT_COUNT``, ``KEEP_UNTIL_COUNTS``) from the
    data in one write transaction with its audit event; return the parts rebuilt."""
    wanted = tuple(p for p in (SEARCH_INDEX, CONTACT_COUNT, KEEP_UNTIL_COUNTS) if p in parts)
    if not wanted:
        return ()
    with uow(write=True) as work:
        session = work.session
        if SEARCH_INDEX in wanted:
            rebuild_search_index(session, progress)
        if (CONTACT_COUNT in wanted or KEEP_UNTIL_COUNTS in wanted) and (
            session.get_bind().dialect.name == "sqlite"
        ):
            recount(session.connection())
        record_event(
            session,
            actor=ACTOR,
            action="storage.repair",
            entity="database",
            entity_id="",
            at=clock.now(),
            detail="rebuilt=" + ",".join(p.replace(" ", "_") for p in wanted),
        )
    return wanted
