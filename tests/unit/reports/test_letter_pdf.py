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
