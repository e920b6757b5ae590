"""Screenshots of every window in nl, fr and en, to look at (PRIVACYCRM_SCREENSHOT_DIR).

Without the variable the windows are still built and shown, so the test still checks that
each opens in each language; only the saving is skipped.
"""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot

from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.ui.common.qt_i18n import apply_language
from privacycrm_desktop.ui.contacts.contact_editor import ContactEditorDialog
from privacycrm_desktop.ui.main_window import MainWindow
from privacycrm_desktop.ui.startup.first_run_wizard import FirstRunWizard
from privacycrm_desktop.ui.startup.login_dialog import LoginDialog

from .screens import save


@pytest.mark.parametrize("language", ["nl", "fr", "en"])
def test_screenshots(qtbot: QtBot, bare_services: Services, language: str) -> None:
    apply_language(language)
    wizard = FirstRunWizard(bare_services.setup)
    qtbot.addWidget(wizard)
    wizard.language_page.language.setCurrentIndex(wizard.language_page.language.findData(language))
    wizard.show()
    save(wizard, f"{language}-wizard-1-language")
    wizard.next()
    wizard.company_page.name.setText("Brasserie Zoë")
    wizard.company_page.address.setText("Place Saint-Lambert 1, 4000 Liège")
    wizard.company_page.vat_number.setText("BE 1234")
    wizard.next()  # refused: shows the problem next to the field
    save(wizard, f"{language}-wizard-2-company")
    wizard.company_page.vat_number.setText("0403.170.701")
    wizard.next()
    wizard.owner_page.username.setText("owner")
    wizard.owner_page.password.setText("correct horse battery")
    wizard.owner_page.password_again.setText("correct horse")
    wizard.accept()  # refused: the passwords differ
    save(wizard, f"{language}-wizard-3-owner")
    wizard.owner_page.password_again.setText("correct horse battery")
    wizard.accept()
    assert wizard.actor is not None
    owner: Actor = wizard.actor

    login = LoginDialog(bare_services.auth)
    qtbot.addWidget(login)
    login.show()
    login.username.setText("owner")
    login.password.setText("wrong")
    login.sign_in()
    save(login, f"{language}-login")

    bare_services.demo.generate(owner, 300, seed=1)
    window = MainWindow(bare_services, owner)
    qtbot.addWidget(window)
    window.resize(1100, 700)
    window.show()
    qtbot.waitExposed(window)
    save(window, f"{language}-main-window")

    contact_id = window.model.contact_at(0)
    assert contact_id is not None
    editor = ContactEditorDialog(bare_services.contacts, owner, contact_id.id, window)
    qtbot.addWidget(editor)
    editor.show()
    editor.editors["city"].setText("Couvin")
    editor.source_description.setText("")
    editor.save()
    save(editor, f"{language}-editor-source-missing")
    editor.editors["emails"].setPlainText("not an address")
    editor.source_description.setText("Phone call")
    editor.save()
    save(editor, f"{language}-editor-invalid-email")
    assert editor.saved_id is None
