"""The login dialog signs in, and says only that sign-in failed when it did."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from privacycrm_desktop import i18n
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.ui.startup.login_dialog import LoginDialog


def test_wrong_password_then_right_one(qtbot: QtBot, services: Services) -> None:
    dialog = LoginDialog(services.auth)
    qtbot.addWidget(dialog)
    dialog.username.setText("owner")
    dialog.password.setText("wrong password!")
    dialog.sign_in()
    assert dialog.actor is None
    assert not dialog.error.isHidden()
    assert "Sign-in failed" in dialog.error.text()
    dialog.password.setText("correct horse battery")
    dialog.sign_in()
    assert dialog.actor is not None
    assert dialog.actor.username == "owner"
    assert dialog.result() == LoginDialog.DialogCode.Accepted


def test_choosing_a_language_applies_it(qtbot: QtBot, services: Services) -> None:
    dialog = LoginDialog(services.auth)
    qtbot.addWidget(dialog)
    try:
        dialog.language.setCurrentIndex(dialog.language.findData("nl"))
        assert i18n.current_language() == "nl"
        assert dialog.selected_language() == "nl"
    finally:
        from privacycrm_desktop.ui.common.qt_i18n import apply_language

        apply_language("en")
