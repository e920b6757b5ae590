"""CSV cells that a spreadsheet would run as a formula are neutralised on export (a phone
number written from a stored number excepted: ``phone_cell``).

``restore`` undoes ``neutralise`` exactly, so a file we exported imports back to the same
values: a cell that already starts with the quote before a formula character gets a second
quote, so no text is ever mistaken for a neutralised one.
"""

from __future__ import annotations

import re

#: A cell starting with one of these is read as a formula (or breaks the row) by
#: spreadsheet programs: OWASP "CSV injection".
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
QUOTE = "'"
_YEAR_LESS = re.compile(r"--\d{2}-\d{2}")
#: A phone number as an export writes it: digits with spaces, hyphens, dots or brackets
#: between them ("+1 650-253-0000"), after an optional "+".
_PHONE = re.compile(r"\+?[0-9][0-9 ().-]{5,22}[0-9]")


def _needs_quote(cell: str) -> bool:
    """A formula start, possibly behind quotes that ``restore`` would take away."""
    return cell.lstrip(QUOTE).startswith(FORMULA_STARTS)


def neutralise(cell: str) -> str:
    """Prefix a quote to a cell that a spreadsheet would take for a formula."""
    return QUOTE + cell if _needs_quote(cell) else cell


def restore(cell: str) -> str:
    """The cell as it was before ``neutralise`` (a cell it left alone comes back as is)."""
    return cell[1:] if cell.startswith(QUOTE) and _needs_quote(cell[1:]) else cell


def birthday_cell(text: str) -> str:
    """A birth date's cell: a birthday without its year written as vCard and Google write
    it (--MM-DD) is left as it is (it is two numbers, nothing in it can run); anything else
    as ``neutralise`` leaves it."""
    return text if _YEAR_LESS.fullmatch(text) else neutralise(text)


def phone_cell(number: str) -> str:
    """A phone number's cell: left as it is when it is only a "+", digits and the signs
    between them (a spreadsheet may compute it, but it names no function, cell or program,
    so nothing runs, and the program it is meant for reads the number); anything else
    neutralised."""
    return number if _PHONE.fullmatch(number) else neutralise(number)
