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
from collections.abc import Sequence
from dataclasses import dataclass, replace

from sqlalchemy import (
    ColumnElement,
    Connection,
    and_,
    bindparam,
    delete,
    exists,
    func,
    insert,
    or_,
    select,
    union,
    update,
)
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import InstrumentedAttribute, Session

from privacycrm_desktop.domain.access import Permission, require
from privacycrm_desktop.domain.contacts import Relationship
from privacycrm_desktop.domain.erasure import (
    SUPPRESSED_AS,
    AlreadyErased,
    ErasureReason,
    HoldKeepsContact,
    postcode_region,
)
from privacycrm_desktop.domain.errors import NotFound, StorageError
from privacycrm_desktop.domain.special_categories import CONSENT_PREFIX
from privacycrm_desktop.domain.suppression import (
    HashKind,
    SuppressionReason,
    name_postcode,
    stored_digest,
)
from privacycrm_desktop.persistence import search
from privacycrm_desktop.persistence.activity_models import Activity
from privacycrm_desktop.persistence.company_models import Company, CompanyLink, CompanyProvenance
from privacycrm_desktop.persistence.custom_field_models import CustomValue
from privacycrm_desktop.persistence.database import checkpoint
from privacycrm_desktop.persistence.models import (
    AnonymisedRecord,
    ConsentEvent,
    Contact,
    ContactEmail,
    ContactPhone,
    ContactTag,
    Disclosure,
    ErasureLedger,
    FieldProvenance,
    ImportBatch,
    ImportStaging,
    RequestContact,
    RetentionHold,
    RightsRequest,
    Setting,
    Source,
    SpecialCategoryDatum,
    Suppression,
)
from privacycrm_desktop.persistence.storage_errors import storage_error
from privacycrm_desktop.persistence.unit_of_work import UnitOfWork
from privacycrm_desktop.services.audit import record_event
from privacycrm_desktop.services.clock import Clock
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.marketing_facts import ensure_salt
from privacycrm_desktop.services.merges import forget_merges_of


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


def _suppress(
    session: Session,
    name_key: str,
    emails: Sequence[str],
    phones: Sequence[str],
    reason: SuppressionReason,
    now: dt.datetime,
) -> int:
    """Put the person's points on the suppression list; an erasure upgrades an objection."""
    salt = ensure_salt(session)
    keys = [(HashKind.EMAIL, e) for e in emails] + [(HashKind.PHONE, p) for p in phones]
    if name_key:
        keys.append((HashKind.NAME_POSTCODE, name_key))
    digests = {(kind.value, stored_digest(salt, kind, value)) for kind, value in keys}
    existing = {
        (row.hash_kind, row.digest): row
        for row in session.scalars(
            select(Suppression).where(Suppression.digest.in_([d for _k, d in digests]))
        )
    }
    for kind, digest in sorted(digests):
        row = existing.get((kind, digest))
        if row is None:
            session.add(
                Suppression(hash_kind=kind, digest=digest, reason=reason.value, created_at=now)
            )
        elif reason is SuppressionReason.ERASURE and row.reason != reason.value:
            row.reason = reason.value
            row.created_at = now
    return len(digests)


