"""A vCard file read into a table of text cells, one row per card.

The text is cleaned first (``domain.vcard_text``), then each card is given to
``vobject`` on its own, so one broken card is one invalid row and its neighbours arrive.

What a card becomes:

- Name: N when it holds a name (middle names join the first name, a suffix the last
  name, a courtesy title is left out and an academic one kept in the notes); else FN,
  which the row reader splits the Belgian way. An organisation's card (KIND:org, Apple's
  X-ABShowAs:COMPANY, or an ORG with no name or FN equal to it) gives no person's name.
  ORG's first unit is the organisation; its departments go to the notes.
- Address: one coherent address, never parts of two. The preferred one (TYPE=pref,
  PREF=1) wins, else the work address (a business CRM writes to people at work), else the
  home one, else the first. Its street joins the extended address and the PO box; the
  region is kept with the city ("Toronto, ON") because a letter abroad needs it there.
  Every other address is kept in the notes as a readable line.
- E-mail addresses and phone numbers: all of them, preferred first, each once. Fax and
  pager numbers and what does not fit the contact's lists go to the notes, as do the job
  title and a printed address label (LABEL) when the card has no structured address.
- BDAY: ISO ``YYYY-MM-DD``, or ``--MM-DD`` when the year is unknown (``--0517``, Apple's
  and CardBook's year 1604); any other text is handed on as it is, for the row reader to
  report.

The notes lines are written in English ("Home address: ..."): the import does not know
the language of the person who will read them.
"""

from __future__ import annotations

import contextlib
import email.utils
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from privacycrm_desktop.domain.import_formats import FileShape, ImportTable, RowProblem
from privacycrm_desktop.domain.person_names import name_parts
from privacycrm_desktop.domain.text import N_
from privacycrm_desktop.domain.vcard_text import (
    NOTED_PROPERTIES,
    prepare_vcard_text,
)

#: The columns a vCard becomes; EMAIL and TEL repeat as "EMAIL 2", "TEL 2"...
VCARD_COLUMNS = (
    "FN",
    "N (family)",
    "N (given)",
    "ORG",
    "ADR (street)",
    "ADR (postcode)",
    "ADR (city)",
    "ADR (country)",
    "BDAY",
    "LANG",
    "NOTE",
    "UID",
    "CATEGORIES",
    "TITLE",
    "ORG (unit)",
    "Not read",
)
#: How many values of one kind a card contributes (the contact allows ten).
MAX_VCARD_VALUES = 10
#: Apple and CardBook write a birthday without a year as this year.
_NO_YEAR = "1604"
_ISO_DATE = re.compile(r"(\d{4})-?(\d{2})-?(\d{2})(?:T.*)?")
_NO_YEAR_DATE = re.compile(r"--(\d{2})-?(\d{2})")
#: Address kinds, most wanted first (a business CRM writes to people at work).
_ADDRESS_KINDS = ("work", "home")
_ADDRESS_LABELS = {"work": "Work address", "home": "Home address"}
_BOX_WORDS = ("bus", "box", "boîte", "boite", "bte", "bt")


@dataclass
class _Point:
    """One e-mail address, number or address with its types and file position."""

    value: Any
    types: frozenset[str]
    pref: int
    position: int

    def rank(self, kinds: Sequence[str] = ()) -> tuple[int, int, int]:
        kind = next((i for i, k in enumerate(kinds) if k in self.types), len(kinds))
        return (self.pref, kind, self.position)


