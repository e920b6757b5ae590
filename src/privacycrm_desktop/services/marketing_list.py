"""A marketing list's decisions, set-wise: ``decide_list`` and the SQL reads it stands on.

The same decision ``decide`` gives for each contact's subject on the list's channel, as
``marketing_facts.load_facts`` would give it, without reading every contact: the stored
digest prefixes (ContactDigest, persistence/contact_digests.py) say which contacts to hash;
only those, the contacts with a consent event that weighs and the organisation addresses
are read and decided one by one, the others are counted in SQL (no consent, or nothing to
reach them by). ``services.marketing`` builds and exports the list from these rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from typing import Any, NamedTuple

from sqlalchemy import Select, func, or_, select, text, union_all
from sqlalchemy.orm import Session

from privacycrm_desktop.domain.consent import Channel, ConsentFact, ConsentStatus
from privacycrm_desktop.domain.contacts import ContactKind, Relationship
from privacycrm_desktop.domain.marketing import (
    REACHABLE_REASONS,
    ContactPoint,
    MarketingRule,
    MarketingSubject,
    Reason,
    decide,
)
from privacycrm_desktop.domain.provenance import SourceKind
from privacycrm_desktop.domain.suppression import HashKind, key_fingerprint
from privacycrm_desktop.persistence import contact_digests
from privacycrm_desktop.persistence.digest_models import ContactDigest
from privacycrm_desktop.persistence.models import (
    ORGANISATION_ADDRESS_WHERE,
    ConsentEvent,
    Contact,
    ContactEmail,
    ContactPhone,
    ContactTag,
    FieldProvenance,
    Purpose,
    Source,
    Suppression,
)
from privacycrm_desktop.services.marketing_rows import (
    CONTACT_COLUMNS,
    EVENT_COLUMNS,
    PROGRESS_STEP,
    channel_digests,
    event_fact,
    ids_any,
    ids_in,
    ids_select,
    suppression_candidates,
)


class ListRow(NamedTuple):
    """One contact of a marketing list with its decision on the list's channel, flat: the
    reason, the event it rests on, the value of the contact point it reaches (None when
    not reachable) and the categories (soft opt-in). Flat, not a ``Decision`` and a
    ``ContactPoint`` per contact: a list makes tens of thousands."""

    id: int
    contact: Any
    reason: Reason
    event: ConsentFact | None
    point: str | None
    categories: tuple[str, ...]

    @property
    def values(self) -> dict[str, str]:
        """The contact's plain values for list columns (as ``ContactFacts.values``), those
        its row holds (``_candidates``)."""
        held = self.contact._fields
        return {column: getattr(self.contact, column) for column in VALUE_COLUMNS if column in held}

    @property
    def reachable(self) -> bool:
        """True when the contact may receive the list's marketing (``Decision.reachable``)."""
        return self.reason in REACHABLE_REASONS


#: Where each contact column is in a row of ``CONTACT_COLUMNS`` (rows are read by
#: position: by name costs a call each).
CONTACT_INDEX = {column.key: i for i, column in enumerate(CONTACT_COLUMNS)}

#: How many of ``CONTACT_COLUMNS`` a list's row holds but on post: id, kind, the name,
#: the organisation and the language (what an e-mail, phone or SMS list shows).
_LEAN = 6

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


def _candidates(session: Session, channel: Channel, ids: set[int], tagged: Any) -> list[Any]:
    """The contact rows of *ids* and of every organisation address (of *tagged*, a select
    of ids, when given), ordered by name: the first columns of ``CONTACT_COLUMNS``, those a
    list on *channel* shows (a postal list, all: its address and where it came from); one
    statement, the organisation addresses found by their partial index (by its literal
    condition: a bound value would not use it)."""
    columns = CONTACT_COLUMNS if channel is Channel.POST else CONTACT_COLUMNS[:_LEAN]
    if session.get_bind().dialect.name == "postgresql":
        wanted = or_(ids_any(session, Contact.id, list(ids)), text(ORGANISATION_ADDRESS_WHERE))
    else:
        organisations = select(Contact.id).where(text(ORGANISATION_ADDRESS_WHERE))
        wanted = Contact.id.in_(union_all(ids_select(session, list(ids)), organisations))
    query = select(*columns).where(wanted)
    if tagged is not None:
        query = query.where(Contact.id.in_(tagged))
    # Core, not the ORM's result handling: plain rows.
    return list(session.connection().execute(query.order_by(Contact.sort_name, Contact.id)).all())


