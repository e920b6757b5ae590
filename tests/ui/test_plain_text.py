"""Message boxes show their text as written (``ui/common/messages.py``): a name in markup
is never rendered (an outside attack saw ``<b>Bold</b> <img src=x>`` in bold, with a
broken image, in the question before deleting a tag or saving a second contact)."""

from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

import privacycrm_desktop.ui
from privacycrm_desktop.ui.common import messages

UI = Path(privacycrm_desktop.ui.__file__).parent
STATIC_BOX = re.compile(r"QMessageBox\.(question|warning|information|critical)\(")


def test_no_window_uses_the_static_message_boxes_that_guess_the_format() -> None:
    found = [
        f"{path.relative_to(UI)}:{number}"
        for path in sorted(UI.rglob("*.py"))
        if path.name != "messages.py"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if STATIC_BOX.search(line)
    ]
    assert found == []


def test_a_question_shows_markup_as_typed_and_answers_with_the_button(qtbot: QtBot) -> None:
    seen: dict[str, object] = {}

    def answer() -> None:
        box = QApplication.activeModalWidget()
        assert isinstance(box, QMessageBox)
        seen["format"], seen["text"] = box.textFormat(), box.text()
        box.button(QMessageBox.StandardButton.No).click()

    QTimer.singleShot(0, answer)
    got = messages.question(None, "Delete tag", "Delete the tag <b>VIP</b> <img src=x>?")
    assert got == QMessageBox.StandardButton.No
    assert seen == {
        "format": Qt.TextFormat.PlainText,
        "text": "Delete the tag <b>VIP</b> <img src=x>?",
    }
