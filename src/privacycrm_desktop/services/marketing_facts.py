"""The suppression key, the marketing rules, and one contact's facts, in a few bulk queries.

The key (``get_salt``, ``ensure_salt``; held by the server where a desk role may not read
it), the active marketing purposes as rules with their similar categories, and a consent
event's contact-point key (``point_digest``) are shared by every service that decides or
records consent. ``load_facts`` gathers what the rules need of given contacts (a card, the
consent service explaining one contact's channels, a letter): their contact points with
the kind of source they came from, their consent events, opt-outs keyed by a contact point
they share, and suppression (only the rows under their own digests). A marketing list over
every contact is decided set-wise in ``marketing_list``; ``marketing_rows`` holds what both
read.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, Select, String, select, text
from sqlalchemy.orm import Session

from privacycrm_desktop.domain.consent import Channel, ConsentFact, ConsentStatus
from privacycrm_desktop.domain.contacts import ContactKind, Relationship
from privacycrm_desktop.domain.marketing import ContactPoint, MarketingRule, MarketingSubject
from privacycrm_desktop.domain.provenance import SourceKind
from privacycrm_desktop.domain.purposes import LegalBasis
from privacycrm_desktop.domain.suppression import HashKind, HeldKey, suppression_digest
from privacycrm_desktop.persistence.models import (
    ConsentEvent,
    Contact,
    ContactEmail,
    ContactPhone,
    FieldProvenance,
    Purpose,
    Setting,
    Source,
    Suppression,
)
from privacycrm_desktop.persistence.postgres.roles import server_functions
from privacycrm_desktop.services.marketing_rows import (
    CHANNELS,
    CONTACT_COLUMNS,
    EVENT_COLUMNS,
    NO_DIGESTS,
    PROGRESS_STEP,
    channel_digests,
    event_fact,
    ids_in,
    suppression_candidates,
)

SALT_KEY = "suppression.salt"


def similar_key(code: str) -> str:
    """The setting holding a purpose's groups of similar product categories (JSON)."""
    return f"purpose.{code}.similar_categories"


class ServerKey(HeldKey):
    """The suppression key kept on the PostgreSQL server, out of a desk role's reach: the
    server computes the digests (``pcrm_digests``, persistence/postgres/data_sql.py)."""

    _engine: Engine
    _cache: dict[tuple[str, str], str]

    def __new__(cls, engine: Engine) -> ServerKey:
        made = super().__new__(cls, "held-by-the-server")
        made._engine = engine
        made._cache = {}
        return made

    def digests(self, items: list[tuple[str, str]]) -> list[str]:
        missing = sorted({item for item in items if item not in self._cache})
        if missing:
            with self._engine.connect() as conn:
                values = conn.execute(
                    text("SELECT pcrm_digests(:kinds, :values)"),
                    {"kinds": [k for k, _v in missing], "values": [v for _k, v in missing]},
                ).scalar_one()
                conn.rollback()
            self._cache.update(zip(missing, values, strict=True))
        return [self._cache[item] for item in items]


def _server_key(session: Session) -> ServerKey | None:
    """The server's key where it hashes for this desk role (the row is hidden from it)."""
    bind = session.get_bind()
    if bind.dialect.name != "postgresql" or not server_functions(session.connection()):
        return None
    return ServerKey(bind.engine if isinstance(bind, Connection) else bind)


def get_salt(session: Session) -> str | None:
    """The database's suppression secret, or None before its first use. On a server
    that hides it from this desk role, a key the server hashes with."""
    row = session.get(Setting, SALT_KEY)
    if row is not None:
        return row.value
    return _server_key(session)


def ensure_salt(session: Session) -> str:
    """The database's suppression secret, created (``secrets.token_hex``) at first use."""
    row = session.get(Setting, SALT_KEY)
    if row is None and (held := _server_key(session)) is not None:
        return held  # the server made it when it started enforcing the roles
    if row is None:
        row = Setting(key=SALT_KEY, value=secrets.token_hex(32))
        session.add(row)
        session.flush()
    return row.value


def load_similar(session: Session, code: str) -> tuple[frozenset[str], ...]:
    """The owner's groups of similar categories for purpose *code*."""
    row = session.get(Setting, similar_key(code))
    if row is None or not row.value:
        return ()
    groups = json.loads(row.value)
    return tuple(frozenset(str(c) for c in group) for group in groups if group)


def marketing_rules(session: Session) -> dict[str, MarketingRule]:
    """Every active marketing purpose as a rule, by code."""
    rows = session.scalars(
        select(Purpose).where(Purpose.is_marketing.is_(True), Purpose.active.is_(True))
    ).all()
    return {
        p.code: MarketingRule(
            p.code, p.legal_basis == LegalBasis.CONSENT.value, load_similar(session, p.code)
        )
        for p in rows
    }


def point_digest(salt: str, channel: Channel, value: str) -> str:
    """The contact-point key of a consent event on *channel* ("" without a value)."""
    if not value:
        return ""
    kind = {
        Channel.EMAIL: HashKind.EMAIL,
        Channel.PHONE: HashKind.PHONE,
        Channel.SMS: HashKind.PHONE,
        Channel.POST: HashKind.NAME_POSTCODE,
    }[channel]
    return suppression_digest(salt, kind, value)


@dataclass(frozen=True)
class ContactFacts:
    """One contact's plain values for list columns, and its subject per channel."""

    id: int
    values: dict[str, str]
    subjects: dict[Channel, MarketingSubject]


def load_facts(
    session: Session,
    salt: str | None,
    contact_ids: Iterable[int] | None = None,
    channels: Iterable[Channel] = CHANNELS,
    progress: Callable[[int, int], None] | None = None,
) -> list[ContactFacts]:
    """Facts of the given contacts (all when None), ordered by name.

    Args:
        session: an open session.
        salt: the suppression secret (None: nothing is suppressed yet).
        contact_ids: restrict to these contacts.
        channels: the channels to build subjects for (a list needs one).
        progress: told ``(done, 2 * count)`` while the facts are put together (the
            caller reports the second half); may raise to stop the work.

    Returns:
        One ``ContactFacts`` per contact.
    """
    ids = None if contact_ids is None else list(contact_ids)
    wanted_channels = tuple(channels)
    # Plain rows, not ORM objects: a list over every contact must stay fast.
    query = select(*CONTACT_COLUMNS).order_by(Contact.sort_name, Contact.id)
    if ids is not None:
        query = query.where(Contact.id.in_(ids))
    contacts = session.execute(query).all()
    sale = SourceKind.SALE.value

    def only(query: Select[Any], column: Any) -> Select[Any]:
        return query if ids is None else query.where(column.in_(ids))

    # Only whether a source was a sale matters; sales are few next to all sources.
    sale_sources = set(session.scalars(select(Source.id).where(Source.kind == sale)))

    emails: dict[int, list[ContactPoint]] = {}
    email_query = select(ContactEmail.contact_id, ContactEmail.address, ContactEmail.source_id)
    for cid, address, sid in session.execute(
        only(email_query, ContactEmail.contact_id).order_by(
            ContactEmail.contact_id, ContactEmail.position
        )
    ).tuples():
        emails.setdefault(cid, []).append(ContactPoint(address, sid in sale_sources))
    phones: dict[int, list[ContactPoint]] = {}
    phone_query = select(ContactPhone.contact_id, ContactPhone.number, ContactPhone.source_id)
    for cid, number, sid in session.execute(
        only(phone_query, ContactPhone.contact_id).order_by(
            ContactPhone.contact_id, ContactPhone.position
        )
    ).tuples():
        phones.setdefault(cid, []).append(ContactPoint(number, sid in sale_sources))
    street_query = select(FieldProvenance.contact_id, FieldProvenance.source_id).where(
        FieldProvenance.field == "street"
    )
    street_source = dict(
        session.execute(only(street_query, FieldProvenance.contact_id)).tuples().all()
    )

    codes = dict(session.execute(select(Purpose.id, Purpose.code)).tuples().all())
    events: dict[int, list[ConsentFact]] = {}
    own_query = select(*EVENT_COLUMNS).where(ConsentEvent.contact_id.is_not(None))
    for row in session.execute(only(own_query, ConsentEvent.contact_id)):
        assert row.contact_id is not None
        events.setdefault(row.contact_id, []).append(event_fact(row, codes))
    people = [
        (contact, tuple(emails.get(contact.id, ())), tuple(phones.get(contact.id, ())))
        for contact in contacts
    ]
    by_point, suppressed, mine, keys = _keyed_and_listed(
        session, salt, codes, people if ids is not None else None, wanted_channels
    )

    result = []
    total = 2 * len(contacts)
    for number, (contact, email_points, phone_points) in enumerate(people):
        if progress is not None and number % PROGRESS_STEP == 0:
            progress(number, total)
        address = ", ".join(
            p for p in (contact.street, f"{contact.postcode} {contact.city}".strip()) if p
        )
        post_points: tuple[ContactPoint, ...] = ()
        if contact.street and contact.city:
            sid = street_source.get(contact.id, contact.source_id)
            post_points = (ContactPoint(address, sid in sale_sources),)
        # Hashing every point costs time; it matters only when something is keyed by one.
        digests = keys.get(contact.id) or (
            channel_digests(salt, contact, email_points, phone_points, wanted_channels)
            if by_point
            else NO_DIGESTS
        )
        # An objection to all direct marketing under any of the person's points counts
        # for every channel: the list is about the person, not one address.
        is_suppressed = bool(
            suppressed
            and (
                mine.get(contact.id)
                or suppression_candidates(salt, contact, email_points, phone_points)
            )
            & suppressed
        )
        own = events.get(contact.id, [])
        points = {
            Channel.EMAIL: email_points,
            Channel.PHONE: phone_points,
            Channel.SMS: phone_points,
            Channel.POST: post_points,
        }
        kind = ContactKind(contact.kind)
        relationship = Relationship(contact.relationship)
        subjects = {}
        for channel in wanted_channels:
            shared = [
                fact
                for digest in digests[channel]
                for owner, fact in by_point.get(digest, ())
                if owner != contact.id and fact.channel is channel
            ]
            subjects[channel] = MarketingSubject(
                kind=kind,
                relationship=relationship,
                relationship_end=contact.relationship_end,
                points=points[channel],
                suppressed=is_suppressed,
                events=tuple(own + shared),
            )
        values = {
            "first_name": contact.first_name,
            "last_name": contact.last_name,
            "organisation": contact.organisation,
            "language": contact.language,
            "street": contact.street,
            "postcode": contact.postcode,
            "city": contact.city,
            "country": contact.country,
        }
        result.append(ContactFacts(contact.id, values, subjects))
    return result


