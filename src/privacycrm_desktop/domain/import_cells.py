"""Cells that become one value only together, or one cell that holds several values.

``CellsTogether`` collects them for one row as ``import_rows`` reads it.

Google Contacts writes several values of one kind in one cell, separated by " ::: "
("a@example.be ::: b@example.be"); Thunderbird writes a birth date as three columns
(year, month, day); Outlook writes beside each e-mail address the name a mail program
shows with it ("Jan Peeters (jan@example.be)"). These rules put them together; the
validation of the values themselves is the row's (``import_rows``).
"""

from __future__ import annotations

import re

from privacycrm_desktop.domain.contacts import ContactInput, ContactKind
from privacycrm_desktop.domain.import_addresses import (
    AddressCollector,
    AddressGroup,
    address_group,
)
from privacycrm_desktop.domain.import_formats import ImportField
from privacycrm_desktop.domain.import_values import notes_line

F = ImportField

#: Google's separator of several values in one cell: ":::" standing alone, between spaces
#: or at the cell's start or end (a value such as "::::" is one value: it came back as
#: ":"; " ::: a :::  ::: " is "a", not "a" and ":::").
MULTI_VALUE = re.compile(r"\s*(?<!\S):::(?!\S)\s*")
#: What separates several e-mail addresses or phone numbers in one cell.
POINT_SEPARATORS = re.compile(r"[;,\n]+")
_ADDRESS_IN_NAME = re.compile(r"\s*[(<\[][^()<>\[\]]*@[^()<>\[\]]*[)>\]]\s*")


def several(cell: str) -> list[str]:
    """The values of a cell that may hold several (" ::: "); blanks left out. A cell
    holding one value comes back as it is."""
    if not MULTI_VALUE.search(cell):
        return [cell]
    return [part.strip() for part in MULTI_VALUE.split(cell) if part.strip()]


def points(cell: str) -> list[str]:
    """The e-mail addresses or phone numbers in one cell (" ::: ", ";", "," or lines)."""
    if MULTI_VALUE.search(cell):
        cell = MULTI_VALUE.sub("\n", cell)
    return [part for part in POINT_SEPARATORS.split(cell) if part.strip()]


def birth_text(year: str, month: str, day: str) -> str:
    """One birth date from its parts: ``YYYY-MM-DD``, ``--MM-DD`` without a year.

    Parts that are not numbers are put together as they are (the date check then says
    what is wrong); a year alone stays the year; nothing gives "".
    """
    year, month, day = year.strip(), month.strip(), day.strip()
    if not month and not day:
        return year
    if month.isdigit() and day.isdigit():
        if not year or year.strip("0") == "":
            return f"--{int(month):02d}-{int(day):02d}"
        if year.isdigit():
            return f"{int(year):04d}-{int(month):02d}-{int(day):02d}"
    return "-".join(part for part in (year, month, day) if part)


def display_name(cell: str) -> str:
    """The person's name in the name a mail program shows with an address.

    "Jan Peeters (jan@example.be)" and "Jan Peeters <jan@example.be>" give "Jan
    Peeters"; a bare address ("jan@example.be") is no name and gives "".
    """
    name = " ".join(_ADDRESS_IN_NAME.sub(" ", cell).split())
    if "@" in name and " " not in name:
        return ""
    return name.strip("\"' ")


class CellsTogether:
    """The cells of a row that become values only together: an address's columns, the
    birth date's parts, the name shown with an e-mail address, and the second values of
    a cell that holds several (kept as lines of the notes)."""

    def __init__(self) -> None:
        self.addresses = AddressCollector()
        self.birth: dict[ImportField, tuple[str, str]] = {}
        self.names: list[tuple[str, str]] = []
        self.notes: list[str] = []
        self.values: dict[ImportField, str] = {}

    def add(
        self, header: str, field: ImportField, cell: str, group: AddressGroup | None = None
    ) -> None:
        """One filled cell of a column mapped to *field* (of address *group*, for an
        address column; ``column_groups``)."""
        value = cell
        if MULTI_VALUE.search(cell):
            values = several(cell)
            if len(values) > 1:
                self.notes.append(f"{header}: {', '.join(values[1:])}")
            value = values[0] if values else cell
        if field in _ADDRESS_PARTS:
            self.addresses.add(group or address_group(header), header, field, value)
        elif field in _BIRTH_PARTS:
            self.birth.setdefault(field, (header, value))
        elif field is F.EMAIL_NAME:
            self.names.append((header, value))
        else:
            self.values.setdefault(field, value)

    def put_in(
        self,
        values: dict[ImportField, str],
        columns: dict[ImportField, list[str]],
        kinds: dict[tuple[int, int], str] | None = None,
    ) -> None:
        """Put the values made together into the row's *values*, and the headers they
        came from into its *columns* (a problem with a value names its column); *kinds*
        are the kinds the row states for its numbered addresses."""
        for field, value in self.values.items():
            values.setdefault(field, value)
        address = self.addresses.choose(kinds)
        values.update(address.fields)
        for field, headers in address.headers.items():
            # A part split from a whole-address cell names that cell's column too.
            known = columns.setdefault(field, [])
            known += [h for h in headers if h not in known]
        if self.birth and F.BIRTH_DATE not in values:
            parts = [self.birth.get(f, ("", ""))[1] for f in _BIRTH_PARTS]
            text = birth_text(*parts)
            if text:
                values[F.BIRTH_DATE] = text
                columns.setdefault(F.BIRTH_DATE, []).extend(
                    header for header, _value in self.birth.values()
                )
        named = bool(self.names) and any(values.get(f, "").strip() for f in _NAME_FIELDS)
        for header, cell in self.names:
            name = display_name(cell)
            if not named and name and name != values.get(F.ORGANISATION):
                values[F.FULL_NAME] = name
                columns.setdefault(F.FULL_NAME, []).append(header)
                break
        extra = list(address.others) + self.notes
        if extra:
            notes = values.get(F.NOTES, "")
            values[F.NOTES] = "\n".join(([notes] if notes.strip() else []) + extra)
            columns.setdefault(F.NOTES, [])


_BIRTH_PARTS = (F.BIRTH_YEAR, F.BIRTH_MONTH, F.BIRTH_DAY)
_NAME_FIELDS = (F.FIRST_NAME, F.LAST_NAME, F.FULL_NAME)
_ADDRESS_PARTS = (F.STREET, F.ADDRESS, F.POSTCODE, F.CITY, F.COUNTRY)


#: The fields of a person's place at the row's organisation.
PLACE = (ImportField.FUNCTION, ImportField.DEPARTMENT)


def place_of(values: dict[ImportField, str], contact: ContactInput) -> tuple[str, str]:
    """The function and department of a person at the row's organisation, trimmed to
    the link's 200 characters (none without an organisation, or for an organisation's
    own address)."""
    if not contact.organisation.strip() or contact.kind is not ContactKind.PERSON:
        return "", ""
    return (
        " ".join(values.get(ImportField.FUNCTION, "").split())[:200],
        " ".join(values.get(ImportField.DEPARTMENT, "").split())[:200],
    )


def unplaced(
    values: dict[ImportField, str], contact: ContactInput, columns: dict[ImportField, list[str]]
) -> list[str]:
    """A function or department with no company to link it to (no organisation): kept as
    lines of the notes, "Header: value", as before there were companies."""
    if place_of(values, contact) != ("", ""):
        return []
    return [notes_line(columns[f][0], values[f]) for f in PLACE if values.get(f, "").strip()]
