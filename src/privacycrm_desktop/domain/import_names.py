"""A row's first and last name from an import file's name columns (``import_rows``):
the first and last name columns, or a full or display name split, and a full-name column
beside a first name and no last name read as the surname.

A display name (Outlook's and Thunderbird's "Display Name", a vCard's FN) is the name a
program shows for the contact, which may be a company's: one that does not hold the
first name is no surname, and one written with a legal form ("Acme NV", "SPRL Dupont")
is the organisation's name, not a person's. What the row's name does not take of it is
kept in the notes, never dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from privacycrm_desktop.domain.companies import legal_form_in_name
from privacycrm_desktop.domain.import_formats import ImportField
from privacycrm_desktop.domain.person_names import split_full_name

F = ImportField
_ADDRESS_IN_NAME = re.compile(r"[(<\[][^)>\]]*@[^)>\]]*[)>\]]")


@dataclass(frozen=True)
class RowNames:
    """The row's person's name and organisation as its name columns give them."""

    first: str
    last: str
    organisation: str
    #: A full or display name none of them took (kept as a line of the notes).
    left: str = ""


def row_names(values: dict[ImportField, str], *, display: bool = False) -> RowNames:
    """The name columns, or else a full or display name split; *display* says the
    full-name column is a display name (``import_headers.is_display_name_header``)."""
    first = values.get(F.FIRST_NAME, "")
    last = values.get(F.LAST_NAME, "")
    organisation = values.get(F.ORGANISATION, "")
    shown = _shown_name(values)
    if shown and legal_form_in_name(shown) is not None:
        # "Acme NV": the organisation's name, never a person's first or last name.
        if not organisation.strip():
            return RowNames(first, last, shown)
        same = shown.casefold() in organisation.casefold() or (
            organisation.casefold() in shown.casefold()
        )
        return RowNames(first, last, organisation, "" if same else shown)
    if last.strip():
        return RowNames(first, last, organisation)
    if not first.strip():
        first, last = split_full_name(shown) if shown else (first, last)
        return RowNames(first, last, organisation)
    last = _last_beside_first(first, shown, whole=not display)
    left = "" if last or not shown or shown.casefold() == first.strip().casefold() else shown
    return RowNames(first, last, organisation, left)


def _shown_name(values: dict[ImportField, str]) -> str:
    """The row's full or display name, "" when none: "Jan Peeters (jan@example.be)",
    "Jan <jan@example.be>" give the name without the address; a display name that is
    only an address is no name."""
    shown = " ".join(_ADDRESS_IN_NAME.sub(" ", values.get(F.FULL_NAME, "")).split())
    return shown if "@" not in shown else ""


def _last_beside_first(first: str, shown: str, *, whole: bool) -> str:
    """The last name a name column gives beside a first name and no last name: the rest
    of "Jan Peeters" (or "PEETERS Jan") when it holds the first name; a full-name column
    that does not is the last name itself (German "Name;Vorname": "Muster" beside
    "Max"), a display name that does not is no surname (it may name the company)."""
    first = " ".join(first.split())
    if not shown or shown.casefold() == first.casefold():
        return ""
    split_first, split_last = split_full_name(shown)
    if split_first.casefold() == first.casefold():
        return split_last
    return shown if whole else ""