@dataclass
class _Card:
    """What one card holds, gathered before it becomes a row."""

    values: dict[str, str] = field(default_factory=dict)
    emails: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: A group card (vCard 4.0 KIND:group, Apple's X-ADDRESSBOOKSERVER-KIND:group): a list
    #: of contacts, no contact itself.
    group: bool = False


def _text(value: object, sep: str = " ") -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return sep.join(t for t in (_text(v, sep) for v in value) if t)
    return " ".join(str(value).split())


def _types(child: Any) -> tuple[frozenset[str], int]:
    """The lower-case TYPE values of a property and its preference (1 best, 100 none)."""
    params: dict[str, list[str]] = child.params
    words = {w.strip().lower() for v in params.get("TYPE", []) for w in v.split(",")}
    words |= {w.lower() for w in getattr(child, "singletonparams", [])}
    pref = 100
    for value in params.get("PREF", []):
        if value.strip().isdigit():
            pref = min(pref, int(value))
    if "pref" in words:
        pref = min(pref, 1)
    return frozenset(words), pref


def birthday(value: str, omit_year: str = "") -> str:
    """A BDAY as ``YYYY-MM-DD``, ``--MM-DD`` without a year, or the text as it is."""
    text = value.strip()
    match = _NO_YEAR_DATE.fullmatch(text)
    if match:
        return f"--{match[1]}-{match[2]}"
    match = _ISO_DATE.fullmatch(text)
    if match:
        if match[1] in (_NO_YEAR, omit_year):
            return f"--{match[2]}-{match[3]}"
        return f"{match[1]}-{match[2]}-{match[3]}"
    return text


def _email(value: str) -> str:
    text = value.strip()
    if text.lower().startswith("mailto:"):
        text = text[7:]
    if "<" in text:
        # '"Omega" <omega@example.com>': the address, not the display name.
        text = email.utils.parseaddr(text)[1] or text
    return text


def _phone(value: str) -> str:
    """The number of a TEL: text as it is; a ``tel:`` URI (RFC 3966) as it is written
    by hand, its extension kept ("tel:+1-418-656-9254;ext=102" gives "+1-418-656-9254
    ext. 102"; the import keeps such a number as typed, to be checked)."""
    text = value.strip()
    if text.lower().startswith("tel:"):
        number, *params = text[4:].split(";")
        extension = [p.partition("=")[2] for p in params if p.lower().startswith("ext=")]
        text = f"{number} ext. {extension[0]}" if extension and extension[0] else number
    return text


def _street(address: Any) -> str:
    """Street, extended address and PO box as one line ("Kerkstraat 1 bus 3")."""
    line = _text(getattr(address, "street", ""))
    for part in (_text(getattr(address, "extended", "")), _text(getattr(address, "box", ""))):
        if not part or part.lower() in line.lower():
            continue
        if not line:
            line = part
        elif part.lower().split()[0].rstrip(".") in _BOX_WORDS:
            line = f"{line} {part}"
        else:
            line = f"{line}, {part}"
    return line


def _city(address: Any) -> str:
    city = _text(getattr(address, "city", ""))
    region = _text(getattr(address, "region", ""))
    if region and region.casefold() not in (city.casefold(), *city.casefold().split(", ")):
        return f"{city}, {region}" if city else region
    return city


def _address_line(address: Any) -> str:
    place = " ".join(p for p in (_text(getattr(address, "code", "")), _city(address)) if p)
    parts = (_street(address), place, _text(getattr(address, "country", "")))
    return ", ".join(p for p in parts if p)


def _read_name(child: Any, card: _Card) -> None:
    value = child.value
    first, last, title = name_parts(
        _text(getattr(value, "family", "")),
        _text(getattr(value, "given", "")),
        # 2.1 lists middle names with bare commas ("Richter,James").
        _text(getattr(value, "additional", "")).replace(",", " "),
        _text(getattr(value, "prefix", "")),
        _text(getattr(value, "suffix", "")),
    )
    if (first or last) and "N (family)" not in card.values and "N (given)" not in card.values:
        card.values["N (family)"] = last
        card.values["N (given)"] = first
        if title:
            card.notes.append(f"Title: {title}")


def _read_org(child: Any, card: _Card) -> None:
    units = [u for u in (_text(v) for v in _as_list(child.value)) if u]
    if not units:
        return
    if "ORG" in card.values:
        # A second organisation (Android writes one per job): kept beside the first.
        card.notes.append(f"Organisation: {', '.join(units)}")
        return
    card.values["ORG"] = units[0]
    if units[1:]:
        card.values["ORG (unit)"] = ", ".join(units[1:])


def _read_title(title: str, card: _Card) -> None:
    """The function at the organisation; a second one (another job) goes to the notes."""
    if "TITLE" in card.values:
        card.notes.append(f"Job title: {title}")
    else:
        card.values["TITLE"] = title


def _as_list(value: object) -> list[object]:
    return list(value) if isinstance(value, list | tuple) else [value]


def _place_address(addresses: list[_Point], card: _Card) -> None:
    """The best address in the address columns; the others as lines of the notes."""
    usable = [a for a in addresses if _address_line(a.value)]
    if not usable:
        return
    best = min(usable, key=lambda a: a.rank(_ADDRESS_KINDS))
    address = best.value
    card.values["ADR (street)"] = _street(address)
    card.values["ADR (postcode)"] = _text(getattr(address, "code", ""))
    card.values["ADR (city)"] = _city(address)
    card.values["ADR (country)"] = _text(getattr(address, "country", ""))
    for other in usable:
        if other is best or _address_line(other.value) == _address_line(address):
            continue
        label = next(
            (_ADDRESS_LABELS[k] for k in _ADDRESS_KINDS if k in other.types), "Other address"
        )
        card.notes.append(f"{label}: {_address_line(other.value)}")


def _place_points(points: list[_Point], label: str, kept: list[str], notes: list[str]) -> None:
    """Values preferred first, each once; past the contact's limit into the notes."""
    seen: set[str] = set()
    for point in sorted(points, key=lambda p: p.rank()):
        key = str(point.value).casefold()
        if not key or key in seen:
            continue
        seen.add(key)
        if len(kept) < MAX_VCARD_VALUES:
            kept.append(point.value)
        else:
            notes.append(f"{label}: {point.value}")


@dataclass
class _Gathered:
    """A card's repeated properties, placed once the whole card is read."""

    emails: list[_Point] = field(default_factory=list)
    phones: list[_Point] = field(default_factory=list)
    addresses: list[_Point] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    kind: str = ""


def _read_point(name: str, child: Any, position: int, card: _Card, found: _Gathered) -> None:
    """An ADR, EMAIL or TEL of the card, with its types."""
    types, pref = _types(child)
    if name == "ADR":
        found.addresses.append(_Point(child.value, types, pref, position))
    elif name == "EMAIL":
        found.emails.append(_Point(_email(_text(child.value)), types, pref, position))
    else:
        number = _phone(_text(child.value))
        fax = any(t.endswith("fax") for t in types)  # Roundcube writes "homefax"
        if fax or "pager" in types or ":" in number:
            # A fax, a pager or a SIP address is no number to call: kept in the notes.
            label = "Fax" if fax else "Pager" if "pager" in types else "Phone"
            card.notes.append(f"{label}: {number}")
        else:
            found.phones.append(_Point(number, types, pref, position))


def _read_child(child: Any, position: int, card: _Card, found: _Gathered) -> None:
    name = str(child.name).upper()
    if name in ("FN", "LANG", "UID"):
        card.values.setdefault(name, _text(child.value))
    elif name == "N":
        _read_name(child, card)
    elif name == "ORG":
        _read_org(child, card)
    elif name in ("ADR", "EMAIL", "TEL"):
        _read_point(name, child, position, card, found)
    elif name == "BDAY":
        omit = child.params.get("X-APPLE-OMIT-YEAR", [""])[0]
        card.values.setdefault("BDAY", birthday(_text(child.value), omit))
    elif name == "NOTE":
        note = str(child.value).strip()
        if note and note not in found.notes:
            found.notes.append(note)
    elif name == "CATEGORIES":
        # Tags: a list of text values (vobject gives a list, or the raw text).
        values = child.value if isinstance(child.value, list) else _categories(child.value)
        known = card.values.get("CATEGORIES", "")
        names = [_text(v).replace(",", " ").replace(";", " ") for v in values]
        card.values["CATEGORIES"] = ",".join(n for n in (known, *names) if n.strip())
    elif name in ("KIND", "X-ABSHOWAS", "X-ADDRESSBOOKSERVER-KIND"):
        found.kind = _text(child.value).lower()
    elif name == "TITLE" and _text(child.value):
        _read_title(_text(child.value), card)
    elif name in NOTED_PROPERTIES and _text(child.value):
        # No field of its own, but the person's: kept as a line of the notes.
        card.notes.append(f"{NOTED_PROPERTIES[name]}: {_text(child.value)}")
    elif name == "LABEL" and str(child.value).strip():
        found.labels.append(", ".join(_text(p) for p in str(child.value).splitlines() if p.strip()))


def _categories(value: object) -> list[str]:
    """CATEGORIES as raw text: values split at the commas not escaped, then unescaped."""
    parts = re.split(r"(?<!\\),", str(value))
    return [p.replace("\\,", ",").replace("\\;", ";").replace("\\\\", "\\") for p in parts]


def card_values(vcard: Any) -> _Card:
    """The cells of one vobject card (see the module's notes for what goes where)."""
    card = _Card()
    found = _Gathered()
    for position, child in enumerate(vcard.getChildren()):
        _read_child(child, position, card, found)
    _place_address(found.addresses, card)
    if "ADR (street)" not in card.values:
        # A printed label without a structured address (older Outlook): kept as written.
        card.notes += [f"Address: {label}" for label in dict.fromkeys(found.labels)]
    _place_points(found.emails, "E-mail", card.emails, card.notes)
    _place_points(found.phones, "Phone", card.phones, card.notes)
    no_name = not card.values.get("N (family)") and not card.values.get("N (given)")
    fn, org = card.values.get("FN", ""), card.values.get("ORG", "")
    digits = "".join(ch for ch in fn if ch.isdigit())
    if (
        ("@" in fn and " " not in fn)
        or fn.strip().casefold() in {e.strip().casefold() for e in card.emails}
        or (
            len(digits) >= 6
            and any(digits == "".join(ch for ch in p if ch.isdigit()) for p in card.phones)
        )
    ):
        # Programs that know only an address or a number write it as the display name
        # (as we do): no name.
        card.values["FN"] = fn = ""
    if found.kind in ("org", "organization", "company") or (
        no_name and fn and fn.casefold() == org.casefold()
    ):
        # An organisation's card: its FN is no person's name, so the row becomes an
        # organisation address.
        card.values["FN"] = ""
    card.values["NOTE"] = "\n".join(found.notes + card.notes)
    card.group = found.kind == "group"
    return card


def _read_card(block: str) -> _Card | None:
    """One cleaned card read by vobject, or None when vobject cannot read what is left.

    A line vobject refuses (a parameter's quote never closed, a line that is no property
    at all) is left out and kept, as written, in the notes: one bad line does not lose
    the card (issue 19: a contact is never refused for one field).
    """
    import vobject  # loaded only when a vCard file is read

    with contextlib.suppress(Exception):  # vobject raises many kinds of error
        return card_values(vobject.readOne(block))
    lines = block.splitlines()
    version = [line for line in lines if line.upper().startswith("VERSION:")][:1]
    refused: list[str] = []
    for line in lines[1:-1]:
        if line in version:
            continue
        try:
            vobject.readOne("\r\n".join([lines[0], *version, line, lines[-1]]))
        except Exception:  # as above
            refused.append(line)
    try:
        card = card_values(
            vobject.readOne("\r\n".join(kept for kept in lines if kept not in refused))
        )
    except Exception:  # as above
        return None
    card.values["Not read"] = "\n".join(refused)
    return card


#: Why a group card is left out.
GROUP_CARD = N_("A group card (a list of contacts), not a contact: left out.")


def read_vcards(text: str, shape: FileShape) -> ImportTable:
    """Every card of a vCard file as a row; a card vobject cannot read as a problem."""
    cards: list[tuple[int, _Card]] = []
    broken: list[RowProblem] = []
    for number, block in prepare_vcard_text(text, shape.encoding):
        card = _read_card(block)
        if card is None:
            broken.append(RowProblem(number, "VCARD", N_("This card cannot be read.")))
        elif card.group:
            broken.append(RowProblem(number, "VCARD", GROUP_CARD))
        else:
            cards.append((number, card))
    email_columns = max((len(c.emails) for _n, c in cards), default=0) or 1
    phone_columns = max((len(c.phones) for _n, c in cards), default=0) or 1
    emails_h = tuple("EMAIL" if i == 0 else f"EMAIL {i + 1}" for i in range(email_columns))
    phones_h = tuple("TEL" if i == 0 else f"TEL {i + 1}" for i in range(phone_columns))
    headers = VCARD_COLUMNS[:4] + emails_h + phones_h + VCARD_COLUMNS[4:]
    rows = []
    for number, card in cards:
        cells = (
            tuple(card.values.get(h, "") for h in VCARD_COLUMNS[:4])
            + tuple(card.emails + [""] * (email_columns - len(card.emails)))
            + tuple(card.phones + [""] * (phone_columns - len(card.phones)))
            + tuple(card.values.get(h, "") for h in VCARD_COLUMNS[4:])
        )
        rows.append((number, cells))
    return ImportTable(shape, headers, rows, broken)
