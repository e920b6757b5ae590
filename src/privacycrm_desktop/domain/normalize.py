"""Normalisation and validation of personal values with well-kept libraries.

Heavy libraries (phonenumbers, email-validator, python-stdnum) are imported on first use
so that starting the app stays fast.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from privacycrm_desktop.domain.postcodes import known_format, postcode_in
from privacycrm_desktop.domain.text import N_

DEFAULT_REGION = "BE"
#: The earliest date a person enters for a contact (obtained, born, consented, received):
#: an earlier one is a typing mistake ("1026" for "2026") or history, never a living
#: person's. Dates in the future are refused by each rule in its own words.
EARLIEST_DATE = dt.date(1900, 1, 1)
#: Unicode category Cc (control characters) is exactly these two ranges.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
#: Unicode's explicit direction formatting characters (UAX #9): the Arabic letter mark,
#: the left-to-right and right-to-left marks, embeddings and overrides, isolates.
_BIDI_CONTROLS = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


class InvalidValue(ValueError):
    """A value that cannot be normalised; ``message`` is a translatable msgid."""

    def __init__(self, message: str, **params: object) -> None:
        super().__init__(message.format(**params) if params else message)
        self.message = message
        self.params = params


def fold(text: str) -> str:
    """Fold case and strip diacritics: "Liège" and "LIEGE" both become "liege"."""
    if text.isascii():
        # The same result without the Unicode passes (bulk imports fold every name).
        return text.lower()
    folded = text
    # Twice: compatibility decomposition can reveal capitals ("℠" -> "SM") and case
    # folding can reveal new decomposable characters.
    for _ in range(2):
        decomposed = unicodedata.normalize("NFKD", folded)
        folded = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    return folded


def strip_bidi_controls(text: str) -> str:
    """*text* without the invisible characters that steer its direction (embeddings,
    overrides, isolates, marks).

    "\u202eSNEETEP" shows as "PETEENS" though it sorts, searches and exports as typed: a
    name could pass for another. Arabic and Hebrew letters keep their own direction without
    them (the Unicode bidirectional algorithm), so nothing legitimate is lost.
    """
    if text.isascii():
        return text
    return _BIDI_CONTROLS.sub("", text)


def clean_text(text: str | None) -> str:
    """Trim and collapse runs of white space; drop direction controls
    (``strip_bidi_controls``); reject control characters."""
    if text is None:
        return ""
    cleaned = " ".join(unicodedata.normalize("NFC", strip_bidi_controls(text)).split())
    if _CONTROL.search(cleaned):
        raise InvalidValue(N_("Contains control characters."))
    return cleaned


def sort_name(last_name: str, first_name: str, organisation: str = "") -> str:
    """The key contacts are listed by: folded last name, first name, then organisation."""
    parts = [p for p in (last_name, first_name) if p] or [organisation]
    return fold(" ".join(parts))


def normalise_email(text: str) -> str:
    """Check an e-mail address's syntax (never the network) and return its normal form."""
    from email_validator import EmailNotValidError, validate_email

    candidate = text.strip()
    if not candidate:
        raise InvalidValue(N_("Enter an e-mail address."))
    try:
        result = validate_email(candidate, check_deliverability=False)
    except EmailNotValidError:
        raise InvalidValue(N_("{value} is not a valid e-mail address."), value=candidate) from None
    return str(result.normalized)


#: A typed number with an extension ("+32 2 512 34 56 ext. 123"): refused, not shortened.
PHONE_EXTENSION_REFUSED = N_(
    "{value} has an extension, which a stored phone number cannot hold: enter the number "
    "without it, and the extension in the notes."
)


def normalise_phone(text: str, region: str = DEFAULT_REGION) -> str:
    """Parse a phone number (default region Belgium) and return it in E.164 form."""
    import phonenumbers

    candidate = text.strip()
    if not candidate:
        raise InvalidValue(N_("Enter a phone number."))
    try:
        number = phonenumbers.parse(candidate, region)
    except phonenumbers.NumberParseException:
        raise InvalidValue(N_("{value} is not a phone number."), value=candidate) from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidValue(N_("{value} is not a valid phone number."), value=candidate)
    if number.extension:
        # E.164 has no extension: the number alone would lose it without a word.
        raise InvalidValue(PHONE_EXTENSION_REFUSED, value=candidate)
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def phone_national(e164: str) -> str:
    """A stored E.164 number as people dial it at home (for display and search)."""
    import phonenumbers

    number = phonenumbers.parse(e164, None)
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL))


