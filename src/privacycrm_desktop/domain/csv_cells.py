"""CSV cells that a spreadsheet would run as a formula are neutralised on export."""

from __future__ import annotations

#: A cell starting with one of these is read as a formula (or breaks the row) by
#: spreadsheet programs: OWASP "CSV injection".
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def neutralise(cell: str) -> str:
    """Prefix a quote to a cell that a spreadsheet would take for a formula."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell
