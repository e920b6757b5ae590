"""CSV cells that a spreadsheet would run as a formula are neutralised on export.

``restore`` undoes ``neutralise`` exactly, so a file we exported imports back to the same
values: a cell that already starts with the quote before a formula character gets a second
quote, so no text is ever mistaken for a neutralised one.
"""

from __future__ import annotations

#: A cell starting with one of these is read as a formula (or breaks the row) by
#: spreadsheet programs: OWASP "CSV injection".
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
QUOTE = "'"


def _needs_quote(cell: str) -> bool:
    """A formula start, possibly behind quotes that ``restore`` would take away."""
    return cell.lstrip(QUOTE).startswith(FORMULA_STARTS)


def neutralise(cell: str) -> str:
    """Prefix a quote to a cell that a spreadsheet would take for a formula."""
    return QUOTE + cell if _needs_quote(cell) else cell


def restore(cell: str) -> str:
    """The cell as it was before ``neutralise`` (a cell it left alone comes back as is)."""
    return cell[1:] if cell.startswith(QUOTE) and _needs_quote(cell[1:]) else cell