def phone_display(stored: str, home_region: str = DEFAULT_REGION) -> str:
    """A stored number as a person reads it: national for the office's country, else international.

    "+32475123456" -> "0475 12 34 56" at a Belgian office, "+32 475 12 34 56" elsewhere. A
    number kept as typed (an import could not read it) is shown as it was typed.
    """
    import phonenumbers

    if not stored.startswith("+") or not stored[1:].isdigit():
        return stored
    try:
        number = phonenumbers.parse(stored, None)
    except phonenumbers.NumberParseException:
        return stored
    region = phonenumbers.region_code_for_number(number)
    kind = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if region == home_region.upper()
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return str(phonenumbers.format_number(number, kind))


def phone_search_tokens(e164: str) -> str:
    """Digits of a number in international and national form, so both are searchable.

    A number kept as typed (an import could not read it) is searchable by its digits.
    """
    import phonenumbers

    digits = e164.lstrip("+")
    if not e164.startswith("+") or not digits.isdigit():
        return "".join(ch for ch in e164 if ch.isdigit()) or e164
    try:
        national = "".join(ch for ch in phone_national(e164) if ch.isdigit())
    except phonenumbers.NumberParseException:
        return digits
    return f"{digits} {national}"


_PHONE_TYPING = frozenset("0123456789+ ./-()")


def phone_prefix(user_text: str, country_code: str = "32") -> str | None:
    """The E.164 prefix of a phone number being typed, or None if the text is no number.

    "0475 12" -> "+3247512", "+32 475" -> "+32475", "0032 475" -> "+32475". Only text that
    starts like a number (+ or 0) and holds at least three digits counts: "9000" is a
    postcode, not a phone number.
    """
    text = user_text.strip()
    if not text or not set(text) <= _PHONE_TYPING or text[0] not in "+0":
        return None
    digits = "".join(ch for ch in text if ch.isdigit())
    if len(digits) < 3:
        return None
    if text.startswith("+"):
        return "+" + digits
    if digits.startswith("00"):
        return "+" + digits[2:]
    return "+" + country_code + digits[1:]


def normalise_postcode(text: str, country: str = DEFAULT_REGION) -> str:
    """Check a postcode where its country's format is known (``domain.postcodes``) and
    write it as that country's post does ("1234ab" -> "1234 AB" in the Netherlands);
    elsewhere, or with no country, it is kept as typed (trimmed)."""
    candidate = " ".join(text.split())
    if not candidate:
        return ""
    if not known_format(country):
        return candidate
    written = postcode_in(candidate, country)
    if written is not None:
        return written
    if country == "BE":
        raise InvalidValue(N_("{value} is not a Belgian postcode (four digits)."), value=candidate)
    raise InvalidValue(
        N_("{value} is not a postcode of the country {country}."),
        value=candidate,
        country=country,
    )


def normalise_vat(text: str) -> str:
    """Validate a Belgian enterprise number or an EU VAT number; return its compact form.

    A bare Belgian enterprise number (0123.456.789) is accepted and given the BE prefix.
    """
    from stdnum.eu import vat as eu_vat
    from stdnum.exceptions import ValidationError as StdnumError

    candidate = text.strip()
    if not candidate:
        return ""
    compact = "".join(ch for ch in candidate.upper() if ch.isalnum())
    if compact[:2].isdigit():
        compact = "BE" + compact
    try:
        return str(eu_vat.validate(compact))
    except StdnumError:
        raise InvalidValue(
            N_("{value} is not a valid enterprise or VAT number."), value=candidate
        ) from None


def vat_display(stored: str) -> str:
    """An enterprise or VAT number as people write it: "BE0403170701" -> "BE 0403.170.701".

    Belgian numbers get their dotted form; another country's number its prefix, a space
    and the rest as stored; anything else (not a compact VAT number) is shown as stored.
    """
    compact = "".join(ch for ch in stored.upper() if ch.isalnum())
    if len(compact) < 3 or not compact[:2].isalpha():
        return stored
    prefix, number = compact[:2], compact[2:]
    if prefix == "BE" and number.isdigit() and len(number) == 10:
        return f"BE {number[:4]}.{number[4:7]}.{number[7:]}"
    return f"{prefix} {number}"
