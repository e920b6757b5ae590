"""Erasing many contacts in one transaction, with set-based statements (rules 8, 9, 17).

``erase_many`` does for a batch of contacts what erasing one contact does (see
services/erasure.py), with one statement per table for the whole batch instead of one per
contact: the annual cleanup erases hundreds of thousands, and per-contact statements,
commits and audit appends made that take a quarter of an hour. One contact is the batch
of one (``erasure.erase_in_session``), so both paths are the same code.

A batch is one transaction: a kill leaves each of its contacts fully erased or untouched.
Contacts that are gone (erased before, or never there) or kept by a hold are left out and
named in the outcome; the others are erased.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Connection,
    Dialect,
    Integer,
    Text,
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
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeDecorator

from privacycrm_desktop.domain.contacts import Relationship
from privacycrm_desktop.domain.erasure import SUPPRESSED_AS, ErasureReason, postcode_region
from privacycrm_desktop.domain.special_categories import CONSENT_PREFIX
from privacycrm_desktop.domain.suppression import (
    HashKind,
    SuppressionReason,
    name_postcode,
    stored_digest,
)
from privacycrm_desktop.persistence import erasure_cascade, search
from privacycrm_desktop.persistence.activity_models import Activity, ActivityPerson
from privacycrm_desktop.persistence.company_models import Company, CompanyLink, CompanyProvenance
from privacycrm_desktop.persistence.custom_field_models import CustomValue
from privacycrm_desktop.persistence.merge_models import ContactMerge, merges_into
from privacycrm_desktop.persistence.models import (
    ConsentEvent,
    Contact,
    ContactEmail,
    ContactPhone,
    ContactTag,
    FieldProvenance,
    ImportBatch,
    RequestContact,
    RightsRequest,
    Setting,
    Source,
    Suppression,
)
from privacycrm_desktop.persistence.record_models import (
    AnonymisedRecord,
    Disclosure,
    ErasureLedger,
    ImportStaging,
    RetentionHold,
    SpecialCategoryDatum,
)
from privacycrm_desktop.services.audit_batch import AuditEntry, record_events
from privacycrm_desktop.services.company_merge_rows import forget_company_merges_of
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.marketing_facts import ensure_salt
from privacycrm_desktop.services.retention import recompute

#: The ``setting`` row saying an erasure's bytes may still be in the SQLite files.
SCRUB_PENDING_KEY = "erasure.scrub_pending"
#: The ``setting`` row saying erased contacts' words are still in the search index pages
#: (``erase_many(scrub_index_later=True)``); set with ``SCRUB_PENDING_KEY``.
INDEX_SCRUB_KEY = "erasure.index_scrub_pending"

#: Models whose rows name the source a contact's values came from.
_SOURCED = (
    ContactEmail,
    ContactPhone,
    FieldProvenance,
    SpecialCategoryDatum,
    CompanyLink,
    ContactTag,
    CustomValue,
    Activity,
)


@dataclass(frozen=True)
class Erased:
    """One contact of the batch that was erased (no personal value)."""

    contact_id: int
    anonymised: bool
    suppressed: int


@dataclass
class BatchOutcome:
    """What ``erase_many`` did: the erased contacts in the order given, and those left out."""

    erased: list[Erased] = field(default_factory=list)
    #: Not there: never were, or (``erased_before``) erased earlier.
    missing: set[int] = field(default_factory=set)
    erased_before: set[int] = field(default_factory=set)
    #: Kept by an active hold: contact id -> (until, reason) of the longest hold.
    held: dict[int, tuple[dt.date, str]] = field(default_factory=dict)


def _ids(name: str = "ids") -> ColumnElement[object]:
    return bindparam(name, expanding=True)


def _id_array(name: str = "ids") -> Any:
    """The batch's ids as one array parameter (PostgreSQL): a thousand parameters in each
    statement cost the server more than the rows (parsing and planning them)."""
    return select(func.unnest(bindparam(name, type_=ARRAY(Integer))))


class _JsonIds(TypeDecorator[list[int]]):
    """A list of ids sent as one JSON text (SQLite's ``json_each`` reads it)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: list[int] | None, dialect: Dialect) -> str | None:
        return None if value is None else json.dumps([int(cid) for cid in value])


def _id_json(name: str = "ids") -> Any:
    """The batch's ids as one JSON parameter (SQLite): SQLAlchemy rendered and bound a
    thousand parameters for each of a batch's statements (about 0.3 s of 10,000 erasures);
    ``IN (SELECT value FROM json_each(?))`` reads the same ids, each looked up by key."""
    return select(func.json_each(bindparam(name, type_=_JsonIds())).table_valued("value").c.value)


def _statements(ids: Callable[[], Any]) -> dict[str, Any]:
    """The batch's statements, *ids* standing for the batch's contact ids."""
    contacts = (
        select(
            Contact.id,
            Contact.kind,
            Contact.relationship,
            Contact.relationship_start,
            Contact.first_name,
            Contact.last_name,
            Contact.postcode,
            Contact.source_id,
        )
        .where(Contact.id.in_(ids()))
        .order_by(Contact.id)
    )
    # Two desks erasing one person on the server: the second waits for the first's row lock,
    # then finds the contact gone (and its ledger row) instead of writing the suppression
    # digests, the ledger row and the audit event a second time. The rows are locked in id
    # order, so two desks' batches never wait for each other in a circle. SQLite has one
    # writer at a time already (and SQLAlchemy leaves FOR UPDATE out there).
    contacts_locked = contacts.with_for_update()
    erased_before = select(ErasureLedger.contact_id).where(ErasureLedger.contact_id.in_(ids()))
    holds = (
        select(RetentionHold.contact_id, RetentionHold.reason, RetentionHold.until)
        .where(RetentionHold.contact_id.in_(ids()), RetentionHold.until >= bindparam("today"))
        .order_by(RetentionHold.until.desc())
    )
    emails = (
        select(ContactEmail.contact_id, ContactEmail.address)
        .where(ContactEmail.contact_id.in_(ids()))
        .order_by(ContactEmail.id)
    )
    phones = (
        select(ContactPhone.contact_id, ContactPhone.number)
        .where(ContactPhone.contact_id.in_(ids()))
        .order_by(ContactPhone.id)
    )
    sources = union(
        *(
            # A tag put on by hand has no source (NULL): left out.
            select(model.contact_id, model.source_id).where(
                model.contact_id.in_(ids()), model.source_id.is_not(None)
            )
            for model in _SOURCED
        )
    )
    clear_consent = (
        update(ConsentEvent)
        .where(ConsentEvent.contact_id.in_(ids()))
        .values(evidence="", evidence_file=None, evidence_file_name="", contact_point_hash="")
        .execution_options(synchronize_session=False)
    )
    # A category of special data is itself special data (see disclosures: the audit no longer
    # names it either).
    forget_special_category = (
        update(ConsentEvent)
        .where(
            ConsentEvent.contact_id.in_(ids()),
            ConsentEvent.product_category.startswith(CONSENT_PREFIX),
        )
        .values(product_category=CONSENT_PREFIX)
        .execution_options(synchronize_session=False)
    )
    # The register keeps that a request of this kind came and was answered on time; not who.
    forget_requester = (
        update(RightsRequest)
        .where(
            RightsRequest.id.in_(
                select(RequestContact.request_id).where(RequestContact.contact_id.in_(ids()))
            )
        )
        .values(requester="", identity_method="", outcome="")
        .execution_options(synchronize_session=False)
    )
    unlink_disclosures = (
        update(Disclosure)
        .where(Disclosure.contact_id.in_(ids()))
        .values(contact_id=None)
        .execution_options(synchronize_session=False)
    )
    delete_contacts = (
        delete(Contact).where(Contact.id.in_(ids())).execution_options(synchronize_session=False)
    )
    # The person's places at companies, function and department included; the companies stay.
    delete_company_links = (
        delete(CompanyLink)
        .where(CompanyLink.contact_id.in_(ids()))
        .execution_options(synchronize_session=False)
    )
    # The owner's custom fields' values of the person (their definitions stay).
    delete_custom_values = (
        delete(CustomValue)
        .where(CustomValue.contact_id.in_(ids()))
        .execution_options(synchronize_session=False)
    )
    # Merges into an erased contact keep copies of the merged contacts' rows: they go too.
    forget_merges = (
        update(ContactMerge)
        .where(merges_into(ids()))
        .values(snapshot="", result="", closed="erased")
        .execution_options(synchronize_session=False)
    )
    return {
        "contacts": contacts,
        "contacts_locked": contacts_locked,
        "erased_before": erased_before,
        "holds": holds,
        "emails": emails,
        "phones": phones,
        "sources": sources,
        "clear_consent": clear_consent,
        "forget_special_category": forget_special_category,
        "forget_requester": forget_requester,
        "unlink_disclosures": unlink_disclosures,
        "delete_contacts": delete_contacts,
        "delete_company_links": delete_company_links,
        "delete_custom_values": delete_custom_values,
        "forget_merges": forget_merges,
    }


# Statements built once: a cleanup runs each once per batch; the ids go as one array on
# PostgreSQL (``_id_array``), as one JSON text on SQLite (``_id_json``).
_JSONED = _statements(_id_json)
_ARRAYED = _statements(_id_array)


def _st(conn: Connection) -> dict[str, Any]:
    return _ARRAYED if conn.dialect.name == "postgresql" else _JSONED


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
_BATCHES = (
    select(
        Source.id, ImportBatch.id, ImportBatch.file_name, ImportBatch.imported, ImportBatch.merged
    )
    .join(ImportBatch, Source.import_batch_id == ImportBatch.id)
    .where(Source.id.in_(_ids()))
)
_LEDGER = insert(ErasureLedger)
_ANONYMISED = insert(AnonymisedRecord)


@dataclass(frozen=True)
class _Person:
    """What the statements after the delete still need of one contact."""

    kind: str
    relationship: str
    started: dt.date | None
    first_name: str
    last_name: str
    postcode: str
    emails: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    sources: set[int] = field(default_factory=set)


def erase_many(
    session: Session,
    actor: Actor,
    contact_ids: Sequence[int],
    reason: ErasureReason,
    now: dt.datetime,
    *,
    anonymise: Collection[int] = (),
    scrub_index_later: bool = False,
) -> BatchOutcome:
    """Erase the contacts of *contact_ids* (anonymise those also in *anonymise*) in the
    caller's transaction; see the module text. The caller commits (one batch, one
    transaction), then runs ``erasure.finish_erasure`` once.

    *scrub_index_later*: take the contacts out of the SQLite search index without FTS5
    ``secure-delete`` (``search.remove_unscrubbed``); the marker ``INDEX_SCRUB_KEY``,
    committed with the batch, has ``finish_erasure`` rewrite the index once (also at the
    next start, after a kill). For many erasures: one rewrite costs less than a
    secure-delete of each."""
    conn = session.connection()
    # A cleanup's batch runs with SQLite's foreign keys off (``UnitOfWork(own_cascades=
    # True)``): the rows pointing at the contacts then go by ``erasure_cascade``.
    own_cascades = (
        conn.dialect.name == "sqlite" and not conn.exec_driver_sql("PRAGMA foreign_keys").scalar()
    )
    outcome = BatchOutcome()
    people = _read_people(conn, list(dict.fromkeys(contact_ids)), now.date(), outcome)
    if not people:
        return outcome
    ids = {"ids": sorted(people)}
    suppressed = (
        _suppress(session, people, SUPPRESSED_AS[reason], now) if reason in SUPPRESSED_AS else {}
    )
    anonymised = [cid for cid in people if cid in anonymise]
    if anonymised:
        conn.execute(_ANONYMISED, [_anonymised_row(people[cid], now) for cid in anonymised])
    # The consent events stay (purpose, channel, status, method, dates); what could name
    # the person goes: the evidence text and file, and the hash of the address.
    conn.execute(_st(conn)["clear_consent"], ids)
    conn.execute(_st(conn)["forget_special_category"], ids)
    conn.execute(_st(conn)["forget_requester"], ids)
    _forget_import_file_names(conn, people)
    if conn.execute(_ANY_STAGED).first() is not None:
        for person in people.values():
            _delete_staged_rows(session, person)
    if scrub_index_later and search.remove_unscrubbed(conn, ids["ids"]):
        session.merge(Setting(key=INDEX_SCRUB_KEY, value=now.isoformat()))
    else:
        search.remove(conn, ids["ids"])
    # Disclosures and consent events keep their rows (contact_id becomes NULL); the rest
    # goes by ON DELETE CASCADE.
    conn.execute(_st(conn)["unlink_disclosures"], ids)
    conn.execute(_st(conn)["delete_company_links"], ids)
    conn.execute(_st(conn)["delete_custom_values"], ids)
    conn.execute(_st(conn)["forget_merges"], ids)
    # The other people who took part in the erased people's interactions: their last
    # interaction may be older once these go (their keep-until dates follow below).
    linked = sorted(
        set(
            conn.execute(
                select(ActivityPerson.contact_id)
                .join(Activity, Activity.id == ActivityPerson.activity_id)
                .where(Activity.contact_id.in_(ids["ids"]))
            ).scalars()
        )
        - set(people)
    )
    forget_company_merges_of(conn, ids["ids"])
    # Interactions (with their files and links) and tasks about the person go by ON DELETE
    # CASCADE; so do the person's links to the interactions of others.
    if own_cascades:
        erasure_cascade.delete_children(conn, "contact", ids["ids"])
    conn.execute(_st(conn)["delete_contacts"], ids)
    if linked:
        recompute(conn, linked)
    sources = sorted({sid for person in people.values() for sid in person.sources})
    conn.execute(_DELETE_SOURCE, [{"sid": sid} for sid in sources])
    if own_cascades:
        # What a foreign key would have refused: a source deleted while a row names it.
        erasure_cascade.check_unreferenced(conn, "source", sources)
    conn.execute(
        _LEDGER,
        [
            {
                "contact_id": cid,
                "erased_at": now,
                "reason_code": reason.value,
                "anonymised": cid in anonymise,
            }
            for cid in people
        ],
    )
    if conn.dialect.name == "sqlite":
        # Committed with the erasure: a crash before the checkpoint still leaves it.
        session.merge(Setting(key=SCRUB_PENDING_KEY, value=now.isoformat()))
    outcome.erased = [
        Erased(cid, cid in anonymise, suppressed.get(cid, 0))
        for cid in dict.fromkeys(contact_ids)
        if cid in people
    ]
    record_events(
        session,
        actor=actor.username,
        at=now,
        entries=[
            AuditEntry(
                "contact.anonymise" if done.anonymised else "contact.erase",
                "contact",
                done.contact_id,
                f"reason={reason.value};suppressed={done.suppressed}",
            )
            for done in outcome.erased
        ],
    )
    return outcome


def _read_people(
    conn: Connection, wanted: list[int], today: dt.date, outcome: BatchOutcome
) -> dict[int, _Person]:
    """Lock and read the contacts to erase; note in *outcome* those gone or held."""
    if not wanted:
        return {}
    people: dict[int, _Person] = {}
    for cid, kind, relationship, started, first, last, postcode, source_id in conn.execute(
        _st(conn)["contacts_locked"], {"ids": wanted}
    ):
        people[cid] = _Person(
            kind, relationship, started, first, last, postcode, sources={source_id}
        )
    outcome.missing = set(wanted) - set(people)
    if outcome.missing:
        # Read after the lock wait: READ COMMITTED sees the other desk's ledger rows.
        outcome.erased_before = set(
            conn.execute(_st(conn)["erased_before"], {"ids": sorted(outcome.missing)}).scalars()
        )
    if people:
        for cid, hold_reason, until in conn.execute(
            _st(conn)["holds"], {"ids": sorted(people), "today": today}
        ):
            outcome.held.setdefault(cid, (until, hold_reason))
    for cid in outcome.held:
        del people[cid]
    if people:
        ids = {"ids": sorted(people)}
        for cid, address in conn.execute(_st(conn)["emails"], ids):
            people[cid].emails.append(address)
        for cid, number in conn.execute(_st(conn)["phones"], ids):
            people[cid].phones.append(number)
        for cid, source_id in conn.execute(_st(conn)["sources"], ids):
            people[cid].sources.add(source_id)
    return people


def _anonymised_row(person: _Person, now: dt.datetime) -> dict[str, object]:
    return {
        "kind": person.kind,
        "relationship": person.relationship,
        "region": postcode_region(person.postcode),
        "customer_since": (
            person.started.year
            if person.started is not None and person.relationship != Relationship.PROSPECT.value
            else None
        ),
        "anonymised_on": now.date(),
    }


def _suppress(
    session: Session, people: dict[int, _Person], reason: SuppressionReason, now: dt.datetime
) -> dict[int, int]:
    """Put the people's points on the suppression list; an erasure upgrades an objection.
    Returns each contact's number of digests."""
    salt = ensure_salt(session)
    mine: dict[int, set[tuple[str, str]]] = {}
    for cid, person in people.items():
        keys = [(HashKind.EMAIL, e) for e in person.emails]
        keys += [(HashKind.PHONE, p) for p in person.phones]
        name_key = name_postcode(person.first_name, person.last_name, person.postcode)
        if name_key:
            keys.append((HashKind.NAME_POSTCODE, name_key))
        mine[cid] = {(kind.value, stored_digest(salt, kind, value)) for kind, value in keys}
    digests = set().union(*mine.values())
    existing = {
        (row.hash_kind, row.digest): row
        for row in session.scalars(
            select(Suppression).where(Suppression.digest.in_(sorted({d for _k, d in digests})))
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
    return {cid: len(found) for cid, found in mine.items()}


def _tokens(person: _Person) -> set[str]:
    """Words that would name the person in a file name."""
    tokens = {t.casefold() for t in (person.first_name, person.last_name) if len(t.strip()) >= 2}
    for address in person.emails:
        tokens.update({address.casefold(), address.split("@")[0].casefold()})
    tokens.update("".join(ch for ch in p if ch.isdigit())[-6:] for p in person.phones)
    return {t.strip() for t in tokens if len(t.strip()) >= 2}


def _forget_import_file_names(conn: Connection, people: dict[int, _Person]) -> None:
    """Rename the import batches of the contacts' sources whose file name names one of the
    people ("Jan Peeters.vcf"), or that brought only one contact."""
    by_source: dict[int, list[int]] = defaultdict(list)
    for cid, person in people.items():
        for sid in person.sources:
            by_source[sid].append(cid)
    rows = conn.execute(_BATCHES, {"ids": sorted(by_source)}).all()
    if not rows:
        return
    batches: dict[int, tuple[str, int]] = {}
    named_by: dict[int, set[int]] = defaultdict(set)
    for sid, batch_id, file_name, imported, merged in rows:
        batches[batch_id] = (file_name, (imported or 0) + (merged or 0))
        named_by[batch_id].update(by_source[sid])
    for batch_id, (file_name, brought) in sorted(batches.items()):
        folded = file_name.casefold()
        if brought > 1 and not any(
            t in folded for cid in named_by[batch_id] for t in _tokens(people[cid])
        ):
            continue
        suffix = file_name.rsplit(".", 1)[1][:10] if "." in file_name else ""
        conn.execute(
            update(ImportBatch)
            .where(ImportBatch.id == batch_id)
            .values(file_name=f"import-{batch_id}" + (f".{suffix}" if suffix else ""))
        )


def _delete_staged_rows(session: Session, person: _Person) -> None:
    """Delete import rows under review that hold the person's address, number or name."""

    def holds(value: str) -> ColumnElement[bool]:
        # LIKE with the value's own % and _ escaped: the same on SQLite and PostgreSQL
        # (which has no instr()).
        return func.lower(ImportStaging.payload).contains(value.lower(), autoescape=True)

    first, last = person.first_name.strip(), person.last_name.strip()
    tests = [holds(v) for v in (*person.emails, *person.phones) if v.strip()]
    if first and last:
        tests.append(and_(holds(first), holds(last)))
    if tests:
        session.execute(delete(ImportStaging).where(or_(*tests)))


def chunks(ids: Iterable[int], size: int) -> Iterable[list[int]]:
    """*ids* in lists of at most *size*."""
    chunk: list[int] = []
    for cid in ids:
        chunk.append(cid)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
