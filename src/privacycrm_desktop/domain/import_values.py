"""The values of an import's cells that need reading: phone numbers, countries, postcodes
and birth dates, and the values that need a look.

A contact is never refused for one value. A value that cannot be used as it is stays with
the contact as typed where its column can hold it (a phone number that is no number, a
postcode that does not fit its country), or in the contact's notes where it cannot (a
birth date "circa 1800", a country no list knows), and the row carries a ``ValueToCheck``
saying which value and why, for the import's check and summary. The stored value itself
shows the data-quality review what to look at (a phone number not in E.164 form).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from privacycrm_desktop.domain.consent import ConsentStatus
from privacycrm_desktop.domain.contacts import EARLIEST_BIRTH, NO_YEAR, Language
from privacycrm_desktop.domain.countries import find_country, match_key
from privacycrm_desktop.domain.duplicates import MADE_UP_NUMBER
from privacycrm_desktop.domain.normalize import fold
from privacycrm_desktop.domain.postcodes import countries_of, known_format, postcode_in
from privacycrm_desktop.domain.text import N_

#: Longest phone number, e-mail address and postcode kept as typed (their columns' sizes).
MAX_KEPT = {"phones": 32, "emails": 320, "postcode": 20}

PHONE_KEPT = N_("{value} could not be read as a phone number: kept as typed.")
PHONE_EXTENSION = N_(
    "{value} has an extension, which a stored phone number cannot hold: kept as typed."
)
PHONE_PLACEHOLDER = N_("{value} looks like a made-up number (555): kept, to be checked.")
PHONE_TWO_WAYS = N_(
    "{value} has no + or 0 before it, so it reads as a number of two countries: kept as "
    "typed, to be checked."
)
EMAIL_KEPT = N_("{value} is not a valid e-mail address: kept as typed.")
POSTCODE_KEPT = N_("{value} is not a postcode of the country {country}: kept as typed.")
POSTCODE_NO_COUNTRY = N_(
    "No country in the file, and the postcode {value} does not tell which: country left empty."
)
COUNTRY_UNKNOWN = N_("{value} is not a country known here: kept in the notes.")
BIRTH_KEPT = N_("{value} could not be read as a birth date: kept in the notes.")
LANGUAGE_UNKNOWN = N_(
    "{value} is not a language contacts can be written in (nl, fr, en, de): {language} taken."
)
CONSENT_UNREAD = N_("{value} is not a consent answer (yes or no): no consent recorded.")
KEPT_IN_NOTES = N_("{value} could not be kept in its field: kept in the notes.")
CUT_SHORT = N_("Too long: the first {limit} characters were kept.")
NOTES_LEFT_OUT = N_(
    "Notes left out: special-category data (\u201c{words}\u201d) is kept only when you "
    "confirm the person's written consent."
)
MATCHES_SEVERAL = N_(
    "The row could be any of {count} contacts (they share what it holds): imported as a "
    "contact of its own, to be checked."
)


@dataclass(frozen=True)
class ValueToCheck:
    """A value of an imported row that needs a look: kept as typed, or in the notes.

    ``field`` is the contact field ("phones", "country", "birth_date"...), ``column`` the
    header (or vCard property) it came from, ``raw`` the text as the file held it,
    ``message`` a msgid with its ``params``.
    """

    row_number: int
    column: str
    field: str
    raw: str
    message: str
    params: dict[str, object] = dataclasses.field(default_factory=dict)


# -- languages and consent answers ------------------------------------------------------------

_YES = frozenset({"yes", "y", "ja", "j", "oui", "o", "1", "true", "waar", "vrai", "x"})
_NO = frozenset({"no", "n", "nee", "neen", "non", "0", "false", "onwaar", "faux"})
_LANGUAGES = {
    Language.NL: ("nl", "dutch", "nederlands", "neerlandais", "vlaams", "nl be"),
    Language.FR: ("fr", "french", "frans", "francais", "fr be"),
    Language.EN: ("en", "english", "engels", "anglais"),
    Language.DE: ("de", "german", "duits", "allemand", "deutsch"),
}
_LANGUAGE_BY_NAME = {name: lang for lang, names in _LANGUAGES.items() for name in names}
#: The language a contact of a country is written to when the file does not say.
_COUNTRY_LANGUAGE = {
    "NL": Language.NL,
    "FR": Language.FR,
    "MC": Language.FR,
    "DE": Language.DE,
    "AT": Language.DE,
    "LI": Language.DE,
    "GB": Language.EN,
    "IE": Language.EN,
    "US": Language.EN,
    "CA": Language.EN,
    "AU": Language.EN,
    "NZ": Language.EN,
    "LU": Language.FR,
}
#: The language taken when neither the file nor the country tells.
DEFAULT_LANGUAGE = Language.NL


def consent_answer(cell: str) -> ConsentStatus | None:
    """Opt-in for yes, opt-out for no, None for a blank cell; ValueError otherwise."""
    key = fold(cell.strip())
    if not key:
        return None
    if key in _YES:
        return ConsentStatus.OPT_IN
    if key in _NO:
        return ConsentStatus.OPT_OUT
    raise ValueError(key)


def read_language(cell: str) -> Language | None:
    """The language a cell names ("nl", "Nederlands", "français"...); None otherwise."""
    return _LANGUAGE_BY_NAME.get(match_key(cell))


def country_language(country: str, postcode: str = "") -> Language:
    """The language a contact of *country* is written to when the file does not say; in
    Belgium, the language of the region its postcode lies in (Brussels: French, its
    majority's; the German-speaking community, 4700-4799: German)."""
    if country == "BE" and postcode[:4].isdigit():
        code = int(postcode[:4])
        if 4700 <= code <= 4799:
            return Language.DE
        if 1000 <= code <= 1499 or 4000 <= code <= 7999:
            return Language.FR
    return _COUNTRY_LANGUAGE.get(country, DEFAULT_LANGUAGE)


# -- cells that say nothing -----------------------------------------------------------------

#: What a sheet holds where it knows nothing (folded): never a name, address or number.
_FILLERS = frozenset(
    {"n/a", "na", "n.a.", "nvt", "n.v.t.", "none", "unknown", "onbekend", "inconnu",
     "geen", "aucun", "aucune", "nil", "null", "-", "--", ".", "?", "??", "0", "x", "/"}
)  # fmt: skip


def says_something(cell: str) -> bool:
    """Does a cell hold a value, not a filler ("n/a", "onbekend", "-", "?")?"""
    text = " ".join(cell.split()).casefold()
    return bool(text) and text not in _FILLERS


def country_code(cell: str) -> str:
    """The ISO code of a country cell: a code, or a name in Dutch, French, English,
    German (and a few other forms: "U.S.A.", "UK"); "" when it names no known country."""
    return read_country(cell) or ""


# -- e-mail addresses ------------------------------------------------------------------------


def email_in(text: str) -> str:
    """The address in an e-mail cell as programs and people write one: a display name with
    the address in angle brackets ("Jan Peeters <jan@x.be>", read by the standard library's
    ``parseaddr``), a ``mailto:`` link, a full stop after it. Other text is returned as it is.
    """
    from email.utils import parseaddr
    from urllib.parse import unquote

    candidate = text.strip()
    if candidate[:7].casefold() == "mailto:":
        candidate = unquote(candidate[7:].split("?", 1)[0])
    if "<" in candidate and candidate.rstrip().endswith(">"):
        _name, address = parseaddr(candidate)
        candidate = address or candidate
    return candidate.strip().rstrip(".")


# -- phone numbers ---------------------------------------------------------------------------


#: A Belgian mobile number as written at home, its separators taken out ("0470 12 34 56",
#: "0470/12.34.56"): BE's mobile range is ``4[5-9]\d{7}`` after the trunk 0 in
#: phonenumbers' metadata, so it reads as +32 and the nine digits (tests compare both ways).
_BELGIAN_MOBILE_AT_HOME = re.compile(r"04[5-9][0-9]{7}")
_DIAL_SEPARATORS = str.maketrans("", "", " ./-")


def read_phone(text: str, region: str) -> tuple[str, str | None]:
    """(value, None) with the E.164 form of a number read in *region*'s dialling plan, or
    (the text as typed, reason msgid) when it is no valid number there; a made-up 555
    number is kept in E.164 form with its reason.

    A Belgian mobile number written at home, most numbers of a Belgian file, is read
    without parsing (a tenth of an import's time): the same E.164 form.
    """
    candidate = " ".join(text.split())
    if region == "BE" and len(candidate) <= 20:
        digits = candidate.translate(_DIAL_SEPARATORS)
        if _BELGIAN_MOBILE_AT_HOME.fullmatch(digits):
            return "+32" + digits[1:], None
    import phonenumbers

    try:
        number = phonenumbers.parse(candidate, region or None)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        return candidate, PHONE_KEPT
    if number.extension:
        # "+32 2 512 34 56 ext. 123": E.164 has no extension, the number alone would
        # lose it.
        return candidate, PHONE_EXTENSION
    e164 = str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
    if _read_two_ways(candidate, e164):
        return candidate, PHONE_TWO_WAYS
    if MADE_UP_NUMBER.fullmatch(e164):
        return e164, PHONE_PLACEHOLDER
    return e164, None


def _read_two_ways(candidate: str, e164: str) -> bool:
    """Whether *candidate*, read as *e164* in the file's country, is also a valid number
    of another country with "+" put before it: Outlook 2003 wrote "49 631 234 341" and
    "48 691 342 341" (a German and a Polish number, their "+" left out), which a German
    contact's country read as two German numbers, +4949... and +4948.... A number written
    with its trunk 0, a "+" or "00" says which it is."""
    import phonenumbers

    if not candidate[:1].isdigit() or candidate.startswith("0"):
        return False
    digits = "".join(ch for ch in candidate if ch.isdigit())
    try:
        abroad = phonenumbers.parse("+" + digits, None)
    except phonenumbers.NumberParseException:
        return False
    if not phonenumbers.is_valid_number(abroad):
        return False
    return phonenumbers.format_number(abroad, phonenumbers.PhoneNumberFormat.E164) != e164


def phone_region(text: str) -> str | None:
    """The country of a number written internationally (+31..., 0033...); else None."""
    candidate = text.strip()
    if candidate.startswith("00"):
        candidate = "+" + candidate[2:]
    if not candidate.startswith("+"):
        return None
    import phonenumbers

    try:
        number = phonenumbers.parse(candidate, None)
    except phonenumbers.NumberParseException:
        return None
    region = phonenumbers.region_code_for_number(number)
    return str(region) if region and region != "001" else None


# -- countries ---------------------------------------------------------------------------------


def country_for(postcode: str, phones: list[str], default: str) -> tuple[str, bool]:
    """The country of a contact whose file names none: (code or "", taken by default).

    A postcode that fits the default country keeps it, unless an international phone
    number names another country whose postcodes it fits too ("+41 ...", "8001"). A
    postcode that fits one other known country only ("1234 AB") names it. With no
    postcode there is no address for a country to belong to: the default is taken (an
    international number keeps its own country code; it does not move the contact, so that
    a contact exported without an address comes back in the country it had).
    When nothing decides, the country is left empty ("").
    """
    if not postcode.strip():
        return default, True
    regions = [r for r in (phone_region(p) for p in phones) if r]
    for region in regions:
        if not known_format(region) or postcode_in(postcode, region) is not None:
            return region, False
    if not known_format(default) or postcode_in(postcode, default) is not None:
        return default, True
    fits = countries_of(postcode)
    if len(fits) == 1:
        return fits[0], False
    return "", False


def read_country(cell: str) -> str | None:
    """The ISO code of a country cell (a code or a name); None when unknown."""
    return find_country(cell)


# -- birth dates -------------------------------------------------------------------------------

#: Outlook's "no date", as each language's version writes it.
_NO_DATE = frozenset(
    {"0/0/00", "0/0/0000", "00/00/0000", "0000-00-00", "0-0-00", "0.0.00", "00.00.0000"}
)


#: A date written with day and month as numbers: "17/05/1980", "5.17.80", "17/05".
_NUMBERED_DATE = re.compile(r"(\d{1,2})[/.-](\d{1,2})(?:[/.-](\d{2}|\d{4}))?")


def month_first(cells: Iterable[str]) -> bool:
    """True when a column's numbered dates are written month first (Outlook in American
    English: "5/17/1980"), told by the column as a whole.

    A date whose second number is over 12 shows month-first, one whose first is over 12
    day-first; a column with the first kind and none of the second is month-first, and
    then "05/06/1980" is the 6th of May. Anything else (no telling date, or both kinds)
    is read day first, as Belgian and most European programs write dates.
    """
    day_first = month = False
    for cell in cells:
        match = _NUMBERED_DATE.fullmatch(cell.strip().split("T", 1)[0])
        if match is None:
            continue
        first, second = int(match[1]), int(match[2])
        day_first = day_first or first > 12 >= second
        month = month or second > 12 >= first
        if day_first:
            return False
    return month


def birth_date(
    cell: str, today: dt.date | None = None, *, months_first: bool = False
) -> dt.date | None:
    """A date from ISO, vCard (YYYYMMDD, --MMDD, --MM-DD) or day-first forms (31/12/1980;
    17/05 without a year).

    A slash date whose second number is over 12 is month-first (Outlook in English); with
    *months_first* (the column's order, ``month_first``) every numbered date is. A
    birthday without a year (--05-17, or the year 1604 Apple, Android and CardBook write
    for one) has the year ``NO_YEAR``. Outlook's "0/0/00" means no date. Raises
    ValueError for text that is no date, and for a date before ``EARLIEST_BIRTH`` or after
    *today*.
    """
    text = cell.strip()
    if not text or text in _NO_DATE:
        return None
    text = text.split("T", 1)[0]
    match = re.fullmatch(r"--(\d{2})-?(\d{2})", text)
    if match:
        return dt.date(NO_YEAR, int(match[1]), int(match[2]))
    match = re.fullmatch(r"(\d{1,2})[/.](\d{1,2})", text)
    if match:  # day and month, as a Belgian list writes a birthday without its year
        first, second = int(match[1]), int(match[2])
        if second > 12 >= first or (months_first and first <= 12):
            first, second = second, first
        return dt.date(NO_YEAR, second, first)
    date = _full_date(text, months_first)
    if date.year == NO_YEAR:
        return date
    if date < EARLIEST_BIRTH or (today is not None and date > today):
        raise ValueError(text)
    return date


def _full_date(text: str, months_first: bool = False) -> dt.date:
    if re.fullmatch(r"\d{8}", text):
        return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
    match = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", text)
    if match:
        return dt.date(int(match[1]), int(match[2]), int(match[3]))
    match = re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})", text)
    if not match:
        raise ValueError(text)
    first, second, year = int(match[1]), int(match[2]), int(match[3])
    if year < 100:
        year += 1900 if year > dt.date.today().year % 100 else 2000
    if second > 12 >= first or (months_first and first <= 12):
        first, second = second, first
    return dt.date(year, second, first)


