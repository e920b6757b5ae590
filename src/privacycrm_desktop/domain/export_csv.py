"""CSV exports other programs read: our own columns, Outlook's, Google's, and a Belgian
Excel sheet in Dutch or French.

Each profile writes the column names the program itself writes (and reads back):

- ``privacycrm``: column names a person reads, in the export's language ("First name",
  "Voornaam", "Prénom"..., "E-mail 2", "Telefoon 2"), each one a header our import
  recognises, plus our number and the ``UID`` that finds the contact again; E.164 numbers;
  ISO dates and codes, so the values come back as they were.
- ``outlook``: Outlook's own export (the names Microsoft documents in "Create or edit .csv
  files to import into Outlook": ``First Name``, ``Company``, ``Business Street``,
  ``Business Phone``, ``Mobile Phone``, ``E-mail Address``, ``E-mail 2 Address``...); the
  first mobile number in ``Mobile Phone``, the other numbers in the business, home and
  other phone columns, in order.
- ``google``: Google Contacts' current export (``First Name``, ``Organization Name``,
  ``E-mail 1 - Label``/``E-mail 1 - Value``, ``Phone 1 - Label``/``Phone 1 - Value``,
  ``Address 1 - Street``...), and ``Language`` of its older format.
- ``excel-nl``/``excel-fr``: a sheet a Belgian Excel opens by a double click: ``;`` between
  cells (its list separator), Dutch or French column names, day-first dates, countries
  and languages by name.

Formula injection (OWASP "CSV injection"): every cell that starts with = + - @ tab CR LF
gets a quote before it (``csv_cells.neutralise``), except a phone number written from a
stored number: a "+" followed by digits and spaces names no function, cell or program, so
nothing can run (OWASP's concern); Outlook and Google read it as the number it is. The
Excel sheet writes numbers as a Belgian dials them (``0475 12 34 56``, ``00 31 6
12345678``): text to a spreadsheet, never a formula, and dialable.

A file holds as many e-mail and phone columns as the contact with most of them needs; past
the program's own columns they are numbered in the program's pattern ("E-mail 4 Address",
"Other Phone 2"): the program lets a person map them, and our import reads them.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Sequence
from enum import StrEnum
from typing import TextIO

from privacycrm_desktop.domain.contacts import NO_YEAR
from privacycrm_desktop.domain.csv_cells import birthday_cell, neutralise, phone_cell
from privacycrm_desktop.domain.duplicates import is_mobile
from privacycrm_desktop.domain.export_formats import EXPORT_FIELDS, ExportContact
from privacycrm_desktop.domain.tags import join_tags
from privacycrm_desktop.domain.text import N_


class CsvProfile(StrEnum):
    """Which program a CSV export is written for."""

    PRIVACYCRM = "privacycrm"
    OUTLOOK = "outlook"
    GOOGLE = "google"
    EXCEL_NL = "excel-nl"
    EXCEL_FR = "excel-fr"


CSV_PROFILE_LABELS = {
    CsvProfile.PRIVACYCRM: N_("PrivacyCRM (all columns, for importing again)"),
    CsvProfile.OUTLOOK: N_("Microsoft Outlook"),
    CsvProfile.GOOGLE: N_("Google Contacts"),
    CsvProfile.EXCEL_NL: N_("Excel, Belgian Dutch (;)"),
    CsvProfile.EXCEL_FR: N_("Excel, Belgian French (;)"),
}

#: The separator of each profile: a Belgian Excel splits on its list separator, ";".
DELIMITERS = {
    CsvProfile.PRIVACYCRM: ",",
    CsvProfile.OUTLOOK: ",",
    CsvProfile.GOOGLE: ",",
    CsvProfile.EXCEL_NL: ";",
    CsvProfile.EXCEL_FR: ";",
}

#: Our own columns in English (in Dutch and French: the Excel sheets' names, below).
_OWN_COLUMNS = {
    "first_name": "First name",
    "last_name": "Last name",
    "organisation": "Organisation",
    "street": "Street",
    "postcode": "Postcode",
    "city": "City",
    "country": "Country",
    "language": "Language",
    "birth_date": "Birth date",
    "notes": "Notes",
    "emails": "E-mail",
    "phones": "Phone",
    "tags": "Tags",
    "function": "Function",
    "department": "Department",
}
#: The columns of the field ``company_links``: the current function and department.
_LINK_PARTS = ("function", "department")
#: The column of our own contact number (left out by an import; the UID finds the contact).
_OWN_NUMBER = {"nl": "PrivacyCRM-nummer", "fr": "N° PrivacyCRM", "en": "PrivacyCRM no."}
_OUTLOOK_COLUMNS = {
    "first_name": "First Name",
    "last_name": "Last Name",
    "organisation": "Company",
    "street": "Business Street",
    "city": "Business City",
    "postcode": "Business Postal Code",
    "country": "Business Country/Region",
    "birth_date": "Birthday",
    "language": "Language",
    "notes": "Notes",
    "tags": "Categories",
    "function": "Job Title",
    "department": "Department",
}
#: Outlook's phone columns in its order; "Mobile Phone" takes the first mobile number.
_OUTLOOK_PHONES = (
    "Business Phone",
    "Business Phone 2",
    "Company Main Phone",
    "Home Phone",
    "Home Phone 2",
    "Mobile Phone",
    "Other Phone",
    "Primary Phone",
)
_OUTLOOK_MOBILE = "Mobile Phone"
#: Outlook's order: names, company, address, phones, birthday, e-mail, language, notes,
#: categories (our tags, separated by ";" as Outlook writes them).
_OUTLOOK_ORDER = (
    "first_name",
    "last_name",
    "organisation",
    "company_links",
    "street",
    "city",
    "postcode",
    "country",
    "phones",
    "birth_date",
    "emails",
    "language",
    "notes",
    "tags",
)
_GOOGLE_COLUMNS = {
    "first_name": "First Name",
    "last_name": "Last Name",
    "organisation": "Organization Name",
    "function": "Organization Title",
    "department": "Organization Department",
    "birth_date": "Birthday",
    "notes": "Notes",
    "language": "Language",
    "street": "Address 1 - Street",
    "city": "Address 1 - City",
    "postcode": "Address 1 - Postal Code",
    "country": "Address 1 - Country",
}
_GOOGLE_ORDER = (
    "first_name",
    "last_name",
    "organisation",
    "company_links",
    "birth_date",
    "notes",
    "language",
    "emails",
    "phones",
    "street",
    "city",
    "postcode",
    "country",
)
_EXCEL_COLUMNS = {
    "nl": {
        "first_name": "Voornaam",
        "last_name": "Achternaam",
        "organisation": "Organisatie",
        "street": "Straat",
        "postcode": "Postcode",
        "city": "Gemeente",
        "country": "Land",
        "language": "Taal",
        "birth_date": "Geboortedatum",
        "notes": "Opmerkingen",
        "emails": "E-mail",
        "phones": "Telefoon",
        "tags": "Tags",
        "function": "Functie",
        "department": "Afdeling",
    },
    "fr": {
        "first_name": "Prénom",
        "last_name": "Nom",
        "organisation": "Société",
        "street": "Rue",
        "postcode": "Code postal",
        "city": "Localité",
        "country": "Pays",
        "language": "Langue",
        "birth_date": "Date de naissance",
        "notes": "Remarques",
        "emails": "E-mail",
        "phones": "Téléphone",
        "tags": "Étiquettes",
        "function": "Fonction",
        "department": "Service",
    },
}


def _numbered(name: str, count: int, pattern: str = "{name} {n}") -> list[str]:
    return [name if n == 1 else pattern.format(name=name, n=n) for n in range(1, count + 1)]


def _language_of(profile: CsvProfile) -> str:
    """The language a profile names countries and languages in."""
    if profile is CsvProfile.EXCEL_NL:
        return "nl"
    if profile is CsvProfile.EXCEL_FR:
        return "fr"
    return "en"


def country_name(code: str, language: str) -> str:
    """A country code by its name in *language* (babel's CLDR names); the text as it is
    when it is no code babel knows."""
    import babel

    return str(babel.Locale(language).territories.get(code.upper(), code)) if code else ""


def language_name(code: str, language: str) -> str:
    """A language code ("nl") by its name in *language* ("Dutch", "Frans")."""
    import babel

    return str(babel.Locale(language).languages.get(code, code)) if code else ""


def phone_text(number: str, profile: CsvProfile, country: str = "") -> str:
    """A stored E.164 number as the profile's program writes it (a masked number, or
    one kept as typed, as it is); *country* is the contact's."""
    if profile is CsvProfile.PRIVACYCRM or not number.startswith("+"):
        return number
    import phonenumbers

    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return number
    international = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    if profile in (CsvProfile.EXCEL_NL, CsvProfile.EXCEL_FR):
        # As a Belgian dials it: the national form for a Belgian number of a contact in
        # Belgium, 00 and the country code otherwise. An import reads a number in the
        # national form in the contact's country, so a Dutch contact's Belgian number
        # needs its "00 32" to come back as it was.
        at_home = phonenumbers.region_code_for_number(parsed) == "BE"
        if at_home and country.upper() in ("", "BE"):
            return str(phonenumbers.format_out_of_country_calling_number(parsed, "BE"))
        return "00 " + str(international)[1:]
    return str(international)


