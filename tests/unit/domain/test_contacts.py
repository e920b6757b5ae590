"""The rules ``validate_contact`` applies to what a person entered, whoever entered it."""

from __future__ import annotations

import datetime as dt

import pytest

from privacycrm_desktop.domain.contacts import ContactInput, validate_contact
from privacycrm_desktop.domain.errors import ValidationFailed

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