def _first_points(session: Session, channel: Channel, contacts: list[Any]) -> dict[int, str]:
    """The first point on *channel* of each of *contacts* (their rows) that has one: an
    address or number by position, a postal address."""
    if channel is Channel.POST:
        found = ((row[0], postal_address(row.street, row.postcode, row.city)) for row in contacts)
        return {cid: address for cid, address in found if address}
    table = ContactEmail if channel is Channel.EMAIL else ContactPhone
    value = ContactEmail.address if channel is Channel.EMAIL else ContactPhone.number
    query = (
        select(table.contact_id, value)
        .where(ids_any(session, table.contact_id, [row[0] for row in contacts]))
        .order_by(table.contact_id, table.position.desc(), table.id.desc())
    )
    # A contact's last pair is its first point: ``dict`` keeps it, without a call a row
    # (over all the rows at once: iterating a result fetches them one at a time).
    return dict(session.connection().execute(query).tuples().all())


def postal_address(street: str, postcode: str, city: str) -> str:
    """The postal address a list reaches (as ``load_facts`` makes it); "" without a
    street or a city."""
    if not (street and city):
        return ""
    return ", ".join(p for p in (street, f"{postcode} {city}".strip()) if p)


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
    *,
    stale: list[int] | None = None,
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
    may raise to stop. *stale*: the contacts whose stored digests are stale, when the
    caller looked in this read already (else the list looks when it needs them).

    Read lean: the rows hold the columns the channel's list shows, and the first point on
    the channel; the contacts the rules look at closer (to hash, several events, soft
    opt-in) are read whole with all their points afterwards (``_closer``).
    """
    tagged = None
    if tag is not None:
        tagged = select(ContactTag.contact_id).where(ContactTag.tag_id == tag)
    suppressed = set(session.scalars(select(Suppression.digest)))
    events, by_point, relevant = _list_events(session, rule, rules, channel)
    check = _to_check(session, salt, bool(suppressed), bool(by_point), relevant, channel, stale)
    organisation = ContactKind.ORGANISATION_ADDRESS.value
    contacts = _candidates(session, channel, set(events) | check, tagged)
    first_point = _first_points(session, channel, contacts)
    # Rows are made as tuples (a NamedTuple's own constructor costs a call a contact).
    row_of = tuple.__new__
    result: list[ListRow] = []
    add = result.append
    closer: list[int] = []  # where in ``result`` a contact waits to be looked at closer
    reached = 0
    total = 2 * len(contacts)
    for number, contact in enumerate(contacts):
        if progress is not None and number % PROGRESS_STEP == 0:
            progress(number, total)
        cid = contact[0]
        first = first_point.get(cid)
        if first is None:
            add(row_of(ListRow, (cid, contact, Reason.NO_CONTACT_POINT, None, None, ())))
            continue
        reached += 1
        own = events.get(cid)
        if cid in check or (own is not None and len(own) > 1):
            closer.append(len(result))
            add(row_of(ListRow, (cid, contact, Reason.NO_CONSENT, None, None, ())))
            continue
        if own is None:
            if contact[1] == organisation:
                add(row_of(ListRow, (cid, contact, Reason.ORGANISATION_ADDRESS, None, first, ())))
            else:
                add(row_of(ListRow, (cid, contact, Reason.NO_CONSENT, None, None, ())))
            continue
        quick = _one_event(own[0], rule, today, contact[1] == organisation)
        if quick is None:
            closer.append(len(result))
            add(row_of(ListRow, (cid, contact, Reason.NO_CONSENT, None, None, ())))
            continue
        point = first if quick[0] in REACHABLE_REASONS else None
        add(row_of(ListRow, (cid, contact, quick[0], quick[1], point, ())))
    if closer:
        look = _Closer(session, channel, [result[i][0] for i in closer], check)
        for i in closer:
            cid, contact = result[i][:2]
            decided = look.decide(
                cid, events.get(cid), salt, suppressed, by_point, rule, rules, today, category
            )
            result[i] = row_of(ListRow, (cid, contact, *decided))
    return ListDecisions(result, _rest(session, channel, tagged, len(contacts), reached))


def _one_event(
    event: ConsentFact, rule: MarketingRule, today: dt.date, organisation: bool
) -> tuple[Reason, ConsentFact] | None:
    """``decide`` (its reason and event) for a contact with points, not suppressed, whose
    only event that weighs is *event* (of the rule's purpose, or an opt-out of another
    marketing purpose: it counts as one of the rule's, ``channel_state``); None for soft
    opt-in's own checks (the caller asks ``decide``). The latest event decides: here, the
    one."""
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
        return Reason.OPTED_OUT, event
    if organisation:
        return Reason.ORGANISATION_ADDRESS, event
    if status is ConsentStatus.OPT_IN:
        return Reason.OPTED_IN, event
    if rule.needs_opt_in or status is None:
        return (Reason.EXPIRED if expired else Reason.NO_CONSENT), event
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
    stale: list[int] | None = None,
) -> set[int]:
    """The contacts to hash (the rest is neither suppressed nor shares a keyed opt-out):
    those whose stored digests are not complete (changed since the last list, or by
    another session since), and those with a stored digest prefix on the suppression
    list or among the opt-outs keyed by a point of the channel (a prefix may match by
    chance: hashing decides)."""
    if salt is None or not (suppression or keyed):
        return set()
    conn = session.connection()
    if stale is None:
        stale = contact_digests.stale_contacts(conn, key_fingerprint(salt))
    check = set(stale)
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


class _Closer:
    """The contacts a list looks at closer, read whole (``CONTACT_COLUMNS``) with every
    point the rules need, in one query per table: the channel's (with the kind of source
    each came from), and the e-mail addresses and numbers of those to hash when
    suppression is to be checked."""

    def __init__(
        self, session: Session, channel: Channel, ids: list[int], hashing: set[int]
    ) -> None:
        self.channel = channel
        self.hashing = hashing
        conn = session.connection()
        sale = SourceKind.SALE.value
        self.sale_sources = set(session.scalars(select(Source.id).where(Source.kind == sale)))
        whole = select(*CONTACT_COLUMNS).where(ids_in(session, Contact.id, ids))
        self.rows = {row[0]: row for row in conn.execute(whole)}
        self.emails: dict[int, list[tuple[str, int | None]]] = {}
        self.phones: dict[int, list[tuple[str, int | None]]] = {}
        self.street_source: dict[int, int] = {}
        to_hash = sorted(hashing.intersection(ids))
        if to_hash or channel is Channel.EMAIL:
            only = ids if channel is Channel.EMAIL else to_hash
            self._read(session, ContactEmail.address, ContactEmail, self.emails, only)
        if to_hash or channel in (Channel.PHONE, Channel.SMS):
            only = ids if channel in (Channel.PHONE, Channel.SMS) else to_hash
            self._read(session, ContactPhone.number, ContactPhone, self.phones, only)
        if channel is Channel.POST:
            street = select(FieldProvenance.contact_id, FieldProvenance.source_id).where(
                FieldProvenance.field == "street",
                ids_in(session, FieldProvenance.contact_id, ids),
            )
            self.street_source = dict(conn.execute(street).tuples().all())

    @staticmethod
    def _read(
        session: Session,
        value: Any,
        table: type[ContactEmail] | type[ContactPhone],
        into: dict[int, list[tuple[str, int | None]]],
        only: list[int],
    ) -> None:
        """Read the points of the contacts in *only* (one parameter: ``ids_in``)."""
        if not only:
            return
        query = (
            select(table.contact_id, value, table.source_id)
            .where(ids_in(session, table.contact_id, only))
            .order_by(table.contact_id, table.position)
        )
        for cid, text_value, sid in session.connection().execute(query).tuples():
            into.setdefault(cid, []).append((text_value, sid))

    def points(self, pairs: Iterable[tuple[str, int | None]]) -> tuple[ContactPoint, ...]:
        """The points of (value, source id) pairs, as ``load_facts`` gives them."""
        sales = self.sale_sources
        return tuple(ContactPoint(value, sid in sales) for value, sid in pairs)

    def reach(self, cid: int, contact: Any) -> tuple[ContactPoint, ...]:
        """The contact's points on the list's channel (as ``load_facts`` gives them)."""
        if self.channel is Channel.EMAIL:
            return self.points(self.emails.get(cid, ()))
        if self.channel is not Channel.POST:
            return self.points(self.phones.get(cid, ()))
        address = postal_address(contact.street, contact.postcode, contact.city)
        sid = self.street_source.get(cid, contact.source_id)
        return (ContactPoint(address, sid in self.sale_sources),) if address else ()

    def decide(
        self,
        cid: int,
        own: list[ConsentFact] | None,
        salt: str | None,
        suppressed: set[str],
        by_point: Mapping[str, list[tuple[int | None, ConsentFact]]],
        rule: MarketingRule,
        rules: Mapping[str, MarketingRule],
        today: dt.date,
        category: str | None,
    ) -> tuple[Reason, ConsentFact | None, str | None, tuple[str, ...]]:
        """``decide`` for a contact with points: its reason, event, point and categories."""
        contact, channel = self.rows[cid], self.channel
        facts = list(own or ())
        if cid in self.hashing:
            # Hashed as the rules hash: the stored prefixes only said it might match.
            email_points = self.points(self.emails.get(cid, ()))
            phone_points = self.points(self.phones.get(cid, ()))
            if suppressed and not suppressed.isdisjoint(
                suppression_candidates(salt, contact, email_points, phone_points)
            ):
                return Reason.SUPPRESSED, None, None, ()
            keys = channel_digests(salt, contact, email_points, phone_points, (channel,))
            facts += [f for d in keys[channel] for o, f in by_point.get(d, ()) if o != cid]
        reach = self.reach(cid, contact)
        if not facts:
            if contact.kind == ContactKind.ORGANISATION_ADDRESS.value:
                return Reason.ORGANISATION_ADDRESS, None, reach[0].value, ()
            return Reason.NO_CONSENT, None, None, ()
        subject = MarketingSubject(
            kind=ContactKind(contact.kind),
            relationship=Relationship(contact.relationship),
            relationship_end=contact.relationship_end,
            points=reach,
            suppressed=False,
            events=tuple(facts),
        )
        found = decide(subject, rule, channel, today, category, rules)
        point = found.point.value if found.point is not None else None
        return found.reason, found.event, point, found.categories


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
    relevant = select(*EVENT_COLUMNS).where(
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
            fact = made[key] = event_fact(row, codes)
        events.setdefault(row[0], []).append(fact)
    by_point: dict[str, list[tuple[int | None, ConsentFact]]] = {}
    keyed = relevant.where(
        ConsentEvent.contact_point_hash != "", ConsentEvent.status == ConsentStatus.OPT_OUT.value
    )
    for row in session.connection().execute(keyed):
        by_point.setdefault(row[1], []).append((row[0], event_fact(row, codes)))
    return events, by_point, relevant
