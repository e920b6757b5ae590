"""Enter presses the button a dialog makes its default, in every dialog of the app.

A button made the default before it was put into its dialog (``setDefault(True)`` on a
button still without a parent, then added to a button box) was only flagged: showing, the
dialog made the first button of its focus chain the default, so Enter in "Export contacts"
opened the file browser instead of exporting (an outside tester, December 2026). Every
dialog is built (``FACTORIES``, the walk of the ui package in test_window_fit.py) and
shown: the button it flagged is still the default, and no other.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QFileDialog, QPushButton, QWizard
from pytestqt.qtbot import QtBot

from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.ui.transfer.export_dialog import ExportDialog

from .test_window_fit import FACTORIES, Desk


def _defaults(window: QDialog) -> list[QPushButton]:
    return [b for b in window.findChildren(QPushButton) if b.isDefault()]


@pytest.mark.parametrize("qualified", sorted(FACTORIES))
def test_the_flagged_default_button_stays_the_default(
    qtbot: QtBot, services: Services, owner: Actor, tmp_path: Path, qualified: str
) -> None:
    window = FACTORIES[qualified](Desk(services, owner, tmp_path))
    qtbot.addWidget(window)
    if not isinstance(window, QDialog) or isinstance(window, QWizard):
        pytest.skip("a main window has no default button; a wizard moves its own")
    chosen = _defaults(window)
    window.show()
    qtbot.waitExposed(window)
    shown = [b for b in _defaults(window) if b.isVisibleTo(window)]
    if chosen:
        assert [b.text() for b in shown] == [b.text() for b in chosen]
    assert len(shown) <= 1, [b.text() for b in shown]


def test_enter_in_the_export_dialog_exports(
    qtbot: QtBot,
    services: Services,
    owner: Actor,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    browsed: list[bool] = []

    def browse(*_args: object, **_kwargs: object) -> tuple[str, str]:
        browsed.append(True)
        return "", ""

    monkeypatch.setattr(QFileDialog, "getSaveFileName", browse)
    desk = Desk(services, owner, tmp_path)
    dialog = FACTORIES[f"{ExportDialog.__module__}.ExportDialog"](desk)
    qtbot.addWidget(dialog)
    assert isinstance(dialog, ExportDialog)
    started: list[bool] = []
    dialog.export_button.clicked.disconnect()
    dialog.export_button.clicked.connect(lambda: started.append(True))
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.recipient.setFocus()
    qtbot.keyClicks(dialog.recipient, "Boekhouder BV")
    qtbot.keyClick(dialog.recipient, Qt.Key.Key_Return)
    assert (started, browsed) == ([True], [])