def _birth_text(value: str, profile: CsvProfile) -> str:
    """A birth date as the profile's program writes it. One without its year: day and
    month in a Belgian list ("17/05"), --MM-DD for Google and Outlook (as vCard writes it);
    the app's own profile keeps the stored form, which it reads back."""
    excel = profile in (CsvProfile.EXCEL_NL, CsvProfile.EXCEL_FR)
    if value.startswith(f"{NO_YEAR}-") and profile is not CsvProfile.PRIVACYCRM:
        return f"{value[8:10]}/{value[5:7]}" if excel else "--" + value[5:]
    if excel:
        try:
            return dt.date.fromisoformat(value).strftime("%d/%m/%Y")
        except ValueError:
            return value
    return value


class CsvExportWriter:
    """Writes contacts to a text stream as CSV of one profile, one row at a time.

    Open the stream with ``encoding="utf-8-sig", newline=""``: the byte-order mark makes
    Excel read the file as UTF-8; rows end in CRLF as RFC 4180 says.
    """

    def __init__(
        self,
        stream: TextIO,
        fields: Sequence[str],
        emails: int,
        phones: int,
        profile: CsvProfile = CsvProfile.PRIVACYCRM,
        language: str = "en",
        custom: Sequence[tuple[str, str]] = (),
    ) -> None:
        self._fields = tuple(fields)
        #: Custom fields' columns after the others: (key, column name).
        self._custom = tuple(custom)
        self._profile = profile
        # The language of our own profile's column names (nl, fr or en).
        self._language = language if language in _OWN_NUMBER else "en"
        self._emails = max(emails, 1)
        self._phones = max(phones, 1)
        self._writer = csv.writer(stream, delimiter=DELIMITERS[profile], lineterminator="\r\n")
        self._writer.writerow(self.header())

    def _order(self) -> tuple[str, ...]:
        order: tuple[str, ...]
        if self._profile is CsvProfile.OUTLOOK:
            order = _OUTLOOK_ORDER
        elif self._profile is CsvProfile.GOOGLE:
            order = _GOOGLE_ORDER
        else:
            order = EXPORT_FIELDS
        return tuple(f for f in order if f in self._fields)

    def _outlook_phones(self) -> list[str]:
        # "Mobile Phone" holds only a mobile: the other numbers need one column more.
        extra = max(self._phones - (len(_OUTLOOK_PHONES) - 1), 0)
        return list(_OUTLOOK_PHONES) + [f"Other Phone {n}" for n in range(2, extra + 2)]

    def header(self) -> list[str]:
        """The header row."""
        profile = self._profile
        header = [_OWN_NUMBER[self._language], "UID"] if profile is CsvProfile.PRIVACYCRM else []
        for field in self._order():
            if field == "company_links":
                header += [self._column(part) for part in _LINK_PARTS]
            elif field == "emails":
                header += self._email_columns()
            elif field == "phones":
                header += self._phone_columns()
            else:
                header.append(self._column(field))
        return header + [neutralise(name) for _key, name in self._custom]

    def _column(self, field: str) -> str:
        """The profile's column name of a one-column field."""
        profile = self._profile
        if profile is CsvProfile.PRIVACYCRM:
            return self._own_columns()[field]
        if profile is CsvProfile.OUTLOOK:
            return _OUTLOOK_COLUMNS[field]
        if profile is CsvProfile.GOOGLE:
            return _GOOGLE_COLUMNS[field]
        return _EXCEL_COLUMNS[_language_of(profile)][field]

    def _own_columns(self) -> dict[str, str]:
        return _OWN_COLUMNS if self._language == "en" else _EXCEL_COLUMNS[self._language]

    def _email_columns(self) -> list[str]:
        count, profile = self._emails, self._profile
        if profile is CsvProfile.PRIVACYCRM:
            return _numbered(self._own_columns()["emails"], count)
        if profile is CsvProfile.OUTLOOK:
            return ["E-mail Address"] + [f"E-mail {n} Address" for n in range(2, count + 1)]
        if profile is CsvProfile.GOOGLE:
            return [
                c
                for n in range(1, count + 1)
                for c in (f"E-mail {n} - Label", f"E-mail {n} - Value")
            ]
        return _numbered(_EXCEL_COLUMNS[_language_of(profile)]["emails"], count)

    def _phone_columns(self) -> list[str]:
        count, profile = self._phones, self._profile
        if profile is CsvProfile.PRIVACYCRM:
            return _numbered(self._own_columns()["phones"], count)
        if profile is CsvProfile.OUTLOOK:
            return self._outlook_phones()
        if profile is CsvProfile.GOOGLE:
            return [
                c for n in range(1, count + 1) for c in (f"Phone {n} - Label", f"Phone {n} - Value")
            ]
        return _numbered(_EXCEL_COLUMNS[_language_of(profile)]["phones"], count)

    def row(self, contact: ExportContact) -> list[str]:
        """One contact's cells, matching ``header``; every cell safe for a spreadsheet."""
        profile = self._profile
        cells = (
            [neutralise(str(contact.id)), neutralise(contact.uid)]
            if profile is CsvProfile.PRIVACYCRM
            else []
        )
        for field in self._order():
            if field == "company_links":
                cells += [neutralise(getattr(contact, part)) for part in _LINK_PARTS]
            elif field == "emails":
                cells += self._email_cells(contact.emails)
            elif field == "phones":
                cells += self._phone_cells(contact.phones, contact.country)
            elif field == "tags":
                separator = ";" if profile is CsvProfile.OUTLOOK else ", "
                cells.append(neutralise(join_tags(contact.tags, separator)))
            else:
                text = self._scalar(contact, field)
                cells.append(birthday_cell(text) if field == "birth_date" else neutralise(text))
        values = dict(contact.custom)
        return cells + [neutralise(values.get(key, "")) for key, _name in self._custom]

    def _scalar(self, contact: ExportContact, field: str) -> str:
        value: str = getattr(contact, field)
        profile, language = self._profile, _language_of(self._profile)
        if profile is CsvProfile.PRIVACYCRM or not value:
            return value
        if field == "country":
            return country_name(value, language)
        if field == "language":
            return language_name(value, language)
        if field == "birth_date":
            return _birth_text(value, profile)
        return value

    def _email_cells(self, emails: tuple[str, ...]) -> list[str]:
        values = list(emails[: self._emails]) + [""] * (self._emails - len(emails[: self._emails]))
        if self._profile is CsvProfile.GOOGLE:
            return [c for v in values for c in ("", neutralise(v))]
        return [neutralise(v) for v in values]

    def _phone_cells(self, phones: tuple[str, ...], country: str) -> list[str]:
        profile = self._profile
        texts = [phone_cell(phone_text(p, profile, country)) for p in phones]
        if profile is CsvProfile.OUTLOOK:
            columns = self._outlook_phones()
            cells = dict.fromkeys(columns, "")
            mobile = next((i for i, p in enumerate(phones) if is_mobile(p)), None)
            if mobile is not None:
                cells[_OUTLOOK_MOBILE] = texts[mobile]
            free = [c for c in columns if c != _OUTLOOK_MOBILE]
            rest = [t for i, t in enumerate(texts) if i != mobile]
            for column, text in zip(free, rest, strict=False):
                cells[column] = text
            return list(cells.values())
        values = texts[: self._phones] + [""] * (self._phones - len(texts[: self._phones]))
        if profile is CsvProfile.GOOGLE:
            labels = ["Mobile" if is_mobile(p) else "Work" for p in phones[: self._phones]]
            labels += [""] * (self._phones - len(labels))
            return [c for label, v in zip(labels, values, strict=True) for c in (label, v)]
        return values

    def write(self, contact: ExportContact) -> None:
        """Write one contact's row."""
        self._writer.writerow(self.row(contact))


__all__ = [
    "CSV_PROFILE_LABELS",
    "DELIMITERS",
    "CsvExportWriter",
    "CsvProfile",
    "country_name",
    "language_name",
    "phone_text",
]
