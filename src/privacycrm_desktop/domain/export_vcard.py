"""vCard exports: 4.0 (RFC 6350) and 3.0 (RFC 2426, what older address books read).

Every card has a UID (the contact's in this database, ``domain.contact_uid``), so an
address book updates a card it holds instead of adding a second one, and our import finds
the contact again. A property is written only when it holds something: no ``ADR`` made of
the default country alone, no empty ``EMAIL``. vCard 3.0 requires ``N``: an organisation's
card has it with empty parts (and Apple's ``X-ABShowAs:COMPANY``), where 4.0 says
``KIND:org`` and leaves ``N`` out.

Numbers: 4.0 writes a ``tel:`` URI (RFC 3966) of the E.164 number, 3.0 the number in
international form; a mobile number has ``TYPE=cell``, the others ``TYPE=voice``. The
country is written by its name in the contact's language (an address book prints it on an
envelope); 4.0 adds its ISO code as RFC 8605's ``CC`` parameter.

vobject reads these cards (the importer and the tests use it); it does not write them: it
takes about 1.4 ms a card and leaves lines of non-ASCII text longer than 75 octets.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from enum import StrEnum
from typing import TextIO

from privacycrm_desktop.domain.contacts import NO_YEAR, ContactKind
from privacycrm_desktop.domain.duplicates import is_mobile
from privacycrm_desktop.domain.export_csv import country_name
from privacycrm_desktop.domain.export_formats import ExportContact
from privacycrm_desktop.domain.normalize import DEFAULT_REGION
from privacycrm_desktop.domain.text import N_


class VcardVersion(StrEnum):
    """The vCard versions an export writes."""

    V4 = "4.0"
    V3 = "3.0"


VCARD_VERSION_LABELS = {
    VcardVersion.V4: N_("vCard 4.0 (current address books)"),
    VcardVersion.V3: N_("vCard 3.0 (older address books, Outlook)"),
}

#: RFC 6350 3.2: a line holds at most 75 octets; longer ones continue after CRLF + space.
MAX_LINE_OCTETS = 75

#: Every character a reader may take for the end of a line: CR LF and CR, and the rest
#: of what ``str.splitlines`` splits on (VT, FF, the file/group/record separators, NEL,
#: LINE and PARAGRAPH SEPARATOR). Left raw in a NOTE, a reader splits the line there and
#: reads what follows as a property of its own ("EMAIL:...").
_LINE_BREAKS = re.compile("\r\n|[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
_LANGUAGES = frozenset({"nl", "fr", "en", "de"})


def escape_text(text: str) -> str:
    """A text value as RFC 6350 3.4 writes it: backslash, comma, semicolon, and every line
    break (any of ``_LINE_BREAKS``) as ``\\n``."""
    escaped = text.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;")
    return _LINE_BREAKS.sub("\\\\n", escaped)


def fold(line: str) -> str:
    """One content line folded at 75 octets (never inside a character), ended by CRLF."""
    if len(line.encode("utf-8")) <= MAX_LINE_OCTETS:
        return line + "\r\n"
    parts: list[str] = []
    current: list[str] = []
    size = 0
    for char in line:
        octets = len(char.encode("utf-8"))
        if size + octets > MAX_LINE_OCTETS:
            parts.append("".join(current))
            current, size = [], 1  # a continuation line starts with one space
        current.append(char)
        size += octets
    parts.append("".join(current))
    return "\r\n ".join(parts) + "\r\n"


def _international(number: str) -> str:
    """An E.164 number in international form ("+32 475 12 34 56") for vCard 3.0."""
    import phonenumbers

    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return number
    return str(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL))


def _tel(number: str, position: int, version: VcardVersion) -> str:
    kind = "cell" if is_mobile(number) else "voice"
    e164 = number.startswith("+") and number[1:].isdigit()
    if version is VcardVersion.V4:
        pref = f";PREF={position}" if position == 1 else ""
        if e164:
            return f"TEL;VALUE=uri;TYPE={kind}{pref}:tel:{number}"
        # A masked number is no number: it stays text.
        return f"TEL;TYPE={kind}{pref}:{escape_text(number)}"
    types = kind.upper() + (",PREF" if position == 1 else "")
    return f"TEL;TYPE={types}:{escape_text(_international(number) if e164 else number)}"


def _email(address: str, position: int, version: VcardVersion) -> str:
    if version is VcardVersion.V4:
        pref = ";PREF=1" if position == 1 else ""
        return f"EMAIL{pref}:{escape_text(address)}"
    types = "INTERNET" + (",PREF" if position == 1 else "")
    return f"EMAIL;TYPE={types}:{escape_text(address)}"


def _address(
    street: str, postcode: str, city: str, country: str, language: str, version: VcardVersion
) -> str | None:
    """The ADR line, or None when there is no address (a country alone is the default
    every contact has, unless it is another)."""
    if not (street or postcode or city) and country.upper() in ("", DEFAULT_REGION):
        return None
    name = country_name(country, language if language in _LANGUAGES else "en")
    # ADR: post office box; extended address; street; locality; region; code; country.
    parts = ("", "", street, city, "", postcode, name)
    cc = f";CC={country.upper()}" if version is VcardVersion.V4 and len(country) == 2 else ""
    return f"ADR{cc}:" + ";".join(escape_text(part) for part in parts)


def vcard(
    contact: ExportContact, fields: Sequence[str], version: VcardVersion = VcardVersion.V4
) -> str:
    """One contact as a vCard of *version*: CRLF line ends, text escaped, lines folded.

    Only the *fields* are read from *contact*. FN, which both versions require, is the
    name, else the organisation, else the first e-mail address or phone number.
    """
    shown = set(fields)

    def value(field: str) -> str:
        text: str = getattr(contact, field) if field in shown else ""
        return text

    def values(field: str) -> tuple[str, ...]:
        items: tuple[str, ...] = getattr(contact, field) if field in shown else ()
        return tuple(i for i in items if i)

    organisation_card = contact.kind is ContactKind.ORGANISATION_ADDRESS
    lines = ["BEGIN:VCARD", f"VERSION:{version.value}"]
    if organisation_card and version is VcardVersion.V4:
        # An impersonal address (info@...) is the organisation's own card (RFC 6350 6.1.4).
        lines.append("KIND:org")
    if contact.uid:
        lines.append("UID:" + contact.uid)
    first, last, organisation = value("first_name"), value("last_name"), value("organisation")
    # FN may not be empty: a card without a name or organisation is shown by its first
    # address or number, as address books do (the import knows it for no name).
    points = (*values("emails"), *values("phones"))
    full = (
        " ".join(part for part in (first, last) if part) or organisation or next(iter(points), "")
    )
    lines.append("FN:" + escape_text(full))
    if first or last or version is VcardVersion.V3:
        lines.append(f"N:{escape_text(last)};{escape_text(first)};;;")
    lines += _organisation(contact, organisation, "company_links" in shown)
    if organisation_card and version is VcardVersion.V3:
        lines.append("X-ABShowAs:COMPANY")
    for position, address in enumerate(values("emails"), start=1):
        lines.append(_email(address, position, version))
    for position, number in enumerate(values("phones"), start=1):
        lines.append(_tel(number, position, version))
    language = value("language")
    adr = _address(
        value("street"), value("postcode"), value("city"), value("country"), language, version
    )
    if adr is not None:
        lines.append(adr)
    birth = value("birth_date")
    if birth:
        lines.append(_birthday(birth, version))
    if language:
        # vCard 3.0 has no LANG; a reader ignores a property it does not know (RFC 2425
        # 5.8.2), and ours reads it back.
        lines.append("LANG:" + escape_text(language))
    if value("notes"):
        lines.append("NOTE:" + escape_text(value("notes")))
    tags = values("tags")
    if tags:
        # A list of text values: each escaped (its commas too), joined by bare commas.
        lines.append("CATEGORIES:" + ",".join(escape_text(t) for t in tags))
    # Custom fields as extension properties (RFC 6350 6.10): X-PRIVACYCRM-KEY.
    lines += [custom_property(key) + ":" + escape_text(t) for key, t in contact.custom if t]
    lines.append("END:VCARD")
    return "".join(fold(line) for line in lines)


def custom_property(key: str) -> str:
    """The vCard property of the custom field *key*: ``X-PRIVACYCRM-SHOE-SIZE``."""
    return "X-PRIVACYCRM-" + key.upper().replace("_", "-")


class VcardExportWriter:
    """Writes contacts to a text stream as vCards, one after the other (UTF-8, no BOM)."""

    def __init__(
        self, stream: TextIO, fields: Sequence[str], version: VcardVersion = VcardVersion.V4
    ) -> None:
        self._stream = stream
        self._fields = tuple(fields)
        self._version = version

    def write(self, contact: ExportContact) -> None:
        """Write one contact's vCard."""
        self._stream.write(vcard(contact, self._fields, self._version))


