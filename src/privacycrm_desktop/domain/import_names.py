"""A row's first and last name from an import file's name columns (``import_rows``):
the first and last name columns, or a full or display name split, and a full-name column
beside a first name and no last name read as the surname."""

from __future__ import annotations

import re

from privacycrm_desktop.domain.import_formats import ImportField
from privacycrm_desktop.domain.person_names import split_full_name

F = ImportField
_DISPLAY_NAME_FIELDS = ("display_name", F.FULL_NAME.value)
_ADDRESS_IN_NAME = re.compile(r"[(<\[][^)>\]]*@[^)>\]]*[)>\]]")


def row_names(values: dict[ImportField, str]) -> tuple[str, str]:
    """(first, last): the name columns, or else a full or display name split."""
    first = values.get(F.FIRST_NAME, "")
    last = values.get(F.LAST_NAME, "")
    if last.strip():
        return first, last
    field, shown = _shown_name(values)
    if not first.strip():
        return split_full_name(shown) if shown else (first, last)
    return first, _last_beside_first(first, shown, whole=field == F.FULL_NAME.value)


def _shown_name(values: dict[ImportField, str]) -> tuple[str, str]:
    """The row's full or display name and its field, ("", "") when none: "Jan Peeters
    (jan@example.be)", "Jan <jan@example.be>" give the name without the address; a
    display name that is only an address is no name."""
    for name, value in values.items():
        if name.value in _DISPLAY_NAME_FIELDS:
            shown = " ".join(_ADDRESS_IN_NAME.sub(" ", value).split())
            if shown and "@" not in shown:
                return name.value, shown
    return "", ""


def _last_beside_first(first: str, shown: str, *, whole: bool) -> str:
    """The last name a name column gives beside a first name and no last name: the rest
    of "Jan Peeters" (or "PEETERS Jan") when it holds the first name; a full-name column
    that does not is the last name itself (German "Name;Vorname": "Muster" beside
    "Max"), a display name that does not is left alone (it may name the company)."""
    first = " ".join(first.split())
    if not shown or shown.casefold() == first.casefold():
        return ""
    split_first, split_last = split_full_name(shown)
    if split_first.casefold() == first.casefold():
        return split_last
    return shown if whole else ""
