"""From a row of text cells to a validated contact: mapping guesses and cell rules.

Headers of Outlook and Google Contacts exports and of hand-made Excel sheets in English,
Dutch and French are recognised after folding (case, accents, punctuation). Several
columns may map to one field: e-mail addresses and phone numbers are all kept; for any
other field the first filled cell wins (Outlook's business address before its home one).

A consent cell says yes (yes/ja/oui/1/true/x) or no (no/nee/non/0/false); a blank cell
records nothing; anything else makes the row invalid. Validation itself is the contact
editor's (``validate_contact``): an import never accepts what the form would refuse.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

from privacycrm_desktop.domain.consent import Channel, ConsentStatus
from privacycrm_desktop.domain.contacts import (
    ContactInput,
    ContactKind,
    Language,
    validate_contact,
)
from privacycrm_desktop.domain.errors import ValidationFailed
from privacycrm_desktop.domain.import_formats import (
    MAX_CELL_CHARS,
    ColumnTarget,
    ImportField,
    RowProblem,
)
from privacycrm_desktop.domain.normalize import fold
from privacycrm_desktop.domain.suppression import HashKind, name_postcode, normalised_point
from privacycrm_desktop.domain.text import N_

F = ImportField


def header_key(header: str) -> str:
    """A header folded for matching: "E-mail 2 Address" -> "e mail 2 address"."""
    return " ".join(re.sub(r"[^0-9a-z]+", " ", fold(header)).split())


#: Exact headers (folded with ``header_key``) and what they mean.
_EXACT: dict[str, ImportField | None] = {}


def _alias(field: ImportField | None, *headers: str) -> None:
    for header in headers:
        _EXACT[header_key(header)] = field


_alias(
    F.FIRST_NAME,
    "First Name",
    "Given Name",
    "Firstname",
    "Voornaam",
    "Prénom",
    "Prenom",
    "N (given)",
)
_alias(
    F.LAST_NAME,
    "Last Name",
    "Family Name",
    "Surname",
    "Lastname",
    "Achternaam",
    "Familienaam",
    "Naam",
    "Nom",
    "Nom de famille",
    "N (family)",
)
_alias(F.FULL_NAME, "Name", "Full Name", "Display Name", "Volledige naam", "Nom complet", "FN")
_alias(
    F.ORGANISATION,
    "Company",
    "Organization",
    "Organisation",
    "Organization Name",
    "Organization 1 - Name",
    "Bedrijf",
    "Firma",
    "Onderneming",
    "Organisatie",
    "Société",
    "Entreprise",
    "ORG",
)
_alias(
    F.EMAIL,
    "E-mail Address",
    "E-mail 2 Address",
    "E-mail 3 Address",
    "Email",
    "E-mail",
    "E-mail 1 - Value",
    "E-mail 2 - Value",
    "E-mail 3 - Value",
    "E-mailadres",
    "E-mailadres 2",
    "E-mailadres 3",
    "Mail",
    "Courriel",
    "Adresse e-mail",
    "Adresse de messagerie",
    "Adresse de messagerie 2",
    "Adresse de messagerie 3",
    "EMAIL",
)
_alias(
    F.PHONE,
    "Mobile Phone",
    "Business Phone",
    "Business Phone 2",
    "Home Phone",
    "Home Phone 2",
    "Primary Phone",
    "Other Phone",
    "Company Main Phone",
    "Phone",
    "Telephone",
    "Phone 1 - Value",
    "Phone 2 - Value",
    "Phone 3 - Value",
    "Mobile",
    "Telefoon",
    "Telefoonnummer",
    "GSM",
    "Mobiele telefoon",
    "Mobiel",
    "Telefoon thuis",
    "Telefoon op werk",
    "Telefoon werk",
    "Téléphone",
    "Telephone",
    "Tél. mobile",
    "Téléphone mobile",
    "Portable",
    "Téléphone domicile",
    "Téléphone bureau",
    "Téléphone (bureau)",
    "Téléphone (domicile)",
    "TEL",
)
_alias(
    F.STREET,
    "Business Street",
    "Home Street",
    "Other Street",
    "Street",
    "Address",
    "Address 1 - Street",
    "Straat",
    "Adres",
    "Straat en nummer",
    "Werkadres, straat",
    "Huisadres, straat",
    "Rue",
    "Adresse",
    "Rue (bureau)",
    "Rue (domicile)",
    "ADR (street)",
)
_alias(
    F.POSTCODE,
    "Business Postal Code",
    "Home Postal Code",
    "Other Postal Code",
    "Postal Code",
    "Postcode",
    "Zip",
    "Zip Code",
    "Address 1 - Postal Code",
    "Werkadres, postcode",
    "Huisadres, postcode",
    "Code postal",
    "Code postal (bureau)",
    "Code postal (domicile)",
    "ADR (postcode)",
)
_alias(
    F.CITY,
    "Business City",
    "Home City",
    "Other City",
    "City",
    "Town",
    "Address 1 - City",
    "Gemeente",
    "Woonplaats",
    "Plaats",
    "Stad",
    "Werkadres, plaats",
    "Huisadres, plaats",
    "Ville",
    "Localité",
    "Commune",
    "Ville (bureau)",
    "Ville (domicile)",
    "ADR (city)",
)
_alias(
    F.COUNTRY,
    "Business Country/Region",
    "Home Country/Region",
    "Other Country/Region",
    "Country",
    "Address 1 - Country",
    "Land",
    "Werkadres, land/regio",
    "Huisadres, land/regio",
    "Pays",
    "Pays/Région (bureau)",
    "Pays/Région (domicile)",
    "ADR (country)",
)
_alias(F.LANGUAGE, "Language", "Taal", "Langue", "LANG")
_alias(
    F.BIRTH_DATE,
    "Birthday",
    "Birth Date",
    "Date of Birth",
    "Verjaardag",
    "Geboortedatum",
    "Date de naissance",
    "Anniversaire",
    "BDAY",
)
_alias(F.NOTES, "Notes", "Note", "Notities", "Opmerkingen", "Opmerking", "Remarques", "NOTE")
for _n in range(2, 11):
    _alias(F.EMAIL, f"EMAIL {_n}", f"E-mail {_n}", f"Email {_n}")
    _alias(F.PHONE, f"TEL {_n}", f"Phone {_n}", f"Telefoon {_n}", f"Téléphone {_n}")
# Known columns that are not imported (a label, a fax): left unmapped on purpose.
_alias(
    None,
    "E-mail 1 - Type",
    "E-mail 1 - Label",
    "Phone 1 - Type",
    "Phone 1 - Label",
    "Business Fax",
    "Home Fax",
    "Other Fax",
    "Pager",
    "Middle Name",
    "Title",
    "Suffix",
    "Job Title",
    "Anniversary",
)

_CONSENT_WORDS = (
    "consent",
    "toestemming",
    "consentement",
    "opt in",
    "optin",
    "newsletter",
    "nieuwsbrief",
    "infolettre",
    "lettre d information",
    "mailing",
)
_CHANNEL_WORDS = (
    (Channel.EMAIL, ("e mail", "email", "mail", "newsletter", "nieuwsbrief", "infolettre")),
    (Channel.SMS, ("sms", "texto")),
    (Channel.PHONE, ("phone", "telefoon", "telephone", "bellen", "appel")),
    (Channel.POST, ("post", "courrier", "brief", "mailing")),
)
_PATTERNS: tuple[tuple[ImportField | None, tuple[str, ...]], ...] = (
    (None, ("fax", "pager", "label", "type", "yomi")),
    (F.EMAIL, ("e mail", "email", "courriel", "messagerie")),
    (F.PHONE, ("phone", "telefoon", "telephone", "gsm", "mobile", "mobiel", "portable")),
    (F.POSTCODE, ("postal code", "postcode", "code postal", "zip")),
    (F.STREET, ("street", "straat", "rue")),
    (F.CITY, ("city", "plaats", "gemeente", "ville")),
    (F.COUNTRY, ("country", "pays")),
)


def is_consent_header(header: str) -> bool:
    """Does the header say the column records consent (newsletter, opt-in, toestemming)?"""
    key = f" {header_key(header)} "
    return any(f" {word} " in key or key.strip().startswith(word) for word in _CONSENT_WORDS)


def consent_channel(header: str) -> Channel:
    """The channel a consent header names (whole words); e-mail when it names none."""
    key = f" {header_key(header)} "
    for channel, words in _CHANNEL_WORDS:
        if any(f" {word} " in key for word in words):
            return channel
    return Channel.EMAIL


def guess_target(header: str, consent_purpose: str | None = None) -> ColumnTarget | None:
    """What a column with this header most likely holds, or None to leave it out.

    A consent column is mapped only when *consent_purpose* (the register's consent
    purpose) is given: the file states consent, the person confirms the purpose.
    """
    key = header_key(header)
    if not key:
        return None
    if is_consent_header(header):
        if consent_purpose is None:
            return None
        return ColumnTarget(F.CONSENT, consent_purpose, consent_channel(header).value)
    if key in _EXACT:
        field = _EXACT[key]
        return None if field is None else ColumnTarget(field)
    padded = f" {key} "
    for field, words in _PATTERNS:
        if any(f" {word} " in padded for word in words):
            return None if field is None else ColumnTarget(field)
    return None


def guess_mapping(
    headers: Sequence[str], consent_purpose: str | None = None
) -> tuple[ColumnTarget | None, ...]:
    """A guessed target per header (see ``guess_target``)."""
    return tuple(guess_target(h, consent_purpose) for h in headers)


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
_SPLIT_POINTS = re.compile(r"[;,\n]+")


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
    """Sort a row's cells by target: points listed, scalars first-filled, consents read."""
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
        elif target.field is F.EMAIL:
            found.emails += [p for p in _SPLIT_POINTS.split(cell) if p.strip()]
        elif target.field is F.PHONE:
            found.phones += [p for p in _SPLIT_POINTS.split(cell) if p.strip()]
        elif target.field is F.CONSENT:
            _read_consent(row_number, header, cell, target, found)
        else:
            found.values.setdefault(target.field, cell)
    return found


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