# Statements built once: erasing 10,000 contacts runs each 10,000 times, and building a
# statement costs more than SQLite spends running it.
_CONTACT = select(
    Contact.kind,
    Contact.relationship,
    Contact.relationship_start,
    Contact.first_name,
    Contact.last_name,
    Contact.postcode,
    Contact.source_id,
).where(Contact.id == bindparam("cid"))
# Two desks erasing one person on the server: the second waits for the first's row lock,
# then finds the contact gone (and its ledger row) instead of writing the suppression
# digests, the ledger row and the audit event a second time. SQLite has one writer at a
# time already (and SQLAlchemy leaves FOR UPDATE out there).
_CONTACT_LOCKED = _CONTACT.with_for_update()
_ERASED_BEFORE = select(ErasureLedger.id).where(ErasureLedger.contact_id == bindparam("cid"))
_HOLDS = (
    select(RetentionHold.reason, RetentionHold.until)
    .where(RetentionHold.contact_id == bindparam("cid"), RetentionHold.until >= bindparam("today"))
    .order_by(RetentionHold.until.desc())
)
_EMAILS = select(ContactEmail.address).where(ContactEmail.contact_id == bindparam("cid"))
_PHONES = select(ContactPhone.number).where(ContactPhone.contact_id == bindparam("cid"))
_SOURCES = union(
    *(
        # A tag put on by hand has no source (NULL): left out.
        select(model.source_id).where(
            model.contact_id == bindparam("cid"), model.source_id.is_not(None)
        )
        for model in (
            ContactEmail,
            ContactPhone,
            FieldProvenance,
            SpecialCategoryDatum,
            CompanyLink,
            ContactTag,
            CustomValue,
            Activity,
        )
    )
)
_CLEAR_CONSENT = (
    update(ConsentEvent)
    .where(ConsentEvent.contact_id == bindparam("cid"))
    .values(evidence="", evidence_file=None, evidence_file_name="", contact_point_hash="")
)
# A category of special data is itself special data (see disclosures: the audit no longer
# names it either).
_FORGET_SPECIAL_CATEGORY = (
    update(ConsentEvent)
    .where(
        ConsentEvent.contact_id == bindparam("cid"),
        ConsentEvent.product_category.startswith(CONSENT_PREFIX),
    )
    .values(product_category=CONSENT_PREFIX)
)
# The register keeps that a request of this kind came and was answered on time; not who.
_FORGET_REQUESTER = (
    update(RightsRequest)
    .where(
        RightsRequest.id.in_(
            select(RequestContact.request_id).where(RequestContact.contact_id == bindparam("cid"))
        )
    )
    .values(requester="", identity_method="", outcome="")
    .execution_options(synchronize_session=False)
)
_UNLINK_DISCLOSURES = (
    update(Disclosure).where(Disclosure.contact_id == bindparam("cid")).values(contact_id=None)
)
_DELETE_CONTACT = delete(Contact).where(Contact.id == bindparam("cid"))
_ANY_STAGED = select(ImportStaging.id).limit(1)
_DELETE_SOURCE = delete(Source).where(
    Source.id == bindparam("sid"),
    *(
        ~exists().where(model.source_id == Source.id)
        for model in (
            Contact,
            ContactEmail,
            ContactPhone,
            FieldProvenance,
            SpecialCategoryDatum,
            # A company keeps the source of its values when a person it came with goes.
            Company,
            CompanyProvenance,
            CompanyLink,
            ContactTag,
            CustomValue,
            Activity,
        )
    ),
)
# The person's places at companies, function and department included; the companies stay.
_DELETE_COMPANY_LINKS = delete(CompanyLink).where(CompanyLink.contact_id == bindparam("cid"))
_DELETE_CUSTOM_VALUES = delete(CustomValue).where(CustomValue.contact_id == bindparam("cid"))
_LEDGER = insert(ErasureLedger)
_ANONYMISED = insert(AnonymisedRecord)


