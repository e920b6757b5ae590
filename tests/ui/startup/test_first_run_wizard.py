"""The first-run wizard sets up a fresh database and refuses bad input on its page."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot

from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.ui.startup.first_run_wizard import FirstRunWizard, Page


def fill_company(wizard: FirstRunWizard, vat: str = "0403.170.701") -> None:
    page = wizard.company_page
    page.name.setText("Brasserie Zoë")
    page.address.setText("Place Saint-Lambert 1, 4000 Liège")
    page.vat_number.setText(vat)
    page.privacy_email.setText("privacy@zoe.be")


def test_wizard_creates_the_owner(qtbot: QtBot, bare_services: Services) -> None:
    wizard = FirstRunWizard(bare_services.setup)
    qtbot.addWidget(wizard)
    wizard.show()
    wizard.language_page.language.setCurrentIndex(wizard.language_page.language.findData("fr"))
    assert wizard.currentId() == Page.LANGUAGE
    wizard.next()
    assert wizard.currentId() == Page.COMPANY
    fill_company(wizard)
    wizard.next()
    assert wizard.currentId() == Page.OWNER
    wizard.owner_page.username.setText("zoe")
    wizard.owner_page.password.setText("a long enough password")
    wizard.owner_page.password_again.setText("a long enough password")
    wizard.accept()
    assert wizard.result() == FirstRunWizard.DialogCode.Accepted
    assert wizard.actor is not None
    assert wizard.actor.username == "zoe"
    assert bare_services.setup.is_initialised()
    assert bare_services.setup.company().language == "fr"
    assert bare_services.setup.company().vat_number == "BE0403170701"
    assert bare_services.auth.login("zoe", "a long enough password").username == "zoe"


def test_wizard_stays_on_a_page_with_problems(qtbot: QtBot, bare_services: Services) -> None:
    wizard = FirstRunWizard(bare_services.setup)
    qtbot.addWidget(wizard)
    wizard.show()
    wizard.next()
    # Mandatory fields empty: Next is refused by the registered fields.
    assert not wizard.button(FirstRunWizard.WizardButton.NextButton).isEnabled()
    fill_company(wizard, vat="BE 1234")
    wizard.next()
    assert wizard.currentId() == Page.COMPANY
    assert not wizard.company_page.errors["vat_number"].isHidden()
    assert "BE 1234" in wizard.company_page.errors["vat_number"].text()
    wizard.company_page.vat_number.setText("")
    wizard.next()
    assert wizard.currentId() == Page.OWNER
    assert wizard.company_page.errors["vat_number"].isHidden()

    owner = wizard.owner_page
    owner.username.setText("zoe")
    owner.password.setText("a long enough password")
    owner.password_again.setText("another long password")
    wizard.accept()
    assert wizard.result() != FirstRunWizard.DialogCode.Accepted
    assert not owner.errors["password_again"].isHidden()
    owner.password.setText("short")
    owner.password_again.setText("short")
    wizard.accept()
    assert not owner.errors["password"].isHidden()
    assert "10" in owner.errors["password"].text()
    assert not bare_services.setup.is_initialised()


def test_a_first_start_opens_the_wizard_in_the_systems_language(
    qtbot: QtBot, bare_services: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nothing chosen yet on a French desk: the wizard speaks French, with the language
    choice on its first page."""
    from privacycrm_desktop import app
    from privacycrm_desktop.i18n import current_language
    from privacycrm_desktop.ui.common import settings as ui_settings

    monkeypatch.setattr(ui_settings, "system_language", lambda: "fr")
    settings = ui_settings.UiSettings(
        QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)
    )
    assert current_language() == "en"
    shown: list[tuple[str, str, int]] = []

    def look(wizard: FirstRunWizard) -> int:
        qtbot.addWidget(wizard)
        shown.append((wizard.language(), wizard.windowTitle(), wizard.startId()))
        return 0

    monkeypatch.setattr(FirstRunWizard, "exec", look)
    assert app.sign_in(bare_services, settings) is None
    [(language, title, start)] = shown
    assert language == "fr"
    assert title == "Configurer PrivacyCRM"
    assert start == Page.LANGUAGE
