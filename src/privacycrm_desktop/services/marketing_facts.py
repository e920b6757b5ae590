"""Gathering what the marketing rules need from the database, in a few bulk queries.

Shared by the consent service (explaining one contact's channels) and the marketing list
(every contact): contacts, their contact points with the kind of source they came from,
their consent events, opt-outs keyed by a contact point they share, and suppression.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import (
    ARRAY,
    Connection,
    Engine,
    Integer,
    Select,
    String,
    bindparam,
    func,
    select,
    text,
)
from sqlalchemy.orm import Session

from privacycrm_desktop.domain.consent import Channel, ConsentFact, ConsentMethod, ConsentStatus
from privacycrm_desktop.domain.contacts import ContactKind, Relationship
from privacycrm_desktop.domain.marketing import (
    ContactPoint,
    Decision,
    MarketingRule,
    MarketingSubject,
    Reason,
    decide,
)
from privacycrm_desktop.domain.provenance import SourceKind
from privacycrm_desktop.domain.purposes import LegalBasis
from privacycrm_desktop.domain.suppression import (
    HashKind,
    HeldKey,
    candidate_digests,
    key_fingerprint,
    name_postcode,
    suppression_digest,
)
from privacycrm_desktop.persistence import contact_digests
from privacycrm_desktop.persistence.models import (
    ConsentEvent,
    Contact,
    ContactDigest,
    ContactEmail,
    ContactPhone,
    ContactTag,
    FieldProvenance,
    Purpose,
    Setting,
    Source,
    Suppression,
)
from privacycrm_desktop.persistence.postgres.roles import server_functions

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


@dataclass(frozen=True)
class ContactFacts:
    """One contact's plain values for list columns, and its subject per channel."""

    id: int
    values: dict[str, str]
    subjects: dict[Channel, MarketingSubject]


_CHANNEL_OF: dict[str, Channel] = {c.value: c for c in Channel}
_STATUS_OF: dict[str, ConsentStatus] = {s.value: s for s in ConsentStatus}
_METHOD_OF: dict[str, ConsentMethod] = {m.value: m for m in ConsentMethod}


def _fact(row: Any, codes: dict[int, str]) -> ConsentFact:
    """A consent event's fact, from a row of ``_EVENT_COLUMNS`` (plain: not an ORM object;
    unpacked, not read by name, and the enums looked up by value as their constructors
    would, without their cost: a list reads tens of thousands)."""
    _cid, _key, purpose_id, channel, status, recorded_at, expires_on, method, category = row[:9]
    return ConsentFact(
        codes.get(purpose_id, ""),
        _CHANNEL_OF.get(channel) or Channel(channel),
        _STATUS_OF.get(status) or ConsentStatus(status),
        recorded_at,
        expires_on,
        _METHOD_OF.get(method) or ConsentMethod(method),
        category,
    )


#: What a fact needs of a consent event; the evidence file (a blob) stays on disk.
_EVENT_COLUMNS = (
    ConsentEvent.contact_id,
    ConsentEvent.contact_point_hash,
    ConsentEvent.purpose_id,
    ConsentEvent.channel,
    ConsentEvent.status,
    ConsentEvent.recorded_at,
    ConsentEvent.expires_on,
    ConsentEvent.method,
    ConsentEvent.product_category,
)


_CONTACT_COLUMNS = (
    Contact.id,
    Contact.kind,
    Contact.first_name,
    Contact.last_name,
    Contact.organisation,
    Contact.language,
    Contact.street,
    Contact.postcode,
    Contact.city,
    Contact.country,
    Contact.relationship,
    Contact.relationship_end,
    Contact.source_id,
)
_CHANNELS = tuple(Channel)


#: Report progress once per this many contacts (often enough for a bar, cheap).
PROGRESS_STEP = 500


