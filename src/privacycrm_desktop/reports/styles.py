"""Fonts, paragraph styles and the page frame shared by every PDF report.

reportlab is imported only when a report is made (never at app start-up). DejaVu Sans is
registered and made the canvas base font *before* reportlab's style module is imported;
otherwise table cells and sample styles fall back to a non-embedded Helvetica that lacks
many accented letters (docs/architecture.md, Known traps).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
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
    #: A bold line that introduces what follows (a record's name): kept with it.
    subheading: Any


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
        subheading=ParagraphStyle("subheading", parent=body, fontName=FONT_BOLD, spaceBefore=4),
    )


#: The room a heading needs below it on its page: itself and the first lines of its text.
HEADING_ROOM_MM = 30


def kept_with_text(paragraph: Any) -> list[Any]:
    """*paragraph* (a heading) preceded by a conditional page break: when less than
    ``HEADING_ROOM_MM`` is left on the page, the heading starts the next one, so it is
    never stranded at the bottom; its text (a long table, say) still splits over pages.
    """
    from reportlab.lib.units import mm
    from reportlab.platypus import CondPageBreak

    return [CondPageBreak(HEADING_ROOM_MM * mm), paragraph]


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


#: A table cell's text size and its padding left and right (every report's tables).
CELL_SIZE = 8
CELL_PADDING = 3
#: French puts a non-breaking space before these signs (and inside « »).
_FRENCH_SPACED = re.compile(r"[ \u00a0]([:;?!»])")
#: A sign right after a word and before a space or the end: "Rectification: ..." (not
#: "10:30", "https://" or a "{placeholder}").
_FRENCH_UNSPACED = re.compile(r"(?<=[\w)\]}])([:;?!])(?=\s|$)")
_FRENCH_GUILLEMET = re.compile(r"« ?")


def typography(language: str, value: str) -> str:
    """*value* with the typography of *language*: in French a non-breaking space before
    ``: ; ? !`` and inside « », so a colon never starts a line ("Numéro d'entreprise :").

    Meant for the report's own sentences and labels, not for values from the database (a
    web address keeps its colon as it is).
    """
    if language != "fr":
        return value
    spaced = _FRENCH_SPACED.sub(lambda m: "\u00a0" + m.group(1), value)
    spaced = _FRENCH_UNSPACED.sub(lambda m: "\u00a0" + m.group(1), spaced)
    return _FRENCH_GUILLEMET.sub("«\u00a0", spaced)


def colon(language: str, label: str, value: str) -> str:
    """ "label: value" as *language* writes it ("Libellé : valeur" in French)."""
    return typography(language, f"{label}: ") + value


def header_widths(
    headers: Sequence[str], widths: Sequence[float], *, font: str = FONT_BOLD
) -> list[float]:
    """Column *widths* adjusted so every word of every header fits its column whole.

    A header word wider than its column ("Gegevenscategorieën") would otherwise be cut in
    the middle; the room it needs is taken from the columns with room to spare, the total
    stays the same.
    """
    from reportlab.pdfbase.pdfmetrics import stringWidth

    register_fonts()
    need = [
        max((stringWidth(word, font, CELL_SIZE) for word in header.split()), default=0.0)
        + 2 * CELL_PADDING
        + 1
        for header in headers
    ]
    out = list(widths)
    for index, wanted in enumerate(need):
        missing = wanted - out[index]
        while missing > 0.01:
            spare = {i: out[i] - need[i] for i in range(len(out)) if i != index}
            donors = {i: room for i, room in spare.items() if room > 0.01}
            if not donors:
                break
            total = sum(donors.values())
            take = min(missing, total)
            for i, room in donors.items():
                out[i] -= take * room / total
            out[index] += take
            missing -= take
    return out
