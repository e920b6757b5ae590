"""Postal addresses in an import row: columns grouped by address, one address chosen.

Exports hold up to three addresses (Outlook's business, home and other; Thunderbird's
work and home; Google's "Address 1", "Address 2"), each spread over several columns. A
contact holds one postal address, so the parts are grouped by the address their header
names (a header naming none, such as "Postcode", belongs to the address of the column
before it), and one whole address is taken: never the street of one with the city of
another.

The work address comes first (this is a business's contact list: the address it writes
to is where the person works), then an address the header does not qualify, then
numbered ones, then home and other; a numbered address whose row states its kind in a
column of its own (Google's "Address 1 - Type": "Work") takes that kind's place. The
first group with a street and a postcode or city wins; when none is complete, the one
with most parts. Every other address is kept as a line of the contact's notes, labelled
with the header's own word or the stated kind ("Home: ...").

A whole address in one cell (an Excel "Adres": "Kerkstraat 1, 9000 Gent") is split into
street, postcode, city and country; one that cannot be split stays whole as the street.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import NamedTuple

from privacycrm_desktop.domain.import_formats import ColumnTarget, ImportField
from privacycrm_desktop.domain.import_profiles import header_key
from privacycrm_desktop.domain.normalize import fold

F = ImportField

_WORK = frozenset(
    {
        "business",
        "work",
        "office",
        "werk",
        "werkadres",
        "zakelijk",
        "bureau",
        "professionnel",
        "professionnelle",
        "geschaftlich",
        "dienstlich",
    }
)
_HOME = frozenset(
    {
        "home",
        "private",
        "personal",
        "thuis",
        "huisadres",
        "prive",
        "priveadres",
        "domicile",
        "privee",
        "privat",
    }
)
_OTHER = frozenset(
    {"other", "ander", "andere", "anders", "overig", "autre", "weitere", "weiterer", "weiteres"}
)
_ADDRESS_WORDS = frozenset({"address", "adres", "adresse"})
#: The order in which a group is taken: work first, home and other last.
_KINDS = (("work", 0, _WORK), ("home", 3, _HOME), ("other", 4, _OTHER))
_WORD = re.compile(r"[^\W_]+")


class AddressGroup(NamedTuple):
    """Which address of a row a column belongs to: its place in the order (which also
    tells the addresses apart), and the word of the header that names it (shown in the
    notes)."""

    rank: tuple[int, int]
    label: str


@lru_cache(maxsize=1024)
def address_group(header: str) -> AddressGroup:
    """The address a column's *header* is part of ("Home City" -> home); the same few
    headers come back on every row of a file, so the answer is kept."""
    words = _WORD.findall(header)
    folded = [fold(w) for w in words]
    for _kind, rank, vocabulary in _KINDS:
        for word, key in zip(words, folded, strict=True):
            if key in vocabulary:
                return AddressGroup((rank, 0), word[:1].upper() + word[1:])
    for index, key in enumerate(folded[:-1]):
        if key in _ADDRESS_WORDS and folded[index + 1].isdigit():
            number = int(folded[index + 1])
            return AddressGroup((2, number), f"{words[index]} {words[index + 1]}")
    return AddressGroup(_PLAIN, "")


_PLAIN = (1, 0)
_NUMBERED = re.compile(r"^(?:address|adres|adresse) (\d+) (?:type|label)$")


def kind_columns(headers: Sequence[str]) -> dict[tuple[int, int], int]:
    """The columns stating the kind of a numbered address (Google's "Address 2 - Type"
    or "- Label"), by the address's group rank."""
    found: dict[tuple[int, int], int] = {}
    for index, header in enumerate(headers):
        match = _NUMBERED.match(header_key(header))
        if match:
            found.setdefault((2, int(match[1])), index)
    return found


def stated_kind(text: str, number: int) -> tuple[tuple[int, int], str]:
    """The place in the order and the label of an address whose row says what it is
    ("Work", "* Home", "Privé"); an unknown kind keeps its number's place."""
    label = " ".join(text.replace("*", " ").split())
    for word in _WORD.findall(label):
        key = fold(word)
        for _kind, rank, vocabulary in _KINDS:
            if key in vocabulary:
                return (rank, number), label
    return (2, number), label


def column_groups(
    headers: Sequence[str], address_columns: Sequence[bool]
) -> tuple[AddressGroup | None, ...]:
    """The address each address column of a file belongs to (None for other columns).

    A header that names no address ("Code postal", "Postcode") belongs to the address of
    the nearest address column before it that names one: Thunderbird in French writes
    "Code postal" under its home and again under its work address.
    """
    groups: list[AddressGroup | None] = []
    current: AddressGroup | None = None
    for header, is_address in zip(headers, address_columns, strict=False):
        if not is_address:
            groups.append(None)
            continue
        group = address_group(header)
        if group.rank != _PLAIN:
            current = group
        elif current is not None:
            group = current
        groups.append(group)
    return tuple(groups)