def erase_in_session(
    session: Session,
    actor: Actor,
    contact_id: int,
    reason: ErasureReason,
    now: dt.datetime,
    *,
    anonymise: bool = False,
) -> ErasureResult:
    """Erase (or anonymise) one contact in the caller's transaction; see the module text.

    Raises:
        AlreadyErased: the contact was erased before (perhaps by another desk just now).
        NotFound: no such contact.
        HoldKeepsContact: an active hold keeps it.
    """
    conn = session.connection()
    key = {"cid": contact_id}
    contact = conn.execute(_CONTACT_LOCKED, key).first()
    if contact is None:
        # Read after the lock wait: READ COMMITTED sees the other desk's ledger row.
        if conn.execute(_ERASED_BEFORE, key).first() is not None:
            raise AlreadyErased
        raise NotFound
    kind, relationship, started, first_name, last_name, postcode, source_id = contact
    holds = conn.execute(_HOLDS, {**key, "today": now.date()}).first()
    if holds is not None:
        raise HoldKeepsContact(holds[1], holds[0])
    emails = list(conn.execute(_EMAILS, key).scalars())
    phones = list(conn.execute(_PHONES, key).scalars())
    sources = {source_id, *conn.execute(_SOURCES, key).scalars()}
    suppressed = 0
    if reason in SUPPRESSED_AS:
        name_key = name_postcode(first_name, last_name, postcode)
        suppressed = _suppress(session, name_key, emails, phones, SUPPRESSED_AS[reason], now)
    if anonymise:
        conn.execute(
            _ANONYMISED,
            {
                "kind": kind,
                "relationship": relationship,
                "region": postcode_region(postcode),
                "customer_since": (
                    started.year
                    if started is not None and relationship != Relationship.PROSPECT.value
                    else None
                ),
                "anonymised_on": now.date(),
            },
        )
    # The consent events stay (purpose, channel, status, method, dates); what could name
    # the person goes: the evidence text and file, and the hash of the address.
    conn.execute(_CLEAR_CONSENT, key)
    conn.execute(_FORGET_SPECIAL_CATEGORY, key)
    conn.execute(_FORGET_REQUESTER, key)
    _forget_import_file_names(conn, sources, first_name, last_name, emails, phones)
    if conn.execute(_ANY_STAGED).first() is not None:
        _delete_staged_rows(session, first_name, last_name, emails, phones)
    search.remove(conn, [contact_id])
    # Disclosures and consent events keep their rows (contact_id becomes NULL); the rest
    # goes by ON DELETE CASCADE.
    conn.execute(_UNLINK_DISCLOSURES, key)
    conn.execute(_DELETE_COMPANY_LINKS, key)
    conn.execute(_DELETE_CUSTOM_VALUES, key)
    # Merges into this contact keep copies of the merged contacts' rows: they go too.
    forget_merges_of(conn, contact_id)
    conn.execute(_DELETE_CONTACT, key)
    conn.execute(_DELETE_SOURCE, [{"sid": sid} for sid in sorted(sources)])
    conn.execute(
        _LEDGER,
        {
            "contact_id": contact_id,
            "erased_at": now,
            "reason_code": reason.value,
            "anonymised": anonymise,
        },
    )
    if conn.dialect.name == "sqlite":
        # Committed with the erasure: a crash before the checkpoint still leaves it.
        session.merge(Setting(key=SCRUB_PENDING_KEY, value=now.isoformat()))
    record_event(
        session,
        actor=actor.username,
        action="contact.anonymise" if anonymise else "contact.erase",
        entity="contact",
        entity_id=contact_id,
        at=now,
        detail=f"reason={reason.value};suppressed={suppressed}",
    )
    return ErasureResult(contact_id, anonymise, suppressed)


def _forget_import_file_names(
    conn: Connection,
    sources: set[int],
    first_name: str,
    last_name: str,
    emails: Sequence[str],
    phones: Sequence[str],
) -> None:
    """Rename the import batches of the contact's sources whose file name names the person
    ("Jan Peeters.vcf"), or that brought this contact alone."""
    batches = conn.execute(
        select(ImportBatch.id, ImportBatch.file_name, ImportBatch.imported, ImportBatch.merged)
        .join(Source, Source.import_batch_id == ImportBatch.id)
        .where(Source.id.in_(sorted(sources)))
        .distinct()
    ).all()
    if not batches:
        return
    tokens = {t.casefold() for t in (first_name, last_name) if len(t.strip()) >= 2}
    for address in emails:
        tokens.update({address.casefold(), address.split("@")[0].casefold()})
    tokens.update("".join(ch for ch in p if ch.isdigit())[-6:] for p in phones)
    tokens = {t.strip() for t in tokens if len(t.strip()) >= 2}
    for batch_id, file_name, imported, merged in batches:
        folded = file_name.casefold()
        if (imported or 0) + (merged or 0) > 1 and not any(t in folded for t in tokens):
            continue
        suffix = file_name.rsplit(".", 1)[1][:10] if "." in file_name else ""
        conn.execute(
            update(ImportBatch)
            .where(ImportBatch.id == batch_id)
            .values(file_name=f"import-{batch_id}" + (f".{suffix}" if suffix else ""))
        )


