"""Normalisation and validation of personal values."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from privacycrm_desktop.domain.normalize import (
    PHONE_EXTENSION_REFUSED,
    InvalidValue,
    clean_text,
    fold,
    normalise_email,
    normalise_phone,
    normalise_postcode,
    normalise_vat,
    phone_prefix,
    phone_search_tokens,
    sort_name,
)


@pytest.mark.parametrize(
    ("raw", "folded"),
    [("Liège", "liege"), ("ZOË", "zoe"), ("Lefèvre", "lefevre"), ("Noël", "noel"), ("ß", "ss")],
)
def test_fold_removes_case_and_diacritics(raw: str, folded: str) -> None:
    assert fold(raw) == folded


@given(st.text())
def test_fold_is_idempotent(text: str) -> None:
    assert fold(fold(text)) == fold(text)


def test_sort_name_orders_by_last_name_then_first() -> None:
    names = [sort_name("Peeters", "Jan"), sort_name("Élie", "Anne"), sort_name("De Smet", "An")]
    assert sorted(names) == ["de smet an", "elie anne", "peeters jan"]
    assert sort_name("", "", "Garage Dubois") == "garage dubois"


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("0475 12 34 56", "+32475123456"),
        ("+32 9 223 45 67", "+3292234567"),
        ("0032475123456", "+32475123456"),
        ("+33 1 42 68 53 00", "+33142685300"),
    ],
)
def test_phone_numbers_become_e164(raw: str, e164: str) -> None:
    assert normalise_phone(raw) == e164


@pytest.mark.parametrize("raw", ["12", "abc", "0475 12", "+32 0"])
def test_bad_phone_numbers_are_refused(raw: str) -> None:
    with pytest.raises(InvalidValue):
        normalise_phone(raw)


@pytest.mark.parametrize(
    "raw", ["+32 2 512 34 56 ext. 123", "02 512 34 56 x12", "0475123456;ext=9"]
)
def test_a_number_with_an_extension_is_refused_not_shortened(raw: str) -> None:
    """E.164 holds no extension: stored, the number alone would lose it silently."""
    with pytest.raises(InvalidValue) as refused:
        normalise_phone(raw)
    assert refused.value.message == PHONE_EXTENSION_REFUSED
    assert refused.value.params == {"value": raw}


def test_phone_search_tokens_hold_both_forms() -> None:
    assert phone_search_tokens("+32475123456") == "32475123456 0475123456"


def test_email_is_checked_without_network() -> None:
    assert normalise_email(" Jan.Peeters@Example.BE ") == "Jan.Peeters@example.be"
    for bad in ["jan@", "@example.be", "jan peeters@example.be", "jan@example"]:
        with pytest.raises(InvalidValue):
            normalise_email(bad)


def test_vat_and_enterprise_numbers() -> None:
    assert normalise_vat("0403.170.701") == "BE0403170701"
    assert normalise_vat("BE 0403 170 701") == "BE0403170701"
    assert normalise_vat("") == ""
    with pytest.raises(InvalidValue):
        normalise_vat("0403.170.702")


def test_belgian_postcodes() -> None:
    assert normalise_postcode("9000") == "9000"
    with pytest.raises(InvalidValue):
        normalise_postcode("0900")
    with pytest.raises(InvalidValue):
        normalise_postcode("90000")
    assert normalise_postcode("75001", "FR") == "75001"


def test_clean_text_collapses_space_and_refuses_control_characters() -> None:
    assert clean_text("  Jan \t Peeters ") == "Jan Peeters"
    with pytest.raises(InvalidValue):
        clean_text("Jan\x00")


#: Every invisible direction control (UAX #9): marks, embeddings, overrides, isolates.
BIDI_CONTROLS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


@pytest.mark.parametrize("control", BIDI_CONTROLS)
def test_clean_text_drops_the_controls_that_reverse_a_name(control: str) -> None:
    # "\u202enaJ" shows as "Jan" but is stored, sorted and searched as "naJ".
    assert clean_text(f"{control}naJ Peeters{control}") == "naJ Peeters"


@pytest.mark.parametrize(
    "text", ["محمد العلي", "שרה לוי", "Zoë Lefèvre", "Jan (שרה) 2", "مكتب 12 Gent"]
)
def test_clean_text_keeps_right_to_left_letters_as_they_are(text: str) -> None:
    assert clean_text(text) == text


@given(st.text(alphabet=st.sampled_from("ab \u05d0\u0645" + BIDI_CONTROLS), max_size=20))
def test_no_direction_control_survives_clean_text(text: str) -> None:
    cleaned = clean_text(text)
    assert not set(cleaned) & set(BIDI_CONTROLS)
    assert clean_text(cleaned) == cleaned


@pytest.mark.parametrize(
    ("typed", "prefix"),
    [
        ("0475", "+32475"),
        ("0475 12 34", "+3247512 34".replace(" ", "")),
        ("+32 475", "+32475"),
        ("0032 475", "+32475"),
        ("+33 1 42", "+33142"),
        ("9000", None),
        ("04", None),
        ("peeters", None),
        ("0475 peeters", None),
        ("", None),
    ],
)
def test_phone_prefix_of_what_is_typed(typed: str, prefix: str | None) -> None:
    assert phone_prefix(typed) == prefix


@pytest.mark.parametrize(
    ("stored", "home", "shown"),
    [
        ("+32475123456", "BE", "0475 12 34 56"),
        ("+3292251234", "BE", "09 225 12 34"),
        ("+32475123456", "NL", "+32 475 12 34 56"),
        ("+31201234567", "BE", "+31 20 123 4567"),
        ("(905) 555-1234", "BE", "(905) 555-1234"),
        ("", "BE", ""),
    ],
)
def test_phone_display_national_at_home_international_elsewhere(
    stored: str, home: str, shown: str
) -> None:
    from privacycrm_desktop.domain.normalize import phone_display

    assert phone_display(stored, home) == shown


@pytest.mark.parametrize(
    ("vat", "country"),
    [("BE0403170701", "BE"), ("NL123456789B01", "NL"), ("EL094259216", "GR"), ("", "BE")],
)
def test_the_offices_country_comes_from_its_vat_number(vat: str, country: str) -> None:
    from privacycrm_desktop.services.dto import CompanyInfo

    assert CompanyInfo("X", "", vat, "", "nl").home_country == country
