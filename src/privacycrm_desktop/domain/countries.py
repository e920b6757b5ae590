"""Countries by ISO code or by name, as people write them in contact files.

Names come from the CLDR data Babel ships (every country in Dutch, French, English and
German, plus Spanish and Italian, which real files use for their own countries: "Perú",
"España"), folded for accents, case and punctuation, plus the short forms people type
("USA", "U.S.A.", "UK"). Babel is loaded on the first look-up only.
"""

from __future__ import annotations

import functools
import re

from privacycrm_desktop.domain.normalize import fold
from privacycrm_desktop.domain.text import N_

#: The refusal of a two-letter code that names no country ("XX", "ZZ").
NO_COUNTRY = N_("{value} is not a country code: use a two-letter code such as BE.")
#: The languages whose country names are read (the app bundle keeps their CLDR data:
#: installers/privacycrm.spec reads this line).
NAME_LANGUAGES = ("en", "nl", "fr", "de", "es", "it")
#: CLDR territories with a two-letter code that are no ISO 3166 country (regions,
#: pseudo-locales, the "unknown region") or are only reserved in it.
_NOT_COUNTRIES = frozenset(
    {"EU", "EZ", "UN", "QO", "XA", "XB", "ZZ", "AC", "CP", "DG", "EA", "IC", "TA"}
)
#: Forms people write that CLDR does not hold (keys already folded with ``match_key``).
_VARIANTS = {
    "usa": "US",
    "u s a": "US",
    "u s": "US",
    "us of america": "US",
    "united states of america": "US",
    "america": "US",
    "uk": "GB",
    "u k": "GB",
    "great britain": "GB",
    "grande bretagne": "GB",
    "grossbritannien": "GB",
    "groot brittannie": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "northern ireland": "GB",
    "holland": "NL",
    "the netherlands": "NL",
    "czech republic": "CZ",
    "republique tcheque": "CZ",
    "russian federation": "RU",
    "korea": "KR",
    "republic of korea": "KR",
    "vatican": "VA",
    "deutschland brd": "DE",
}


def match_key(text: str) -> str:
    """Folded for matching: "Österreich" -> "osterreich", "U.S.A." -> "u s a"."""
    return " ".join(re.sub(r"[^0-9a-z]+", " ", fold(text)).split())


@functools.cache
def _tables() -> tuple[frozenset[str], dict[str, str]]:
    from babel import Locale

    codes: set[str] = set()
    names: dict[str, str] = {}
    for language in NAME_LANGUAGES:
        for code, name in Locale(language).territories.items():
            if len(code) != 2 or not code.isalpha() or code in _NOT_COUNTRIES:
                continue
            codes.add(code)
            names.setdefault(match_key(name), code)
            # "Bosnia & Herzegovina" is also written with "and"/"en"/"et"/"und".
            if "&" in name:
                for word in ("and", "en", "et", "und"):
                    names.setdefault(match_key(name.replace("&", f" {word} ")), code)
    for name, code in _VARIANTS.items():
        names.setdefault(name, code)
    return frozenset(codes), names


def is_country_code(code: str) -> bool:
    """Is *code* (upper case) an ISO 3166 alpha-2 country code?"""
    return code in _tables()[0]


def find_country(text: str) -> str | None:
    """The ISO code of a country written by code ("be", "BE") or by name ("België",
    "Belgique", "Österreich", "U.S.A."); None when it is no country known."""
    stripped = text.strip()
    if not stripped:
        return None
    codes, names = _tables()
    if len(stripped) == 2 and stripped.isalpha() and stripped.isascii():
        code = stripped.upper()
        if code in codes:
            return code
        return names.get(match_key(stripped))
    return names.get(match_key(stripped))


__all__ = ["NO_COUNTRY", "find_country", "is_country_code", "match_key"]