__all__ = [
    "MAX_LINE_OCTETS",
    "VCARD_VERSION_LABELS",
    "VcardExportWriter",
    "VcardVersion",
    "custom_property",
    "escape_text",
    "fold",
    "vcard",
]


def _organisation(contact: ExportContact, organisation: str, linked: bool) -> list[str]:
    """ORG: the company, then its unit, the department (RFC 6350 6.6.4); TITLE: the
    function (both only when the person's company links are exported)."""
    function = contact.function if linked else ""
    department = contact.department if linked else ""
    lines = []
    if organisation or department:
        unit = ";" + escape_text(department) if department else ""
        lines.append("ORG:" + escape_text(organisation) + unit)
    if function:
        lines.append("TITLE:" + escape_text(function))
    return lines


def _birthday(birth: str, version: VcardVersion) -> str:
    """The BDAY line; a birthday without its year (stored with the year ``NO_YEAR``) as
    vCard 4.0 writes one (--MMDD), and in 3.0 as Apple's and Android's address books do
    (the year 1604 with X-APPLE-OMIT-YEAR)."""
    year_less = birth.startswith(f"{NO_YEAR}-")
    if version is VcardVersion.V4:
        return "BDAY:" + (
            "--" + birth[5:].replace("-", "") if year_less else birth.replace("-", "")
        )
    return f"BDAY;X-APPLE-OMIT-YEAR={NO_YEAR}:{birth}" if year_less else f"BDAY:{birth}"
