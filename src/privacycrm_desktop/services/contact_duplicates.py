"""The editor's duplicate check while typing: stored contacts that share a key with the form.

The keys are ``domain.duplicates``' (an e-mail address, a mobile number, a name with a
postcode), found with the same indexed look-ups an import uses (the e-mail address
case-insensitively, the number in E.164 form, the name by its sort key). A value still
being typed that cannot be read yet (half an address, a short number) is left out: the
check runs again on the next pause in typing.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from privacycrm_desktop.domain.access import FieldAccess
from privacycrm_desktop.domain.contacts import ContactInput, display_name
from privacycrm_desktop.domain.duplicates import MatchKind, Person, match_keys, person
from privacycrm_desktop.domain.normalize import (
    DEFAULT_REGION,
    InvalidValue,
    normalise_email,
    normalise_phone,
    sort_name,
)
from privacycrm_desktop.persistence.dialect import nocase
from privacycrm_desktop.persistence.models import Contact, ContactEmail, ContactPhone

#: The keys the editor warns about, in the order it names them.
EDITOR_KEYS = (MatchKind.EMAIL, MatchKind.MOBILE, MatchKind.NAME_POSTCODE)
#: At most this many stored contacts are named in a warning.
MAX_HITS = 5


@dataclass(frozen=True)
class DuplicateHit:
    """A stored contact that shares a key with the form."""

    contact_id: int
    #: The name as the list shows it; empty when the user's role may not read names.
    name: str
    kind: MatchKind
    #: The shared value (the address or number as stored), for the warning.
    value: str
    #: The same name (every word, in any order) as the form.
    same_name: bool


def _readable(email: str) -> str | None:
    try:
        return normalise_email(email)
    except InvalidValue:
        return None


def _number(phone: str, region: str) -> str | None:
    try:
        return normalise_phone(phone, region)
    except InvalidValue:
        return None


def person_of_form(data: ContactInput) -> Person:
    """The comparable form of what the editor holds, leaving out values not readable yet."""
    country = (data.country or "").strip().upper()
    region = country if len(country) == 2 and country.isalpha() else DEFAULT_REGION
    emails = [e for e in (_readable(x) for x in data.emails) if e]
    phones = [p for p in (_number(x, region) for x in data.phones) if p]
    return person(
        data.first_name,
        data.last_name,
        data.organisation,
        emails,
        phones,
        data.postcode,
        data.city,
        data.street,
    )


def find_duplicates(
    session: Session,
    access: dict[str, FieldAccess],
    data: ContactInput,
    contact_id: int | None = None,
) -> list[DuplicateHit]:
    """Stored contacts (other than *contact_id*) sharing an e-mail address, a mobile number
    or the name with the postcode with *data*; by key kind, then by id."""
    who = person_of_form(data)
    wanted = {key for key in match_keys(who) if key[0] in EDITOR_KEYS}
    if not wanted:
        return []
    emails = sorted(v for k, v in wanted if k is MatchKind.EMAIL)
    mobiles = sorted(v for k, v in wanted if k is MatchKind.MOBILE)
    ids: set[int] = set()
    if emails:
        ids.update(
            session.scalars(
                select(ContactEmail.contact_id).where(nocase(ContactEmail.address).in_(emails))
            )
        )
    if mobiles:
        ids.update(
            session.scalars(select(ContactPhone.contact_id).where(ContactPhone.number.in_(mobiles)))
        )
    if any(k is MatchKind.NAME_POSTCODE for k, _v in wanted):
        key = sort_name(data.last_name.strip(), data.first_name.strip(), data.organisation)
        ids.update(session.scalars(select(Contact.id).where(Contact.sort_name == key)))
    if contact_id is not None:
        ids.discard(contact_id)
    if not ids:
        return []
    # The import's reading of stored contacts, so both sides make their keys alike (late:
    # the import package is heavy and this runs only once the user types).
    from privacycrm_desktop.services.imports.analyse import stored_people

    people = stored_people(session, sorted(ids))
    names_readable = all(
        access.get(f, FieldAccess.HIDDEN) in (FieldAccess.READ, FieldAccess.WRITE)
        for f in ("first_name", "last_name", "organisation")
    )
    names: dict[int, str] = {}
    if names_readable:
        rows = session.execute(
            select(Contact.id, Contact.first_name, Contact.last_name, Contact.organisation).where(
                Contact.id.in_(people)
            )
        ).tuples()
        names = {cid: display_name(first, last, org) for cid, first, last, org in rows}
    hits: list[DuplicateHit] = []
    for cid, theirs in people.items():
        shared = [key for key in match_keys(theirs) if key in wanted]
        if not shared:
            continue
        kind, value = min(shared, key=lambda key: EDITOR_KEYS.index(key[0]))
        hits.append(
            DuplicateHit(
                contact_id=cid,
                name=names.get(cid, ""),
                kind=kind,
                value=value,
                same_name=bool(who.name) and who.name == theirs.name,
            )
        )
    hits.sort(key=lambda hit: (EDITOR_KEYS.index(hit.kind), hit.contact_id))
    return hits[:MAX_HITS]


__all__ = ["EDITOR_KEYS", "DuplicateHit", "find_duplicates", "person_of_form"]
