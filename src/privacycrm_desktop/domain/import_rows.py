"""From a row of text cells to a validated contact: the cell rules.

Which field a column holds is guessed from its header in ``import_headers``. Several
columns may map to one field: e-mail addresses and phone numbers are all kept (and a cell
may hold several); address columns are grouped by address and one whole address is
taken, the others kept in the notes (``import_addresses``); birth date parts and the name
shown with an e-mail address are put together (``import_cells``); for any other field the
first filled cell wins, and further values of a cell holding several go to the notes.

A consent cell says yes (yes/ja/oui/1/true/x) or no (no/nee/non/0/false); a blank cell
records nothing; anything else makes the row invalid. Validation itself is the contact
editor's (``validate_contact``): an import never accepts what the form would refuse.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from privacycrm_desktop.domain.consent import Channel, ConsentStatus
from privacycrm_desktop.domain.contacts import (
    ContactInput,
    ContactKind,
    Language,
    validate_contact,
)
from privacycrm_desktop.domain.errors import ValidationFailed
from privacycrm_desktop.domain.import_addresses import AddressGroup, column_groups, kind_columns
from privacycrm_desktop.domain.import_cells import CellsTogether, points
from privacycrm_desktop.domain.import_formats import (
    MAX_CELL_CHARS,
    ColumnTarget,
    ImportField,
    RowProblem,
)
from privacycrm_desktop.domain.import_headers import header_key
from privacycrm_desktop.domain.normalize import fold
from privacycrm_desktop.domain.suppression import HashKind, name_postcode, normalised_point
from privacycrm_desktop.domain.text import N_

F = ImportField


# -- cell values ---------------------------------------------------------------------------

_YES = frozenset({"yes", "y", "ja", "j", "oui", "o", "1", "true", "waar", "vrai", "x"})
_NO = frozenset({"no", "n", "nee", "neen", "non", "0", "false", "onwaar", "faux"})
_COUNTRIES = {
    "BE": ("belgium", "belgie", "belgique", "belgien", "belgica"),
    "NL": ("netherlands", "the netherlands", "nederland", "pays bas", "holland"),
    "FR": ("france", "frankrijk", "frankreich"),
    "DE": ("germany", "duitsland", "allemagne", "deutschland"),
    "LU": ("luxembourg", "luxemburg"),
    "GB": ("united kingdom", "uk", "verenigd koninkrijk", "royaume uni", "great britain"),
    "US": ("united states", "usa", "united states of america", "verenigde staten", "etats unis"),
    "ES": ("spain", "spanje", "espagne", "espana"),
    "IT": ("italy", "italie", "italia"),
    "CH": ("switzerland", "zwitserland", "suisse"),
}
_COUNTRY_BY_NAME = {name: code for code, names in _COUNTRIES.items() for name in names}
_LANGUAGES = {
    Language.NL: ("nl", "dutch", "nederlands", "neerlandais", "vlaams", "nl be"),
    Language.FR: ("fr", "french", "frans", "francais", "fr be"),
    Language.EN: ("en", "english", "engels", "anglais"),
    Language.DE: ("de", "german", "duits", "allemand", "deutsch"),
}
_LANGUAGE_BY_NAME = {name: lang for lang, names in _LANGUAGES.items() for name in names}
_NO_DATE = frozenset({"0/0/00", "0/0/0000", "00/00/0000", "0000-00-00"})


def consent_answer(cell: str) -> ConsentStatus | None:
    """Opt-in for yes, opt-out for no, None for a blank cell; ValueError otherwise."""
    key = fold(cell.strip())
    if not key:
        return None
    if key in _YES:
        return ConsentStatus.OPT_IN
    if key in _NO:
        return ConsentStatus.OPT_OUT
    raise ValueError(key)


def country_code(cell: str) -> str:
    """A two-letter code from a code or a country name in English, Dutch or French."""
    text = cell.strip()
    if len(text) == 2 and text.isalpha():
        return text.upper()
    return _COUNTRY_BY_NAME.get(header_key(text), text)


def birth_date(cell: str) -> dt.date | None:
    """A date from ISO, vCard (YYYYMMDD) or day-first forms (31/12/1980, 31.12.1980).

    A slash date whose second number is over 12 is month-first (Outlook in English).
    Outlook's "0/0/00" and a vCard date without a year (--1231) mean no date.
    """
    text = cell.strip()
    if not text or text in _NO_DATE or text.startswith("--"):
        return None
    text = text.split("T", 1)[0]
    if re.fullmatch(r"\d{8}", text):
        return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
    match = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", text)
    if match:
        return dt.date(int(match[1]), int(match[2]), int(match[3]))
    match = re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})", text)
    if not match:
        raise ValueError(text)
    first, second, year = int(match[1]), int(match[2]), int(match[3])
    if year < 100:
        year += 1900 if year > dt.date.today().year % 100 else 2000
    if second > 12 >= first:
        first, second = second, first
    return dt.date(year, second, first)


def split_full_name(full: str) -> tuple[str, str]:
    """(first, last) from a full name: "Peeters, Jan" or "Jan Peeters" (last word is last)."""
    text = " ".join(full.split())
    if "," in text:
        last, _sep, first = text.partition(",")
        return first.strip(), last.strip()
    first, _sep, last = text.rpartition(" ")
    return first, last


# -- one row -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowConsent:
    """A consent a row states: purpose, channel and yes (opt-in) or no (opt-out)."""

    purpose_code: str
    channel: Channel
    status: ConsentStatus


@dataclass(frozen=True)
class ImportedRow:
    """A valid row: the contact as the editor would save it, and its stated consents."""

    row_number: int
    contact: ContactInput
    consents: tuple[RowConsent, ...]
    #: The mapped scalar fields the row filled (for merging and provenance).
    filled: frozenset[str]


_SCALAR_TARGETS = {
    F.FIRST_NAME: "first_name",
    F.LAST_NAME: "last_name",
    F.ORGANISATION: "organisation",
    F.STREET: "street",
    F.POSTCODE: "postcode",
    F.CITY: "city",
    F.COUNTRY: "country",
    F.LANGUAGE: "language",
    F.BIRTH_DATE: "birth_date",
    F.NOTES: "notes",
}
#: Contact fields of validation problems and the import fields whose columns hold them.
_PROBLEM_FIELDS = {
    "emails": (F.EMAIL,),
    "phones": (F.PHONE,),
    "last_name": (F.LAST_NAME, F.FULL_NAME, F.FIRST_NAME),
    "first_name": (F.FIRST_NAME, F.FULL_NAME),
    "organisation": (F.ORGANISATION,),
}


@dataclass
class _Cells:
    """The mapped cells of one row, gathered per field."""

    columns: dict[ImportField, list[str]]
    values: dict[ImportField, str]
    emails: list[str]
    phones: list[str]
    consents: list[RowConsent]
    problems: list[RowProblem]


def _gather(
    row_number: int,
    headers: Sequence[str],
    cells: Sequence[str],
    mapping: Sequence[ColumnTarget | None],
) -> _Cells:
    """Sort a row's cells by target: points listed, one address chosen from its columns,
    birth date parts joined, scalars first-filled, consents read."""
    found = _Cells({}, {}, [], [], [], [])
    width = len(headers)
    if len(cells) > width and any(c.strip() for c in cells[width:]):
        found.problems.append(
            RowProblem(
                row_number,
                "",
                N_("This row has {cells} cells but the header has {columns}."),
                {"cells": len(cells), "columns": width},
            )
        )
    together: CellsTogether | None = None
    for index, target in enumerate(mapping[:width]):
        if target is None:
            continue
        header = headers[index]
        found.columns.setdefault(target.field, []).append(header)
        cell = cells[index] if index < len(cells) else ""
        if len(cell) > MAX_CELL_CHARS:
            found.problems.append(
                RowProblem(
                    row_number,
                    header,
                    N_("Too long: at most {limit} characters."),
                    {"limit": MAX_CELL_CHARS},
                )
            )
        elif not cell.strip():
            continue
        elif target.field is F.EMAIL or target.field is F.PHONE:
            (found.emails if target.field is F.EMAIL else found.phones).extend(points(cell))
        elif target.field is F.CONSENT:
            _read_consent(row_number, header, cell, target, found)
        elif target.field is F.NOTES:
            found.values.setdefault(F.NOTES, cell)
        elif target.field in _ONE_CELL and ":::" not in cell:
            found.values.setdefault(target.field, cell)
        else:
            if together is None:
                together = CellsTogether()
            group = _address_columns(headers, mapping).groups[index]
            together.add(header, target.field, cell, group)
    if together is not None:
        kinds = {
            rank: cells[index]
            for rank, index in _address_columns(headers, mapping).kinds.items()
            if index < len(cells)
        }
        together.put_in(found.values, found.columns, kinds)
    return found


@dataclass(frozen=True)
class RowValues:
    """What a row's cells give each field before any value is checked: the text per
    field (one address, birth date parts joined, other addresses in the notes), the
    e-mail addresses and phone numbers, and the problems of the row's shape."""

    values: dict[ImportField, str]
    emails: tuple[str, ...]
    phones: tuple[str, ...]
    problems: tuple[RowProblem, ...]


def row_values(
    headers: Sequence[str], cells: Sequence[str], mapping: Sequence[ColumnTarget | None]
) -> RowValues:
    """The values one data row gives its fields under *mapping*, unchecked (what the
    import reads before it validates; a preview may show them)."""
    found = _gather(1, headers, cells, mapping)
    return RowValues(
        dict(found.values), tuple(found.emails), tuple(found.phones), tuple(found.problems)
    )


class _AddressColumns(NamedTuple):
    """A file's address columns: the address each belongs to, and the columns stating
    the kind of a numbered address."""

    groups: tuple[AddressGroup | None, ...]
    kinds: dict[tuple[int, int], int]


#: The address columns of the last files, by the identity of their headers and mapping
#: (an import gives every row the same two objects; they are kept here with the answer,
#: so an id is never taken for another object's).
_COLUMNS: dict[tuple[int, int], tuple[object, object, _AddressColumns]] = {}


def _address_columns(
    headers: Sequence[str], mapping: Sequence[ColumnTarget | None]
) -> _AddressColumns:
    key = (id(headers), id(mapping))
    known = _COLUMNS.get(key)
    if known is not None and known[0] is headers and known[1] is mapping:
        return known[2]
    address = [t is not None and t.field in _ADDRESS_PARTS for t in mapping]
    columns = _AddressColumns(column_groups(headers, address), kind_columns(headers))
    if len(_COLUMNS) >= 8:
        _COLUMNS.clear()
    _COLUMNS[key] = (headers, mapping, columns)
    return columns


