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
