"""The letterhead: the company's name, address, enterprise number and logo on each letter."""

from __future__ import annotations

import io

from PIL import Image
from pypdf import PdfReader

from privacycrm_desktop.reports.merge_letter import Letterhead, MergedLetter, render


def _logo() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (120, 40), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_each_letter_starts_a_page_with_the_letterhead_and_its_logo() -> None:
    head = Letterhead("Acme BV", "Markt 1\n9000 Gent", "BE 0403.170.701", logo=_logo())
    letters = [
        MergedLetter("nl", ("An Claes", "Veldstraat 2", "9000 Gent"), "2 maart 2026", "Beste An"),
        MergedLetter("fr", ("Zoë Lefèvre", "Rue Haute 3", "4000 Liège"), "2 mars 2026", "Chère"),
    ]
    reader = PdfReader(io.BytesIO(render(head, letters, "Brieven", "nl")))
    assert len(reader.pages) == 2
    for page, letter in zip(reader.pages, letters, strict=True):
        text = page.extract_text() or ""
        assert "Acme BV" in text
        assert "Markt 1" in text
        assert "BE 0403.170.701" in text
        assert all(line in text for line in letter.address)
        assert letter.body in text
        assert len(page.images) == 1  # the logo
    assert "Ondernemingsnummer" in (reader.pages[0].extract_text() or "")


def test_without_a_logo_the_letterhead_is_text_only() -> None:
    head = Letterhead("Acme BV", "Markt 1", "")
    pdf = render(head, [MergedLetter("en", ("A",), "", "Hello")], "Letters", "en")
    (page,) = PdfReader(io.BytesIO(pdf)).pages
    assert not page.images
    assert "Enterprise number" not in (page.extract_text() or "")


# The DL window envelope as sold in Belgium and France: 220 x 110 mm, a window of
# 100 x 45 mm at 20 mm from the right edge and 15 mm from the bottom. The A4 letter,
# folded at 105 mm, may lie anywhere inside: 10 mm of play sideways, 5 mm downwards.
ENVELOPE = (220.0, 110.0)
WINDOW = (100.0, 45.0, 20.0, 15.0)  # width, height, from the right, from the bottom
PLAY = (210.0, 105.0)


def _window_on_the_page() -> tuple[float, float, float, float]:
    """The part of the page seen through the window wherever the letter lies (mm)."""
    width, height, right, bottom = WINDOW
    left, top = ENVELOPE[0] - right - width, ENVELOPE[1] - bottom - height
    play_x, play_y = ENVELOPE[0] - PLAY[0], ENVELOPE[1] - PLAY[1]
    return left, top, left + width - play_x, top + height - play_y


ADDRESSES = [
    ("An Claes", "Veldstraat 2", "9000 Gent"),
    (
        "Marie-Christine <b>Van den Bossche</b>-de Ghellinck d'Elseghem Vaernewyck &amp; Co",
        "Vlaamse Maatschappij voor Watervoorziening <i>BV</i> – Afdeling Oost-Vlaanderen",
        "Burgemeester Vandenpeereboomstraat-Sint-Pieters-Woluwe 1234 bus 56/B",
        "Residentie Onderwijsvernieuwingsondersteuningsprogrammaverantwoordelijke",
        "1150 Sint-Pieters-Woluwe",
    ),
    (
        "Jean-Baptiste <font size=40>de la Fontaine</font>-Vandermeersch",
        "Avenue du Général de Gaulle et de la Résistance Française 187 boîte 12",
        "75008 Paris",
        "FRANKRIJK",
    ),
]


def test_the_address_fits_the_window_of_a_dl_envelope_whole() -> None:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    from privacycrm_desktop.reports.styles import FONT

    mm = 72 / 25.4
    head = Letterhead("Acme BV", "Markt 1\n9000 Gent", "BE 0403.170.701", logo=_logo())
    letters = [MergedLetter("nl", a, "2 maart 2026", "Beste") for a in ADDRESSES]
    reader = PdfReader(io.BytesIO(render(head, letters, "Brieven", "nl")))
    left, top, right, bottom = _window_on_the_page()
    assert (left, top, right, bottom) == (100, 50, 190, 90)
    for page, address in zip(reader.pages, ADDRESSES, strict=True):
        height = float(page.mediabox.height)
        pieces: list[tuple[str, float, float, float]] = []

        def visit(
            text: str,
            cm: list[float],
            tm: list[float],
            _font: object,
            size: float,
            found: list[tuple[str, float, float, float]] = pieces,
            page_height: float = height,
        ) -> None:
            if text.strip():
                x = cm[0] * tm[4] + cm[2] * tm[5] + cm[4]
                y = cm[1] * tm[4] + cm[3] * tm[5] + cm[5]
                found.append((text.strip(), x / mm, (page_height - y) / mm, size * tm[3]))

        page.extract_text(visitor_text=visit)
        seen = [p for p in pieces if p[1] >= left - 5 and top - 5 <= p[2] <= bottom + 10]
        seen.sort(key=lambda p: p[2])
        # All of the address, in order, markup printed as typed; nothing else there.
        squeezed = "".join("".join(p[0] for p in seen).split())
        assert squeezed == "".join("".join(address).split())
        for text, x, y, size in seen:
            assert x >= left, text
            assert x + stringWidth(text, FONT, size) / mm <= right, text
            assert y - 0.93 * size / mm >= top, text
            assert y + 0.24 * size / mm <= bottom, text
            assert size >= 7.0
        # The date and the text start below the window.
        below = [p[2] for p in pieces if p[0] in ("2 maart 2026", "Beste")]
        assert len(below) == 2
        assert min(below) > bottom + 3