def load_facts(
    session: Session,
    salt: str | None,
    contact_ids: Iterable[int] | None = None,
    channels: Iterable[Channel] = _CHANNELS,
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
    query = select(*_CONTACT_COLUMNS).order_by(Contact.sort_name, Contact.id)
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
    own_query = select(*_EVENT_COLUMNS).where(ConsentEvent.contact_id.is_not(None))
    for row in session.execute(only(own_query, ConsentEvent.contact_id)):
        assert row.contact_id is not None
        events.setdefault(row.contact_id, []).append(_fact(row, codes))
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
            _digests(salt, contact, email_points, phone_points, wanted_channels)
            if by_point
            else _NO_DIGESTS
        )
        # An objection to all direct marketing under any of the person's points counts
        # for every channel: the list is about the person, not one address.
        is_suppressed = bool(
            suppressed
            and (
                mine.get(contact.id)
                or _suppression_digests(salt, contact, email_points, phone_points)
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
    keyed = select(*_EVENT_COLUMNS).where(
        ConsentEvent.contact_point_hash != "",
        ConsentEvent.status == ConsentStatus.OPT_OUT.value,
    )
    listed = select(Suppression.digest)
    mine: dict[int, set[str]] = {}
    keys: dict[int, dict[Channel, set[str]]] = {}
    if people is not None:
        for contact, email_points, phone_points in people:
            mine[contact.id] = _suppression_digests(salt, contact, email_points, phone_points)
            keys[contact.id] = _digests(salt, contact, email_points, phone_points, wanted_channels)
        ours = sorted({d for found in mine.values() for d in found})
        listed = listed.where(_ids_in(session, Suppression.digest, ours, String()))
        pointed = sorted({d for found in keys.values() for ds in found.values() for d in ds})
        keyed = keyed.where(_ids_in(session, ConsentEvent.contact_point_hash, pointed, String()))
    by_point: dict[str, list[tuple[int | None, ConsentFact]]] = {}
    for row in session.execute(keyed):
        by_point.setdefault(row.contact_point_hash, []).append((row.contact_id, _fact(row, codes)))
    return by_point, set(session.scalars(listed)), mine, keys


_NO_DIGESTS: dict[Channel, set[str]] = {c: set() for c in Channel}


def _digests(
    salt: str | None,
    contact: Any,
    email_points: tuple[ContactPoint, ...],
    phone_points: tuple[ContactPoint, ...],
    channels: tuple[Channel, ...] = _CHANNELS,
) -> dict[Channel, set[str]]:
    """The suppression digests of a contact's points, per channel (of *channels* only:
    the others stay empty, a list is about one channel)."""
    digests: dict[Channel, set[str]] = {c: set() for c in _CHANNELS}
    if salt is None:
        return digests
    if Channel.EMAIL in channels:
        for p in email_points:
            digests[Channel.EMAIL].add(suppression_digest(salt, HashKind.EMAIL, p.value))
    if Channel.PHONE in channels or Channel.SMS in channels:
        for p in phone_points:
            digest = suppression_digest(salt, HashKind.PHONE, p.value)
            digests[Channel.PHONE].add(digest)
            digests[Channel.SMS].add(digest)
    key = name_postcode(contact.first_name, contact.last_name, contact.postcode)
    if key and Channel.POST in channels:
        digests[Channel.POST].add(suppression_digest(salt, HashKind.NAME_POSTCODE, key))
    return digests


def _suppression_digests(
    salt: str | None,
    contact: Any,
    email_points: tuple[ContactPoint, ...],
    phone_points: tuple[ContactPoint, ...],
) -> set[str]:
    """Every digest under which the contact's points may be on the suppression list: the
    canonical form and those of older lists (earlier lists kept sub-addresses and swapped names)."""
    if salt is None:
        return set()
    found = {d for p in email_points for d in candidate_digests(salt, HashKind.EMAIL, p.value)}
    found |= {d for p in phone_points for d in candidate_digests(salt, HashKind.PHONE, p.value)}
    key = name_postcode(contact.first_name, contact.last_name, contact.postcode)
    if key:
        found |= set(candidate_digests(salt, HashKind.NAME_POSTCODE, key))
    return found


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


class ListRow(NamedTuple):
    """One contact of a marketing list with its decision (the list's channel only)."""

    id: int
    contact: Any
    decision: Decision

    @property
    def values(self) -> dict[str, str]:
        """The contact's plain values for list columns (as ``ContactFacts.values``)."""
        return {column: getattr(self.contact, column) for column in VALUE_COLUMNS}


#: Where each contact column is in a row of ``_CONTACT_COLUMNS`` (rows are read by
#: position: by name costs a call each).
CONTACT_INDEX = {column.key: i for i, column in enumerate(_CONTACT_COLUMNS)}

#: The contact columns a list shows (``ContactFacts.values``).
VALUE_COLUMNS = (
    "first_name",
    "last_name",
    "organisation",
    "language",
    "street",
    "postcode",
    "city",
    "country",
)


class ListDecisions(NamedTuple):
    """A list's decisions: the contacts decided one by one (ordered by name), and how many
    of the others were left out for which reason (counted, not read: nothing to reach them
    by on the channel, or no consent)."""

    rows: list[ListRow]
    rest: dict[Reason, int]


def _ids_in(session: Session, column: Any, ids: list[int] | list[str], kind: Any = None) -> Any:
    """``column IN (ids)`` with the ids as one parameter: a JSON array on SQLite
    (``json_each``), an array (of *kind*, default integers) on PostgreSQL (``unnest``)."""
    if session.get_bind().dialect.name == "postgresql":
        array = ARRAY(Integer() if kind is None else kind)
        return column.in_(select(func.unnest(bindparam(None, ids, type_=array))))
    each = func.json_each(bindparam(None, json.dumps(ids))).table_valued("value")
    return column.in_(select(each.c.value))


def _reach_count(session: Session, channel: Channel, tagged: Any) -> int:
    """How many contacts (of *tagged*, a select of ids, when given) have something to reach
    them by on *channel* (what ``_ListPoints.of`` gives: an address, a number, a street and
    a city)."""
    if channel is Channel.POST:
        query = select(func.count()).where(Contact.street != "", Contact.city != "")
        owner = Contact.id
    else:
        table = ContactEmail if channel is Channel.EMAIL else ContactPhone
        owner = table.contact_id
        query = select(func.count(func.distinct(owner)))
    if tagged is not None:
        query = query.where(owner.in_(tagged))
    return session.connection().execute(query).scalar_one()


def _candidates(session: Session, ids: set[int], tagged: Any) -> list[Any]:
    """The contact rows (``_CONTACT_COLUMNS``, ordered by name) of *ids* and of every
    organisation address (of *tagged*, a select of ids, when given)."""
    conn = session.connection()
    organisations = select(Contact.id).where(Contact.kind == ContactKind.ORGANISATION_ADDRESS.value)
    wanted = sorted(ids.union(conn.execute(organisations).scalars()))
    query = select(*_CONTACT_COLUMNS).where(_ids_in(session, Contact.id, wanted))
    if tagged is not None:
        query = query.where(Contact.id.in_(tagged))
    # Core, not the ORM's result handling: plain rows.
    return list(conn.execute(query.order_by(Contact.sort_name, Contact.id)).all())


def _rest(
    session: Session, channel: Channel, tagged: Any, decided: int, reached: int
) -> dict[Reason, int]:
    """How many of the contacts not decided one by one have no consent (something to
    reach them by on the channel) and no contact point (nothing): all contacts counted in
    SQL less the *decided* ones, *reached* of which had something."""
    conn = session.connection()
    everyone = select(func.count()).select_from(Contact)
    if tagged is not None:
        everyone = everyone.where(Contact.id.in_(tagged))
    reachable = _reach_count(session, channel, tagged)
    unreachable = conn.execute(everyone).scalar_one() - reachable
    rest = {
        Reason.NO_CONSENT: reachable - reached,
        Reason.NO_CONTACT_POINT: unreachable - (decided - reached),
    }
    return {reason: n for reason, n in rest.items() if n}


def decide_list(
    session: Session,
    salt: str | None,
    rule: MarketingRule,
    rules: Mapping[str, MarketingRule],
    channel: Channel,
    today: dt.date,
    category: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    tag: int | None = None,
) -> ListDecisions:
    """The decision for every contact (of the tag *tag* when given): ``decide`` over each
    contact's subject for *channel*, as ``load_facts`` would give it, computed set-wise.

    Only the contacts whose decision can be other than "nothing to reach them by" or "no
    consent" are read and decided one by one (``rows``, ordered by name): those with a
    consent event that weighs (the channel's events of the rule's purpose and its opt-outs
    of the other active marketing purposes; ``decide`` ignores every other event), those
    to hash (their stored digest prefixes match the suppression list or an opt-out keyed
    by a point of the channel, or are not stored), and organisation addresses (reachable
    without consent). The others are counted in SQL (``rest``): with something to reach
    them by on the channel, no consent; without, no contact point.

    *progress* is told ``(done, 2 * count)`` (count: the contacts decided one by one);
    may raise to stop.
    """
    tagged = None
    if tag is not None:
        tagged = select(ContactTag.contact_id).where(ContactTag.tag_id == tag)
    suppressed = set(session.scalars(select(Suppression.digest)))
    events, by_point, relevant = _list_events(session, rule, rules, channel)
    check = _to_check(session, salt, bool(suppressed), bool(by_point), relevant, channel)
    organisation = ContactKind.ORGANISATION_ADDRESS.value
    contacts = _candidates(session, set(events) | check, tagged)
    points = _ListPoints(session, channel, [row[0] for row in contacts], check)
    channels = (channel,)
    no_consent = Decision(Reason.NO_CONSENT)
    nothing = Decision(Reason.NO_CONTACT_POINT)
    is_suppressed = Decision(Reason.SUPPRESSED)
    result = []
    reached = 0
    total = 2 * len(contacts)
    for number, contact in enumerate(contacts):
        if progress is not None and number % PROGRESS_STEP == 0:
            progress(number, total)
        # Unpacked: a row's values by name cost a call each.
        (cid, kind, _f, _l, _o, _g, street, postcode, city, _c, relation, ended, sid) = contact
        values = contact
        reach = points.of(cid, street, postcode, city, sid)
        if not reach:
            result.append(ListRow(cid, values, nothing))
            continue
        reached += 1
        shared: list[tuple[int | None, ConsentFact]] = []
        if cid in check:
            # Hashed as the rules hash: the stored prefixes only said it might match.
            email_points = tuple(points.emails.get(cid, ()))
            phone_points = tuple(points.phones.get(cid, ()))
            if suppressed and (
                _suppression_digests(salt, contact, email_points, phone_points) & suppressed
            ):
                result.append(ListRow(cid, values, is_suppressed))
                continue
            keys = _digests(salt, contact, email_points, phone_points, channels)[channel]
            shared = [pair for digest in keys for pair in by_point.get(digest, ())]
        own = events.get(cid, [])
        if shared:
            own = own + [fact for owner, fact in shared if owner != cid]
        if not own:
            decision = (
                Decision(Reason.ORGANISATION_ADDRESS, None, reach[0])
                if kind == organisation
                else no_consent
            )
            result.append(ListRow(cid, values, decision))
            continue
        if len(own) == 1:
            quick = _one_event(own[0], rule, today, reach, kind == organisation)
            if quick is not None:
                result.append(ListRow(cid, values, quick))
                continue
        subject = MarketingSubject(
            kind=ContactKind(kind),
            relationship=Relationship(relation),
            relationship_end=ended,
            points=reach,
            suppressed=False,
            events=tuple(own),
        )
        result.append(ListRow(cid, values, decide(subject, rule, channel, today, category, rules)))
    return ListDecisions(result, _rest(session, channel, tagged, len(contacts), reached))


def _one_event(
    event: ConsentFact,
    rule: MarketingRule,
    today: dt.date,
    points: tuple[ContactPoint, ...],
    organisation: bool,
) -> Decision | None:
    """``decide`` for a contact with points, not suppressed, whose only event that weighs
    is *event* (of the rule's purpose, or an opt-out of another marketing purpose: it
    counts as one of the rule's, ``channel_state``); None for soft opt-in's own checks
    (the caller asks ``decide``). The latest event decides: here, the one."""
    if event.purpose != rule.code:
        event = ConsentFact(
            rule.code,
            event.channel,
            event.status,
            event.recorded_at,
            event.expires_on,
            event.method,
            event.product_category,
        )
    status: ConsentStatus | None = event.status
    expired = False
    expires = event.expires_on
    if status is not ConsentStatus.OPT_OUT and expires is not None and expires < today:
        status, expired = None, True
    if status is ConsentStatus.OPT_OUT:
        return Decision(Reason.OPTED_OUT, event)
    if organisation:
        return Decision(Reason.ORGANISATION_ADDRESS, event, points[0])
    if status is ConsentStatus.OPT_IN:
        return Decision(Reason.OPTED_IN, event, points[0])
    if rule.needs_opt_in or status is None:
        return Decision(Reason.EXPIRED if expired else Reason.NO_CONSENT, event)
    return None


#: The kind of digest an opt-out on each channel is keyed by (``point_digest``).
_POINT_KIND = {
    Channel.EMAIL: HashKind.EMAIL,
    Channel.PHONE: HashKind.PHONE,
    Channel.SMS: HashKind.PHONE,
    Channel.POST: HashKind.NAME_POSTCODE,
}


def _to_check(
    session: Session,
    salt: str | None,
    suppression: bool,
    keyed: bool,
    relevant: Select[Any],
    channel: Channel,
) -> set[int]:
    """The contacts to hash (the rest is neither suppressed nor shares a keyed opt-out):
    those whose stored digests are not complete (changed since the last list, or by
    another session since), and those with a stored digest prefix on the suppression
    list or among the opt-outs keyed by a point of the channel (a prefix may match by
    chance: hashing decides)."""
    if salt is None or not (suppression or keyed):
        return set()
    conn = session.connection()
    check = set(contact_digests.stale_contacts(conn, key_fingerprint(salt)))
    prefix = contact_digests.PREFIX
    if suppression:
        listed = select(ContactDigest.contact_id).join(
            Suppression, ContactDigest.digest == func.substr(Suppression.digest, 1, prefix)
        )
        check.update(conn.execute(listed).scalars())
    if keyed:
        assert relevant.whereclause is not None
        opt_outs = (
            select(ContactDigest.contact_id)
            .select_from(ConsentEvent)
            .join(
                ContactDigest,
                ContactDigest.digest == func.substr(ConsentEvent.contact_point_hash, 1, prefix),
            )
            .where(
                relevant.whereclause,
                ContactDigest.kind == _POINT_KIND[channel].value,
                ContactDigest.point.is_(True),
                ConsentEvent.contact_point_hash != "",
                ConsentEvent.status == ConsentStatus.OPT_OUT.value,
            )
        )
        check.update(conn.execute(opt_outs).scalars())
    return check


class _ListPoints:
    """The contact points a list needs of the contacts it decides one by one, read in one
    query per table: the channel's, and the e-mail addresses and numbers of those to hash
    when suppression is to be checked."""

    def __init__(
        self, session: Session, channel: Channel, ids: list[int], hashing: set[int]
    ) -> None:
        self.channel = channel
        sale = SourceKind.SALE.value
        self.sale_sources = set(session.scalars(select(Source.id).where(Source.kind == sale)))
        self.emails: dict[int, list[ContactPoint]] = {}
        self.phones: dict[int, list[ContactPoint]] = {}
        self.street_source: dict[int, int] = {}
        to_hash = sorted(hashing.intersection(ids))
        if to_hash or channel is Channel.EMAIL:
            only = ids if channel is Channel.EMAIL else to_hash
            self._read(session, ContactEmail.address, ContactEmail, self.emails, only)
        if to_hash or channel in (Channel.PHONE, Channel.SMS):
            only = ids if channel in (Channel.PHONE, Channel.SMS) else to_hash
            self._read(session, ContactPhone.number, ContactPhone, self.phones, only)
        if channel is Channel.POST and ids:
            street = select(FieldProvenance.contact_id, FieldProvenance.source_id).where(
                FieldProvenance.field == "street",
                _ids_in(session, FieldProvenance.contact_id, ids),
            )
            self.street_source = dict(session.connection().execute(street).tuples().all())

    def _read(
        self,
        session: Session,
        value: Any,
        table: type[ContactEmail] | type[ContactPhone],
        into: dict[int, list[ContactPoint]],
        only: list[int],
    ) -> None:
        """Read the points of the contacts in *only* (one parameter: ``_ids_in``)."""
        if not only:
            return
        query = (
            select(table.contact_id, value, table.source_id)
            .where(_ids_in(session, table.contact_id, only))
            .order_by(table.contact_id, table.position)
        )
        sales = self.sale_sources
        for cid, text_value, sid in session.connection().execute(query).all():
            into.setdefault(cid, []).append(ContactPoint(text_value, sid in sales))

    def of(
        self, cid: int, street: str, postcode: str, city: str, source_id: int | None
    ) -> tuple[ContactPoint, ...]:
        """The contact's points on the list's channel (as ``load_facts`` gives them)."""
        if self.channel is Channel.EMAIL:
            return tuple(self.emails.get(cid, ()))
        if self.channel is not Channel.POST:
            return tuple(self.phones.get(cid, ()))
        if not (street and city):
            return ()
        address = ", ".join(p for p in (street, f"{postcode} {city}".strip()) if p)
        sid = self.street_source.get(cid, source_id)
        return (ContactPoint(address, sid in self.sale_sources),)


def _list_events(
    session: Session, rule: MarketingRule, rules: Mapping[str, MarketingRule], channel: Channel
) -> tuple[
    dict[int, list[ConsentFact]],
    dict[str, list[tuple[int | None, ConsentFact]]],
    Select[Any],
]:
    """The events that can weigh in *rule*'s decision on *channel*, by contact, and the
    opt-outs among them keyed by a contact point: the channel's events of the purpose and
    its opt-outs of the other active marketing purposes (``channel_state``)."""
    codes = dict(session.execute(select(Purpose.id, Purpose.code)).tuples().all())
    counted = [pid for pid, code in codes.items() if code in rules]
    own_id = next((pid for pid, code in codes.items() if code == rule.code), None)
    weighs = (ConsentEvent.purpose_id == own_id) | (
        ConsentEvent.status == ConsentStatus.OPT_OUT.value
    )
    relevant = select(*_EVENT_COLUMNS).where(
        ConsentEvent.channel == channel.value, ConsentEvent.purpose_id.in_(counted), weighs
    )
    events: dict[int, list[ConsentFact]] = {}
    own = relevant.where(ConsentEvent.contact_id.is_not(None))
    # Events alike but for their contact (a form, an import) share one fact: made once.
    made: dict[tuple[Any, ...], ConsentFact] = {}
    for row in session.connection().execute(own).all():
        key = tuple(row[2:])
        fact = made.get(key)
        if fact is None:
            fact = made[key] = _fact(row, codes)
        events.setdefault(row[0], []).append(fact)
    by_point: dict[str, list[tuple[int | None, ConsentFact]]] = {}
    keyed = relevant.where(
        ConsentEvent.contact_point_hash != "", ConsentEvent.status == ConsentStatus.OPT_OUT.value
    )
    for row in session.connection().execute(keyed):
        by_point.setdefault(row[1], []).append((row[0], _fact(row, codes)))
    return events, by_point, relevant