_Person = tuple[Any, tuple[ContactPoint, ...], tuple[ContactPoint, ...]]


def _keyed_and_listed(
    session: Session,
    salt: str | None,
    codes: dict[int, str],
    people: list[_Person] | None,
    wanted_channels: tuple[Channel, ...],
) -> tuple[
    dict[str, list[tuple[int | None, ConsentFact]]],
    set[str],
    dict[int, set[str]],
    dict[int, dict[Channel, set[str]]],
]:
    """The opt-outs keyed by a contact point (they survive merges, re-imports and
    erasure) and the suppression list: every row (*people* None), or for a few contacts
    (a card) only the rows under their digests; with those digests per contact (for
    suppression, and per channel for the keyed opt-outs)."""
    keyed = select(*EVENT_COLUMNS).where(
        ConsentEvent.contact_point_hash != "",
        ConsentEvent.status == ConsentStatus.OPT_OUT.value,
    )
    listed = select(Suppression.digest)
    mine: dict[int, set[str]] = {}
    keys: dict[int, dict[Channel, set[str]]] = {}
    if people is not None:
        for contact, email_points, phone_points in people:
            mine[contact.id] = suppression_candidates(salt, contact, email_points, phone_points)
            keys[contact.id] = channel_digests(
                salt, contact, email_points, phone_points, wanted_channels
            )
        ours = sorted({d for found in mine.values() for d in found})
        listed = listed.where(ids_in(session, Suppression.digest, ours, String()))
        pointed = sorted({d for found in keys.values() for ds in found.values() for d in ds})
        keyed = keyed.where(ids_in(session, ConsentEvent.contact_point_hash, pointed, String()))
    by_point: dict[str, list[tuple[int | None, ConsentFact]]] = {}
    for row in session.execute(keyed):
        by_point.setdefault(row.contact_point_hash, []).append(
            (row.contact_id, event_fact(row, codes))
        )
    return by_point, set(session.scalars(listed)), mine, keys
