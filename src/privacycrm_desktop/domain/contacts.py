"""Contacts: the kinds, relationships and languages, and validation of what is entered."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from enum import StrEnum

from privacycrm_desktop.domain.errors import FieldProblem, ValidationFailed
from privacycrm_desktop.domain.fields import scalar_fields
from privacycrm_desktop.domain.normalize import (
    InvalidValue,
    clean_text,
    normalise_email,
    normalise_phone,
    normalise_postcode,
)
from privacycrm_desktop.domain.text import N_

MAX_NAME_LENGTH = 200
MAX_NOTES_LENGTH = 20_000
MAX_EMAILS = 10
MAX_PHONES = 10


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
        text = clean_text(value) if name != "notes" else (value or "").strip()
    except InvalidValue as exc:
        problems.append(FieldProblem(name, exc.message, dict(exc.params)))
        return value
    if len(text) > limit:
        problems.append(
            FieldProblem(name, N_("Too long: at most {limit} characters."), {"limit": limit})
        )
    return text


def validate_contact(data: ContactInput, today: dt.date) -> ContactInput:
    """Check and normalise a contact; raise ``ValidationFailed`` listing every problem.

    E-mail addresses get their normal form, phone numbers E.164, postcodes are checked
    for Belgium. Nothing here touches the network.
    """
    problems: list[FieldProblem] = []
    first = _checked_text(problems, "first_name", data.first_name)
    last = _checked_text(problems, "last_name", data.last_name)
    org = _checked_text(problems, "organisation", data.organisation)
    street = _checked_text(problems, "street", data.street)
    city = _checked_text(problems, "city", data.city)
    notes = _checked_text(problems, "notes", data.notes, MAX_NOTES_LENGTH)

    if data.kind is ContactKind.PERSON and not (first or last):
        problems.append(FieldProblem("last_name", N_("Enter a first or last name.")))
    if data.kind is ContactKind.ORGANISATION_ADDRESS and not org:
        problems.append(
            FieldProblem("organisation", N_("An organisation address needs the organisation."))
        )

    emails = _normalised_list(problems, "emails", data.emails, normalise_email, MAX_EMAILS)
    phones = _normalised_list(problems, "phones", data.phones, normalise_phone, MAX_PHONES)

    postcode = data.postcode
    try:
        postcode = normalise_postcode(data.postcode, data.country or "BE")
    except InvalidValue as exc:
        problems.append(FieldProblem("postcode", exc.message, dict(exc.params)))

    country = (data.country or "BE").strip().upper()
    if len(country) != 2 or not country.isalpha():
        problems.append(FieldProblem("country", N_("Use a two-letter country code such as BE.")))

    if data.birth_date is not None and not (dt.date(1900, 1, 1) <= data.birth_date <= today):
        problems.append(FieldProblem("birth_date", N_("The birth date must lie in the past.")))
    if data.last_interaction is not None and data.last_interaction > today:
        problems.append(
            FieldProblem("last_interaction", N_("The last interaction cannot lie in the future."))
        )
    if (
        data.relationship_start is not None
        and data.relationship_end is not None
        and data.relationship_end < data.relationship_start
    ):
        problems.append(
            FieldProblem("relationship_end", N_("The relationship cannot end before it started."))
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
    normalise: object,
    limit: int,
) -> tuple[str, ...]:
    assert callable(normalise)
    result: list[str] = []
    for raw in values:
        if not raw.strip():
            continue
        try:
            value = str(normalise(raw))
        except InvalidValue as exc:
            problems.append(FieldProblem(name, exc.message, dict(exc.params)))
            continue
        if value not in result:
            result.append(value)
    if len(result) > limit:
        problems.append(FieldProblem(name, N_("At most {limit} values."), {"limit": limit}))
    return tuple(result)


def display_name(first_name: str, last_name: str, organisation: str = "") -> str:
    """The name shown in lists: "Last, First", or the organisation for info@ addresses."""
    if last_name and first_name:
        return f"{last_name}, {first_name}"
    return last_name or first_name or organisation
