"""Printed labels land where the sheet's published figures put them (to 0.5 mm).

The PDF is read back with pypdf: every piece of text with its position and size, and
each address's first line is measured against the label's corner from the published
figures (``PUBLISHED`` in the sheet tests), never against the layout's own numbers.
"""

from __future__ import annotations

import io

import pytest
from pypdf import PageObject, PdfReader
from reportlab.pdfbase.pdfmetrics import stringWidth

from privacycrm_desktop.domain.label_sheets import SHEETS, LabelSheet, custom_sheet
from privacycrm_desktop.reports.labels import layout, padding, render
from privacycrm_desktop.reports.styles import FONT

from ..domain.test_label_sheets import PUBLISHED

MM = 72 / 25.4
TOLERANCE = 0.5
LONG = "Jean-Baptiste de la Fontaine-Vandermeersch-Oosterlinck van Steenberghe"


def _address(number: int) -> list[str]:
    lines = [f"Persoon {number:03d} Peeters", f"Kerkstraat {number}", f"9{number:03d} Gent"]
    if number % 5 == 0:
        lines[0] = f"{number:03d} {LONG}"
    if number % 7 == 0:
        lines[1:1] = ["Bakkerij & Zonen BV", "Residentie Zonneschijn bus 12", "Achterbouw"]
        lines.append("FRANKRIJK")
    return lines


def _printed(pdf: bytes) -> list[list[tuple[str, float, float, float]]]:
    """Per page: (text, x, y from the top, size) of every piece of text, in mm and pt."""
    return [_page_text(page) for page in PdfReader(io.BytesIO(pdf)).pages]


def _page_text(page: PageObject) -> list[tuple[str, float, float, float]]:
    height = float(page.mediabox.height)
    found: list[tuple[str, float, float, float]] = []

    def visit(text: str, cm: list[float], tm: list[float], _font: object, size: float) -> None:
        if text.strip():
            scale = tm[3] * cm[3] or 1.0
            x = cm[0] * tm[4] + cm[2] * tm[5] + cm[4]
            y = cm[1] * tm[4] + cm[3] * tm[5] + cm[5]
            found.append((text.strip(), x / MM, (height - y) / MM, size * scale))

    page.extract_text(visitor_text=visit)
    return found


def _sheet_cases() -> list[tuple[str, LabelSheet, tuple[float, ...]]]:
    cases = [(name, SHEETS[name], PUBLISHED[name]) for name in SHEETS]
    mine = (4, 10, 48.5, 25.4, 21.5, 8.0, 48.5, 25.4)
    columns, rows, *rest = mine
    cases.append(("custom", custom_sheet(int(columns), int(rows), *rest), mine))
    return cases


@pytest.mark.parametrize(("name", "sheet", "published"), _sheet_cases(), ids=lambda v: str(v)[:6])
def test_each_address_is_printed_inside_its_label_at_the_published_place(
    name: str, sheet: LabelSheet, published: tuple[float, ...]
) -> None:
    columns, rows, width, height, top, left, pitch_x, pitch_y = published
    start = 3
    addresses = [_address(n) for n in range(sheet.per_sheet + 4)]
    pdf = render(sheet, addresses, start)
    pages = _printed(pdf)
    assert len(pages) == 2
    pad_x, _pad_y = padding(sheet)
    seen = 0
    for number, address in enumerate(addresses, start=start - 1):
        page, index = divmod(number, int(columns * rows))
        row, column = divmod(index, int(columns))
        box_x, box_y = left + column * pitch_x, top + row * pitch_y
        inside = [
            piece
            for piece in pages[page]
            if box_x - TOLERANCE <= piece[1] <= box_x + width
            and box_y - TOLERANCE <= piece[2] <= box_y + height + TOLERANCE
        ]
        assert inside, f"{name}: nothing printed on label {index + 1} of page {page + 1}"
        first = min(inside, key=lambda piece: piece[2])
        assert first[0][:12] == address[0][:12]
        # The text starts after the label's inner margin, measured from the published edge.
        assert first[1] == pytest.approx(box_x + pad_x, abs=TOLERANCE)
        for text, x, y, size in inside:
            assert x == pytest.approx(box_x + pad_x, abs=TOLERANCE)
            right = x + stringWidth(text, FONT, size) / MM
            assert right <= box_x + width - pad_x + TOLERANCE, f"{name}: {text!r} runs over"
            # Cap height above the baseline and the descender below stay on the label.
            assert y - 0.93 * size / MM >= box_y - TOLERANCE
            assert y + 0.24 * size / MM <= box_y + height + TOLERANCE
        # Centred from top to bottom: the room above the block equals the room below.
        above = first[2] - 0.93 * first[3] / MM - box_y
        last = max(inside, key=lambda piece: piece[2])
        below = box_y + height - (last[2] + 0.24 * last[3] / MM)
        assert above == pytest.approx(below, abs=1.0)
        seen += 1
    assert seen == len(addresses)
    # The labels before the start stay blank on the partly used sheet.
    for index in range(start - 1):
        row, column = divmod(index, int(columns))
        box_x, box_y = left + column * pitch_x, top + row * pitch_y
        assert not [
            p
            for p in pages[0]
            if box_x <= p[1] <= box_x + width and box_y <= p[2] <= box_y + height
        ]