def _delete_staged_rows(
    session: Session,
    first_name: str,
    last_name: str,
    emails: Sequence[str],
    phones: Sequence[str],
) -> None:
    """Delete import rows under review that hold the person's address, number or name."""

    def holds(value: str) -> ColumnElement[bool]:
        # LIKE with the value's own % and _ escaped: the same on SQLite and PostgreSQL
        # (which has no instr()).
        return func.lower(ImportStaging.payload).contains(value.lower(), autoescape=True)

    tests = [holds(v) for v in (*emails, *phones) if v.strip()]
    if first_name.strip() and last_name.strip():
        tests.append(and_(holds(first_name.strip()), holds(last_name.strip())))
    if tests:
        session.execute(delete(ImportStaging).where(or_(*tests)))


#: The tables an erasure deletes from or changes (VACUUM-ed after it on PostgreSQL).
ERASURE_TABLES = (
    "contact",
    "contact_email",
    "contact_phone",
    "contact_tag",
    "custom_value",
    "task",
    "contact_fts",
    "source",
    "consent_event",
    "disclosure",
    "field_provenance",
    "special_category_datum",
    "company_link",
    "activity",
    "rectification",
    "request_contact",
    "retention_hold",
    "import_staging",
)


#: The ``setting`` row saying an erasure's bytes may still be in the SQLite files.
SCRUB_PENDING_KEY = "erasure.scrub_pending"


def finish_erasure(uow: UnitOfWork) -> bool:
    """After the commit(s): truncate the WAL, so the deleted words leave it too (FTS5
    secure-delete already took them out of the index pages; secure_delete zeroes freed
    pages).

    Returns True when that is done, False when another program's read snapshot kept the
    checkpoint from finishing, or a storage failure (a full disk, another program's lock)
    stopped it: the pending marker then stays, for ``retry_scrub``. It never raises a
    storage failure: the erasure before it is committed, and must not be reported as
    failed ("nothing was saved") because the housekeeping after it was not done.

    On PostgreSQL: ``VACUUM`` the touched tables (best effort, outside a transaction), so
    the dead row versions holding the person's values are cleaned."""
    try:
        return _finish_erasure(uow)
    except StorageError:
        return False
    except DBAPIError as exc:  # the checkpoint runs outside the unit of work
        if storage_error(exc) is None:
            raise
        return False


def _finish_erasure(uow: UnitOfWork) -> bool:
    if uow.engine.dialect.name == "postgresql":
        from privacycrm_desktop.persistence.pg_dump import vacuum

        vacuum(uow.engine, ERASURE_TABLES)
        return True
    if not checkpoint(uow.engine):
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
        with self._uow(write=True) as uow:
            result = erase_in_session(
                uow.session, actor, contact_id, reason, self._clock.now(), anonymise=anonymise
            )
        return replace(result, scrubbed=finish_erasure(self._uow))

    def scrub_pending(self) -> bool:
        """True while an erasure's bytes may still be in the database files."""
        return scrub_pending(self._uow)

    def retry_scrub(self) -> bool:
        """Finish a pending scrub (no permission needed: it only removes leftovers);
        True when nothing is pending any more."""
        return retry_scrub(self._uow)
