"""When two records are one person: the keys that identify a person, and the check that
the rest of the two records does not say otherwise.

A key identifies a person only if two different people do not share it in ordinary life:
an e-mail address, a mobile number, a name with a postcode, with an organisation or with
a phone number, an organisation address's organisation. A landline or switchboard number
alone is no key (two colleagues share it). A key finds a candidate; ``same_person`` then
decides: names that differ, birth dates that differ, or e-mail addresses (or mobile
numbers, when no e-mail address is shared) that have nothing in common mean two people,
whatever key they share, unless the same full name comes with the same mobile number or
postcode (a person with a new e-mail address). A key shared with several contacts that
each could be the row's person finds none of them (``services.imports`` imports the row
on its own, to be looked at).
A missed duplicate can be merged later by hand; one person's data attached to another
cannot be undone without the person noticing.

The suppression list (``domain.suppression``) is another matter and keeps every number:
an erased person must be recognised by any point of theirs.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from privacycrm_desktop.domain.normalize import fold

#: Belgian mobile numbers (phonenumbers' BE metadata: ``4[5-9]\d{7}`` after +32); the
#: short cut spares parsing most numbers of a Belgian file again.
_BELGIAN_MOBILE = re.compile(r"\+324[5-9]\d{7}")
_WORDS = re.compile(r"\w+")
#: A North-American number of the 555 exchange (films and test files): made up.
MADE_UP_NUMBER = re.compile(r"\+1\d{3}555\d{4}")
#: How people write the @ when they do not type it ("jan (at) example.be").
_AT_WORD = re.compile(r"[\s(\[{]at[\s)\]}]", re.IGNORECASE)


class MatchKind(StrEnum):
    """What a duplicate key is made of."""

    EMAIL = "email"
    MOBILE = "mobile"
    NAME_POSTCODE = "name_postcode"
    NAME_ORGANISATION = "name_organisation"
    NAME_PHONE = "name_phone"
    #: A name and nothing else that identifies (no e-mail, phone, postcode, organisation).
    NAME = "name"
    #: The organisation of a contact without a person's name (an organisation address).
    ORGANISATION = "organisation"
    #: Our own export's UID: the file names the contact (never made by ``match_keys``).
    UID = "uid"


MatchKey = tuple[MatchKind, str]


@functools.lru_cache(maxsize=65_536)
def is_mobile(e164: str) -> bool:
    """Is the number a mobile (or personal) number, i.e. one person's?

    phonenumbers' FIXED_LINE_OR_MOBILE (the United States, Canada, China...: the numbering
    plan does not tell) counts as not a mobile: such a number may be a switchboard, and a
    missed duplicate is cheaper than two people made one. A number that is not in E.164
    form (kept as typed) is no mobile either.
    """
    if e164.startswith("+32"):
        return _BELGIAN_MOBILE.fullmatch(e164) is not None
    if not e164.startswith("+"):
        return False
    import phonenumbers

    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return False
    kind = phonenumbers.number_type(number)
    return kind in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.PERSONAL_NUMBER,
    )


def name_words(first_name: str, last_name: str) -> tuple[str, ...]:
    """The folded words of a name, sorted (so first and last name may be swapped)."""
    return tuple(sorted(_WORDS.findall(fold(f"{first_name} {last_name}"))))


@dataclass(frozen=True)
class Person:
    """What tells one person from another, in comparable form."""

    name: tuple[str, ...] = ()
    organisation: str = ""
    emails: frozenset[str] = frozenset()
    phones: tuple[str, ...] = ()
    mobiles: frozenset[str] = frozenset()
    postcode: str = ""
    city: str = ""
    street: str = ""
    birth_date: dt.date | None = None


def identifying_email(text: str) -> bool:
    """Does an e-mail value say whose it is? An address does, also one an import kept
    as typed ("jan at example.be", "zoe@example.invalid"): two people do not share it. A
    cell's filler does not ("n/a", "geen", "-"): it has no @, written or spelled out; nor
    half an address ("jan@", "@example.be"), which a whole file may hold alike."""
    local, at, domain = text.rpartition("@")
    if at:
        return bool(local.strip()) and bool(domain.strip())
    return _AT_WORD.search(text) is not None


def identifying_number(number: str) -> bool:
    """Does a phone value say whose it is? A number in E.164 form does, unless made up
    (555); a text kept as typed ("BusinessPhone", "(905) 555-1234") does not."""
    return number.startswith("+") and number[1:].isdigit() and not MADE_UP_NUMBER.fullmatch(number)


def person(
    first_name: str,
    last_name: str,
    organisation: str = "",
    emails: Iterable[str] = (),
    phones: Sequence[str] = (),
    postcode: str = "",
    city: str = "",
    street: str = "",
    birth_date: dt.date | None = None,
) -> Person:
    """A person's comparable form from the values a contact holds (phones in E.164).

    Only values that identify someone take part (``identifying_email``,
    ``identifying_number``), on a stored contact as on a row, so a contact compares alike
    with its own export whatever an import once kept as typed.
    """
    phones = tuple(
        dict.fromkeys(p for p in ("".join(p.split()) for p in phones) if identifying_number(p))
    )
    return Person(
        name=name_words(first_name, last_name),
        organisation=_organisation_form(organisation),
        emails=frozenset(e.strip().casefold() for e in emails if identifying_email(e)),
        phones=phones,
        mobiles=frozenset(p for p in phones if is_mobile(p)),
        postcode=_postcode_form(postcode),
        city=" ".join(fold(city).split()),
        street=" ".join(_WORDS.findall(fold(street))),
        birth_date=birth_date,
    )


def _organisation_form(organisation: str) -> str:
    return " ".join(fold(organisation).split())


def _postcode_form(postcode: str) -> str:
    return "".join(postcode.split()).upper()


def name_keys(
    first_name: str, last_name: str, organisation: str = "", postcode: str = ""
) -> list[MatchKey]:
    """The keys ``match_keys`` makes of a record's name (with its postcode or
    organisation), or of its organisation alone, as if it held no e-mail address or
    phone number: every key it can share with another record other than by a point."""
    name = " ".join(name_words(first_name, last_name))
    organisation = _organisation_form(organisation)
    if not name:
        return [(MatchKind.ORGANISATION, organisation)] if organisation else []
    postcode = _postcode_form(postcode)
    keys: list[MatchKey] = []
    if postcode:
        keys.append((MatchKind.NAME_POSTCODE, f"{name}|{postcode}"))
    if organisation:
        keys.append((MatchKind.NAME_ORGANISATION, f"{name}|{organisation}"))
    if not (postcode or organisation):
        keys.append((MatchKind.NAME, name))
    return keys


def match_keys(who: Person) -> list[MatchKey]:
    """The keys that may find another record of *who* (see the module's docstring)."""
    keys: list[MatchKey] = [(MatchKind.EMAIL, e) for e in sorted(who.emails)]
    keys += [(MatchKind.MOBILE, p) for p in who.phones if p in who.mobiles]
    if who.name:
        name = " ".join(who.name)
        if who.postcode:
            keys.append((MatchKind.NAME_POSTCODE, f"{name}|{who.postcode}"))
        if who.organisation:
            keys.append((MatchKind.NAME_ORGANISATION, f"{name}|{who.organisation}"))
        keys += [(MatchKind.NAME_PHONE, f"{name}|{p}") for p in who.phones]
        if not (who.emails or who.phones or who.postcode or who.organisation):
            keys.append((MatchKind.NAME, name))
    elif who.organisation:
        keys.append((MatchKind.ORGANISATION, who.organisation))
    return keys


def _words_agree(short: tuple[str, ...], long: tuple[str, ...]) -> bool:
    """Is every word of *short* in *long* (an initial standing for a word it starts, on
    either side)?"""
    rest = list(long)
    unmatched = []
    for word in short:
        if word in rest:
            rest.remove(word)
        else:
            unmatched.append(word)
    for word in unmatched:
        other = next(
            (
                w
                for w in rest
                if (len(word) == 1 and w.startswith(word)) or (len(w) == 1 and word.startswith(w))
            ),
            None,
        )
        if other is None:
            return False
        rest.remove(other)
    return True


def names_agree(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Can two names be one person's ("Jan Peeters", "J. Peeters", "Peeters")?"""
    if a == b:
        return True
    short, long = (a, b) if len(a) <= len(b) else (b, a)
    if short and min(map(len, long)) > 1:
        # Two people's names most often: a word of one missing from the other, and no
        # initial on the other side that could stand for it (none without a search).
        for word in short:
            if len(word) > 1 and word not in long:
                return False
    return _words_agree(short, long)


def _points_disagree(a: Person, b: Person) -> bool:
    """Sharing no e-mail address, both have e-mail addresses, or both have mobile numbers
    and share none. A person who changed their e-mail address is still found: the same
    full name with the same mobile number or postcode outweighs the new address."""
    if a.emails & b.emails:
        return False
    mobiles_differ = bool(a.mobiles and b.mobiles) and not a.mobiles & b.mobiles
    same_name = len(a.name) >= 2 and a.name == b.name
    if same_name and a.mobiles & b.mobiles:
        return False
    if (
        same_name
        and a.postcode
        and a.postcode == b.postcode
        and not mobiles_differ
        and not (a.street and b.street and a.street != b.street)
    ):
        # The same name at the same postcode, the mobile numbers and streets not saying
        # otherwise: a new e-mail address. Another mobile number or street: a namesake.
        return False
    if a.emails and b.emails:
        return True
    return mobiles_differ


def _organisations_disagree(a: Person, b: Person) -> bool:
    """Two nameless records (organisation addresses) of other organisations or numbers."""
    if a.name or b.name:
        return False
    if a.organisation and b.organisation and a.organisation != b.organisation:
        return True
    return bool(a.phones and b.phones) and not set(a.phones) & set(b.phones)


def _one_a_person_one_an_organisation(a: Person, b: Person) -> bool:
    """A person's record and an organisation's (no name, an organisation): never one,
    whatever address or number they share (a sales@ address, a switchboard)."""
    return bool(a.name) != bool(b.name) and bool((b if a.name else a).organisation)


def same_person(a: Person, b: Person, kind: MatchKind) -> bool:
    """Do two records that share a key of *kind* hold one person (nothing disagrees)?

    Our own export's UID names its contact whatever was edited in the file since (a move,
    a new address, a new name with the same e-mail address), unless the row is somebody
    else altogether: another name with no e-mail address or mobile number in common (a
    sheet sorted without its UID column, an export used as a template).
    """
    other_name = bool(a.name and b.name) and not names_agree(a.name, b.name)
    if kind is MatchKind.UID:
        shared = a.emails & b.emails or a.mobiles & b.mobiles
        return not _one_a_person_one_an_organisation(a, b) and (not other_name or bool(shared))
    if other_name or _one_a_person_one_an_organisation(a, b):
        return False
    if a.birth_date and b.birth_date and a.birth_date != b.birth_date:
        return False
    if _points_disagree(a, b) or _organisations_disagree(a, b):
        return False
    if kind in (MatchKind.NAME, MatchKind.ORGANISATION):
        # Only a name (or an organisation) in common: the address must not differ.
        return all(
            not (mine and theirs) or mine == theirs
            for mine, theirs in ((a.city, b.city), (a.street, b.street))
        )
    return True


__all__ = [
    "MatchKey",
    "MatchKind",
    "Person",
    "is_mobile",
    "match_keys",
    "name_keys",
    "name_words",
    "names_agree",
    "person",
    "same_person",
]