@pytest.mark.parametrize("name", list(SHEETS))
def test_the_layout_places_each_label_on_its_published_corner(name: str) -> None:
    sheet = SHEETS[name]
    columns, _rows, width, height, top, left, pitch_x, pitch_y = PUBLISHED[name]
    placed = layout(sheet, [_address(n) for n in range(sheet.per_sheet)], 1)
    for index, label in enumerate(placed):
        row, column = divmod(index, int(columns))
        assert label.x == pytest.approx(left + column * pitch_x, abs=TOLERANCE)
        assert label.y == pytest.approx(top + row * pitch_y, abs=TOLERANCE)
        assert (label.width, label.height) == pytest.approx((width, height))
        for line, (x, y) in zip(label.lines, label.baselines, strict=True):
            assert x + stringWidth(line, FONT, label.size) / MM <= label.x + width
            assert label.y < y < label.y + height


#: Very long Belgian addresses, with markup in the name that must print as typed.
LONG_ADDRESSES = [
    [
        "Marie-Christine <b>Van den Bossche</b>-de Ghellinck d'Elseghem Vaernewyck &amp; Co",
        "Vlaamse Maatschappij voor Watervoorziening <i>BV</i> – Afdeling Oost-Vlaanderen",
        "Burgemeester Vandenpeereboomstraat-Sint-Pieters-Woluwe 1234 bus 56/B",
        "Onderwijsvernieuwingsondersteuningsprogrammaverantwoordelijke",
        "1150 Sint-Pieters-Woluwe",
    ],
    [
        "Jean-Baptiste <font size=40>de la Fontaine</font>-Vandermeersch",
        "Avenue du Général de Gaulle et de la Résistance Française 187 boîte 12",
        "4000 Liège",
        "FRANKRIJK",
    ],
    [LONG * 2, *[f"Regel {n}" for n in range(6)], "9000 Gent", "FR"],
]


def _squeezed(text: str) -> str:
    return "".join(text.split())


@pytest.mark.parametrize(("name", "sheet", "published"), _sheet_cases(), ids=lambda v: str(v)[:6])
def test_long_addresses_are_printed_whole_within_their_label(
    name: str, sheet: LabelSheet, published: tuple[float, ...]
) -> None:
    columns, _rows, width, height, top, left, pitch_x, pitch_y = published
    pages = _printed(render(sheet, LONG_ADDRESSES))
    pad_x, _pad_y = padding(sheet)
    for index, address in enumerate(LONG_ADDRESSES):
        box_x = left + index % int(columns) * pitch_x
        box_y = top + index // int(columns) * pitch_y
        inside = [
            p
            for p in pages[0]
            if box_x <= p[1] <= box_x + width and box_y <= p[2] <= box_y + height
        ]
        inside.sort(key=lambda piece: piece[2])
        # Every character, in order: nothing cut off, nothing dropped, no markup read.
        assert _squeezed("".join(p[0] for p in inside)) == _squeezed("".join(address))
        for text, x, y, size in inside:
            assert x + stringWidth(text, FONT, size) / MM <= box_x + width - pad_x + TOLERANCE
            assert y - 0.93 * size / MM >= box_y - TOLERANCE
            assert y + 0.24 * size / MM <= box_y + height + TOLERANCE
            # A real address stays readable; eleven lines on a small label may not.
            assert size >= 5.0 or index == 2, f"{name}: {size} pt is too small to read"
        # The postcode and town stay on one line of their own.
        assert any(p[0] == next(a for a in address if a[:4].isdigit()) for p in inside)
