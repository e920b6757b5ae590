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
from itertools import groupby

from sqlalchemy import select
from sqlalchemy.orm import Session

from privacycrm_desktop.domain.audit_actions import INTEGRITY_CHECK_ACTOR
from privacycrm_desktop.domain.contact_columns import search_text
from privacycrm_desktop.persistence import search
from privacycrm_desktop.persistence.migrate import recount
from privacycrm_desktop.persistence.models import Contact, ContactEmail, ContactPhone
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


def _grouped(rows: Iterable[tuple[int, str]]) -> dict[int, list[str]]:
    return {cid: [str(v) for _c, v in group] for cid, group in groupby(rows, lambda r: r[0])}


def _index_rows(session: Session, ids: list[int]) -> Iterable[dict[str, object]]:
    emails = _grouped(
        session.execute(
            select(ContactEmail.contact_id, ContactEmail.address)
            .where(ContactEmail.contact_id.in_(ids))
            .order_by(ContactEmail.contact_id, ContactEmail.position)
        ).tuples()
    )
    phones = _grouped(
        session.execute(
            select(ContactPhone.contact_id, ContactPhone.number)
            .where(ContactPhone.contact_id.in_(ids))
            .order_by(ContactPhone.contact_id, ContactPhone.position)
        ).tuples()
    )
    contacts = session.execute(
        select(
            Contact.id,
            Contact.first_name,
            Contact.last_name,
            Contact.organisation,
            Contact.street,
            Contact.postcode,
            Contact.city,
        ).where(Contact.id.in_(ids))
    ).tuples()
    for cid, first, last, org, street, postcode, city in contacts:
        yield search.new_row(
            cid,
            search_text(
                first,
                last,
                org,
                emails.get(cid, []),
                phones.get(cid, []),
                street,
                postcode,
                city,
            ),
        )


def rebuild_search_index(session: Session, progress: Progress | None = None) -> int:
    """Drop the search index and index every contact again from its rows; the count."""
    ids = list(session.scalars(select(Contact.id).order_by(Contact.id)))
    search.recreate(session)
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        search.index_new_rows(session, list(_index_rows(session, chunk)))
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
