"""Dates, moments, numbers and language names in the UI language (Babel), in local time."""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Iterator

import pytest

from privacycrm_desktop.i18n import format_date, format_moment, format_number, language_name


@pytest.fixture(autouse=True)
def brussels() -> Iterator[None]:
    """This computer in Brussels for the test, whatever zone it is in."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "Europe/Brussels"
    time.tzset()
    yield
    if before is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = before
    time.tzset()


@pytest.mark.parametrize(
    ("language", "date", "moment", "long", "number", "dutch"),
    [
        ("nl", "2/3/2026", "2/3/2026 10:40", "2 maart 2026 om 10:40", "30.820", "Nederlands"),
        (
            "fr",
            "02/03/2026",
            "02/03/2026 10:40",
            "2 mars 2026 à 10:40",
            "30\u202f820",
            "Néerlandais",
        ),
        ("en", "02/03/2026", "02/03/2026 10:40", "2 March 2026 at 10:40", "30,820", "Dutch"),
    ],
)
def test_formats_follow_the_language(
    language: str, date: str, moment: str, long: str, number: str, dutch: str
) -> None:
    stored = dt.datetime(2026, 3, 2, 9, 40)  # UTC, as the database keeps it: 10:40 in Brussels
    assert format_date(dt.date(2026, 3, 2), language) == date
    assert format_moment(stored, language) == moment
    assert format_moment(stored, language, long=True) == long
    assert format_moment(stored, language, seconds=True).endswith("10:40:00")
    assert format_number(30820, language) == number
    assert language_name("nl", language) == dutch
    assert language_name("xx", language) == "xx"


def test_summer_time_is_local_too() -> None:
    assert format_moment(dt.datetime(2026, 7, 1, 22, 30), "en") == "02/07/2026 00:30"


@pytest.mark.parametrize("language", ["nl", "fr", "en", "de"])
def test_whole_numbers_are_grouped_as_babel_groups_them(language: str) -> None:
    """format_number groups a whole number itself (Babel's locale data are not loaded before
    the first paint, issue 23): the same text as Babel's, in every language."""
    from babel.numbers import format_decimal

    from privacycrm_desktop.i18n import babel_locale

    values = [0, 7, 999, 1000, -1000, 12345, 999_999, 1_000_000, -30_820_512, 10**12 + 3]
    for value in values:
        expected = format_decimal(value, locale=babel_locale(language), decimal_quantization=False)
        assert format_number(value, language) == expected
