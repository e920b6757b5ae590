"""Export of contacts to files: the formats and how one contact is written.

Pure formatting (no Qt, no SQL): the export service decides which contacts and which of
their fields the user may hand on, and gives each contact as an ``ExportContact`` holding
only those fields; the writers here turn them into CSV (UTF-8 with BOM, formulas
neutralised) or vCard 4.0 (RFC 6350).

A field the user may not see is not in ``fields``: it has no CSV column and no vCard
property at all, not an empty one.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TextIO

from privacycrm_desktop.domain.contacts import ContactKind
from privacycrm_desktop.domain.csv_cells import neutralise
from privacycrm_desktop.domain.fields import FIELD_CATALOGUE, exported_fields
from privacycrm_desktop.domain.text import N_


class ExportFormat(StrEnum):
    """The kinds of file contacts can be exported to."""

    CSV = "csv"
    VCARD = "vcard"


EXPORT_FORMAT_LABELS = {
    ExportFormat.CSV: N_("CSV (spreadsheet)"),
    ExportFormat.VCARD: N_("vCard (address book)"),
}
#: The file name ending of each format.
FILE_SUFFIXES = {ExportFormat.CSV: ".csv", ExportFormat.VCARD: ".vcf"}

#: Catalogue fields an export can carry, in the file's order. Relationship dates, the
#: keep-until date and special-category data are ours alone: they are never exported.
EXPORT_FIELDS = exported_fields()
#: The ledger's data category (``domain.purposes.DATA_CATEGORY_LABELS``) of each field.
FIELD_CATEGORIES = {
    spec.name: spec.category for spec in FIELD_CATALOGUE if spec.category is not None
}


def data_categories(fields: Sequence[str]) -> tuple[str, ...]:
    """The data categories *fields* belong to, each once, in the ledger's order."""
    found = {FIELD_CATEGORIES[f] for f in fields if f in FIELD_CATEGORIES}
    return tuple(c for c in ("identity", "contact", "address", "notes") if c in found)


#: The CSV column of each single-valued field (stable English names, as in the marketing
#: CSV, so that a spreadsheet or another program maps them the same in every language).
_SCALAR_COLUMNS = (
    "first_name",
    "last_name",
    "organisation",
    "street",
    "postcode",
    "city",
    "country",
    "language",
    "birth_date",
    "notes",
)
#: ADR components of vCard 4.0, in order: post office box, extended address, street,
#: locality, region, postal code, country.
_ADDRESS_FIELDS = ("street", "postcode", "city", "country")


@dataclass(frozen=True)
class ExportContact:
    """One contact as it is exported: only the fields the user may see are filled.

    Masked values are already masked; a masked or hidden birth date is empty. Phone
    numbers are in E.164 (``+32470123456``), the birth date is ISO (``1931-07-13``).
    """

    id: int
    #: An impersonal address such as info@ is written as vCard ``KIND:org``; None when
    #: the kind is hidden from the user.
    kind: ContactKind | None = None
    first_name: str = ""
    last_name: str = ""
    organisation: str = ""
    emails: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    street: str = ""
    postcode: str = ""
    city: str = ""
    country: str = ""
    language: str = ""
    birth_date: str = ""
    notes: str = ""


def csv_header(fields: Sequence[str], emails: int, phones: int) -> list[str]:
    """The CSV header: ``id``, then one column per field, e-mails and phones numbered.

    Args:
        fields: The exported fields (a subset of ``EXPORT_FIELDS``, in its order).
        emails: How many e-mail columns (the most any exported contact has, at least 1).
        phones: How many phone columns, likewise.
    """
    header = ["id"]
    for field in EXPORT_FIELDS:
        if field not in fields:
            continue
        if field == "emails":
            header += _numbered("email", emails)
        elif field == "phones":
            header += _numbered("phone", phones)
        else:
            header.append(field)
    return header


def _numbered(name: str, count: int) -> list[str]:
    return [name if n == 1 else f"{name}_{n}" for n in range(1, max(count, 1) + 1)]


def csv_row(contact: ExportContact, fields: Sequence[str], emails: int, phones: int) -> list[str]:
    """One contact as CSV cells matching ``csv_header``; every cell neutralised."""
    row = [str(contact.id)]
    for field in EXPORT_FIELDS:
        if field not in fields:
            continue
        if field == "emails":
            row += _padded(contact.emails, emails)
        elif field == "phones":
            row += _padded(contact.phones, phones)
        else:
            row.append(getattr(contact, field))
    return [neutralise(cell) for cell in row]


def _padded(values: tuple[str, ...], count: int) -> list[str]:
    return list(values[:count]) + [""] * (max(count, 1) - len(values[:count]))


