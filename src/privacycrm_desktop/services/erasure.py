"""Erasure that truly erases, and anonymisation for statistics (rules 8, 9 and 17).

One contact is one transaction: its rows (e-mails, phones, provenance, special categories,
interactions with their attached files, rectifications and request links go by cascade),
the sources only it used, the personal
parts of its consent events (the events stay, with purpose, channel, status and dates, for
accountability; the disclosure rows keep recipient, purpose and dates), its search-index
entry, import staging rows holding its values, a suppression entry when the person asked
to be forgotten or objected, the ledger row and the audit event (no personal value).

What stays for accountability is stripped of what identifies the person: the rights
requests about the contact keep their kind, dates, deadline, status and whether identity
was verified, but lose the requester's name, the identity evidence and the outcome text;
a written consent for special-category data keeps that it was one, not which category;
an import batch whose file name names the person (or that brought only this contact) is
renamed "import-<batch id>.<extension>".
The search index removes a deleted row's words from its pages at once (FTS5
``secure-delete``, migration 0010; it replaced rewriting the whole index with ``optimize``
after each erasure, which corrupted the index under SQLite 3.40). After the commit the WAL
is checkpointed and truncated; with ``secure_delete=ON`` the freed pages are zeroed, so a
byte search of the database files finds nothing of the person.

Another program holding a read snapshot keeps the checkpoint from finishing: the person's
old pages then stay in the WAL and the main file. So the erasure's own transaction leaves
a small marker (the ``setting`` row ``SCRUB_PENDING_KEY``, a time and nothing personal),
and only a finished checkpoint removes it. Until then the erasure is reported as "scrub
pending" (never as done), and ``retry_scrub`` finishes it: the app retries in the
background and at start, the CLI at its next command.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from sqlalchemy import delete, func, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import InstrumentedAttribute, Session

from privacycrm_desktop.domain.access import Permission, require
from privacycrm_desktop.domain.erasure import (
    AlreadyErased,
    ErasureReason,
    HoldKeepsContact,
)
from privacycrm_desktop.domain.errors import NotFound, StorageError
from privacycrm_desktop.domain.text import N_
from privacycrm_desktop.persistence import search
from privacycrm_desktop.persistence.activity_models import Activity
from privacycrm_desktop.persistence.company_models import CompanyLink
from privacycrm_desktop.persistence.custom_field_models import CustomValue
from privacycrm_desktop.persistence.database import bulk_transaction, checkpoint
from privacycrm_desktop.persistence.models import (
    ConsentEvent,
    Contact,
    ContactEmail,
    ContactPhone,
    ContactTag,
    FieldProvenance,
    Setting,
)
from privacycrm_desktop.persistence.page_scrub import scrub_engine_files
from privacycrm_desktop.persistence.record_models import (
    Disclosure,
    RetentionHold,
    SpecialCategoryDatum,
)
from privacycrm_desktop.persistence.storage_errors import storage_error
from privacycrm_desktop.persistence.unit_of_work import UnitOfWork
from privacycrm_desktop.services.clock import Clock
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.erasure_batch import INDEX_SCRUB_KEY, SCRUB_PENDING_KEY, erase_many
from privacycrm_desktop.services.merges import resolve_contact_id


@dataclass(frozen=True)
class ErasurePreview:
    """What erasing one contact removes, and what keeps it (a hold)."""

    contact_id: int
    name: str
    emails: int
    phones: int
    sources: int
    consent_events: int
    disclosures: int
    special_categories: int
    #: Active holds (reason, until): while there is one, the contact is kept.
    holds: tuple[tuple[str, dt.date], ...]
    #: Logged interactions (calls, meetings...) with their attached files.
    interactions: int = 0

    @property
    def blocked(self) -> bool:
        """True when a hold keeps the contact."""
        return bool(self.holds)


@dataclass(frozen=True)
class ErasureResult:
    """The outcome of one erasure (no personal value)."""

    contact_id: int
    anonymised: bool
    suppressed: int
    #: False while the person's bytes may still be in the database files: another
    #: program's read snapshot kept the WAL from being checkpointed, or a storage failure
    #: (a full disk) stopped the clean-up after the committed erasure (see ``retry_scrub``).
    scrubbed: bool = True


def _count(session: Session, column: InstrumentedAttribute[int | None], contact_id: int) -> int:
    return int(session.scalar(select(func.count()).where(column == contact_id)) or 0)


def _active_holds(session: Session, contact_id: int, today: dt.date) -> list[tuple[str, dt.date]]:
    return [
        (reason, until)
        for reason, until in session.execute(
            select(RetentionHold.reason, RetentionHold.until)
            .where(RetentionHold.contact_id == contact_id, RetentionHold.until >= today)
            .order_by(RetentionHold.until.desc())
        ).tuples()
    ]


def _source_ids(session: Session, contact: Contact) -> set[int]:
    ids = {contact.source_id}
    for model in (
        ContactEmail,
        ContactPhone,
        FieldProvenance,
        SpecialCategoryDatum,
        CompanyLink,
        ContactTag,
        CustomValue,
        Activity,
    ):
        ids.update(
            session.scalars(
                select(model.source_id).where(
                    model.contact_id == contact.id, model.source_id.is_not(None)
                )
            )
        )
    return ids


def erase_in_session(
    session: Session,
    actor: Actor,
    contact_id: int,
    reason: ErasureReason,
    now: dt.datetime,
    *,
    anonymise: bool = False,
) -> ErasureResult:
    """Erase (or anonymise) one contact in the caller's transaction; see the module text
    (the batch of one of ``erasure_batch.erase_many``).

    Raises:
        AlreadyErased: the contact was erased before (perhaps by another desk just now).
        NotFound: no such contact.
        HoldKeepsContact: an active hold keeps it.
    """
    outcome = erase_many(
        session, actor, [contact_id], reason, now, anonymise=[contact_id] if anonymise else ()
    )
    if contact_id in outcome.erased_before:
        raise AlreadyErased
    if contact_id in outcome.missing:
        raise NotFound
    if contact_id in outcome.held:
        until, hold_reason = outcome.held[contact_id]
        raise HoldKeepsContact(until, hold_reason)
    done = outcome.erased[0]
    return ErasureResult(contact_id, done.anonymised, done.suppressed)


#: The tables an erasure deletes from or changes (VACUUM-ed after it on PostgreSQL by
#: the callers that do not know which ones it changed).
ERASURE_TABLES = (
    "contact",
    "contact_email",
    "contact_phone",
    "contact_tag",
    "custom_value",
    "company_custom_value",
    "task",
    "contact_fts",
    "source",
    "consent_event",
    "disclosure",
    "field_provenance",
    "special_category_datum",
    "company_link",
    "activity",
    "activity_person",
    "contact_merge",
    "rectification",
    "request_contact",
    "retention_hold",
    "import_staging",
    "rights_request",
    "import_batch",
)


def finish_erasure(uow: UnitOfWork, tables: tuple[str, ...] = ERASURE_TABLES) -> bool:
    """After the commit(s): truncate the WAL, so the deleted words leave it too (FTS5
    secure-delete already took them out of the index pages; secure_delete zeroes freed
    pages).

    Returns True when that is done, False when another program's read snapshot kept the
    checkpoint from finishing, or a storage failure (a full disk, another program's lock)
    stopped it: the pending marker then stays, for ``retry_scrub``. It never raises a
    storage failure: the erasure before it is committed, and must not be reported as
    failed ("nothing was saved") because the housekeeping after it was not done.

    On PostgreSQL: ``VACUUM`` *tables* (best effort, outside a transaction; by default
    every table an erasure may change, for callers that do not know which it did), so the
    dead row versions holding the person's values are cleaned (``pg_dump.vacuum``: a
    rewrite, so their bytes leave the files, while every one of them is small)."""
    from privacycrm_desktop.services.backup_leftovers import clean_all_leftovers

    # A killed backup's or restore's copy holds the person too: it goes with the rest.
    clean_all_leftovers(uow)
    try:
        return _finish_erasure(uow, tables)
    except StorageError:
        return False
    except DBAPIError as exc:  # the checkpoint runs outside the unit of work
        if storage_error(exc) is None:
            raise
        return False


def _finish_erasure(uow: UnitOfWork, tables: tuple[str, ...]) -> bool:
    if uow.engine.dialect.name == "postgresql":
        from privacycrm_desktop.persistence.pg_dump import vacuum

        vacuum(uow.engine, tables)
        return True
    with uow() as work:
        index_pending = work.session.get(Setting, INDEX_SCRUB_KEY) is not None
    if index_pending:
        # Contacts taken out of the search index without secure-delete: their words go now.
        with uow(write=True) as work:
            # The rewrite changes every page of the index: in a larger cache, not spilled.
            bulk_transaction(work.session.connection())
            search.scrub(work.session)
            work.session.execute(delete(Setting).where(Setting.key == INDEX_SCRUB_KEY))
    if not checkpoint(uow.engine) or not scrub_engine_files(uow.engine):
        return False
    with uow(write=True) as work:
        marker = work.session.get(Setting, SCRUB_PENDING_KEY)
        if marker is not None:
            work.session.delete(marker)
    # Only the marker's page is in the WAL now: nothing personal if this one cannot finish.
    checkpoint(uow.engine)
    return True


def scrub_pending(uow: UnitOfWork) -> bool:
    """True when an erasure's bytes may still be in the database files."""
    if uow.engine.dialect.name != "sqlite":
        return False
    with uow() as work:
        return work.session.get(Setting, SCRUB_PENDING_KEY) is not None


