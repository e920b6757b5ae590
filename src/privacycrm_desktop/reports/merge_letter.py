"""Mail-merge letters on the company's letterhead, one PDF for a whole selection (issue 22).

Each letter starts on a new page with the letterhead (logo when there is one, the
company's name, address and enterprise number), the person's address where a window
envelope shows it (right, about 50 mm from the top, as Belgian and French envelopes
have their window), the date and the text filled in from the template in the person's
language. The rights-request letters (reports/letter.py) use the same letterhead.

Every value is escaped before it reaches ``Paragraph`` markup (CVE-2023-33733).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from privacycrm_desktop.i18n import tr_in
from privacycrm_desktop.reports.styles import FONT, register_fonts, styles, text, typography

#: Where the address block starts, from the page's left and top edges (mm).
ADDRESS_LEFT_MM = 110
ADDRESS_TOP_MM = 50
MARGIN_MM = 18
TOP_MM = 14
LETTERHEAD_HEIGHT_MM = ADDRESS_TOP_MM - TOP_MM - 2


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


def letter_story(head: Letterhead, letter: MergedLetter) -> list[Any]:
    """One letter's flowables: letterhead, address in the window, date, text."""
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, Spacer

    s = styles()
    address_style = ParagraphStyle(
        "address",
        parent=s.body,
        fontSize=10.5,
        leading=13.5,
        leftIndent=(ADDRESS_LEFT_MM - MARGIN_MM) * mm,
    )
    date_style = ParagraphStyle("date", parent=s.body, alignment=2)
    story = letterhead_flowables(head, letter.language)
    story.append(Spacer(1, (ADDRESS_TOP_MM - TOP_MM - LETTERHEAD_HEIGHT_MM) * mm))
    story.append(Paragraph("<br/>".join(text(line) for line in letter.address), address_style))
    story.append(Spacer(1, 16 * mm))
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
