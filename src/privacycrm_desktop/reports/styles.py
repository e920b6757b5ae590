"""Fonts, paragraph styles and the page frame shared by every PDF report.

reportlab is imported only when a report is made (never at app start-up). DejaVu Sans is
registered and made the canvas base font *before* reportlab's style module is imported;
otherwise table cells and sample styles fall back to a non-embedded Helvetica that lacks
many accented letters (docs/architecture.md, Known traps).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from xml.sax.saxutils import escape

from privacycrm_desktop.config import resources_dir
from privacycrm_desktop.i18n import format_long_date, tr_in

FONT = "DejaVuSans"
FONT_BOLD = "DejaVuSans-Bold"


@lru_cache(maxsize=1)
def register_fonts() -> None:
    """Register DejaVu Sans (regular and bold) and make it the base font of every canvas."""
    from reportlab import rl_config
    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    folder = resources_dir() / "fonts"
    pdfmetrics.registerFont(TTFont(FONT, str(folder / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont(FONT_BOLD, str(folder / "DejaVuSans-Bold.ttf")))
    addMapping(FONT, 0, 0, FONT)
    addMapping(FONT, 1, 0, FONT_BOLD)
    addMapping(FONT, 0, 1, FONT)
    addMapping(FONT, 1, 1, FONT_BOLD)
    rl_config.canvas_basefontname = FONT


def text(value: object) -> str:
    """Untrusted text made safe for ``Paragraph`` markup (CVE-2023-33733), newlines kept."""
    return escape(str(value)).replace("\n", "<br/>")


@dataclass(frozen=True)
class Styles:
    """The paragraph styles of a report."""

    title: Any
    heading: Any
    body: Any
    small: Any
    cell: Any
    cell_bold: Any
    bullet: Any


@lru_cache(maxsize=1)
def styles() -> Styles:
    """Paragraph styles in DejaVu Sans."""
    register_fonts()
    from reportlab.lib.styles import ParagraphStyle

    body = ParagraphStyle(
        "body", fontName=FONT, bulletFontName=FONT, fontSize=9.5, leading=13, spaceAfter=4
    )
    return Styles(
        title=ParagraphStyle(
            "title", parent=body, fontName=FONT_BOLD, fontSize=17, leading=21, spaceAfter=8
        ),
        heading=ParagraphStyle(
            "heading",
            parent=body,
            fontName=FONT_BOLD,
            fontSize=12,
            leading=15,
            spaceBefore=10,
            spaceAfter=5,
        ),
        body=body,
        small=ParagraphStyle("small", parent=body, fontSize=7.5, leading=9.5, spaceAfter=2),
        cell=ParagraphStyle("cell", parent=body, fontSize=8, leading=10, spaceAfter=0),
        cell_bold=ParagraphStyle(
            "cell_bold", parent=body, fontName=FONT_BOLD, fontSize=8, leading=10, spaceAfter=0
        ),
        bullet=ParagraphStyle("bullet", parent=body, leftIndent=12, bulletIndent=2),
    )


def build_pdf(
    story: list[Any], language: str, title: str, footer: str, *, invariant: bool = False
) -> bytes:
    """Lay out *story* on A4 pages with *footer* and "page x of y" at the bottom.

    *invariant* fixes the creation date and document id, so the same input gives the
    same bytes (reports that must be reproducible).
    """
    import io

    register_fonts()
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.pdfgen.canvas import Canvas
    from reportlab.platypus import SimpleDocTemplate

    page_of = tr_in(language, "Page {page} of {pages}")

    class NumberedCanvas(Canvas):  # type: ignore[misc]
        """Holds the pages back until the end, so each can say how many there are."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._saved: list[dict[str, Any]] = []

        def showPage(self) -> None:  # noqa: N802 (reportlab's name)
            self._saved.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            for state in self._saved:
                self.__dict__.update(state)
                self.setFont(FONT, 7.5)
                self.drawString(18 * mm, 10 * mm, footer)
                self.drawRightString(
                    A4[0] - 18 * mm,
                    10 * mm,
                    page_of.format(page=self._pageNumber, pages=len(self._saved)),
                )
                super().showPage()
            super().save()

    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=18 * mm,
        title=title,
        lang=language,
        initialFontName=FONT,
        invariant=1 if invariant else None,
    )
    document.build(story, canvasmaker=NumberedCanvas)
    return buffer.getvalue()


def long_date(value: dt.date, language: str) -> str:
    """A date written out in *language*: "2 maart 2026", "2 mars 2026", "2 March 2026"."""
    return format_long_date(value, language)
