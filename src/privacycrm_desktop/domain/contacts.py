"""Contacts: the kinds, relationships and languages, and validation of what is entered."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from enum import StrEnum

from privacycrm_desktop.domain.countries import NO_COUNTRY, is_country_code
from privacycrm_desktop.domain.errors import FieldProblem, ValidationFailed
from privacycrm_desktop.domain.fields import scalar_fields
from privacycrm_desktop.domain.normalize import (
    DEFAULT_REGION,
    InvalidValue,
    clean_text,
    normalise_email,
    normalise_phone,
    normalise_postcode,
    strip_bidi_controls,
)
from privacycrm_desktop.domain.text import N_

MAX_NAME_LENGTH = 200
MAX_NOTES_LENGTH = 20_000
MAX_EMAILS = 10
MAX_PHONES = 10
#: The year of a birthday whose year is not known (Apple, Android and CardBook write such
#: a birthday with this year, a leap year so that 29 February fits): "17 May".
NO_YEAR = 1604
#: The earliest full birth date taken (older ones are typing mistakes or history). Earlier
#: than ``normalize.EARLIEST_DATE``: files and vCards hold ancestors' birthdays (1850), and a
#: contact stored with one must stay editable.
EARLIEST_BIRTH = dt.date(NO_YEAR + 1, 1, 1)


class ContactKind(StrEnum):
    """A natural person, or an impersonal company address such as info@ (Belgian e-mail
    rules treat the two apart)."""

    PERSON = "person"
    ORGANISATION_ADDRESS = "organisation_address"


class Relationship(StrEnum):
    """What the contact is to the business."""

    PROSPECT = "prospect"
    CUSTOMER = "customer"
    FORMER_CUSTOMER = "former_customer"
    SUPPLIER = "supplier"
    OTHER = "other"


class Language(StrEnum):
    """Languages a contact is written to in; reports and letters use it."""

    NL = "nl"
    FR = "fr"
    EN = "en"
    DE = "de"


KIND_LABELS = {
    ContactKind.PERSON: N_("Person"),
    ContactKind.ORGANISATION_ADDRESS: N_("Organisation address (info@...)"),
}
RELATIONSHIP_LABELS = {
    Relationship.PROSPECT: N_("Prospect"),
    Relationship.CUSTOMER: N_("Customer"),
    Relationship.FORMER_CUSTOMER: N_("Former customer"),
    Relationship.SUPPLIER: N_("Supplier"),
    Relationship.OTHER: N_("Other"),
}
LANGUAGE_LABELS = {
    Language.NL: N_("Dutch"),
    Language.FR: N_("French"),
    Language.EN: N_("English"),
    Language.DE: N_("German"),
}


@dataclass(frozen=True)
class ContactInput:
    """The values of a contact as a person entered them (plain values, no ORM)."""

    kind: ContactKind = ContactKind.PERSON
    first_name: str = ""
    last_name: str = ""
    organisation: str = ""
    emails: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    street: str = ""
    postcode: str = ""
    city: str = ""
    country: str = "BE"
    language: Language = Language.NL
    birth_date: dt.date | None = None
    notes: str = ""
    relationship: Relationship = Relationship.PROSPECT
    relationship_start: dt.date | None = None
    relationship_end: dt.date | None = None
    last_interaction: dt.date | None = None
    extra: dict[str, str] = field(default_factory=dict)


#: Scalar fields of a contact, in the catalogue's (the editor's) order; lists (emails,
#: phones) apart.
SCALAR_FIELDS = scalar_fields()


def _checked_text(
    problems: list[FieldProblem], name: str, value: str, limit: int = MAX_NAME_LENGTH
) -> str:
    try:
        text = clean_text(value) if name != "notes" else strip_bidi_controls(value or "").strip()
    except InvalidValue as exc:
        problems.append(FieldProblem(name, exc.message, dict(exc.params)))
        return value
    if len(text) > limit:
        problems.append(
            FieldProblem(name, N_("Too long: at most {limit} characters."), {"limit": limit})
        )
    return text


def validate_contact(
    data: ContactInput, today: dt.date, *, settled: ContactInput | None = None
) -> ContactInput:
    """Check and normalise a contact; raise ``ValidationFailed`` listing every problem.

    E-mail addresses get their normal form, phone numbers E.164 (read in the contact's
    country), postcodes are checked where the country's format is known. Nothing here
    touches the network.

    Args:
        data: the values as entered.
        today: for the dates.
        settled: values decided already and taken as they are: the e-mail addresses,
            phone numbers and postcode stored before (a number an import kept as typed
            must not stop a save that leaves it unchanged), or those an import read itself.
    """
    problems: list[FieldProblem] = []
    first = _checked_text(problems, "first_name", data.first_name)
    last = _checked_text(problems, "last_name", data.last_name)
    org = _checked_text(problems, "organisation", data.organisation)
    street = _checked_text(problems, "street", data.street)
    city = _checked_text(problems, "city", data.city)
    notes = _checked_text(problems, "notes", data.notes, MAX_NOTES_LENGTH)
    known = settled or ContactInput()
    country = (data.country or "").strip().upper()
    if country and (len(country) != 2 or not country.isalpha()):
        problems.append(FieldProblem("country", N_("Use a two-letter country code such as BE.")))
    elif country and not is_country_code(country):
        problems.append(FieldProblem("country", NO_COUNTRY, {"value": country}))

    emails = _normalised_list(
        problems, "emails", data.emails, normalise_email, MAX_EMAILS, known.emails
    )
    region = country if len(country) == 2 and country.isalpha() else DEFAULT_REGION

    def phone(text: str) -> str:
        return normalise_phone(text, region)

    phones = _normalised_list(problems, "phones", data.phones, phone, MAX_PHONES, known.phones)
    # A person is known by a name, or else by an e-mail address or phone number (a
    # contact file may hold nothing more).
    if data.kind is ContactKind.PERSON and not (first or last or emails or phones):
        problems.append(FieldProblem("last_name", N_("Enter a first or last name.")))
    if data.kind is ContactKind.ORGANISATION_ADDRESS and not org:
        problems.append(
            FieldProblem("organisation", N_("An organisation address needs the organisation."))
        )

    postcode = data.postcode
    if not (known.postcode and data.postcode == known.postcode):
        try:
            postcode = normalise_postcode(data.postcode, country)
        except InvalidValue as exc:
            problems.append(FieldProblem("postcode", exc.message, dict(exc.params)))

    if data.birth_date is not None and not is_birth_date(data.birth_date, today):
        if data.birth_date > today:
            problems.append(FieldProblem("birth_date", N_("The birth date must lie in the past.")))
        else:
            problems.append(
                FieldProblem("birth_date", N_("The birth date lies too far back: check the year."))
            )
    if problems:
        raise ValidationFailed(problems)
    return replace(
        data,
        first_name=first,
        last_name=last,
        organisation=org,
        street=street,
        city=city,
        notes=notes,
        emails=emails,
        phones=phones,
        postcode=postcode,
        country=country,
    )


def _normalised_list(
    problems: list[FieldProblem],
    name: str,
    values: tuple[str, ...],
    normalise: Callable[[str], str],
    limit: int,
    settled: tuple[str, ...] = (),
) -> tuple[str, ...]:
    result: list[str] = []
    for raw in values:
        if not raw.strip():
            continue
        if raw in settled:
            value = raw
        else:
            try:
                value = normalise(raw)
            except InvalidValue as exc:
                problems.append(FieldProblem(name, exc.message, dict(exc.params)))
                continue
        if value not in result:
            result.append(value)
    if len(result) > limit:
        problems.append(FieldProblem(name, N_("At most {limit} values."), {"limit": limit}))
    return tuple(result)


def is_birth_date(date: dt.date, today: dt.date) -> bool:
    """A birth date that can be true: a birthday without a year (``NO_YEAR``), or a full
    date from ``EARLIEST_BIRTH`` up to *today*."""
    return date.year == NO_YEAR or EARLIEST_BIRTH <= date <= today


def has_year(date: dt.date) -> bool:
    """Does the birth date *date* hold its year (not a birthday only, ``NO_YEAR``)?"""
    return date.year != NO_YEAR


def display_name(first_name: str, last_name: str, organisation: str = "") -> str:
    """The name shown in lists: "Last, First", or the organisation for info@ addresses."""
    if last_name and first_name:
        return f"{last_name}, {first_name}"
    return last_name or first_name or organisation