def in_column_order(checks: list[ValueToCheck], headers: Sequence[str]) -> tuple[ValueToCheck, ...]:
    """The values to check in the order of their columns, as the file shows them."""
    if len(checks) < 2:
        return tuple(checks)
    order = {header: index for index, header in reversed(list(enumerate(headers)))}
    return tuple(sorted(checks, key=lambda check: order.get(check.column, len(headers))))


def printable(text: str) -> str:
    """*text* as it can be kept: control characters (which no field takes) as spaces, runs
    of white space collapsed."""
    if not text.isprintable():
        text = "".join(ch if ch.isprintable() else " " for ch in text)
    return " ".join(text.split())


def notes_line(column: str, raw: str) -> str:
    """The line a value kept in the notes gets: the file's own column name and text."""
    text = printable(raw)
    return f"{printable(column)}: {text}" if column else text


__all__ = [
    "BIRTH_KEPT",
    "CONSENT_UNREAD",
    "COUNTRY_UNKNOWN",
    "CUT_SHORT",
    "DEFAULT_LANGUAGE",
    "EMAIL_KEPT",
    "KEPT_IN_NOTES",
    "LANGUAGE_UNKNOWN",
    "MATCHES_SEVERAL",
    "MAX_KEPT",
    "NOTES_LEFT_OUT",
    "PHONE_EXTENSION",
    "PHONE_KEPT",
    "PHONE_PLACEHOLDER",
    "POSTCODE_KEPT",
    "POSTCODE_NO_COUNTRY",
    "ValueToCheck",
    "birth_date",
    "consent_answer",
    "country_code",
    "country_for",
    "country_language",
    "email_in",
    "in_column_order",
    "month_first",
    "notes_line",
    "phone_region",
    "printable",
    "read_country",
    "read_language",
    "read_phone",
    "says_something",
]
