"""No PDF the app makes cuts a table's column header in the middle of a word
("Gegevenscategorieë / n"): every header word fits its column, in nl, fr and en."""

from __future__ import annotations

import datetime as dt
import importlib
import inspect
import pkgutil
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from privacycrm_desktop import reports
from privacycrm_desktop.domain.requests import RequestKind
from privacycrm_desktop.domain.retention import CleanupAction
from privacycrm_desktop.i18n import LANGUAGES
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.letters import Letter
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.services.requests import RequestInput

from .access_fixture import make_contact

needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="no pdftotext")


def _cleanup(svc: Services, owner: Actor, language: str) -> bytes:
    from privacycrm_desktop.reports.cleanup_report import CleanupReportData, render

    data = CleanupReportData(
        company="Acme BV",
        actor="owner",
        at=dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC),
        dry_run=False,
        cancelled=False,
        by_action=tuple((action, 3) for action in CleanupAction),
        by_reason=(("Direct marketing with consent", 4),),
        skipped=1,
    )
    return render(data, language)


def _letter(svc: Services, owner: Actor, language: str) -> bytes:
    cid = make_contact(svc, owner)
    rid = svc.requests.add(owner, RequestInput(RequestKind.ACCESS, (cid,)))
    return svc.letters.render_pdf(owner, rid, Letter.ACCESS_COVER, language)


def _labels(svc: Services, owner: Actor, language: str) -> bytes:
    from privacycrm_desktop.domain.label_sheets import find_sheet
    from privacycrm_desktop.reports.labels import render as labels

    return labels(find_sheet("3x7"), [["Zoë Lefèvre", "Rue Haute 3", "4000 Liège"]] * 4, 2)


def _merge_letter(svc: Services, owner: Actor, language: str) -> bytes:
    from privacycrm_desktop.reports.merge_letter import MergedLetter
    from privacycrm_desktop.reports.merge_letter import render as letters
    from privacycrm_desktop.services.post import letterhead

    head = letterhead(svc.uow, svc.setup.company())
    letter = MergedLetter(language, ("Zoë Lefèvre", "4000 Liège"), "2026-03-02", "Body")
    return letters(head, [letter], "Letters", language)


#: Every report module and how to make its PDF.
MAKERS: dict[str, Callable[[Services, Actor, str], bytes]] = {
    "access_report": lambda svc, owner, lang: (
        svc.access_reports.produce(owner, make_contact(svc, owner), lang).pdf
    ),
    "processing_register": lambda svc, owner, lang: svc.reports.processing_register(owner, lang),
    "short_notice": lambda svc, owner, lang: svc.reports.short_notice(owner, lang),
    "cleanup_report": _cleanup,
    "letter": _letter,
    "labels": _labels,
    "merge_letter": _merge_letter,
}


def test_every_report_module_is_checked() -> None:
    names = {
        module.name
        for module in pkgutil.iter_modules(reports.__path__)
        if "def render("
        in inspect.getsource(importlib.import_module(f"{reports.__name__}.{module.name}"))
    }
    assert names == set(MAKERS)


class Recorder:
    """Every table a report lays out: its header texts and column widths."""

    def __init__(self) -> None:
        self.tables: list[tuple[list[str], list[float]]] = []


def _plain(cell: Any) -> str:
    """A cell's text: a string, a paragraph, or a list of them."""
    if isinstance(cell, list | tuple):
        return " ".join(_plain(part) for part in cell)
    return str(cell.getPlainText()) if hasattr(cell, "getPlainText") else str(cell)


@needs_poppler
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("module", sorted(MAKERS))
def test_no_header_word_is_cut(
    svc: Services,
    owner: Actor,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    module: str,
    language: str,
) -> None:
    import reportlab.platypus
    from reportlab.pdfbase.pdfmetrics import stringWidth

    from privacycrm_desktop.reports.styles import CELL_PADDING, CELL_SIZE, FONT_BOLD

    recorder = Recorder()
    table_class = reportlab.platypus.Table

    def recording_table(data: list[list[Any]], colWidths: list[float], **kw: Any) -> Any:  # noqa: N803 (reportlab's name)
        recorder.tables.append(([_plain(c) for c in data[0]], list(colWidths)))
        return table_class(data, colWidths=colWidths, **kw)

    monkeypatch.setattr(reportlab.platypus, "Table", recording_table)
    pdf = MAKERS[module](svc, owner, language)
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    words = set(
        subprocess.run(
            ["pdftotext", "-raw", str(path), "-"], capture_output=True, check=True, text=True
        ).stdout.split()
    )
    for headers, widths in recorder.tables:
        for header, width in zip(headers, widths, strict=True):
            for word in header.split():
                room = width - 2 * CELL_PADDING
                assert stringWidth(word, FONT_BOLD, CELL_SIZE) <= room, (word, room)
                assert word in words, (word, headers)
