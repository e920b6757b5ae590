"""File > Database... and the first-run wizard's way to the office's server."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtWidgets import QDialogButtonBox, QWidget
from pytestqt.qtbot import QtBot

from privacycrm_desktop import config
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.ui.common import messages
from privacycrm_desktop.ui.common.qt_i18n import apply_language
from privacycrm_desktop.ui.startup.database_dialog import DatabaseDialog
from privacycrm_desktop.ui.startup.first_run_wizard import FirstRunWizard


@pytest.fixture(autouse=True)
def _own_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PRIVACYCRM_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("PRIVACYCRM_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("PRIVACYCRM_DB", raising=False)


def _save_picture(widget: QWidget, name: str) -> None:
    folder = os.environ.get("PRIVACYCRM_SCREENSHOT_DIR")
    widget.repaint()
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        assert widget.grab().save(str(Path(folder) / f"{name}.png"))


def _save(dialog: DatabaseDialog) -> None:
    buttons = dialog.findChild(QDialogButtonBox)
    assert buttons is not None
    save = buttons.button(QDialogButtonBox.StandardButton.Save)
    assert save is not None
    save.click()


@pytest.mark.parametrize("language", ["nl", "fr", "en"])
def test_choosing_the_office_server_is_saved_for_the_next_start(
    qtbot: QtBot, language: str
) -> None:
    apply_language(language)
    dialog = DatabaseDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.local.isChecked()
    assert not dialog.server_box.isEnabled()
    dialog.server.setChecked(True)
    assert dialog.server_box.isEnabled()
    dialog.host.setText("crm.office.lan")
    dialog.user.setText("anne")
    dialog.password.setText("secret-typed-only-to-try")
    _save_picture(dialog, f"{language}-database-dialog")
    _save(dialog)
    assert dialog.result() == DatabaseDialog.DialogCode.Accepted
    saved = config.saved_database()
    assert saved is not None
    assert "crm.office.lan" in saved
    assert "anne@" in saved
    assert "secret" not in saved
    apply_language("en")


def test_a_server_without_a_name_is_not_saved(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:

    warnings: list[str] = []
    monkeypatch.setattr(messages, "warning", lambda *args: warnings.append(str(args[2])))
    dialog = DatabaseDialog()
    qtbot.addWidget(dialog)
    dialog.server.setChecked(True)
    dialog.host.setText("")
    _save(dialog)
    assert len(warnings) == 1
    assert "server" in warnings[0].lower()
    assert config.saved_database() is None


def test_a_new_desk_joins_the_server_from_the_first_run_wizard(
    qtbot: QtBot, bare_services: Services
) -> None:
    wizard = FirstRunWizard(bare_services.setup)
    qtbot.addWidget(wizard)
    wizard.show()
    dialog = wizard.choose_server()
    assert dialog.server.isChecked()
    dialog.host.setText("crm.office.lan")
    _save(dialog)
    assert wizard.database_changed
    assert not wizard.isVisible()
    assert config.saved_database() is not None
