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