class CsvExportWriter:
    """Writes contacts to a text stream as CSV, one row at a time.

    Open the stream with ``encoding="utf-8-sig", newline=""``: the byte-order mark makes
    Excel read the file as UTF-8; rows end in CRLF as RFC 4180 says.
    """

    def __init__(self, stream: TextIO, fields: Sequence[str], emails: int, phones: int) -> None:
        self._fields = tuple(fields)
        self._emails = emails
        self._phones = phones
        self._writer = csv.writer(stream, lineterminator="\r\n")
        self._writer.writerow(csv_header(self._fields, emails, phones))

    def write(self, contact: ExportContact) -> None:
        """Write one contact's row."""
        self._writer.writerow(csv_row(contact, self._fields, self._emails, self._phones))


#: RFC 6350 3.2: a line holds at most 75 octets; longer ones continue after CRLF + space.
MAX_LINE_OCTETS = 75


#: Every character a reader may take for the end of a line: CR LF and CR, and the rest
#: of what ``str.splitlines`` splits on (VT, FF, the file/group/record separators, NEL,
#: LINE and PARAGRAPH SEPARATOR). Left raw in a NOTE, a reader splits the line there and
#: reads what follows as a property of its own ("EMAIL:...").
_LINE_BREAKS = re.compile("\r\n|[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")


def escape_text(text: str) -> str:
    """A text value as RFC 6350 3.4 writes it: backslash, comma, semicolon, and every line
    break (any of ``_LINE_BREAKS``) as ``\\n``."""
    escaped = text.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;")
    return _LINE_BREAKS.sub("\\\\n", escaped)


def fold(line: str) -> str:
    """One content line folded at 75 octets (never inside a character), ended by CRLF."""
    if len(line.encode("utf-8")) <= MAX_LINE_OCTETS:
        return line + "\r\n"
    parts: list[str] = []
    current: list[str] = []
    size = 0
    for char in line:
        octets = len(char.encode("utf-8"))
        if size + octets > MAX_LINE_OCTETS:
            parts.append("".join(current))
            current, size = [], 1  # a continuation line starts with one space
        current.append(char)
        size += octets
    parts.append("".join(current))
    return "\r\n ".join(parts) + "\r\n"


def vcard(contact: ExportContact, fields: Sequence[str]) -> str:
    """One contact as a vCard 4.0 (RFC 6350): CRLF line ends, text escaped, lines folded.

    Only the *fields* are read from *contact*. FN, the one property vCard 4.0 requires, is
    the name, else the organisation, else empty; N is there only when a name is exported.
    vobject reads these cards (the importer and the tests use it); it does not write them:
    it takes about 1.4 ms a card and leaves lines of non-ASCII text longer than 75 octets.
    """
    shown = set(fields)

    def value(field: str) -> str:
        text: str = getattr(contact, field) if field in shown else ""
        return text

    def values(field: str) -> tuple[str, ...]:
        items: tuple[str, ...] = getattr(contact, field) if field in shown else ()
        return items

    lines = ["BEGIN:VCARD", "VERSION:4.0"]
    if contact.kind is ContactKind.ORGANISATION_ADDRESS:
        # An impersonal address (info@...) is the organisation's own card (RFC 6350 6.1.4).
        lines.append("KIND:org")
    first, last, organisation = value("first_name"), value("last_name"), value("organisation")
    full = " ".join(part for part in (first, last) if part) or organisation
    lines.append("FN:" + escape_text(full))
    if first or last:
        lines.append(f"N:{escape_text(last)};{escape_text(first)};;;")
    if organisation:
        lines.append("ORG:" + escape_text(organisation))
    for position, address in enumerate(values("emails"), start=1):
        lines.append(f"EMAIL;PREF={position}:{escape_text(address)}")
    for position, number in enumerate(values("phones"), start=1):
        # vCard 4.0 wants a tel: URI; a masked number is no number, so it stays text.
        if number.startswith("+") and number[1:].isdigit():
            lines.append(f"TEL;PREF={position};VALUE=uri:tel:{number}")
        else:
            lines.append(f"TEL;PREF={position}:{escape_text(number)}")
    if any(value(f) for f in _ADDRESS_FIELDS):
        # ADR: post office box; extended address; street; locality; region; code; country.
        parts = ("", "", value("street"), value("city"), "", value("postcode"), value("country"))
        lines.append("ADR:" + ";".join(escape_text(part) for part in parts))
    if value("birth_date"):
        lines.append("BDAY:" + value("birth_date").replace("-", ""))
    if value("language"):
        lines.append("LANG:" + escape_text(value("language")))
    if value("notes"):
        lines.append("NOTE:" + escape_text(value("notes")))
    lines.append("END:VCARD")
    return "".join(fold(line) for line in lines)


class VcardExportWriter:
    """Writes contacts to a text stream as vCards, one after the other (UTF-8, no BOM)."""

    def __init__(self, stream: TextIO, fields: Sequence[str]) -> None:
        self._stream = stream
        self._fields = tuple(fields)

    def write(self, contact: ExportContact) -> None:
        """Write one contact's vCard."""
        self._stream.write(vcard(contact, self._fields))
