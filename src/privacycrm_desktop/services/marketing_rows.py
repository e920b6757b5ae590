"""What a card's facts and a marketing list both read: plain rows and digests.

The contact and consent-event columns both select (plain rows, read by position: a list
reads tens of thousands), a consent event's fact from such a row, the suppression digests
of a contact's points, and a list of ids bound as one parameter. ``marketing_facts`` puts
one contact's facts together for a card, ``marketing_list`` decides a whole list set-wise.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import ARRAY, Integer, any_, bindparam, func, select
from sqlalchemy.orm import Session

from privacycrm_desktop.domain.consent import Channel, ConsentFact, ConsentMethod, ConsentStatus
from privacycrm_desktop.domain.marketing import ContactPoint
from privacycrm_desktop.domain.suppression import (
    HashKind,
    candidate_digests,
    name_postcode,
    suppression_digest,
)
from privacycrm_desktop.persistence.models import ConsentEvent, Contact

_CHANNEL_OF: dict[str, Channel] = {c.value: c for c in Channel}
_STATUS_OF: dict[str, ConsentStatus] = {s.value: s for s in ConsentStatus}
_METHOD_OF: dict[str, ConsentMethod] = {m.value: m for m in ConsentMethod}


def event_fact(row: Any, codes: dict[int, str]) -> ConsentFact:
    """A consent event's fact, from a row of ``EVENT_COLUMNS`` (plain: not an ORM object;
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
EVENT_COLUMNS = (
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


CONTACT_COLUMNS = (
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
CHANNELS = tuple(Channel)


#: Report progress once per this many contacts (often enough for a bar, cheap).
PROGRESS_STEP = 500


NO_DIGESTS: dict[Channel, set[str]] = {c: set() for c in Channel}


def channel_digests(
    salt: str | None,
    contact: Any,
    email_points: tuple[ContactPoint, ...],
    phone_points: tuple[ContactPoint, ...],
    channels: tuple[Channel, ...] = CHANNELS,
) -> dict[Channel, set[str]]:
    """The suppression digests of a contact's points, per channel (of *channels* only:
    the others stay empty, a list is about one channel)."""
    digests: dict[Channel, set[str]] = {c: set() for c in CHANNELS}
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


def suppression_candidates(
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


def ids_in(session: Session, column: Any, ids: list[int] | list[str], kind: Any = None) -> Any:
    """``column IN (ids)`` with the ids as one parameter: a JSON array on SQLite
    (``json_each``), an array (of *kind*, default integers) on PostgreSQL (``unnest``)."""
    return column.in_(ids_select(session, ids, kind))


def ids_select(session: Session, ids: list[int] | list[str], kind: Any = None) -> Any:
    """A select of *ids*, bound as one parameter (as ``ids_in``)."""
    if session.get_bind().dialect.name == "postgresql":
        array = ARRAY(Integer() if kind is None else kind)
        return select(func.unnest(bindparam(None, ids, type_=array)))
    each = func.json_each(bindparam(None, json.dumps(ids))).table_valued("value")
    return select(each.c.value)


def ids_any(session: Session, column: Any, ids: list[int]) -> Any:
    """``column`` is one of *ids* (bound as one parameter): on PostgreSQL
    ``= ANY(array)``, which the planner may answer with one pass over the table (a
    tenth of it in a list: quicker than an index look-up an id), else as ``ids_in``."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, ids, type_=ARRAY(Integer())))
    return ids_in(session, column, ids)
