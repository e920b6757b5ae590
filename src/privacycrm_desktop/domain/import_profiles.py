"""Which program wrote an import file, recognised by its header row.

Outlook (in English, Dutch, French and German), Google Contacts (the old "Given Name"
export and the current "First Name" one), Thunderbird, LinkedIn's Connections.csv and the
vCard reader's own columns each have headers no other file has; a file with none of them
is a list of its own (a spreadsheet), whose columns are guessed one by one. The profile is
shown to the person who maps the columns and decides the few headers that mean another
thing in one program than in the rest (Thunderbird's German "Geburtstag" is the day of
birth, Outlook's German "Ort" the office location).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from enum import StrEnum

from privacycrm_desktop.domain.import_formats import ImportField
from privacycrm_desktop.domain.normalize import fold
from privacycrm_desktop.domain.text import N_


def header_key(header: str) -> str:
    """A header folded for matching: "E-mail 2 Address" -> "e mail 2 address"."""
    return " ".join(re.sub(r"[^0-9a-z]+", " ", fold(header)).split())


class ImportProfile(StrEnum):
    """The program an import file comes from, as far as its headers tell."""

    OUTLOOK = "outlook"
    GOOGLE = "google"
    THUNDERBIRD = "thunderbird"
    LINKEDIN = "linkedin"
    VCARD = "vcard"
    #: No known program: a list of its own, each column guessed from its header.
    GENERIC = "generic"


PROFILE_LABELS: dict[ImportProfile, str] = {
    ImportProfile.OUTLOOK: N_("an Outlook export"),
    ImportProfile.GOOGLE: N_("a Google Contacts export"),
    ImportProfile.THUNDERBIRD: N_("a Thunderbird address book"),
    ImportProfile.LINKEDIN: N_("LinkedIn connections"),
    ImportProfile.VCARD: N_("vCard contacts"),
    ImportProfile.GENERIC: N_("a list of its own"),
}


def _keys(*headers: str) -> frozenset[str]:
    return frozenset(header_key(h) for h in headers)


#: Headers only one program writes (folded), checked in this order.
_SIGNATURES: tuple[tuple[ImportProfile, frozenset[str]], ...] = (
    (ImportProfile.VCARD, _keys("N (family)", "ADR (street)")),
    (ImportProfile.LINKEDIN, _keys("Connected On")),
    (
        ImportProfile.GOOGLE,
        _keys("E-mail 1 - Value", "Phone 1 - Value", "Address 1 - Formatted", "Group Membership"),
    ),
    (
        ImportProfile.THUNDERBIRD,
        _keys(
            "Primary Email",
            "Secondary Email",
            "Home ZipCode",
            "Work ZipCode",
            "Birth Year",
            "Adresse électronique principale",
            "Primäre E-Mail-Adresse",
            "Eerste e-mailadres",
            "Geburtsjahr",
            "Année de naissance",
            "Geboortejaar",
        ),
    ),
    (
        ImportProfile.OUTLOOK,
        _keys(
            "E-mail Display Name",
            "E-mail 2 Address",
            "Business Street",
            "Home Street",
            "Business Postal Code",
            "Weergavenaam voor e-mail",
            "Werkadres, straat",
            "Huisadres, straat",
            "Nom complet de l'adresse de messagerie",
            "Adresse de messagerie 2",
            "Rue (bureau)",
            "Rue (domicile)",
            "E-Mail: Angezeigter Name",
            "E-Mail 2: Adresse",
            "Straße geschäftlich",
            "Straße privat",
        ),
    ),
)

#: Headers that mean something else in one program than in a list of one's own.
_OVERRIDES: dict[ImportProfile, dict[str, ImportField | None]] = {
    ImportProfile.THUNDERBIRD: {
        header_key("Geburtstag"): ImportField.BIRTH_DAY,
        header_key("Jour"): ImportField.BIRTH_DAY,
        header_key("Mois"): ImportField.BIRTH_MONTH,
    },
    # Outlook's "Ort" and "Location" are where the person's office is, not a town.
    ImportProfile.OUTLOOK: {header_key("Ort"): None, header_key("Location"): None},
}


def recognise_profile(headers: Sequence[str]) -> ImportProfile:
    """The program whose export has these headers; ``GENERIC`` when none is known."""
    keys = {header_key(h) for h in headers}
    for profile, signature in _SIGNATURES:
        if keys & signature:
            return profile
    return ImportProfile.GENERIC


def profile_override(profile: ImportProfile, key: str) -> tuple[bool, ImportField | None]:
    """(True, field) when *profile* reads the folded header *key* its own way."""
    overrides = _OVERRIDES.get(profile, {})
    if key in overrides:
        return True, overrides[key]
    return False, None