_COUNTRY_PREFIXES = {
    "B": "BE",
    "BE": "BE",
    "NL": "NL",
    "F": "FR",
    "FR": "FR",
    "D": "DE",
    "DE": "DE",
    "L": "LU",
    "LU": "LU",
    "CH": "CH",
}
#: "9000 Gent", "B-9000 Gent", "1012 AB Amsterdam", "75001 Paris".
_POSTCODE_CITY = re.compile(
    r"^(?:(?P<prefix>[A-Za-z]{1,2})\s*-\s*)?"
    r"(?P<postcode>\d{4,5}(?:\s?[A-Z]{2}(?=\s))?)\s+(?P<city>[^\d\s].*)$"
)
#: The same after a street on one line: "Kerkstraat 1 9000 Gent".
_INLINE = re.compile(
    r"^(?P<street>.*?\d\S*(?:\s+(?:bus|boite|boîte|b)\s*\S+)?)\s+"
    r"(?:(?P<prefix>[A-Za-z]{1,2})-)?(?P<postcode>\d{4})\s+(?P<city>[^\d,]+)$"
)


def split_address(text: str) -> tuple[str, str, str, str]:
    """(street, postcode, city, country) from a whole address in one cell.

    "Kerkstraat 1, 9000 Gent", "Rue Neuve 5, 1000 Bruxelles", "Kerkstraat 1 bus 2,
    B-9000 Gent" and lines ("street", "postcode city", "country") split; a country
    prefix (B-, NL-, F-) gives the country. Text with no postcode and city in it is
    the street, whole.
    """
    parts = [p.strip() for p in re.split(r"[,\r\n]+", text) if p.strip()]
    for index in range(len(parts) - 1, -1, -1):
        match = _POSTCODE_CITY.match(parts[index])
        if match and _known_prefix(match["prefix"]):
            country = ", ".join(parts[index + 1 :]) or _prefix_country(match["prefix"])
            street = ", ".join(parts[:index])
            return street, match["postcode"], match["city"].strip(), country
    one_line = " ".join(" ".join(parts).split())
    match = _INLINE.match(one_line)
    if match and _known_prefix(match["prefix"]):
        country = _prefix_country(match["prefix"])
        return match["street"], match["postcode"], match["city"].strip(), country
    return ", ".join(parts), "", "", ""


def _known_prefix(prefix: str | None) -> bool:
    return prefix is None or prefix.upper() in _COUNTRY_PREFIXES


def _prefix_country(prefix: str | None) -> str:
    return _COUNTRY_PREFIXES.get(prefix.upper(), "") if prefix else ""


_BOX = re.compile(r"^(?:bus|bte|boite|boîte|box)\b", re.IGNORECASE)


def join_street(lines: list[str]) -> str:
    """Street lines as one: a house number or a box joins with a space, another line
    with a comma ("Kerkstraat" + "12" + "bus 3" -> "Kerkstraat 12 bus 3"; + "Building
    B" -> "..., Building B")."""
    if len(lines) == 1:
        return " ".join(lines[0].split())
    text = ""
    for line in (" ".join(part.split()) for part in lines):
        if not line:
            continue
        number = (line[:1].isdigit() and len(line) <= 8) or bool(_BOX.match(line))
        text = line if not text else f"{text} {line}" if number else f"{text}, {line}"
    return text


#: An address's parts, in the order its parts are kept (a list index each).
_PARTS = (F.STREET, F.POSTCODE, F.CITY, F.COUNTRY)


def _part(target: ImportField) -> int:
    # Identity tests: an enum member's hash is a Python call, and this runs for every
    # address cell of a file of 100,000 rows.
    if target is F.STREET:
        return 0
    if target is F.POSTCODE:
        return 1
    if target is F.CITY:
        return 2
    return 3


