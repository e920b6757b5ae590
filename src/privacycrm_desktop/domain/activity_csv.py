"""CSV files of interactions (issue 22): the columns we write for each target program, the
headers we recognise when reading one, kinds and dates as those programs write them.

Where the headers come from (no sample file of either program was at hand; what their
documentation and source say):

* Odoo: the labels of the ``mail.activity`` fields, which its list export writes as
  headers (odoo/odoo ``addons/mail/models/mail_activity.py``: ``activity_type_id``
  "Activity Type", ``summary`` "Summary", ``note`` "Note" (HTML), ``date_deadline``
  "Due Date", ``user_id`` "Assigned to", ``res_name`` "Document Name"); dates
  YYYY-MM-DD, date-times YYYY-MM-DD HH:MM:SS. The activity types of a new database:
  "Email", "Call", "Meeting", "To Do", "Upload Document".
* Teamleader Focus: its support articles on importing activities, calls and time
  tracking (support.focus.teamleader.eu, articles 7000018247 and 7000018246, in en, nl,
  de, it): a date ("Startdatum"/"Date", recommended yyyy-mm-dd hh:mm, dd/mm/yyyy
  accepted in its other imports), a description ("Omschrijving"/"Description"), the
  customer (contact or company name) and the user. The English column names we write
  ("Date", "Type", "Subject", "Description", "Email", "User") follow those articles;
  the Dutch and French ones are recognised too.

A file we cannot place is still read when ``--map "Header=field"`` says what its columns
are. Pure: no database, no Qt.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from privacycrm_desktop.domain.activities import ActivityKind
from privacycrm_desktop.domain.import_profiles import header_key
from privacycrm_desktop.domain.normalize import fold
from privacycrm_desktop.domain.text import N_


class ActivityField(StrEnum):
    """What a column of an interactions file holds."""

    CONTACT_ID = "contact_id"
    COMPANY_ID = "company_id"
    EMAIL = "email"
    KIND = "kind"
    OCCURRED_AT = "occurred_at"
    SUMMARY = "summary"
    DETAILS = "details"
    PEOPLE = "people"


class ActivityProfile(StrEnum):
    """The program a file of interactions is written for, or read from."""

    PRIVACYCRM = "privacycrm"
    TEAMLEADER = "teamleader"
    ODOO = "odoo"
    #: No known program: the columns recognised one by one, or mapped.
    GENERIC = "generic"


ACTIVITY_PROFILE_LABELS = {
    ActivityProfile.PRIVACYCRM: N_("a PrivacyCRM interactions file"),
    ActivityProfile.TEAMLEADER: N_("a Teamleader activities file"),
    ActivityProfile.ODOO: N_("an Odoo activities export"),
    ActivityProfile.GENERIC: N_("a list of its own"),
}

#: The columns written per profile: (header, what it holds). "recorded_by", "id",
#: "attachment" and "linked" are written, never read back.
EXPORT_COLUMNS: Mapping[ActivityProfile, tuple[tuple[str, str], ...]] = {
    ActivityProfile.PRIVACYCRM: (
        ("id", "id"),
        ("contact_id", "contact_id"),
        ("company_id", "company_id"),
        ("email", "email"),
        ("kind", "kind"),
        ("occurred_at", "occurred_at"),
        ("summary", "summary"),
        ("details", "details"),
        ("attachment", "attachment"),
        ("people", "people"),
        ("recorded_by", "recorded_by"),
        ("linked", "linked"),
    ),
    ActivityProfile.TEAMLEADER: (
        ("Date", "occurred_at"),
        ("Type", "kind"),
        ("Subject", "summary"),
        ("Description", "details"),
        ("Email", "email"),
        ("User", "recorded_by"),
    ),
    ActivityProfile.ODOO: (
        ("Activity Type", "kind"),
        ("Summary", "summary"),
        ("Note", "details"),
        ("Due Date", "occurred_at"),
        ("Assigned to", "recorded_by"),
        ("Email", "email"),
    ),
}

#: How each profile names the kinds on export.
KIND_WORDS: Mapping[ActivityProfile, Mapping[ActivityKind, str]] = {
    ActivityProfile.PRIVACYCRM: {k: k.value for k in ActivityKind},
    ActivityProfile.TEAMLEADER: {
        ActivityKind.CALL: "Call",
        ActivityKind.MEETING: "Meeting",
        ActivityKind.EMAIL: "Email",
        ActivityKind.LETTER: "Letter",
        ActivityKind.VISIT: "Visit",
        ActivityKind.NOTE: "Note",
    },
    ActivityProfile.ODOO: {
        ActivityKind.CALL: "Call",
        ActivityKind.MEETING: "Meeting",
        ActivityKind.EMAIL: "Email",
        ActivityKind.LETTER: "To Do",
        ActivityKind.VISIT: "Meeting",
        ActivityKind.NOTE: "To Do",
    },
}


def _keys(*headers: str) -> frozenset[str]:
    return frozenset(header_key(h) for h in headers)


#: Recognised headers (folded) per field, in en, nl, fr and de.
_HEADERS: Mapping[ActivityField, frozenset[str]] = {
    ActivityField.CONTACT_ID: _keys("contact_id", "contact id", "person id"),
    ActivityField.COMPANY_ID: _keys("company_id", "company id"),
    ActivityField.EMAIL: _keys(
        "email",
        "e-mail",
        "email address",
        "e-mailadres",
        "adresse e-mail",
        "courriel",
        "contact/email",
        "partner/email",
        "customer email",
        "e-mail-adresse",
    ),
    ActivityField.KIND: _keys(
        "kind",
        "type",
        "activity type",
        "activity",
        "soort",
        "activiteitstype",
        "type d'activité",
        "aktivitätstyp",
        "typ",
    ),
    ActivityField.OCCURRED_AT: _keys(
        "occurred_at",
        "date",
        "datum",
        "due date",
        "start date",
        "startdatum",
        "date de début",
        "échéance",
        "deadline",
        "startdatum",
        "date d'échéance",
        "vervaldatum",
    ),
    ActivityField.SUMMARY: _keys(
        "summary",
        "subject",
        "title",
        "onderwerp",
        "titel",
        "samenvatting",
        "résumé",
        "objet",
        "sujet",
        "titre",
        "betreff",
        "zusammenfassung",
    ),
    ActivityField.DETAILS: _keys(
        "details",
        "description",
        "note",
        "notes",
        "omschrijving",
        "beschrijving",
        "notitie",
        "remarque",
        "beschreibung",
        "notiz",
    ),
    ActivityField.PEOPLE: _keys("people", "with", "attendees"),
}

#: Headers only one program writes (folded), checked in this order.
_SIGNATURES: tuple[tuple[ActivityProfile, frozenset[str]], ...] = (
    (ActivityProfile.PRIVACYCRM, _keys("occurred_at", "kind", "recorded_by")),
    (ActivityProfile.ODOO, _keys("Activity Type", "Due Date")),
    (ActivityProfile.TEAMLEADER, _keys("Date", "Type", "Subject")),
    (ActivityProfile.TEAMLEADER, _keys("Datum", "Type", "Onderwerp")),
    (ActivityProfile.TEAMLEADER, _keys("Startdatum", "Omschrijving")),
)

#: Kind words of the programs (folded), in en, nl, fr and de; our own codes too.
_KINDS: Mapping[str, ActivityKind] = {
    **{k.value: k for k in ActivityKind},
    **dict.fromkeys(
        ("call", "phone call", "phone", "telefoon", "telefoongesprek", "oproep", "appel",
         "appel telephonique", "anruf", "log a call"), ActivityKind.CALL
    ),
    **dict.fromkeys(
        ("meeting", "vergadering", "afspraak", "reunion", "rendez vous", "besprechung",
         "termin", "event"), ActivityKind.MEETING
    ),
    **dict.fromkeys(("email", "e mail", "mail", "courriel"), ActivityKind.EMAIL),
    **dict.fromkeys(("letter", "brief", "lettre", "courrier", "post"), ActivityKind.LETTER),
    **dict.fromkeys(("visit", "bezoek", "visite", "besuch"), ActivityKind.VISIT),
    **dict.fromkeys(
        ("note", "notitie", "notiz", "to do", "todo", "task", "taak", "tache", "aufgabe",
         "upload document", "document"), ActivityKind.NOTE
    ),
}  # fmt: skip


def detect_profile(headers: Sequence[str]) -> ActivityProfile:
    """The program that wrote a file with these headers, as far as they tell."""
    keys = {header_key(h) for h in headers}
    for profile, signature in _SIGNATURES:
        if signature <= keys:
            return profile
    return ActivityProfile.GENERIC


class MappingProblem(ValueError):
    """A ``--map`` that names no header of the file or no field."""


def column_map(headers: Sequence[str], overrides: Iterable[str] = ()) -> dict[int, ActivityField]:
    """Which column holds which field: recognised headers, then ``Header=field``
    *overrides* (``Header=`` leaves a column out). The first column of a field wins.

    Raises:
        MappingProblem: an override names no header of the file or no field.
    """
    result: dict[int, ActivityField] = {}
    for index, header in enumerate(headers):
        key = header_key(header)
        for field, keys in _HEADERS.items():
            if key in keys and field not in result.values():
                result[index] = field
                break
    for override in overrides:
        header, sep, name = override.partition("=")
        wanted = [i for i, h in enumerate(headers) if header_key(h) == header_key(header)]
        if not sep or not wanted:
            raise MappingProblem(header)
        for index, field in list(result.items()):
            if name and field.value == name.strip():
                del result[index]
        if not name.strip():
            result.pop(wanted[0], None)
            continue
        try:
            result[wanted[0]] = ActivityField(name.strip())
        except ValueError:
            raise MappingProblem(name) from None
    return result


def kind_of(text: str) -> ActivityKind | None:
    """The kind a program's word names ("Telefoongesprek", "To Do"), if any."""
    return _KINDS.get(" ".join(re.sub(r"[^0-9a-z]+", " ", fold(text)).split()))


