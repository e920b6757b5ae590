"""The check's and the summary's lines quote a row's own value, never "…"."""

from __future__ import annotations

from privacycrm_desktop.domain.import_formats import RowProblem
from privacycrm_desktop.services.imports.model import ImportResult
from privacycrm_desktop.ui.common.qt_i18n import apply_language
from privacycrm_desktop.ui.transfer.import_check import result_lines

BAD_EMAIL = "{value} is not a valid e-mail address."


def _result(*problems: RowProblem) -> ImportResult:
    return ImportResult(
        batch_id=None,
        total_rows=1500,
        imported=1497,
        merged=0,
        skipped={},
        invalid=problems,
        invalid_rows=len({p.row_number for p in problems}),
    )


def test_an_invalid_row_shows_its_value_and_row() -> None:
    lines = result_lines(
        _result(RowProblem(4, "E-mail", BAD_EMAIL, {"value": "jan@"})), dry_run=False
    )
    assert "1 invalid row: jan@ is not a valid e-mail address. (row 4)" in lines
    assert not any("…" in line for line in lines)


def test_grouped_rows_show_the_first_value_and_how_many_more() -> None:
    apply_language("nl")
    result = _result(
        *(RowProblem(1000 + n, "E-mail", BAD_EMAIL, {"value": f"x{n}@"}) for n in range(3))
    )
    lines = result_lines(result, dry_run=True)
    assert any("x0@" in line and "1.000" in line and "2" in line for line in lines), lines
    assert "1.497" in lines[0]
    assert not any("…" in line for line in lines)


def test_defaults_are_named_in_words() -> None:
    import dataclasses

    apply_language("fr")
    result = dataclasses.replace(
        _result(),
        defaulted={"country": 3, "language": 2},
        defaults={"country": "BE", "language": "nl"},
    )
    lines = result_lines(result, dry_run=True)
    assert any("Belgique" in line for line in lines), lines
    assert any("néerlandais" in line.lower() for line in lines), lines
    assert not any(line.endswith((" BE retenu", " nl")) for line in lines), lines