_ADDRESS_PARTS = (F.STREET, F.ADDRESS, F.POSTCODE, F.CITY, F.COUNTRY)
#: Fields whose cell is the value on its own (a tuple: tested by identity, not hashed).
_ONE_CELL = (F.FIRST_NAME, F.LAST_NAME, F.FULL_NAME, F.ORGANISATION, F.LANGUAGE, F.BIRTH_DATE)


def _read_consent(
    row_number: int, header: str, cell: str, target: ColumnTarget, found: _Cells
) -> None:
    try:
        status = consent_answer(cell)
    except ValueError:
        found.problems.append(
            RowProblem(
                row_number,
                header,
                N_("{value} is not a consent answer: use yes or no."),
                {"value": cell.strip()[:50]},
            )
        )
        return
    if status is not None and target.purpose_code and target.channel:
        found.consents.append(RowConsent(target.purpose_code, Channel(target.channel), status))


def _birth_and_language(row_number: int, found: _Cells) -> tuple[dt.date | None, Language]:
    """The birth date and language cells, read; problems are added to *found*."""
    birth: dt.date | None = None
    values, columns = found.values, found.columns
    if F.BIRTH_DATE in values:
        try:
            birth = birth_date(values[F.BIRTH_DATE])
        except ValueError:
            found.problems.append(
                RowProblem(
                    row_number,
                    columns[F.BIRTH_DATE][0],
                    N_("{value} is not a date (use 31/12/1980 or 1980-12-31)."),
                    {"value": values[F.BIRTH_DATE].strip()[:50]},
                )
            )
    language = Language.NL
    if F.LANGUAGE in values:
        known = _LANGUAGE_BY_NAME.get(header_key(values[F.LANGUAGE]))
        if known is None:
            found.problems.append(
                RowProblem(
                    row_number,
                    columns[F.LANGUAGE][0],
                    N_("{value} is not a language contacts can be written in (nl, fr, en, de)."),
                    {"value": values[F.LANGUAGE].strip()[:50]},
                )
            )
        else:
            language = known
    return birth, language