def retry_scrub(uow: UnitOfWork) -> bool:
    """Finish a pending scrub if there is one; True when nothing is pending any more."""
    if not scrub_pending(uow):
        return True
    return finish_erasure(uow)


class ErasureService:
    """Erase or anonymise one contact (owner and privacy officer)."""

    def __init__(self, uow: UnitOfWork, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    def preview(self, actor: Actor, contact_id: int) -> ErasurePreview:
        """What erasing the contact would remove, and the holds that keep it."""
        require(actor.role, Permission.ERASE)
        with self._uow() as uow:
            session = uow.session
            contact = session.get(Contact, contact_id)
            if contact is None:
                raise NotFound
            name = " ".join(p for p in (contact.first_name, contact.last_name) if p)
            return ErasurePreview(
                contact_id=contact_id,
                name=name or contact.organisation,
                emails=_count(session, ContactEmail.contact_id, contact_id),
                phones=_count(session, ContactPhone.contact_id, contact_id),
                sources=len(_source_ids(session, contact)),
                consent_events=_count(session, ConsentEvent.contact_id, contact_id),
                disclosures=_count(session, Disclosure.contact_id, contact_id),
                special_categories=_count(session, SpecialCategoryDatum.contact_id, contact_id),
                holds=tuple(_active_holds(session, contact_id, self._clock.today())),
                interactions=_count(session, Activity.contact_id, contact_id),
            )

    def erase(
        self,
        actor: Actor,
        contact_id: int,
        reason: ErasureReason,
        *,
        anonymise: bool = False,
    ) -> ErasureResult:
        """Erase (or anonymise) one contact in one transaction, then clean index and WAL.

        Raises:
            PermissionDenied: the role may not erase.
            NotFound: no such contact.
            HoldKeepsContact: an active hold keeps it.
        """
        require(actor.role, Permission.ERASE)
        changed: tuple[str, ...] = ERASURE_TABLES
        with self._uow(write=True) as uow:
            try:
                result = erase_in_session(
                    uow.session, actor, contact_id, reason, self._clock.now(), anonymise=anonymise
                )
                if uow.engine.dialect.name == "postgresql":
                    from privacycrm_desktop.persistence.pg_dump import changed_tables

                    # Only the tables this erasure deleted or updated rows in hold the
                    # person's dead row versions: those are the ones cleaned after it.
                    uow.session.flush()
                    changed = changed_tables(uow.session.connection(), ERASURE_TABLES)
            except NotFound:
                survivor = resolve_contact_id(uow.session, contact_id)
                if survivor == contact_id:
                    raise
                # A merged-away id: say whose data it is now rather than "no such record"
                # (erasing the survivor is a decision about the person, not this id).
                raise NotFound(
                    N_(
                        "Contact {old} was merged into contact {id}: its data is there now. "
                        "Erase contact {id} to erase it."
                    ),
                    old=contact_id,
                    id=survivor,
                ) from None
        return replace(result, scrubbed=finish_erasure(self._uow, changed))

    def scrub_pending(self) -> bool:
        """True while an erasure's bytes may still be in the database files."""
        return scrub_pending(self._uow)

    def retry_scrub(self) -> bool:
        """Finish a pending scrub (no permission needed: it only removes leftovers);
        True when nothing is pending any more."""
        return retry_scrub(self._uow)
