"""From a row of text cells to a contact: the cell rules.

Which field a column holds is guessed from its header in ``import_headers``. Several
columns may map to one field: e-mail addresses and phone numbers are all kept (and a cell
may hold several); address columns are grouped by address and one whole address is
taken, the others kept in the notes (``import_addresses``); birth date parts and the name
shown with an e-mail address are put together (``import_cells``); for any other field the
first filled cell wins, and further values of a cell holding several go to the notes.

A contact is never refused for one value: a value that cannot be used as it is is kept as
typed, or in the notes, and listed as a value to check (``import_values``). A row is
refused only when nothing identifies a person or organisation (no name, organisation,
e-mail address or phone number), or when the file itself is broken there (more cells than
the header); a cell over ``MAX_CELL_CHARS`` keeps its beginning. What is kept is then
checked with the contact editor's rules (``validate_contact``), the kept values as they are.

A consent cell says yes (yes/ja/oui/1/true/x) or no (no/nee/non/0/false); a blank cell
records nothing; anything else records nothing and is a value to check.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from privacycrm_desktop.domain.consent import Channel, ConsentStatus
from privacycrm_desktop.domain.contacts import (
    MAX_EMAILS,
    MAX_NOTES_LENGTH,
    MAX_PHONES,
    ContactInput,
    ContactKind,
    Language,
    validate_contact,
)
from privacycrm_desktop.domain.errors import ValidationFailed
from privacycrm_desktop.domain.import_addresses import address_columns
from privacycrm_desktop.domain.import_cells import (
    MULTI_VALUE,
    CellsTogether,
    place_of,
    points,
    unplaced,
)
from privacycrm_desktop.domain.import_formats import (
    MAX_CELL_CHARS,
    ColumnTarget,
    ImportField,
    RowProblem,
)
from privacycrm_desktop.domain.import_headers import is_display_name_header
from privacycrm_desktop.domain.import_names import row_names
from privacycrm_desktop.domain.import_values import (
    BIRTH_KEPT,
    CONSENT_UNREAD,
    COUNTRY_UNKNOWN,
    CUT_SHORT,
    EMAIL_KEPT,
    KEPT_IN_NOTES,
    LANGUAGE_UNKNOWN,
    MAX_KEPT,
    POSTCODE_KEPT,
    POSTCODE_NO_COUNTRY,
    ValueToCheck,
    consent_answer,
    country_for,
    country_language,
    email_in,
    in_column_order,
    notes_line,
    printable,
    read_country,
    read_language,
    read_phone,
    says_something,
)
from privacycrm_desktop.domain.import_values import birth_date as read_birth_date
from privacycrm_desktop.domain.normalize import InvalidValue, normalise_email
from privacycrm_desktop.domain.postcodes import known_format, postcode_in
from privacycrm_desktop.domain.tags import split_tags
from privacycrm_desktop.domain.text import N_

F = ImportField

#: The country an import takes when neither the file nor the row's values tell.
DEFAULT_COUNTRY = "BE"
#: A row that names nobody: the one reason a row is refused for its values.
NOTHING_IDENTIFIES = N_(
    "Nothing identifies a person or organisation: no name, e-mail address or phone number."
)


# -- cell values ---------------------------------------------------------------------------

# -- one row -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowConsent:
    """A consent a row states: purpose, channel and yes (opt-in) or no (opt-out)."""

    purpose_code: str
    channel: Channel
    status: ConsentStatus


@dataclass(frozen=True)
class ImportedRow:
    """A row to import: the contact as the editor would save it, and its stated consents."""

    row_number: int
    contact: ContactInput
    consents: tuple[RowConsent, ...]
    #: The mapped scalar fields the row filled (for merging and provenance).
    filled: frozenset[str]
    #: Values kept as typed or in the notes, with the reason, for someone to look at.
    to_check: tuple[ValueToCheck, ...] = ()
    #: Fields the file did not fill and the import's default filled ("country",
    #: "language").
    defaulted: frozenset[str] = frozenset()
    #: E-mail addresses and phone numbers that identify nobody: kept as typed, or made up
    #: (555). Never a duplicate key: two people sharing "BusinessPhone" are two people.
    unkeyed: frozenset[str] = frozenset()
    tags: tuple[str, ...] = ()
    #: The function and department at the row's organisation (a company link).
    function: str = ""
    department: str = ""


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
#: Contact fields and the import fields whose columns hold them.
_FIELD_COLUMNS = {
    "emails": (F.EMAIL,),
    "phones": (F.PHONE,),
    "last_name": (F.LAST_NAME, F.FULL_NAME, F.FIRST_NAME),
    "first_name": (F.FIRST_NAME, F.FULL_NAME),
    "organisation": (F.ORGANISATION, F.FULL_NAME),
}
#: Text fields whose value, when the editor's rules refuse it (too long, control
#: characters), is moved to the notes rather than losing the contact.
_MOVABLE = ("first_name", "last_name", "organisation", "street", "city")
#: An import field a display name may come in (a vCard's FN, an e-mail display name):
#: used for the name when the row has no first or last name.


@dataclass
class _Cells:
    """The mapped cells of one row, gathered per field, and what reading them found."""

    columns: dict[ImportField, list[str]]
    values: dict[ImportField, str]
    emails: list[tuple[str, str]] = field(default_factory=list)
    phones: list[tuple[str, str]] = field(default_factory=list)
    consents: list[RowConsent] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    checks: list[ValueToCheck] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    defaulted: set[str] = field(default_factory=set)
    unkeyed: set[str] = field(default_factory=set)
    #: Custom fields' cells (key -> text), checked against their fields when written.
    custom: dict[str, str] = field(default_factory=dict)

    def column(self, target: ImportField) -> str:
        """The header of the first column mapped to *target*."""
        return self.columns.get(target, [""])[0]

    def check(
        self, row_number: int, column: str, name: str, raw: str, message: str, **params: object
    ) -> None:
        """Note a value to look at (its raw text shortened in the message)."""
        self.checks.append(
            ValueToCheck(
                row_number, column, name, raw, message, {"value": raw.strip()[:50], **params}
            )
        )

    def keep_in_notes(
        self, row_number: int, column: str, name: str, raw: str, message: str, **params: object
    ) -> None:
        """Keep a value no field can hold in the notes, and note it to look at."""
        self.notes.append(notes_line(column, raw))
        self.check(row_number, column, name, raw, message, **params)


def _gather(  # noqa: PLR0912 (one branch per kind of column)
    row_number: int,
    headers: Sequence[str],
    cells: Sequence[str],
    mapping: Sequence[ColumnTarget | None],
) -> _Cells:
    """Sort a row's cells by target: points listed, one address chosen from its columns,
    birth date parts joined, scalars first-filled, consents read."""
    found = _Cells({}, {})
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
            # A 10 MB note loses its tail, not its contact.
            name = _SCALAR_TARGETS.get(target.field, target.field.value)
            found.check(row_number, header, name, cell[:50], CUT_SHORT, limit=MAX_CELL_CHARS)
            cell = cell[:MAX_CELL_CHARS]
        if not cell.strip():
            continue
        elif target.field is F.EMAIL or target.field is F.PHONE:
            listed = found.emails if target.field is F.EMAIL else found.phones
            listed.extend((header, point) for point in points(cell))
        elif target.field is F.CONSENT:
            _read_consent(row_number, header, cell, target, found)
        elif target.field is F.CUSTOM:
            found.custom.setdefault(target.key or "", cell.strip())
        elif target.field in (F.NOTES, F.NOTE_LINE, F.UNREAD):
            _note(found, row_number, target.field, header, cell)
        elif target.field in _KEPT_WHOLE or (
            target.field in _ONE_CELL and not MULTI_VALUE.search(cell)
        ):
            found.values.setdefault(target.field, cell)
        else:
            if together is None:
                together = CellsTogether()
            group = address_columns(headers, mapping).groups[index]
            together.add(header, target.field, cell, group)
    if together is not None:
        kinds = {
            rank: cells[index]
            for rank, index in address_columns(headers, mapping).kinds.items()
            if index < len(cells)
        }
        together.put_in(found.values, found.columns, kinds)
    return found


def _note(found: _Cells, row_number: int, target: ImportField, header: str, cell: str) -> None:
    """The notes cell (the first one filled), a column kept as a line of the notes, or
    lines no reader understood, each a line of the notes and a value to check."""
    if target is F.NOTES:
        found.values.setdefault(F.NOTES, cell)
    elif target is F.UNREAD:
        for line in filter(str.strip, cell.splitlines()):
            found.keep_in_notes(row_number, header, "notes", line, KEPT_IN_NOTES)
    else:
        found.notes.append(notes_line(header, cell.strip()))


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
        dict(found.values),
        tuple(point for _header, point in found.emails),
        tuple(point for _header, point in found.phones),
        tuple(found.problems),
    )


#: Fields whose cell is the value on its own (a tuple: tested by identity, not hashed).
#: Fields whose first cell is kept as it is.
_KEPT_WHOLE = (F.TAGS, F.FUNCTION, F.DEPARTMENT)
_ONE_CELL = (F.FIRST_NAME, F.LAST_NAME, F.FULL_NAME, F.ORGANISATION, F.LANGUAGE, F.BIRTH_DATE)


def _read_consent(
    row_number: int, header: str, cell: str, target: ColumnTarget, found: _Cells
) -> None:
    try:
        status = consent_answer(cell)
    except ValueError:
        found.check(row_number, header, "consent", cell, CONSENT_UNREAD)
        return
    if status is not None and target.purpose_code and target.channel:
        found.consents.append(RowConsent(target.purpose_code, Channel(target.channel), status))


def _birth_and_language(
    row_number: int, found: _Cells, today: dt.date, country: str, months_first: bool
) -> tuple[dt.date | None, Language]:
    """The birth date and language cells, read; what needs a look is noted in *found*.

    A birth date that cannot be read (text, a date in the future or before
    ``contacts.EARLIEST_BIRTH``) is kept in the notes. A language that is missing or not
    one contacts are written in is the country's (``import_values.country_language``),
    noted as defaulted.
    """
    birth: dt.date | None = None
    values = found.values
    if F.BIRTH_DATE in values:
        raw = values[F.BIRTH_DATE]
        try:
            birth = read_birth_date(raw, today, months_first=months_first)
        except ValueError:
            found.keep_in_notes(
                row_number, found.column(F.BIRTH_DATE), "birth_date", raw, BIRTH_KEPT
            )
    language = country_language(country, values.get(F.POSTCODE, "").strip())
    known = None
    if F.LANGUAGE in values:
        known = read_language(values[F.LANGUAGE])
        if known is None:
            found.check(
                row_number,
                found.column(F.LANGUAGE),
                "language",
                values[F.LANGUAGE],
                LANGUAGE_UNKNOWN,
                language=language.value,
            )
    if known is None:
        found.defaulted.add("language")
        return birth, language
    return birth, known


def _country(
    row_number: int, found: _Cells, postcode: str, default_country: str
) -> tuple[str, bool]:
    """The contact's country and whether it was read from the file or its values (for
    ``filled``); an unknown country text is kept in the notes."""
    values = found.values
    raw = values.get(F.COUNTRY, "")
    named = bool(raw.strip())
    if named:
        code = read_country(raw)
        if code is not None:
            return code, True
        found.keep_in_notes(row_number, found.column(F.COUNTRY), "country", raw, COUNTRY_UNKNOWN)
    country, by_default = country_for(postcode, [p for _h, p in found.phones], default_country)
    if named:
        # The file names a country, only not one known: never the default instead.
        return ("", False) if by_default else (country, bool(country))
    if by_default:
        found.defaulted.add("country")
    elif not country:
        found.check(row_number, found.column(F.POSTCODE), "postcode", postcode, POSTCODE_NO_COUNTRY)
    return country, bool(country) and not by_default


def _points(row_number: int, found: _Cells, region: str) -> tuple[list[str], list[str]]:
    """The e-mail addresses and phone numbers: normalised, or kept as typed and noted."""
    emails: list[str] = []
    for header, raw in found.emails:
        try:
            value = normalise_email(email_in(raw))
        except InvalidValue:
            value = printable(raw)
            if not value:
                continue  # nothing but control characters: nothing to keep
            if len(value) > MAX_KEPT["emails"]:
                found.keep_in_notes(row_number, header, "emails", raw, KEPT_IN_NOTES)
                continue
            found.check(row_number, header, "emails", raw, EMAIL_KEPT)
            found.unkeyed.add(value)
        if value not in emails:
            emails.append(value)
    phones: list[str] = []
    for header, raw in found.phones:
        value, reason = read_phone(raw, region)
        if reason is not None:
            value = printable(value)
            if not value:
                continue
            if len(value) > MAX_KEPT["phones"]:
                found.keep_in_notes(row_number, header, "phones", raw, KEPT_IN_NOTES)
                continue
            found.check(row_number, header, "phones", raw, reason)
            found.unkeyed.add(value)
        if value not in phones:
            phones.append(value)
    for name, listed, limit, target in (
        ("emails", emails, MAX_EMAILS, F.EMAIL),
        ("phones", phones, MAX_PHONES, F.PHONE),
    ):
        for extra in listed[limit:]:
            found.keep_in_notes(row_number, found.column(target), name, extra, KEPT_IN_NOTES)
        del listed[limit:]
    return emails, phones


def _postcode(row_number: int, found: _Cells, country: str) -> str:
    """The postcode written as its country writes it, or kept as typed and noted."""
    raw = printable(found.values.get(F.POSTCODE, ""))
    if not raw or not known_format(country):
        if len(raw) > MAX_KEPT["postcode"]:
            found.keep_in_notes(
                row_number, found.column(F.POSTCODE), "postcode", raw, KEPT_IN_NOTES
            )
            return ""
        return raw
    written = postcode_in(raw, country)
    if written is not None:
        return written
    if len(raw) > MAX_KEPT["postcode"]:
        found.keep_in_notes(row_number, found.column(F.POSTCODE), "postcode", raw, KEPT_IN_NOTES)
        return ""
    found.check(
        row_number, found.column(F.POSTCODE), "postcode", raw, POSTCODE_KEPT, country=country
    )
    return raw


def read_row(
    row_number: int,
    headers: Sequence[str],
    cells: Sequence[str],
    mapping: Sequence[ColumnTarget | None],
    today: dt.date,
    *,
    default_country: str = DEFAULT_COUNTRY,
    months_first: bool = False,
) -> ImportedRow | list[RowProblem]:
    """Convert and check one data row; its problems when it cannot be imported.

    Args:
        row_number: the 1-based data row number.
        headers: the file's header texts.
        cells: the row's cells (missing cells count as blank).
        mapping: a target (or None) per header.
        today: for checking dates.
        default_country: the country taken when the row names none and its postcode and
            phone numbers do not tell (phone numbers are read in it too).
        months_first: the file's birth dates are written month first
            (``import_values.month_first`` of the whole column).

    Returns:
        The row, ready to import, with the values that need a look; or every problem
        found when nothing identifies the contact or the file is broken there.
    """
    found = _gather(row_number, headers, cells, mapping)
    values = found.values
    display = any(is_display_name_header(h) for h in found.columns.get(F.FULL_NAME, []))
    names = row_names(values, display=display)
    first, last, organisation = names.first, names.last, names.organisation
    if names.left:
        found.notes.append(notes_line(found.column(F.FULL_NAME), names.left))
    named = (first, last, organisation, *(raw for _h, raw in found.emails))
    if not any(says_something(v) for v in (*named, *(raw for _h, raw in found.phones))):
        return [RowProblem(row_number, "", NOTHING_IDENTIFIES), *found.problems]
    if found.problems:
        return found.problems
    raw_postcode = " ".join(values.get(F.POSTCODE, "").split())
    country, country_read = _country(row_number, found, raw_postcode, default_country)
    emails, phones = _points(row_number, found, country or default_country)
    postcode = _postcode(row_number, found, country)
    birth, language = _birth_and_language(row_number, found, today, country, months_first)
    kind = ContactKind.PERSON
    if not first.strip() and not last.strip() and organisation.strip():
        kind = ContactKind.ORGANISATION_ADDRESS
    data = ContactInput(
        kind=kind,
        first_name=first,
        last_name=last,
        organisation=organisation,
        emails=tuple(emails),
        phones=tuple(phones),
        street=" ".join(values.get(F.STREET, "").split()),
        postcode=postcode,
        city=values.get(F.CITY, ""),
        country=country,
        language=language,
        birth_date=birth,
        notes=values.get(F.NOTES, ""),
        extra=dict(found.custom),
    )
    found.notes[:0] = unplaced(values, data, found.columns)
    checked = _validated(row_number, data, found, today)
    if isinstance(checked, list):
        return checked
    filled = {_SCALAR_TARGETS[f] for f in values if f in _SCALAR_TARGETS}
    filled.discard("country")
    filled.discard("birth_date")
    if country_read:
        filled.add("country")
    if checked.birth_date is not None:
        filled.add("birth_date")
    if checked.notes:
        filled.add("notes")
    filled |= {n for n in ("first_name", "last_name", "organisation") if getattr(checked, n)}
    return ImportedRow(
        row_number,
        checked,
        tuple(found.consents),
        frozenset(filled),
        in_column_order(found.checks, headers),
        frozenset(found.defaulted),
        frozenset(found.unkeyed),
        split_tags(values.get(F.TAGS, "")),
        *place_of(values, checked),
    )


def _validated(
    row_number: int, data: ContactInput, found: _Cells, today: dt.date
) -> ContactInput | list[RowProblem]:
    """*data* checked with the editor's rules, the points and postcode read already taken
    as they are. A name, organisation, street or city the rules refuse (too long, control
    characters) goes to the notes; anything else refused is the row's problem."""
    settled = ContactInput(emails=data.emails, phones=data.phones, postcode=data.postcode)
    moved: dict[str, Any] = {}
    for _attempt in range(2):
        candidate = data
        if found.notes or moved:
            own, kept = data.notes.strip(), "\n".join(found.notes)
            if len(own) + len(kept) + 1 > MAX_NOTES_LENGTH:
                # The file's own notes give way, not the values kept in them: a name or
                # organisation moved there was said to be kept.
                where, limit = _column_of("notes", found), MAX_NOTES_LENGTH
                found.check(row_number, where, "notes", own[:50], CUT_SHORT, limit=limit)
                own = own[: max(0, limit - len(kept) - 1)]
            notes = "\n".join(n for n in (own, kept) if n)[:MAX_NOTES_LENGTH]
            candidate = replace(data, notes=notes, **moved)
        try:
            return validate_contact(candidate, today, settled=settled)
        except ValidationFailed as exc:
            problems = exc.problems
        movable = [p for p in problems if p.field in _MOVABLE and p.field not in moved]
        if len(movable) != len(problems):
            break
        for problem in movable:
            raw = getattr(data, problem.field)
            column = _column_of(problem.field, found)
            found.keep_in_notes(row_number, column, problem.field, printable(raw), KEPT_IN_NOTES)
            moved[problem.field] = ""
    return [
        RowProblem(row_number, _column_of(p.field, found), p.message, dict(p.params))
        for p in problems
    ]


def _column_of(name: str, found: _Cells) -> str:
    """The header of the first column holding the contact field *name*."""
    fields = _FIELD_COLUMNS.get(name)
    if fields is None:
        fields = tuple(f for f, n in _SCALAR_TARGETS.items() if n == name)
    candidates = [h for f in fields for h in found.columns.get(f, [])]
    return candidates[0] if candidates else name
