"""File > Language...: the choice is saved for the next start, and the dialog says so in
the language shown now."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from privacycrm_desktop import i18n
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.ui.common import messages
from privacycrm_desktop.ui.common.qt_i18n import apply_language
from privacycrm_desktop.ui.common.settings import UiSettings
from privacycrm_desktop.ui.main_window import MainWindow
from privacycrm_desktop.ui.startup.language_dialog import RESTART_NOTICE, LanguageDialog

from ..screens import save


def ini_settings(tmp_path: Path) -> UiSettings:
    return UiSettings(QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat))


@pytest.mark.parametrize(("shown", "chosen"), [("nl", "fr"), ("fr", "en"), ("en", "nl")])
def test_the_choice_is_saved_and_takes_effect_after_a_restart(
    qtbot: QtBot,
    services: Services,
    owner: Actor,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    shown: str,
    chosen: str,
) -> None:
    apply_language(shown)
    settings = ini_settings(tmp_path)
    settings.set_language(shown)
    window = MainWindow(services, owner, settings)
    qtbot.addWidget(window)
    title = window.windowTitle()
    file_menu = window.menuBar().actions()[0].menu()
    assert window.language_action in file_menu.actions()
    assert "&" in window.language_action.text()

    told: list[str] = []
    monkeypatch.setattr(messages, "information", lambda _parent, _title, text: told.append(text))
    window.language_action.trigger()
    dialogs = window.findChildren(LanguageDialog)
    assert len(dialogs) == 1
    dialog = dialogs[0]
    assert dialog.selected_language() == shown
    save(dialog, f"{shown}-language-dialog")
    dialog.language.setCurrentIndex(dialog.language.findData(chosen))
    dialog.accept()

    # Said once, in the language on screen (not the one chosen).
    assert told == [i18n.tr_in(shown, RESTART_NOTICE)]
    if shown != "en":
        assert told[0] != RESTART_NOTICE
    # Saved for the next start; nothing on screen changed meanwhile.
    assert ini_settings(tmp_path).language() == chosen
    assert i18n.current_language() == shown
    assert window.windowTitle() == title


def test_cancel_keeps_the_old_choice(qtbot: QtBot, tmp_path: Path) -> None:
    settings = ini_settings(tmp_path)
    settings.set_language("nl")
    parent = QWidget()
    qtbot.addWidget(parent)
    dialog = LanguageDialog(settings, "nl", parent)
    dialog.language.setCurrentIndex(dialog.language.findData("fr"))
    dialog.reject()
    assert ini_settings(tmp_path).language() == "nl"


def test_choosing_the_language_already_in_use_says_nothing(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = ini_settings(tmp_path)
    settings.set_language("en")
    told: list[str] = []
    monkeypatch.setattr(messages, "information", lambda *a: told.append(a[2]))
    dialog = LanguageDialog(settings, "en")
    qtbot.addWidget(dialog)
    dialog.accept()
    assert told == []
    assert ini_settings(tmp_path).language() == "en"
