"""The rules ``validate_contact`` applies to what a person entered, whoever entered it."""

from __future__ import annotations

import datetime as dt

import pytest

from privacycrm_desktop.domain.companies import CompanyInput, validate_company
from privacycrm_desktop.domain.contacts import NO_YEAR, ContactInput, validate_contact
from privacycrm_desktop.domain.custom_fields import CustomFieldDefinition, CustomKind, parse_value
from privacycrm_desktop.domain.errors import ValidationFailed
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind, validate_source

TODAY = dt.date(2026, 3, 1)


def problems_of(data: ContactInput) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as caught:
        validate_contact(data, TODAY)
    return {p.field: p.message.format(**p.params) for p in caught.value.problems}


@pytest.mark.parametrize("code", ["XX", "ZZ", "QO", "EU", "AA", "xx"])
def test_a_two_letter_code_that_is_no_country_is_refused(code: str) -> None:
    problems = problems_of(ContactInput(last_name="Peeters", country=code))
    assert problems == {
        "country": f"{code.upper()} is not a country code: use a two-letter code such as BE."
    }


@pytest.mark.parametrize("code", ["BE", "nl", "FR", "DE", "US", "JP"])
def test_a_country_code_is_taken_in_capitals(code: str) -> None:
    assert validate_contact(ContactInput(last_name="P", country=code), TODAY).country == (
        code.upper()
    )


def test_direction_controls_are_dropped_from_every_text_a_person_enters() -> None:
    # U+202E RIGHT-TO-LEFT OVERRIDE: "\u202esneeteP" would show as "Peteens".
    rlo = "\u202e"
    checked = validate_contact(
        ContactInput(
            first_name=f"{rlo}naJ",
            last_name="Pee\u2066ters\u2069",
            organisation="\u202aAcme\u202c",
            street=f"{rlo}Markt 1",
            city="Gent\u200f",
            notes=f"{rlo}line one\nline \u200etwo",
        ),
        TODAY,
    )
    assert (checked.first_name, checked.last_name, checked.organisation) == (
        "naJ",
        "Peeters",
        "Acme",
    )
    assert (checked.street, checked.city, checked.notes) == (
        "Markt 1",
        "Gent",
        "line one\nline two",
    )
    company = validate_company(CompanyInput(name=f"{rlo}Brouwerij", notes=f"{rlo}notes"))
    assert (company.name, company.notes) == ("Brouwerij", "notes")
    field = CustomFieldDefinition(key="nickname", label="Nickname", kind=CustomKind.TEXT)
    assert parse_value(field, f"{rlo}Jos") == "Jos"


def test_names_in_arabic_and_hebrew_are_kept_as_typed() -> None:
    checked = validate_contact(
        ContactInput(first_name="محمد", last_name="العلي", city="תל אביב"), TODAY
    )
    assert (checked.first_name, checked.last_name, checked.city) == ("محمد", "العلي", "תל אביב")


@pytest.mark.parametrize("born", [dt.date(1000, 1, 1), dt.date(1500, 6, 1), dt.date(1603, 12, 31)])
def test_a_birth_date_centuries_back_is_refused_as_such(born: dt.date) -> None:
    # Not "must lie in the past": it does.
    assert problems_of(ContactInput(last_name="P", birth_date=born)) == {
        "birth_date": "The birth date lies too far back: check the year."
    }


def test_a_birth_date_without_a_year_or_of_an_ancestor_is_taken() -> None:
    # 1850: files hold ancestors' birthdays, and a contact stored with one stays editable.
    for born in (dt.date(1850, 3, 4), dt.date(NO_YEAR, 5, 17), dt.date(1980, 2, 29)):
        assert validate_contact(ContactInput(last_name="P", birth_date=born), TODAY).birth_date
    assert problems_of(ContactInput(last_name="P", birth_date=dt.date(2026, 3, 2))) == {
        "birth_date": "The birth date must lie in the past."
    }


@pytest.mark.parametrize("day", [dt.date(1000, 1, 1), dt.date(1899, 12, 31)])
def test_a_source_cannot_be_dated_before_1900(day: dt.date) -> None:
    with pytest.raises(ValidationFailed) as caught:
        validate_source(SourceInput(SourceKind.PHONE_CALL, "phoned in", day), TODAY)
    assert [(p.field, p.message.format(**p.params)) for p in caught.value.problems] == [
        ("source_obtained_on", "A source cannot be dated before 1900.")
    ]
    earliest = SourceInput(SourceKind.PHONE_CALL, "phoned in", dt.date(1900, 1, 1))
    assert validate_source(earliest, TODAY).obtained_on == dt.date(1900, 1, 1)
