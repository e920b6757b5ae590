"""Which field a column of an import file holds, guessed from its header.

Headers of Outlook (English, Dutch, French, German), Google Contacts, Thunderbird and
LinkedIn exports and of hand-made Excel sheets in English, Dutch and French are recognised
after folding (case, accents, punctuation); the program that wrote the file
(``import_profiles``) settles the few headers that mean another thing in it. A column
holding the name shown with an e-mail address, or the kind of address, is never taken
as an address. A consent column (newsletter, opt-in, toestemming) is mapped only when the
register's consent purpose is given: the file states consent, the person confirms the
purpose.
"""

from __future__ import annotations

from collections.abc import Sequence

from privacycrm_desktop.domain.consent import Channel
from privacycrm_desktop.domain.import_formats import ColumnTarget, ImportField
from privacycrm_desktop.domain.import_profiles import (
    ImportProfile,
    header_key,
    profile_override,
    recognise_profile,
)

F = ImportField

__all__ = [
    "consent_channel",
    "guess_mapping",
    "guess_target",
    "header_key",
    "is_consent_header",
    "is_display_name_header",
]


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
    "Vorname",
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
    "Nachname",
    "N (family)",
)
_alias(F.FULL_NAME, "Name", "Full Name", "Volledige naam", "Nom complet")
#: The name a program shows for a contact: a person's name, or the company's (Outlook
#: and Thunderbird show "Acme NV" for a company's address). Thunderbird's in Dutch,
#: French and German; a vCard's FN.
_DISPLAY_NAMES = ("Display Name", "Weergavenaam", "Nom à afficher", "Anzeigename", "FN")
_alias(F.FULL_NAME, *_DISPLAY_NAMES)
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
    # Thunderbird (English, Dutch, French, German) and LinkedIn.
    "Primary Email",
    "Secondary Email",
    "Eerste e-mailadres",
    "Tweede e-mailadres",
    "Adresse électronique principale",
    "Adresse électronique secondaire",
    "Primäre E-Mail-Adresse",
    "Sekundäre E-Mail-Adresse",
    "Email Address",
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
    "Telefon",
    "Mobiltelefon",
    "Mobiltelefon 2",
    "Haupttelefon",
    "Mobil-Tel.-Nr.",
    "Tel. dienstlich",
    "Tél. professionnel",
    "Work Phone",
    "Mobile Number",
    "Hoofdtelefoon",
)
_alias(
    F.STREET,
    "Business Street",
    "Home Street",
    "Other Street",
    "Street",
    "Address 1 - Street",
    "Straat",
    "Straat en nummer",
    "Werkadres, straat",
    "Huisadres, straat",
    "Rue",
    "Rue (bureau)",
    "Rue (domicile)",
    "ADR (street)",
    # The house number in a column of its own joins the street.
    "Huisnummer",
    "Nummer",
    "Nr",
    "Numéro",
    "House number",
    # Thunderbird's address lines (street and a second line), in four languages.
    "Home Address",
    "Home Address 2",
    "Work Address",
    "Work Address 2",
    "Privéadres",
    "Privéadres 2",
    "Werkadres",
    "Werkadres 2",
    "Adresse privée",
    "Adresse privée 2",
    "Adresse professionnelle",
    "Adresse professionnelle 2",
    "Privat: Adresse",
    "Privat: Adresse 2",
    "Dienstlich: Adresse",
    "Dienstlich: Adresse 2",
)
_alias(
    F.ADDRESS,
    "Address",
    "Adres",
    "Adresse",
    "Postal address",
    "Postadres",
    "Adresse postale",
    "Anschrift",
    "Address 1 - Formatted",
    "Address 2 - Formatted",
    "Address 3 - Formatted",
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
    "PLZ",
    "Home ZipCode",
    "Work ZipCode",
    "Privat: PLZ",
    "Dienstlich: PLZ",
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
    "Ort geschäftlich",
    "Ort privat",
    "Weiterer Ort",
    "Ort",
    "Werkplaats",
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
    "Privat: Land",
    "Dienstlich: Land",
    "Werkland",
)
_alias(F.LANGUAGE, "Language", "Taal", "Langue", "Sprache", "LANG")
_alias(
    F.BIRTH_DATE,
    "Birthday",
    "Birth Date",
    "Date of Birth",
    "Verjaardag",
    "Geboortedatum",
    "Date de naissance",
    "Anniversaire",
    "Geburtstag",
    "BDAY",
)
_alias(F.BIRTH_YEAR, "Birth Year", "Geboortejaar", "Année de naissance", "Geburtsjahr")
_alias(F.BIRTH_MONTH, "Birth Month", "Geboortemaand", "Mois de naissance", "Geburtsmonat")
_alias(F.BIRTH_DAY, "Birth Day", "Geboortedag", "Jour de naissance")
_alias(
    F.NOTES,
    "Notes",
    "Note",
    "Notities",
    "Opmerkingen",
    "Opmerking",
    "Remarques",
    "Notizen",
    "NOTE",
)
_alias(
    F.NOTE_LINE,
    # Outlook (en, nl, fr, de), Google, Thunderbird: what has no field of its own.
    "Middle Name",
    "Title",
    "Suffix",
    "Business Fax",
    "Home Fax",
    "Web Page",
    "Anniversary",
    "Spouse",
    "Nickname",
    "Website 1 - Value",
    "Web Page 1",
    "Web Page 2",
    "Tweede voornaam",
    "Fax op werk",
    "Webpagina",
    "Deuxième prénom",
    "Télécopie (bureau)",
    "Page Web",
    "Weiterer Vorname",
    "Fax geschäftlich",
    "Webseite",
    "Other Fax",
    "Pager",
    "URL",
)
_alias(
    F.FUNCTION,
    "Function",
    "Job Title",
    "Title (job)",
    "TITLE",
    "Organization Title",
    "Organization 1 - Title",
    "Functie",
    "Fonction",
    "Position",
)
_alias(
    F.DEPARTMENT,
    "Department",
    "ORG (unit)",
    "Organization Department",
    "Organization 1 - Department",
    "Afdeling",
    "Service",
    "Abteilung",
)
_alias(F.UID, "UID")
_alias(F.UNREAD, "Not read")
_alias(F.TAGS, "Tags", "CATEGORIES", "Categories", "Categorieën", "Catégories", "Étiquettes")
for _n in range(2, 11):
    _alias(F.EMAIL, f"EMAIL {_n}", f"E-mail {_n}", f"Email {_n}")
    _alias(F.PHONE, f"TEL {_n}", f"Phone {_n}", f"Telefoon {_n}", f"Téléphone {_n}")
# Known columns that are not imported (a label, another person's number): left unmapped
# on purpose.
_alias(
    None,
    "E-mail 1 - Type",
    "E-mail 1 - Label",
    "Phone 1 - Type",
    "Phone 1 - Label",
    "Other Fax",
    "Pager",
    "Assistant's Phone",
    "Telefoon assistent",
    "Téléphone de l'assistant(e)",
    "Telefon Assistent",
    "Privat",
    "Privé",
    "Private",
    "Location",
    "Connected On",
    "E-Mail-Auswahl",
    "E-Mail ausgewählt",
    "Adressenauswahl",
    "Adresse ausgewählt",
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
#: Words that make an e-mail column something else than the address itself.
_EMAIL_WORDS = ("e mail", "email", "courriel", "messagerie", "e mailadres")
_EMAIL_NAME_WORDS = ("name", "naam", "nom", "weergavenaam", "weergegeven")
_EMAIL_KIND_WORDS = ("type", "typ", "e mailtype", "label")
_PATTERNS: tuple[tuple[ImportField | None, tuple[str, ...]], ...] = (
    (None, ("fax", "pager", "label", "type", "typ", "yomi", "assistant", "assistent")),
    (F.EMAIL, _EMAIL_WORDS),
    (
        F.PHONE,
        ("phone", "telefoon", "telephone", "telefon", "gsm", "mobile", "mobiel", "portable"),
    ),
    (F.POSTCODE, ("postal code", "postcode", "code postal", "zip", "zipcode", "postleitzahl")),
    (F.STREET, ("street", "straat", "rue", "strasse", "extended address")),
    (F.CITY, ("city", "plaats", "gemeente", "ville")),
    (F.COUNTRY, ("country", "pays", "land")),
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


def _by_words(key: str) -> ImportField | None:
    """The field a header's words name when it is no known header (None: left out).

    A column about an e-mail address that is not the address is looked at first: the
    name shown with it is a name, its kind is left out.
    """
    padded = f" {key} "
    if any(f" {word} " in padded for word in _EMAIL_WORDS):
        if any(f" {word} " in padded for word in _EMAIL_NAME_WORDS):
            return F.EMAIL_NAME
        if any(f" {word} " in padded for word in _EMAIL_KIND_WORDS):
            return None
    for field, words in _PATTERNS:
        if any(f" {word} " in padded for word in words):
            return field
    return None


def is_display_name_header(header: str) -> bool:
    """Whether a column with this header holds the name a program shows for the contact
    (a display name, a vCard's FN, the name shown with an e-mail address), which may be
    a company's, rather than a person's full name."""
    key = header_key(header)
    return key in _DISPLAY_NAME_KEYS or _by_words(key) is F.EMAIL_NAME


_DISPLAY_NAME_KEYS = frozenset(header_key(h) for h in _DISPLAY_NAMES)


def guess_target(
    header: str,
    consent_purpose: str | None = None,
    profile: ImportProfile = ImportProfile.GENERIC,
) -> ColumnTarget | None:
    """What a column with this header most likely holds, or None to leave it out.

    A consent column is mapped only when *consent_purpose* (the register's consent
    purpose) is given: the file states consent, the person confirms the purpose. The
    *profile* (the program that wrote the file) settles headers it uses its own way.
    """
    key = header_key(header)
    if is_consent_header(header) and key:
        if consent_purpose is None:
            return None
        return ColumnTarget(F.CONSENT, consent_purpose, consent_channel(header).value)
    known, field = profile_override(profile, key)
    if not known:
        field = _EXACT[key] if key in _EXACT else _by_words(key) if key else None
    return None if field is None else ColumnTarget(field)


def guess_mapping(
    headers: Sequence[str], consent_purpose: str | None = None
) -> tuple[ColumnTarget | None, ...]:
    """A guessed target per header (see ``guess_target``), read as the program that
    wrote the file (``recognise_profile``) writes them."""
    profile = recognise_profile(headers)
    guessed = [guess_target(h, consent_purpose, profile) for h in headers]
    fields = {t.field for t in guessed if t is not None}
    if F.LAST_NAME in fields and not fields & {F.FIRST_NAME, F.FULL_NAME}:
        # "Naam" or "Nom" beside "Voornaam"/"Prénom" is the last name; alone, it is the
        # whole name ("Jan Peeters"), split the way names are.
        guessed = [
            ColumnTarget(F.FULL_NAME)
            if t is not None and t.field is F.LAST_NAME and header_key(h) in _AMBIGUOUS_NAMES
            else t
            for h, t in zip(headers, guessed, strict=True)
        ]
    return tuple(guessed)


#: Headers that are the last name beside a first-name column, else the whole name.
_AMBIGUOUS_NAMES = frozenset({"naam", "nom"})
