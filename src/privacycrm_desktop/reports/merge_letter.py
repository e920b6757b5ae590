"""Mail-merge letters on the company's letterhead, one PDF for a whole selection (issue 22).

Each letter starts on a new page with the letterhead (logo when there is one, the
company's name, address and enterprise number), the person's address where a window
envelope shows it (``domain.postal.DL_RIGHT_WINDOW``: the DL envelope with its window on
the right, as Belgian and French envelopes have it), the date and the text filled in from
the template in the person's language. The address is drawn line by line inside the part
of the window the letter always shows, fitted whole (``reports.address_fit``: smaller,
then wrapped) and never parsed as markup. The rights-request letters (reports/letter.py)
use the same letterhead.

Every value is escaped before it reaches ``Paragraph`` markup (CVE-2023-33733).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from privacycrm_desktop.domain.postal import DL_RIGHT_WINDOW
from privacycrm_desktop.i18n import tr_in
from privacycrm_desktop.reports.address_fit import MM, fit_address
from privacycrm_desktop.reports.styles import FONT, register_fonts, styles, text, typography

#: The box the address is written in (mm from the page's top-left corner): inside the part
#: of the window the letter always shows, 10 mm in from its left (the post's scanners
#: want a margin there) and 3 mm from its other edges.
_CLEAR = DL_RIGHT_WINDOW.clear_area()
ADDRESS_LEFT_MM = _CLEAR[0] + 10
ADDRESS_TOP_MM = _CLEAR[1] + 3
ADDRESS_RIGHT_MM = _CLEAR[2] - 3
ADDRESS_BOTTOM_MM = _CLEAR[3] - 3
#: The address's largest and readable sizes (points) and its line distance (x size).
ADDRESS_SIZE = 10.5
ADDRESS_SMALLEST = 8.0
ADDRESS_LEADING = 1.29
A4_HEIGHT_MM = 297
MARGIN_MM = 18
TOP_MM = 14
LETTERHEAD_HEIGHT_MM = 34
#: The band the address flowable takes, from the letterhead's foot to below the window.
ADDRESS_BAND_TOP_MM = TOP_MM + LETTERHEAD_HEIGHT_MM
ADDRESS_BAND_BOTTOM_MM = _CLEAR[1] + DL_RIGHT_WINDOW.height + 1


@dataclass(frozen=True)
class Letterhead:
    """The company as its letters name it."""

    name: str
    address: str
    #: The enterprise number as people write it ("BE 0403.170.701"); "" for none.
    enterprise_number: str = ""
    email: str = ""
    #: A logo picture's bytes (PNG or JPEG), or None.
    logo: bytes | None = None


@dataclass(frozen=True)
class MergedLetter:
    """One person's letter: its language, the address lines, the date and the text."""

    language: str
    address: tuple[str, ...]
    date: str
    body: str


def letterhead_flowables(head: Letterhead, language: str) -> list[Any]:
    """The letterhead as flowables of a fixed height: logo on the left, company beside."""
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Image, Paragraph, Spacer, Table, TableStyle

    s = styles()
    style = ParagraphStyle("letterhead", parent=s.small, fontSize=8.5, leading=11)
    lines = [f'<font size="12.5"><b>{text(head.name)}</b></font>']
    lines += [text(line) for line in head.address.splitlines() if line.strip()]
    if head.enterprise_number:
        number = tr_in(language, "Enterprise number: {number}", number=head.enterprise_number)
        lines.append(text(typography(language, number)))
    if head.email:
        lines.append(text(head.email))
    block = Paragraph("<br/>".join(lines), style)
    height = LETTERHEAD_HEIGHT_MM * mm
    if not head.logo:
        _width, used = block.wrap(168 * mm, height)
        return [block, Spacer(1, max(0.0, height - used))]
    logo = Image(io.BytesIO(head.logo))
    ratio = min(40 * mm / logo.imageWidth, 26 * mm / logo.imageHeight)
    logo.drawWidth, logo.drawHeight = logo.imageWidth * ratio, logo.imageHeight * ratio
    table = Table([[logo, block]], colWidths=[44 * mm, 124 * mm], rowHeights=[height])
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return [table]