class _Parts:
    """One address's cells, as the row gives them."""

    __slots__ = ("_fields", "headers", "label", "streets", "values", "wholes")

    def __init__(self, label: str) -> None:
        self.label = label
        self.streets: list[str] = []
        #: postcode, city, country ("" when the row has none).
        self.values = ["", "", "", ""]
        self.wholes: list[tuple[str, str]] = []
        self.headers: list[list[str]] = [[], [], [], []]
        self._fields: dict[ImportField, str] | None = None

    def put(self, target: ImportField, header: str, cell: str) -> None:
        if target is F.ADDRESS:
            self.wholes.append((header, cell))
            return
        index = _part(target)
        if index == 0:
            self.streets.append(cell)
        elif not self.values[index]:
            self.values[index] = cell.strip()
        else:
            return
        self.headers[index].append(header)

    def fill_from_wholes(self) -> None:
        for header, text in self.wholes:
            for index, value in enumerate(split_address(text)):
                taken = bool(self.streets) if index == 0 else bool(self.values[index])
                if value and not taken:
                    if index == 0:
                        self.streets.append(value)
                    else:
                        self.values[index] = value
                    self.headers[index].append(header)

    def fields(self) -> dict[ImportField, str]:
        if self._fields is None:
            values = list(self.values)
            values[0] = join_street(self.streets)
            self._fields = {p: v for p, v in zip(_PARTS, values, strict=True) if v}
        return self._fields

    def complete(self) -> bool:
        return bool(self.streets) and bool(self.values[1] or self.values[2])

    def header_lists(self) -> dict[ImportField, list[str]]:
        return {p: heads for p, heads in zip(_PARTS, self.headers, strict=True) if heads}

    def text(self) -> str:
        street, postcode, city, country = join_street(self.streets), *self.values[1:]
        place = " ".join(v for v in (postcode, city) if v)
        return ", ".join(v for v in (street, place, country) if v)


class ChosenAddress(NamedTuple):
    """The row's one address (its fields and the headers they came from) and the other
    addresses as readable lines for the notes."""

    fields: dict[ImportField, str]
    headers: dict[ImportField, list[str]]
    others: tuple[str, ...]


_NO_ADDRESS = ChosenAddress({}, {}, ())


class AddressCollector:
    """Collects a row's address cells by group, then chooses one address."""

    __slots__ = ("_groups",)

    def __init__(self) -> None:
        self._groups: dict[tuple[int, int], _Parts] = {}

    def add(self, group: AddressGroup, header: str, target: ImportField, cell: str) -> None:
        """One filled cell of an address column, of the address *group* (``column_groups``)."""
        rank, label = group
        parts = self._groups.get(rank)
        if parts is None:
            parts = self._groups[rank] = _Parts(label)
        parts.put(target, header, cell)

    def choose(self, kinds: dict[tuple[int, int], str] | None = None) -> ChosenAddress:
        """The first complete address in the order (or the fullest), and the others.

        *kinds* gives a numbered address the kind the row states in a column of its own
        (Google's "Address 1 - Type": "Work", "Home"), which places it in the order.
        """
        if not self._groups:
            return _NO_ADDRESS
        order = {rank: rank for rank in self._groups}
        if kinds:
            for rank, text in kinds.items():
                parts = self._groups.get(rank)
                if parts is not None and text.strip():
                    kind_rank, parts.label = stated_kind(text, rank[1])
                    order[rank] = kind_rank
        groups = [self._groups[g] for g in sorted(self._groups, key=order.__getitem__)]
        for parts in groups:
            if parts.wholes:
                parts.fill_from_wholes()
        filled = [p for p in groups if p.fields()]
        if not filled:
            return _NO_ADDRESS
        chosen = next((p for p in filled if p.complete()), None)
        if chosen is None:
            chosen = max(filled, key=lambda p: len(p.fields()))
        others = tuple(
            f"{p.label or next(h for h in p.headers if h)[0]}: {p.text()}"
            for p in filled
            if p is not chosen
        )
        return ChosenAddress(chosen.fields(), chosen.header_lists(), others)


# -- a file's address columns, for its rows ----------------------------------------------

_ADDRESS_PARTS = (
    ImportField.STREET,
    ImportField.ADDRESS,
    ImportField.POSTCODE,
    ImportField.CITY,
    ImportField.COUNTRY,
)


class AddressColumns(NamedTuple):
    """A file's address columns: the address each belongs to, and the columns stating
    the kind of a numbered address."""

    groups: tuple[AddressGroup | None, ...]
    kinds: dict[tuple[int, int], int]


#: The address columns of the last files, by the identity of their headers and mapping
#: (an import gives every row the same two objects; they are kept here with the answer,
#: so an id is never taken for another object's).
_COLUMNS: dict[tuple[int, int], tuple[object, object, AddressColumns]] = {}


def address_columns(
    headers: Sequence[str], mapping: Sequence[ColumnTarget | None]
) -> AddressColumns:
    """The address columns of a file under *mapping* (cached for the file's rows)."""
    key = (id(headers), id(mapping))
    known = _COLUMNS.get(key)
    if known is not None and known[0] is headers and known[1] is mapping:
        return known[2]
    address = [t is not None and t.field in _ADDRESS_PARTS for t in mapping]
    columns = AddressColumns(column_groups(headers, address), kind_columns(headers))
    if len(_COLUMNS) >= 8:
        _COLUMNS.clear()
    _COLUMNS[key] = (headers, mapping, columns)
    return columns
