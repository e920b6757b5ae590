"""What the command groups share to declare their options: the argparse value types, the
password variables' names, the output formats and the languages' default.

A leaf module of the cli package (it imports no other module of it), so that every command
group and the parser can use it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
from typing import TypeAlias

from privacycrm_desktop.i18n import _

PASSWORD_ENV = "PRIVACYCRM_PASSWORD"  # noqa: S105 (the variable's name, not a password)
NEW_PASSWORD_ENV = "PRIVACYCRM_NEW_PASSWORD"  # noqa: S105
FORMATS = ("text", "json")
Subparsers: TypeAlias = (
    "argparse._SubParsersAction[argparse.ArgumentParser]"  # add_subparsers returns it
)
#: The option parsers every leaf command takes as ``parents`` (the global options, which
#: are accepted after the command too): ``[common, format]``.
Parents: TypeAlias = list[argparse.ArgumentParser]


def iso_date(text: str) -> dt.date:
    """An argparse type for YYYY-MM-DD, from ``EARLIEST_DATE`` on (the domain's)."""
    from privacycrm_desktop.domain.normalize import EARLIEST_DATE

    return _date_from(text, EARLIEST_DATE)


def birth_date(text: str) -> dt.date:
    """An argparse type for a birth date: YYYY-MM-DD from the domain's ``EARLIEST_BIRTH``
    on (an ancestor's 1850 birthday is taken, as in the editor and an import)."""
    from privacycrm_desktop.domain.contacts import EARLIEST_BIRTH

    return _date_from(text, EARLIEST_BIRTH)


def _date_from(text: str, earliest: dt.date) -> dt.date:
    try:
        date = dt.date.fromisoformat(text)
    except ValueError:
        if _DATE_FORM.fullmatch(text.strip()):
            # 2026-02-30: written right, but no such day.
            raise argparse.ArgumentTypeError(
                _("{date} is no day of the calendar").format(date=text.strip())
            ) from None
        raise argparse.ArgumentTypeError(_("use the form YYYY-MM-DD")) from None
    if date < earliest:
        # 1026-05-01 for 2026-05-01: no contact's date lies centuries back.
        raise argparse.ArgumentTypeError(
            _("{date} lies before {year}: check the year").format(
                date=date.isoformat(), year=earliest.year
            )
        )
    return date


def country_code(text: str) -> str:
    """An argparse type for a country: its ISO code ("BE", "be") or its name ("Belgium");
    a code that names no country ("XX", "ZZ") is refused (the domain's list, from CLDR)."""
    from privacycrm_desktop.domain.countries import find_country

    code = find_country(text)
    if code is None:
        raise argparse.ArgumentTypeError(_("use a two-letter country code such as BE"))
    return code


_DATE_FORM = re.compile(r"\d{4}-\d{2}-\d{2}")
#: The ids a record can have: the databases' 64-bit integers.
_ID_RANGE = range(-(2**63), 2**63)


def record_id(text: str) -> int:
    """An argparse type for a record's id: a whole number within the databases' range
    (past it the SQLite driver could not even send it: a traceback, not a sentence)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(_("an id is a whole number")) from None
    if value not in _ID_RANGE:
        raise argparse.ArgumentTypeError(_("no record has an id this large"))
    return value


def non_negative(text: str) -> int:
    """An argparse type for counts and offsets."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0 or value not in _ID_RANGE:
        # Past the databases' 64-bit integers a count or a version names nothing there.
        raise argparse.ArgumentTypeError(_("use a whole number, 0 or more"))
    return value


def default_language() -> str:
    """The messages' language: ``LANG``'s prefix when it is nl or fr, else English."""
    prefix = os.environ.get("LANG", "")[:2].lower()
    return prefix if prefix in ("nl", "fr") else "en"
