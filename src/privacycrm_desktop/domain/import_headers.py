"""Which field a column of an import file holds, guessed from its header.

Headers of Outlook and Google Contacts exports and of hand-made Excel sheets in English,
Dutch and French are recognised after folding (case, accents, punctuation). A consent
column (newsletter, opt-in, toestemming) is mapped only when the register's consent
purpose is given: the file states consent, the person confirms the purpose.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from privacycrm_desktop.domain.consent import Channel
from privacycrm_desktop.domain.import_formats import ColumnTarget, ImportField
from privacycrm_desktop.domain.normalize import fold

F = ImportField


def header_key(header: str) -> str:
    """A header folded for matching: "E-mail 2 Address" -> "e mail 2 address"."""
    return " ".join(re.sub(r"[^0-9a-z]+", " ", fold(header)).split())


#: Exact headers (folded with ``header_key``) and what they mean.
_EXACT: dict[str, ImportField | None] = {}


def _alias(field: ImportField | None, *headers: str) -> None:
    for header in headers:
        _EXACT[header_key(header)] = field


_alias(
    F.FIRST_NAME,
    "First Name",
    "Given Name",
    "Firstname",
    "Voornaam",
    "Prénom",
    "Prenom",
    "N (given)",
)
_alias(
    F.LAST_NAME,
    "Last Name",
    "Family Name",
    "Surname",
    "Lastname",
    "Achternaam",
    "Familienaam",
    "Naam",
    "Nom",
    "Nom de famille",
    "N (family)",
)
_alias(F.FULL_NAME, "Name", "Full Name", "Display Name", "Volledige naam", "Nom complet", "FN")
_alias(
    F.ORGANISATION,
    "Company",
    "Organization",
    "Organisation",
    "Organization Name",
    "Organization 1 - Name",
    "Bedrijf",
    "Firma",
    "Onderneming",
    "Organisatie",
    "Société",
    "Entreprise",
    "ORG",
)
_alias(
    F.EMAIL,
    "E-mail Address",
    "E-mail 2 Address",
    "E-mail 3 Address",
    "Email",
    "E-mail",
    "E-mail 1 - Value",
    "E-mail 2 - Value",
    "E-mail 3 - Value",
    "E-mailadres",
    "E-mailadres 2",
    "E-mailadres 3",
    "Mail",
    "Courriel",
    "Adresse e-mail",
    "Adresse de messagerie",
    "Adresse de messagerie 2",
    "Adresse de messagerie 3",
    "EMAIL",
)
_alias(
    F.PHONE,
    "Mobile Phone",
    "Business Phone",
    "Business Phone 2",
    "Home Phone",
    "Home Phone 2",
    "Primary Phone",
    "Other Phone",
    "Company Main Phone",
    "Phone",
    "Telephone",
    "Phone 1 - Value",
    "Phone 2 - Value",
    "Phone 3 - Value",
    "Mobile",
    "Telefoon",
    "Telefoonnummer",
    "GSM",
    "Mobiele telefoon",
    "Mobiel",
    "Telefoon thuis",
    "Telefoon op werk",
    "Telefoon werk",
    "Téléphone",
    "Telephone",
    "Tél. mobile",
    "Téléphone mobile",
    "Portable",
    "Téléphone domicile",
    "Téléphone bureau",
    "Téléphone (bureau)",
    "Téléphone (domicile)",
    "TEL",
)
_alias(
    F.STREET,
    "Business Street",
    "Home Street",
    "Other Street",
    "Street",
    "Address",
    "Address 1 - Street",
    "Straat",
    "Adres",
    "Straat en nummer",
    "Werkadres, straat",
    "Huisadres, straat",
    "Rue",
    "Adresse",
    "Rue (bureau)",
    "Rue (domicile)",
    "ADR (street)",
)
_alias(
    F.POSTCODE,
    "Business Postal Code",
    "Home Postal Code",
    "Other Postal Code",
    "Postal Code",
    "Postcode",
    "Zip",
    "Zip Code",
    "Address 1 - Postal Code",
    "Werkadres, postcode",
    "Huisadres, postcode",
    "Code postal",
    "Code postal (bureau)",
    "Code postal (domicile)",
    "ADR (postcode)",
)
_alias(
    F.CITY,
    "Business City",
    "Home City",
    "Other City",
    "City",
    "Town",
    "Address 1 - City",
    "Gemeente",
    "Woonplaats",
    "Plaats",
    "Stad",
    "Werkadres, plaats",
    "Huisadres, plaats",
    "Ville",
    "Localité",
    "Commune",
    "Ville (bureau)",
    "Ville (domicile)",
    "ADR (city)",
)
_alias(
    F.COUNTRY,
    "Business Country/Region",
    "Home Country/Region",
    "Other Country/Region",
    "Country",
    "Address 1 - Country",
    "Land",
    "Werkadres, land/regio",
    "Huisadres, land/regio",
    "Pays",
    "Pays/Région (bureau)",
    "Pays/Région (domicile)",
    "ADR (country)",
)
_alias(F.LANGUAGE, "Language", "Taal", "Langue", "LANG")
_alias(
    F.BIRTH_DATE,
    "Birthday",
    "Birth Date",
    "Date of Birth",
    "Verjaardag",
    "Geboortedatum",
    "Date de naissance",
    "Anniversaire",
    "BDAY",
)
_alias(F.UID, "UID")
_alias(F.NOTES, "Notes", "Note", "Notities", "Opmerkingen", "Opmerking", "Remarques", "NOTE")
for _n in range(2, 11):
    _alias(F.EMAIL, f"EMAIL {_n}", f"E-mail {_n}", f"Email {_n}")
    _alias(F.PHONE, f"TEL {_n}", f"Phone {_n}", f"Telefoon {_n}", f"Téléphone {_n}")
# Known columns that are not imported (a label, a fax): left unmapped on purpose.
_alias(
    None,
    "E-mail 1 - Type",
    "E-mail 1 - Label",
    "Phone 1 - Type",
    "Phone 1 - Label",
    "Business Fax",
    "Home Fax",
    "Other Fax",
    "Pager",
    "Middle Name",
    "Title",
    "Suffix",
    "Job Title",
    "Anniversary",
)

_CONSENT_WORDS = (
    "consent",
    "toestemming",
    "consentement",
    "opt in",
    "optin",
    "newsletter",
    "nieuwsbrief",
    "infolettre",
    "lettre d information",
    "mailing",
)
_CHANNEL_WORDS = (
    (Channel.EMAIL, ("e mail", "email", "mail", "newsletter", "nieuwsbrief", "infolettre")),
    (Channel.SMS, ("sms", "texto")),
    (Channel.PHONE, ("phone", "telefoon", "telephone", "bellen", "appel")),
    (Channel.POST, ("post", "courrier", "brief", "mailing")),
)
_PATTERNS: tuple[tuple[ImportField | None, tuple[str, ...]], ...] = (
    (None, ("fax", "pager", "label", "type", "yomi")),
    (F.EMAIL, ("e mail", "email", "courriel", "messagerie")),
    (F.PHONE, ("phone", "telefoon", "telephone", "gsm", "mobile", "mobiel", "portable")),
    (F.POSTCODE, ("postal code", "postcode", "code postal", "zip")),
    (F.STREET, ("street", "straat", "rue")),
    (F.CITY, ("city", "plaats", "gemeente", "ville")),
    (F.COUNTRY, ("country", "pays")),
)


def is_consent_header(header: str) -> bool:
    """Does the header say the column records consent (newsletter, opt-in, toestemming)?"""
    key = f" {header_key(header)} "
    return any(f" {word} " in key or key.strip().startswith(word) for word in _CONSENT_WORDS)


def consent_channel(header: str) -> Channel:
    """The channel a consent header names (whole words); e-mail when it names none."""
    key = f" {header_key(header)} "
    for channel, words in _CHANNEL_WORDS:
        if any(f" {word} " in key for word in words):
            return channel
    return Channel.EMAIL


def guess_target(header: str, consent_purpose: str | None = None) -> ColumnTarget | None:
    """What a column with this header most likely holds, or None to leave it out.

    A consent column is mapped only when *consent_purpose* (the register's consent
    purpose) is given: the file states consent, the person confirms the purpose.
    """
    key = header_key(header)
    if not key:
        return None
    if is_consent_header(header):
        if consent_purpose is None:
            return None
        return ColumnTarget(F.CONSENT, consent_purpose, consent_channel(header).value)
    if key in _EXACT:
        field = _EXACT[key]
        return None if field is None else ColumnTarget(field)
    padded = f" {key} "
    for field, words in _PATTERNS:
        if any(f" {word} " in padded for word in words):
            return None if field is None else ColumnTarget(field)
    return None


def guess_mapping(
    headers: Sequence[str], consent_purpose: str | None = None
) -> tuple[ColumnTarget | None, ...]:
    """A guessed target per header (see ``guess_target``)."""
    return tuple(guess_target(h, consent_purpose) for h in headers)