def read_row(
    row_number: int,
    headers: Sequence[str],
    cells: Sequence[str],
    mapping: Sequence[ColumnTarget | None],
    today: dt.date,
) -> ImportedRow | list[RowProblem]:
    """Convert and validate one data row; its problems when it is invalid.

    Args:
        row_number: the 1-based data row number.
        headers: the file's header texts.
        cells: the row's cells (missing cells count as blank).
        mapping: a target (or None) per header.
        today: for validating dates.

    Returns:
        The row, ready to import, or every problem found (a row is never half-read).
    """
    found = _gather(row_number, headers, cells, mapping)
    values = found.values
    birth, language = _birth_and_language(row_number, found)
    first = values.get(F.FIRST_NAME, "")
    last = values.get(F.LAST_NAME, "")
    if not first.strip() and not last.strip() and F.FULL_NAME in values:
        first, last = split_full_name(values[F.FULL_NAME])
    organisation = values.get(F.ORGANISATION, "")
    kind = ContactKind.PERSON
    if not first.strip() and not last.strip() and organisation.strip():
        kind = ContactKind.ORGANISATION_ADDRESS
    data = ContactInput(
        kind=kind,
        first_name=first,
        last_name=last,
        organisation=organisation,
        emails=tuple(found.emails),
        phones=tuple(found.phones),
        street=" ".join(values.get(F.STREET, "").split()),
        postcode=values.get(F.POSTCODE, ""),
        city=values.get(F.CITY, ""),
        country=country_code(values[F.COUNTRY]) if F.COUNTRY in values else "BE",
        language=language,
        birth_date=birth,
        notes=values.get(F.NOTES, ""),
    )
    problems = found.problems
    try:
        checked = validate_contact(data, today)
    except ValidationFailed as exc:
        for problem in exc.problems:
            problems.append(
                RowProblem(
                    row_number,
                    _problem_column(problem.field, problem.params, found.columns, headers, cells),
                    problem.message,
                    dict(problem.params),
                )
            )
        return problems
    if problems:
        return problems
    filled = {_SCALAR_TARGETS[f] for f in values if f in _SCALAR_TARGETS}
    if F.FULL_NAME in values:
        filled |= {n for n in ("first_name", "last_name") if getattr(checked, n)}
    return ImportedRow(row_number, checked, tuple(found.consents), frozenset(filled))


def _problem_column(
    field: str,
    params: dict[str, object],
    columns: dict[ImportField, list[str]],
    headers: Sequence[str],
    cells: Sequence[str],
) -> str:
    """The header of the column a validation problem is about (the one holding the value)."""
    fields = _PROBLEM_FIELDS.get(field)
    if fields is None:
        fields = tuple(f for f, name in _SCALAR_TARGETS.items() if name == field)
    candidates = [h for f in fields for h in columns.get(f, [])]
    value = params.get("value")
    if isinstance(value, str) and value:
        for index, header in enumerate(headers):
            if header in candidates and index < len(cells) and value in cells[index]:
                return header
    return candidates[0] if candidates else field


# -- duplicate keys ------------------------------------------------------------------------


def duplicate_keys(
    emails: Sequence[str], phones: Sequence[str], first: str, last: str, postcode: str
) -> list[tuple[HashKind, str]]:
    """The keys two records of one person share: normalised e-mail, E.164 phone, and the
    folded name + postcode (accents and case folded)."""
    keys = [(HashKind.EMAIL, normalised_point(HashKind.EMAIL, e)) for e in emails]
    keys += [(HashKind.PHONE, normalised_point(HashKind.PHONE, p)) for p in phones]
    key = name_postcode(first, last, postcode)
    if key:
        keys.append((HashKind.NAME_POSTCODE, normalised_point(HashKind.NAME_POSTCODE, key)))
    return keys
