"""Postcode formats of the countries whose format is known, and their written form.

A postcode is checked only where its country's format is known: elsewhere it is kept as
typed. Each format gives the digits and letters that make the code, and how the post of
that country writes it (the Dutch "1234 AB", the British "SW1A 1AA").
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

#: The country prefixes people write before a postcode ("B-9000", "F-75001", "L-1234").
_PREFIXES = {"BE": "B", "FR": "F", "DE": "D", "LU": "L", "NL": "NL", "AT": "A", "CH": "CH"}


def _space_before_last(count: int) -> Callable[[str], str]:
    def written(compact: str) -> str:
        return f"{compact[:-count]} {compact[-count:]}"

    return written


def _as_is(compact: str) -> str:
    return compact


def _luxembourg(compact: str) -> str:
    return f"L-{compact}"


#: Country code -> (pattern the compact code matches, how the code is written).
FORMATS: dict[str, tuple[re.Pattern[str], Callable[[str], str]]] = {
    "BE": (re.compile(r"[1-9]\d{3}"), _as_is),
    "NL": (re.compile(r"[1-9]\d{3}[A-Z]{2}"), _space_before_last(2)),
    "FR": (re.compile(r"\d{5}"), _as_is),
    "DE": (re.compile(r"\d{5}"), _as_is),
    "LU": (re.compile(r"\d{4}"), _luxembourg),
    "AT": (re.compile(r"[1-9]\d{3}"), _as_is),
    "CH": (re.compile(r"[1-9]\d{3}"), _as_is),
    "IT": (re.compile(r"\d{5}"), _as_is),
    "ES": (re.compile(r"\d{5}"), _as_is),
    "US": (re.compile(r"\d{5}(\d{4})?"), lambda c: c if len(c) == 5 else f"{c[:5]}-{c[5:]}"),
    "CA": (re.compile(r"[A-Z]\d[A-Z]\d[A-Z]\d"), _space_before_last(3)),
    "GB": (re.compile(r"[A-Z]{1,2}\d[A-Z\d]?\d[A-Z]{2}"), _space_before_last(3)),
}


def known_format(country: str) -> bool:
    """Is the postcode format of *country* (ISO code) known here?"""
    return country in FORMATS


# A file's postcodes repeat (a few thousand places) and an import reads each row's twice
# (to decide a missing country, then to write it): a code once read is remembered.
@functools.lru_cache(maxsize=8192)
def postcode_in(text: str, country: str) -> str | None:
    """*text* written as *country*'s post writes it, or None when it is not one of its
    postcodes. Only for a country whose format is known (``known_format``)."""
    pattern, written = FORMATS[country]
    compact = "".join(ch for ch in text.upper() if ch.isalnum())
    prefix = _PREFIXES.get(country)
    if prefix and compact.startswith(prefix) and not pattern.fullmatch(compact):
        compact = compact[len(prefix) :]
    if not pattern.fullmatch(compact):
        return None
    return written(compact)


def countries_of(text: str) -> list[str]:
    """The countries of known format *text* is a postcode of (several for "9000")."""
    return [code for code in FORMATS if postcode_in(text, code) is not None]


__all__ = ["FORMATS", "countries_of", "known_format", "postcode_in"]
