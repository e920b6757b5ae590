"""Message boxes that show their text as it is written, never as markup.

``QMessageBox.question`` and its siblings guess the text's format (``Qt.AutoText``): a
contact named ``<b>Bold</b> <img src=x>`` came out bold with a broken image in the
confirmation before erasing, the "save a second contact?" question or a tag's deletion,
so what a box named could differ from what it acted on (an outside attack, December
2026). These take the same arguments and show plain text; the static ones are not used
in ``ui/`` (``tests/ui/test_plain_text.py`` reads the sources).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget

Button = QMessageBox.StandardButton
Icon = QMessageBox.Icon


def _ask(
    icon: Icon,
    parent: QWidget | None,
    title: str,
    text: str,
    buttons: Button,
    default: Button,
) -> Button:
    box = QMessageBox(icon, title, text, buttons, parent)
    box.setTextFormat(Qt.TextFormat.PlainText)
    if default != Button.NoButton:
        box.setDefaultButton(default)
    return Button(box.exec())


def _box(icon: Icon, buttons: Button) -> Callable[..., Button]:
    """The plain-text twin of ``QMessageBox``'s static function for *icon*, whose
    buttons are *buttons* unless given: (parent, title, text, buttons, default)."""

    def show(
        parent: QWidget | None,
        title: str,
        text: str,
        buttons: Button = buttons,
        default: Button = Button.NoButton,
    ) -> Button:
        return _ask(icon, parent, title, text, buttons, default)

    return show


#: ``QMessageBox.question`` and its siblings, in plain text.
question = _box(Icon.Question, Button.Yes | Button.No)
information = _box(Icon.Information, Button.Ok)
warning = _box(Icon.Warning, Button.Ok)
critical = _box(Icon.Critical, Button.Ok)