class DateOrder(StrEnum):
    """How the file writes its dates."""

    YMD = "ymd"
    DMY = "dmy"
    MDY = "mdy"


_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2}))?)?\S*")
_NUMERIC = re.compile(
    r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})(?:[ T,]+(\d{1,2}):(\d{2})(?::(\d{2}))?)?"
)


def date_order(cells: Iterable[str]) -> DateOrder:
    """The order of the file's day-first or month-first dates: a first number above 12
    says day first, a second one month first; undecided, day first (as in Belgium)."""
    day_first = month_first = False
    for cell in cells:
        found = _NUMERIC.fullmatch(cell.strip())
        if found is None:
            continue
        first, second = int(found[1]), int(found[2])
        day_first |= first > 12
        month_first |= second > 12
    return DateOrder.MDY if month_first and not day_first else DateOrder.DMY


def parse_moment(text: str, order: DateOrder) -> dt.datetime | None:
    """A date (and time) as the file writes it: ISO (YYYY-MM-DD[ HH:MM[:SS]]) or numeric
    in *order*; naive, in the file's (local) time. None when it is not one."""
    text = text.strip()
    iso = _ISO.fullmatch(text)
    try:
        if iso is not None:
            year, month, day = int(iso[1]), int(iso[2]), int(iso[3])
            hour, minute, second = (int(iso[i] or 0) for i in (4, 5, 6))
            return dt.datetime(year, month, day, hour, minute, second)
        numeric = _NUMERIC.fullmatch(text)
        if numeric is None:
            return None
        first, second_part, year = int(numeric[1]), int(numeric[2]), int(numeric[3])
        day, month = (second_part, first) if order is DateOrder.MDY else (first, second_part)
        hour, minute, second = (int(numeric[i] or 0) for i in (4, 5, 6))
        return dt.datetime(year, month, day, hour, minute, second)
    except ValueError:
        return None


def people_ids(text: str) -> tuple[int, ...] | None:
    """Contact ids separated by spaces, commas or semicolons; None when one is not."""
    parts = [p for p in re.split(r"[\s,;]+", text.strip()) if p]
    if not all(p.isdigit() for p in parts):
        return None
    return tuple(int(p) for p in parts)


@dataclass(frozen=True)
class RowRefusal:
    """Why one row of the file was not imported (a code; the row number counts the
    header as row 1, as a spreadsheet shows it)."""

    row: int
    reason: str


#: Why a row is left out: what the summary says, per code.
REFUSAL_LABELS = {
    "no_person": N_("no person with this e-mail address or id"),
    "ambiguous": N_("more than one person has this e-mail address"),
    "no_company": N_("no company with this id"),
    "no_date": N_("no date, or not one we can read"),
    "no_kind": N_("a kind of interaction we do not know"),
    "invalid": N_("a value was refused (too long, in the future, empty)"),
    "special": N_("the text seems to hold special-category data (not confirmed)"),
    "bad_people": N_("the linked people are not contact ids of this database"),
}
