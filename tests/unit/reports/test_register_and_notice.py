"""The register of processing and the short notice render in nl, fr and en.

Set PRIVACYCRM_REPORT_DIR to keep the PDFs and look at them (pdftoppm -png -r 60 ...).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from privacycrm_desktop.domain.errors import PermissionDenied
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.services.setup import CompanyInput

needs_poppler = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext) is not installed"
)

HEADINGS = {
    "nl": ("Register van de verwerkingsactiviteiten", "Verwerkingsdoeleinden"),
    "fr": ("Registre des activités de traitement", "Finalités du traitement"),
    "en": ("Register of processing activities", "Purposes of processing"),
}
NOTICE = {
    "nl": "Privacyverklaring",
    "fr": "Déclaration de confidentialité",
    "en": "Privacy statement",
}


def _text(pdf: bytes, tmp_path: Path, name: str) -> str:
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(pdf)
    keep = os.environ.get("PRIVACYCRM_REPORT_DIR")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(keep) / path.name)
    done = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True
    )
    return done.stdout


def _fonts(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "fonts.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        ["pdffonts", str(path)], capture_output=True, check=True, text=True
    ).stdout


@pytest.fixture
def services(svc: Services) -> Services:
    return svc


@needs_poppler
@pytest.mark.parametrize("language", ["nl", "fr", "en"])
def test_the_register_renders_in_each_language(
    services: Services, owner: Actor, tmp_path: Path, language: str
) -> None:
    pdf = services.reports.processing_register(owner, language)
    assert pdf.startswith(b"%PDF")
    text = _text(pdf, tmp_path, f"register-{language}")
    for heading in HEADINGS[language]:
        assert heading in text
    assert "Acme BV" in text
    assert "Kerkstraat 1, 9000 Gent" in text
    assert {"nl": "Pagina 1 van", "fr": "Page 1 sur", "en": "Page 1 of"}[language] in text
    assert {"nl": "Geen juridisch advies", "fr": "Pas un avis juridique", "en": "Not legal advice"}[
        language
    ] in text
    fonts = _fonts(pdf, tmp_path)
    assert "DejaVuSans" in fonts
    assert "Helvetica" not in fonts


@needs_poppler
@pytest.mark.parametrize("language", ["nl", "fr", "en"])
def test_the_short_notice_renders_in_each_language(
    services: Services, owner: Actor, tmp_path: Path, language: str
) -> None:
    pdf = services.reports.short_notice(owner, language)
    text = _text(pdf, tmp_path, f"notice-{language}")
    assert NOTICE[language] in text
    assert "Acme BV" in text
    assert "privacy@acme.be" in text
    assert "{company}" not in text
    assert "Helvetica" not in _fonts(pdf, tmp_path)


@needs_poppler
def test_untrusted_text_is_printed_not_parsed(bare_services: Services, tmp_path: Path) -> None:
    """CVE-2023-33733: markup in the owner's texts must reach the page as text."""
    evil = 'Zoë <font color="red">&amp; Co</font> <b>x'
    actor = bare_services.setup.initialise(
        CompanyInput(evil, "Rue <i>1</i>, 4000 Liège", language="fr"), "owner", "owner pw 123"
    )
    bare_services.statements.publish(actor, "fr", "# Titre <b>\n\n**{company}** & <u>nous</u>")
    register = _text(bare_services.reports.processing_register(actor, "fr"), tmp_path, "evil")
    assert '<font color="red">&amp; Co</font>' in register
    notice = _text(bare_services.reports.short_notice(actor, "fr"), tmp_path, "evil-notice")
    assert "& <u>nous</u>" in notice
    assert "Titre <b>" in notice


def test_the_register_is_for_the_owner_and_privacy_officer(
    services: Services, owner: Actor
) -> None:
    from privacycrm_desktop.domain.access import Role

    services.auth.add_user(owner, "sam", "sales password 1", Role.SALES)
    sales = services.auth.login("sam", "sales password 1")
    with pytest.raises(PermissionDenied):
        services.reports.processing_register(sales, "nl")
    assert services.reports.short_notice(sales, "nl").startswith(b"%PDF")


def test_every_report_made_is_on_record(svc: Services, owner: Actor) -> None:
    svc.reports.processing_register(owner, "fr")
    svc.reports.short_notice(owner, "nl")
    actions = [(e.action, e.detail) for e in svc.audit.list_events(owner)]
    assert ("report.processing_register", "language=fr") in actions
    assert ("report.short_notice", "language=nl") in actions
