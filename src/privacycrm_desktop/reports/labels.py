"""Address labels on an A4 sheet of labels, as a PDF to print (issue 22).

Each address is written on its label in the label's own box: left-aligned after a small
inner margin, the block centred from top to bottom. A long address is fitted whole
(``reports.address_fit``): the text shrinks down to a readable size, then a line still
too wide is wrapped between words, so nothing is cut off and nothing runs over the
label's edge.

Text is drawn on the canvas (no ``Paragraph`` markup, so nothing in a name is parsed).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

from privacycrm_desktop.domain.label_sheets import (
    A4_HEIGHT_MM,
    A4_WIDTH_MM,
    LabelSheet,
    label_slots,
)
from privacycrm_desktop.reports.address_fit import fit_address
from privacycrm_desktop.reports.styles import FONT, register_fonts

MM = 72 / 25.4
#: Font sizes (points) tried from the largest down; below the last, long lines wrap.
LARGEST_SIZE = 10.0
SMALLEST_SIZE = 7.5
LEADING = 1.2


@dataclass(frozen=True)
class PlacedLabel:
    """One address as it is printed: its page, its label's box and each line's baseline.

    Lengths are millimetres from the page's top-left corner; *size* is in points.
    """

    page: int
    x: float
    y: float
    width: float
    height: float
    lines: tuple[str, ...]
    size: float
    #: Where each line starts: (x, baseline y), mm from the top-left corner.
    baselines: tuple[tuple[float, float], ...]


def padding(sheet: LabelSheet) -> tuple[float, float]:
    """The label's inner margin, left and top (mm): about 6 % of its size, 1.5 to 4 mm."""
    return (
        min(4.0, max(1.5, sheet.width * 0.06)),
        min(3.0, max(1.0, sheet.height * 0.06)),
    )


def layout(
    sheet: LabelSheet, addresses: Sequence[Sequence[str]], start: int = 1
) -> list[PlacedLabel]:
    """Where each address of *addresses* (its lines) is printed, from label *start*."""
    register_fonts()
    pad_x, pad_y = padding(sheet)
    placed = []
    for slot, lines in zip(label_slots(sheet, len(addresses), start), addresses, strict=True):
        fitted = fit_address(
            lines,
            sheet.width - 2 * pad_x,
            sheet.height - 2 * pad_y,
            LARGEST_SIZE,
            SMALLEST_SIZE,
            LEADING,
        )
        kept, size = fitted.lines, fitted.size
        leading = size * LEADING / MM
        top = slot.y + (sheet.height - len(kept) * leading) / 2
        # DejaVu Sans rises 0.928 em above its baseline and falls 0.236 below: each line's
        # glyphs are centred in its leading.
        drop = (leading - 1.164 * size / MM) / 2 + 0.928 * size / MM
        baselines = tuple((slot.x + pad_x, top + i * leading + drop) for i in range(len(kept)))
        placed.append(
            PlacedLabel(slot.page, slot.x, slot.y, sheet.width, sheet.height, kept, size, baselines)
        )
    return placed


def render(
    sheet: LabelSheet,
    addresses: Sequence[Sequence[str]],
    start: int = 1,
    title: str = "",
    *,
    outlines: bool = False,
) -> bytes:
    """The labels as PDF bytes; *outlines* draws each label's edge (for a test print)."""
    from reportlab.pdfgen.canvas import Canvas

    placed = layout(sheet, addresses, start)
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(A4_WIDTH_MM * MM, A4_HEIGHT_MM * MM), invariant=1)
    canvas.setTitle(title)
    page = 0
    for label in placed:
        while label.page > page:
            canvas.showPage()
            page += 1
        if outlines:
            canvas.setLineWidth(0.3)
            canvas.setStrokeGray(0.7)
            canvas.roundRect(
                label.x * MM,
                (A4_HEIGHT_MM - label.y - label.height) * MM,
                label.width * MM,
                label.height * MM,
                2 * MM,
            )
        canvas.setFont(FONT, label.size)
        for line, (x, y) in zip(label.lines, label.baselines, strict=True):
            canvas.drawString(x * MM, (A4_HEIGHT_MM - y) * MM, line)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
