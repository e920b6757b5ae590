"""A letter can be printed or attached as a PDF, with the words of the text preview."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from privacycrm_desktop.domain.requests import RequestKind
from privacycrm_desktop.i18n import LANGUAGES
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.letters import Letter
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.services.requests import RequestInput

from .access_fixture import make_contact


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("letter", list(Letter))
def test_the_pdf_says_what_the_text_says(
    svc: Services, owner: Actor, letter: Letter, language: str
) -> None:
    cid = make_contact(svc, owner)
    rid = svc.requests.add(owner, RequestInput(RequestKind.ACCESS, (cid,)))
    text = svc.letters.render(owner, rid, letter, language, reason="Dossier incomplet")
    pdf = svc.letters.render_pdf(owner, rid, letter, language, reason="Dossier incomplet")
    assert pdf.startswith(b"%PDF")
    printed = " ".join(
        " ".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages).split()
    )
    for word in text.replace("- ", " ").split():
        assert word.replace("\u00a0", "") in printed.replace(" ", ""), word


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_letter_is_on_the_company_s_letterhead(
    svc: Services, owner: Actor, language: str
) -> None:
    cid = make_contact(svc, owner)
    rid = svc.requests.add(owner, RequestInput(RequestKind.ACCESS, (cid,)))
    pdf = svc.letters.render_pdf(owner, rid, Letter.ACKNOWLEDGEMENT, language)
    first = PdfReader(io.BytesIO(pdf)).pages[0].extract_text() or ""
    company = svc.setup.company()
    # The letterhead: the enterprise number the text itself never gives.
    assert "0403.170.701" in first
    assert "0403.170.701" not in svc.letters.render(owner, rid, Letter.ACKNOWLEDGEMENT, language)
    # The template's own heading gave way to the letterhead: the name stands in the
    # letterhead, the signature and the footer, and the address once.
    assert first.count(company.name) == 3
    assert first.count(company.address) == 1


@pytest.mark.parametrize("language", ["nl", "fr"])
def test_the_letter_shows_the_persons_address_in_the_envelope_window(
    svc: Services, owner: Actor, language: str
) -> None:
    from .test_merge_letter import _window_on_the_page

    mm = 72 / 25.4
    street = "Burgemeester Vandenpeereboomstraat-Sint-Pieters-Woluwe 1234 bus 56/B"
    cid = make_contact(svc, owner, first_name="Zoë <b>", street=street, city="Liège")
    rid = svc.requests.add(owner, RequestInput(RequestKind.ACCESS, (cid,)))
    pdf = svc.letters.render_pdf(owner, rid, Letter.ACKNOWLEDGEMENT, language)
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    height = float(page.mediabox.height)
    pieces: list[tuple[str, float, float]] = []

    def visit(text: str, cm: list[float], tm: list[float], _font: object, _size: float) -> None:
        if text.strip():
            x = cm[0] * tm[4] + cm[2] * tm[5] + cm[4]
            y = cm[1] * tm[4] + cm[3] * tm[5] + cm[5]
            pieces.append((text.strip(), x / mm, (height - y) / mm))

    page.extract_text(visitor_text=visit)
    left, top, right, bottom = _window_on_the_page()
    window = sorted(
        (p for p in pieces if left <= p[1] <= right and top <= p[2] <= bottom), key=lambda p: p[2]
    )
    printed = "".join("".join(p[0] for p in window).split())
    expected = ["Zoë <b> Van den Broeck-Dubois", "Bakkerij Dubois & Zonen", street, "4000 Liège"]
    assert printed == "".join("".join(expected).split())
    # Nothing of the letter's own text stands in the window.
    assert all(p[1] >= left for p in pieces if top <= p[2] <= bottom + 3)


def test_no_address_in_the_window_for_a_role_that_may_not_read_it(
    svc: Services, owner: Actor
) -> None:
    from privacycrm_desktop.domain.access import FieldAccess, Role

    cid = make_contact(svc, owner)
    rid = svc.requests.add(owner, RequestInput(RequestKind.ACCESS, (cid,)))
    shown = PdfReader(io.BytesIO(svc.letters.render_pdf(owner, rid, Letter.ACKNOWLEDGEMENT)))
    assert "Rue de la Station 12" in (shown.pages[0].extract_text() or "")
    svc.access.set_field_access(owner, Role.OWNER, "street", FieldAccess.MASKED)
    pdf = svc.letters.render_pdf(owner, rid, Letter.ACKNOWLEDGEMENT)
    first = PdfReader(io.BytesIO(pdf)).pages[0].extract_text() or ""
    assert "Rue de la Station" not in first
