"""Dates, numbers and country names follow the locale (Babel's CLDR data), per language."""

from __future__ import annotations

import datetime as dt

import pytest

from privacycrm_desktop.i18n import country_name, country_names, format_long_date, format_number


@pytest.mark.parametrize(
    ("language", "number", "date", "country"),
    [
        ("nl", "12.345", "2 maart 2026", "Duitsland"),
        ("fr", "12\u202f345", "2 mars 2026", "Allemagne"),
        ("en", "12,345", "2 March 2026", "Germany"),
    ],
)
def test_each_language_writes_them_its_own_way(
    language: str, number: str, date: str, country: str
) -> None:
    assert format_number(12345, language) == number
    assert format_long_date(dt.date(2026, 3, 2), language) == date
    assert country_name("DE", language) == country
    assert country_name("de", language) == country


def test_only_countries_are_offered() -> None:
    names = country_names("fr")
    assert names["BE"] == "Belgique"
    assert len(names) > 240
    assert not {"EU", "UN", "ZZ", "001", "150"} & set(names)
    assert all(len(code) == 2 and code.isupper() for code in names)
    assert country_name("XX", "nl") == "XX"  # unknown: the code, not an error
