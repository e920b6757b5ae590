"""Cells that become one value only together, or one cell that holds several values.

Google Contacts writes several values of one kind in one cell, separated by " ::: "
("a@example.be ::: b@example.be"); Thunderbird writes a birth date as three columns
(year, month, day); Outlook writes beside each e-mail address the name a mail program
shows with it ("Jan Peeters (jan@example.be)"). These rules put them together; the
validation of the values themselves is the row's (``import_rows``).
"""

from __future__ import annotations

import re

#: Google's separator of several values in one cell.
MULTI_VALUE = re.compile(r"\s*:::\s*")
#: What separates several e-mail addresses or phone numbers in one cell.
POINT_SEPARATORS = re.compile(r"[;,\n]+")
_ADDRESS_IN_NAME = re.compile(r"\s*[(<\[][^()<>\[\]]*@[^()<>\[\]]*[)>\]]\s*")


def several(cell: str) -> list[str]:
    """The values of a cell that may hold several (" ::: "); blanks left out. A cell
    holding one value comes back as it is."""
    if ":::" not in cell:
        return [cell]
    return [part.strip() for part in MULTI_VALUE.split(cell) if part.strip()]


def points(cell: str) -> list[str]:
    """The e-mail addresses or phone numbers in one cell (" ::: ", ";", "," or lines)."""
    if ":::" in cell:
        cell = MULTI_VALUE.sub("\n", cell)
    return [part for part in POINT_SEPARATORS.split(cell) if part.strip()]


def birth_text(year: str, month: str, day: str) -> str:
    """One birth date from its parts: ``YYYY-MM-DD``, ``--MM-DD`` without a year.

    Parts that are not numbers are put together as they are (the date check then says
    what is wrong); a year alone stays the year; nothing gives "".
    """
    year, month, day = year.strip(), month.strip(), day.strip()
    if not month and not day:
        return year
    if month.isdigit() and day.isdigit():
        if not year or year.strip("0") == "":
            return f"--{int(month):02d}-{int(day):02d}"
        if year.isdigit():
            return f"{int(year):04d}-{int(month):02d}-{int(day):02d}"
    return "-".join(part for part in (year, month, day) if part)


def display_name(cell: str) -> str:
    """The person's name in the name a mail program shows with an address.

    "Jan Peeters (jan@example.be)" and "Jan Peeters <jan@example.be>" give "Jan
    Peeters"; a bare address ("jan@example.be") is no name and gives "".
    """
    name = " ".join(_ADDRESS_IN_NAME.sub(" ", cell).split())
    if "@" in name and " " not in name:
        return ""
    return name.strip("\"' ")
