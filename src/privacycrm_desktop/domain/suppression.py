"""Suppression keys: salted hashes of normalised contact points (rules 13 and 17).

A person who objected to all direct marketing (or was erased) is remembered only as
HMAC-SHA256 digests of their normalised e-mail, phone number and name + postcode, keyed
with a per-database secret, so the list holds no clear text and cannot be matched
against another business's list.
"""

from __future__ import annotations

import datetime as dt
import hmac
from collections.abc import Sequence
from enum import StrEnum

from privacycrm_desktop.domain.duplicates import is_mobile
from privacycrm_desktop.domain.errors import DomainError
from privacycrm_desktop.domain.normalize import fold
from privacycrm_desktop.domain.text import N_


class HashKind(StrEnum):
    """What a suppression digest was made from."""

    EMAIL = "email"
    PHONE = "phone"
    NAME_POSTCODE = "name_postcode"


class SuppressionReason(StrEnum):
    """Why a contact point is on the suppression list."""

    #: The person objected to all direct marketing (rule 13): they may be entered again,
    #: but carry the opt-out everywhere.
    OBJECTION = "objection"
    #: The person asked to be forgotten (rule 17): they may not be entered again.
    ERASURE = "erasure"


class ErasedPersonRefused(DomainError):
    """A contact point of a person who asked to be forgotten was entered again.

    ``value`` is what the user typed, never a stored value.
    """

    default_message = N_(
        "{value} belongs to a person who asked to be forgotten: their data may not be "
        "entered again. Nothing was saved."
    )

    def __init__(self, value: str, since: dt.date | None = None) -> None:
        if since is None:
            super().__init__(None, value=value)
        else:
            super().__init__(
                N_(
                    "{value} belongs to a person who asked to be forgotten on {date}: their "
                    "data may not be entered again. Nothing was saved."
                ),
                value=value,
                date=since.isoformat(),
            )
        self.since = since


def normalised_point(kind: HashKind, value: str) -> str:
    """The form a contact point is hashed in.

    E-mail addresses are trimmed and case-folded whole (mail systems treat the local part
    case-insensitively in practice); phone numbers are expected in E.164 already (only
    spaces are dropped); a name + postcode is folded ("Zoë Lefèvre|4000" -> "zoe lefevre|4000").
    """
    if kind is HashKind.EMAIL:
        return value.strip().casefold()
    if kind is HashKind.PHONE:
        return "".join(value.split())
    name, _sep, postcode = value.rpartition("|")
    return " ".join(fold(name).split()) + "|" + "".join(postcode.split()).upper()


def name_postcode(first_name: str, last_name: str, postcode: str) -> str:
    """The name + postcode key of a person, or "" when either part is missing."""
    name = " ".join(p for p in (first_name.strip(), last_name.strip()) if p)
    return f"{name}|{postcode}" if name and postcode.strip() else ""


def numbers_to_look_up(emails: Sequence[str], phones: Sequence[str]) -> list[str]:
    """The numbers a record is looked up on the list by.

    The list keeps every number of a person who was erased or objected, a shared landline
    too. A record with an e-mail address or a mobile number of its own is looked up by those
    and its mobile numbers only: a colleague or the company behind the same switchboard is
    not that person. A record with nothing but landlines is looked up by them all.
    """
    mobiles = [p for p in phones if is_mobile(p)]
    return mobiles if emails or mobiles else list(phones)


def suppression_points(
    emails: Sequence[str], phones: Sequence[str], first: str, last: str, postcode: str
) -> list[tuple[HashKind, str]]:
    """The points a person is looked up on the list by, normalised: every e-mail address,
    the numbers ``numbers_to_look_up`` gives, and the folded name + postcode."""
    keys = [(HashKind.EMAIL, normalised_point(HashKind.EMAIL, e)) for e in emails]
    keys += [
        (HashKind.PHONE, normalised_point(HashKind.PHONE, p))
        for p in numbers_to_look_up(emails, phones)
    ]
    key = name_postcode(first, last, postcode)
    if key:
        keys.append((HashKind.NAME_POSTCODE, normalised_point(HashKind.NAME_POSTCODE, key)))
    return keys


def suppression_digest(salt: str, kind: HashKind, value: str) -> str:
    """HMAC-SHA256 (hex, 64 characters) of the normalised *value*, keyed by *salt*.

    Args:
        salt: the database's secret (hex text).
        kind: what the value is.
        value: the e-mail address, E.164 number or "name|postcode".

    Returns:
        The hex digest; equal inputs up to normalisation give equal digests.
    """
    return normalised_digest(salt, kind, normalised_point(kind, value))


class HeldKey(str):
    """The suppression key of a database, held where the caller cannot read it (on a
    PostgreSQL server enforcing the roles: the server hashes). Its text is no secret."""

    __slots__ = ()

    def digests(self, items: list[tuple[str, str]]) -> list[str]:
        """The digests of (hash kind, normalised value) pairs, in order."""
        raise NotImplementedError


#: Mail services that ignore the dots of an address's local part, and the domain each
#: means: Gmail delivers "j.an.peeters@gmail.com" and "janpeeters@googlemail.com" to the
#: same mailbox (Google's help, "Dots don't matter in Gmail addresses").
_DOTLESS_DOMAINS = {"gmail.com": "gmail.com", "googlemail.com": "gmail.com"}


def _untagged(normalised: str) -> str:
    """An e-mail address without its sub-address ("jan+news@x.be" -> "jan@x.be")."""
    local, at, domain = normalised.rpartition("@")
    base = local.split("+", 1)[0]
    return f"{base}@{domain}" if at and base else normalised


