"""Addresses in the post's order; mail-merge templates refuse unknown fields."""

from __future__ import annotations

import pytest

from privacycrm_desktop.domain.errors import ValidationFailed
from privacycrm_desktop.domain.postal import (
    MERGE_FIELDS,
    PostalAddress,
    address_lines,
    choose_template,
    fill_template,
    template_fields,
)


def test_a_belgian_address_is_name_street_postcode_city() -> None:
    address = PostalAddress("Zoë Peeters", "", "Kerkstraat 12", "9000", "Gent", "BE")
    assert address_lines(address, "BE", "België") == ["Zoë Peeters", "Kerkstraat 12", "9000 Gent"]


def test_an_address_abroad_ends_with_the_country_in_the_sender_s_language() -> None:
    address = PostalAddress("Marie Dupont", "Dupont SA", "Rue de Rivoli 5", "75001", "Paris", "FR")
    lines = address_lines(address, "BE", "Frankrijk")
    assert lines == ["Marie Dupont", "Dupont SA", "Rue de Rivoli 5", "75001 Paris", "FRANKRIJK"]


def test_a_british_postcode_goes_under_the_town() -> None:
    address = PostalAddress("Ann Smith", "", "1 High Street", "sw1a 1aa", "London", "GB")
    lines = address_lines(address, "BE", "Verenigd Koninkrijk")
    assert lines[-3:] == ["LONDON", "SW1A 1AA", "VERENIGD KONINKRIJK"]


def test_every_field_fills_and_unknown_fields_are_refused_by_name() -> None:
    template = " ".join("{" + f + "}" for f in MERGE_FIELDS) + " {{literal}}"
    assert template_fields(template) == list(MERGE_FIELDS)
    values = {f: f.upper() for f in MERGE_FIELDS}
    assert fill_template(template, values) == " ".join(values.values()) + " {literal}"
    with pytest.raises(ValidationFailed) as caught:
        template_fields("Dear {first_name} {shoe_size} {iban}")
    problem = caught.value.problems[0]
    assert problem.params["unknown"] == "{shoe_size}, {iban}"
    assert "{first_name}" in problem.params["known"]
    with pytest.raises(ValidationFailed):
        template_fields("a lone { brace")


def test_a_value_with_braces_is_inserted_once_and_not_read_again() -> None:
    assert fill_template("Hi {first_name}", {"first_name": "{last_name}"}) == "Hi {last_name}"


def test_the_person_s_language_then_the_fallback_then_any() -> None:
    templates = {"nl": "Beste", "fr": "Bonjour"}
    assert choose_template(templates, "fr") == "Bonjour"
    assert choose_template(templates, "en", "Dear") == "Dear"
    assert choose_template({"nl": "Beste"}, "en") == "Beste"
    with pytest.raises(ValidationFailed):
        choose_template({}, "nl")
