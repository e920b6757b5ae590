"""Companies in the domain: enterprise numbers, the name key, validation, the cleanup rule."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from privacycrm_desktop.domain.companies import (
    PURPOSEFUL_RELATIONSHIPS,
    CompanyInput,
    LegalForm,
    LinkInput,
    company_key,
    format_vat,
    is_cleanup_candidate,
    legal_form_in_name,
    validate_company,
    validate_link,
)
from privacycrm_desktop.domain.contacts import Relationship
from privacycrm_desktop.domain.errors import ValidationFailed
from privacycrm_desktop.domain.normalize import normalise_vat


@pytest.mark.parametrize(
    ("typed", "stored", "shown"),
    [
        ("0403.170.701", "BE0403170701", "BE 0403.170.701"),
        ("BE 0403 170 701", "BE0403170701", "BE 0403.170.701"),
        ("be0403170701", "BE0403170701", "BE 0403.170.701"),
        ("NL004495445B01", "NL004495445B01", "NL 004495445B01"),
        ("FR 40 303 265 045", "FR40303265045", "FR 40303265045"),
    ],
)
def test_enterprise_numbers_are_stored_compact_and_shown_as_written(
    typed: str, stored: str, shown: str
) -> None:
    checked = validate_company(CompanyInput(name="X", vat=typed))
    assert checked.vat == stored
    assert format_vat(checked.vat) == shown
    # What is shown is taken back as the same number.
    assert normalise_vat(shown) == stored


@pytest.mark.parametrize("typed", ["BE 0403.170.702", "0403.170", "XX123", "BE 12"])
def test_a_wrong_number_is_refused_under_its_field(typed: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        validate_company(CompanyInput(name="X", vat=typed))
    assert [p.field for p in caught.value.problems] == ["vat"]


def test_every_wrong_value_is_named_at_once() -> None:
    bad = CompanyInput(name="", email="info@", phone="12", postcode="12", country="Belgium")
    with pytest.raises(ValidationFailed) as caught:
        validate_company(bad)
    assert {p.field for p in caught.value.problems} == {"name", "email", "phone", "country"}


@given(st.text(max_size=40))
def test_the_name_key_ignores_case_accents_and_spacing(name: str) -> None:
    key = company_key(name)
    assert company_key(key) == key
    assert company_key(f"  {name.upper()}  ") == company_key(name.lower()) or not name.isascii()
    assert "  " not in key


def test_the_same_company_written_differently_has_one_key() -> None:
    assert company_key("Brouwerij Zoë NV") == company_key("  BROUWERIJ   ZOE nv ")


def test_a_link_starts_today_by_default_and_never_in_the_future() -> None:
    today = dt.date(2026, 3, 2)
    assert validate_link(LinkInput(" Aankoper "), today) == LinkInput("Aankoper", "", today)
    with pytest.raises(ValidationFailed):
        validate_link(LinkInput(started_on=today + dt.timedelta(days=1)), today)


@pytest.mark.parametrize("relationship", list(Relationship))
def test_only_a_company_without_people_or_purpose_is_a_cleanup_candidate(
    relationship: Relationship,
) -> None:
    assert is_cleanup_candidate(0, relationship) == (relationship not in PURPOSEFUL_RELATIONSHIPS)
    assert not is_cleanup_candidate(1, relationship)


@pytest.mark.parametrize(
    ("name", "form"),
    [
        ("Acme NV", LegalForm.NV),
        ("Acme N.V.", LegalForm.NV),
        ("SPRL Dupont", LegalForm.BV),
        ("peeters bvba", LegalForm.BV),
        ("Les Amis ASBL", LegalForm.VZW),
        ("Beta GmbH", LegalForm.FOREIGN),
        ("Example Ltd.", LegalForm.FOREIGN),
        ("Example, Inc.", LegalForm.FOREIGN),
        # People: no form, a lone form, a form word in another case.
        ("Jan Peeters", None),
        ("NV", None),
        ("Maria Sa", None),
        ("Nv Peeters", None),
    ],
)
def test_a_legal_form_is_found_at_either_end_of_a_name(name: str, form: LegalForm | None) -> None:
    assert legal_form_in_name(name) == form


@pytest.mark.parametrize("code", ["XX", "ZZ", "zz"])
def test_a_two_letter_code_that_is_no_country_is_refused(code: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        validate_company(CompanyInput(name="Brouwerij Zoë", country=code))
    assert [(p.field, p.params) for p in caught.value.problems] == [
        ("country", {"value": code.upper()})
    ]