def canonical_point(kind: HashKind, normalised: str) -> str:
    """The form a point is put on the suppression list in, from its
    ``normalised_point`` form: an e-mail address without its sub-address
    ("jan+news@x.be" -> "jan@x.be") and, at Gmail, without the dots it ignores
    ("jan.peeters@googlemail.com" -> "janpeeters@gmail.com"); a name with its words in
    alphabetical order ("zoe lefevre|4000" -> "lefevre zoe|4000"), so neither a tag, a
    dot nor the order of first and last name lets a person who asked to be forgotten be
    entered again."""
    if kind is HashKind.EMAIL:
        untagged = _untagged(normalised)
        local, _at, domain = untagged.rpartition("@")
        dotless = local.replace(".", "")
        if domain in _DOTLESS_DOMAINS and dotless:
            return f"{dotless}@{_DOTLESS_DOMAINS[domain]}"
        return untagged
    if kind is HashKind.NAME_POSTCODE:
        name, _sep, postcode = normalised.rpartition("|")
        return " ".join(sorted(name.split())) + "|" + postcode
    return normalised


def normalised_variants(kind: HashKind, normalised: str) -> tuple[str, ...]:
    """Every form a suppression entry of this point may have been stored in: the
    canonical one, and (for lists made before the canonical form) the plain normalised
    form, for an e-mail address also without its tag alone (lists made before Gmail's dots
    were dropped), for a name in every order its words can take when first and last name
    are swapped (a rotation of the words: "lefevre zoe" for "zoe lefevre")."""
    forms = [canonical_point(kind, normalised), normalised]
    if kind is HashKind.EMAIL:
        forms.append(_untagged(normalised))
    if kind is HashKind.NAME_POSTCODE:
        name, _sep, postcode = normalised.rpartition("|")
        words = name.split()
        forms += [" ".join(words[i:] + words[:i]) + "|" + postcode for i in range(len(words))]
    return tuple(dict.fromkeys(forms))


def stored_digest(salt: str, kind: HashKind, value: str) -> str:
    """The digest a point is put on the suppression list under (its canonical form)."""
    return normalised_digest(salt, kind, canonical_point(kind, normalised_point(kind, value)))


def candidate_digests(salt: str, kind: HashKind, value: str) -> tuple[str, ...]:
    """The digests to look up for a point being entered: any of them on the list is a
    match (the canonical form, and the forms older lists stored)."""
    return normalised_candidates(salt, kind, normalised_point(kind, value))


def normalised_candidates(salt: str, kind: HashKind, normalised: str) -> tuple[str, ...]:
    """``candidate_digests`` of a value already in ``normalised_point`` form."""
    return tuple(normalised_digest(salt, kind, f) for f in normalised_variants(kind, normalised))


def normalised_digest(salt: str, kind: HashKind, normalised: str) -> str:
    """``suppression_digest`` of a value already in ``normalised_point`` form (bulk checks
    normalise once for both duplicate keys and suppression)."""
    if isinstance(salt, HeldKey):
        return salt.digests([(kind.value, normalised)])[0]
    message = f"{kind.value}:{normalised}".encode()
    # The one-shot form (OpenSSL in one call): the same digest as hmac.new, a marketing
    # list hashes a few points of every contact.
    return hmac.digest(salt.encode("ascii"), message, "sha256").hex()


def _hmac_all(salt: str, items: list[tuple[str, str]]) -> list[str]:
    """Digests of (kind, normalised value) pairs, as ``normalised_digest`` gives them (one
    call to the server for a key it holds)."""
    if isinstance(salt, HeldKey):
        return salt.digests(items) if items else []
    key = salt.encode("ascii")
    return [hmac.digest(key, f"{k}:{v}".encode(), "sha256").hex() for k, v in items]


def key_fingerprint(salt: str) -> str:
    """A digest that tells which key a contact's stored digests were made with (it is no
    contact point's: its kind is none of ``HashKind``)."""
    return _hmac_all(salt, [("key", "fingerprint")])[0]


#: One person's points: (first name, last name, postcode, e-mail addresses, numbers).
PersonPoints = tuple[str, str, str, Sequence[str], Sequence[str]]


def person_digests(salt: str, people: Sequence[PersonPoints]) -> list[set[tuple[str, str, bool]]]:
    """Per person, every (kind, digest, is-the-point's-own) the suppression list may hold
    one of their points under: ``candidate_digests`` of each e-mail address, number and
    the name + postcode; the third item is True for the digest of the plain normalised
    form (``suppression_digest``: what opt-outs are keyed by)."""
    wanted: list[list[tuple[str, str, bool]]] = []
    items: list[tuple[str, str]] = []
    for first, last, postcode, emails, phones in people:
        forms: list[tuple[str, str, bool]] = []
        points = [(HashKind.EMAIL, e) for e in emails] + [(HashKind.PHONE, p) for p in phones]
        key = name_postcode(first, last, postcode)
        if key:
            points.append((HashKind.NAME_POSTCODE, key))
        for kind, value in points:
            normalised = normalised_point(kind, value)
            forms += [
                (kind.value, f, f == normalised) for f in normalised_variants(kind, normalised)
            ]
        wanted.append(forms)
        items += [(k, f) for k, f, _own in forms]
    digests = iter(_hmac_all(salt, items))
    result = []
    for forms in wanted:
        found: dict[tuple[str, str], bool] = {}
        for kind_value, _form, own in forms:
            digest = next(digests)
            found[(kind_value, digest)] = found.get((kind_value, digest), False) or own
        result.append({(k, d, own) for (k, d), own in found.items()})
    return result