def body_flowables(body: str, language: str) -> list[Any]:
    """A letter's text as it reads: blocks between blank lines, "- " lines as bullets."""
    from reportlab.platypus import Paragraph, Spacer

    s = styles()
    story: list[Any] = []
    block: list[str] = []

    def flush() -> None:
        if block:
            story.append(Paragraph(text("\n".join(block)), s.body))
            block.clear()

    for line in typography(language, body).splitlines():
        if not line.strip():
            flush()
            story.append(Spacer(1, 4))
        elif line.startswith("- "):
            flush()
            story.append(Paragraph(text(line[2:]), s.bullet, bulletText="•"))
        else:
            block.append(line)
    flush()
    return story


@dataclass(frozen=True)
class PlacedAddress:
    """The address as printed in the window: its lines, their size (points) and where
    each starts (x, baseline y), mm from the page's top-left corner."""

    lines: tuple[str, ...]
    size: float
    baselines: tuple[tuple[float, float], ...]


def place_address(lines: Sequence[str]) -> PlacedAddress:
    """Where the address *lines* are printed: from the top of the address box, fitted to
    it whole."""
    fitted = fit_address(
        lines,
        ADDRESS_RIGHT_MM - ADDRESS_LEFT_MM,
        ADDRESS_BOTTOM_MM - ADDRESS_TOP_MM,
        ADDRESS_SIZE,
        ADDRESS_SMALLEST,
        ADDRESS_LEADING,
    )
    leading = fitted.size * ADDRESS_LEADING / MM
    # DejaVu Sans rises 0.928 em above its baseline: the first line's top is the box's.
    first = ADDRESS_TOP_MM + 0.928 * fitted.size / MM
    return PlacedAddress(
        fitted.lines,
        fitted.size,
        tuple((ADDRESS_LEFT_MM, first + n * leading) for n in range(len(fitted.lines))),
    )


def address_flowable(lines: Sequence[str]) -> Any:
    """A flowable of the address band's height that draws the address at its place on
    the page, wherever the band itself lands."""
    from reportlab.platypus import Flowable

    placed = place_address(lines)

    class AddressBlock(Flowable):  # type: ignore[misc]
        def wrap(self, avail_width: float, _avail_height: float) -> tuple[float, float]:
            return avail_width, (ADDRESS_BAND_BOTTOM_MM - ADDRESS_BAND_TOP_MM) * MM

        def draw(self) -> None:
            origin_x, origin_y = self.canv.absolutePosition(0, 0)
            self.canv.setFont(FONT, placed.size)
            for line, (x, y) in zip(placed.lines, placed.baselines, strict=True):
                self.canv.drawString(x * MM - origin_x, (A4_HEIGHT_MM - y) * MM - origin_y, line)

    return AddressBlock()


def letter_story(head: Letterhead, letter: MergedLetter) -> list[Any]:
    """One letter's flowables: letterhead, address in the window, date, text."""
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, Spacer

    s = styles()
    date_style = ParagraphStyle("date", parent=s.body, alignment=2)
    story = letterhead_flowables(head, letter.language)
    story.append(address_flowable(letter.address))
    story.append(Spacer(1, 4 * mm))
    if letter.date:
        story.append(Paragraph(text(letter.date), date_style))
        story.append(Spacer(1, 6 * mm))
    story += body_flowables(letter.body, letter.language)
    return story


def render(head: Letterhead, letters: Sequence[MergedLetter], title: str, language: str) -> bytes:
    """Every letter of *letters*, each from a new page, as one PDF; *title* names it."""
    register_fonts()
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import PageBreak, SimpleDocTemplate

    story: list[Any] = []
    for number, letter in enumerate(letters):
        if number:
            story.append(PageBreak())
        story += letter_story(head, letter)

    def footer(canvas: Any, _document: Any) -> None:
        canvas.saveState()
        canvas.setFont(FONT, 7)
        canvas.setFillGray(0.4)
        parts = [head.name, head.enterprise_number]
        canvas.drawString(MARGIN_MM * mm, 10 * mm, " · ".join(p for p in parts if p))
        canvas.restoreState()

    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN_MM * mm,
        rightMargin=MARGIN_MM * mm,
        topMargin=TOP_MM * mm,
        bottomMargin=18 * mm,
        title=title,
        lang=language,
        initialFontName=FONT,
        invariant=1,
    )
    document.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()
