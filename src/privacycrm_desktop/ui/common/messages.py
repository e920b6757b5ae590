"""Message boxes that show their text as it is written, never as markup.

``QMessageBox.question`` and its siblings guess the text's format (``Qt.AutoText``): a
contact named ``<b>Bold</b> <img src=x>`` came out bold with a broken image in the
confirmation before erasing, the "save a second contact?" question or a tag's deletion,
so what a box named could differ from what it acted on (an outside attack, December
2026). These take the same arguments and show plain text; the static ones are not used
in ``ui/`` (``tests/ui/test_plain_text.py`` reads the sources).
"""

from __future__ import annotations

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


def question(
    parent: QWidget | None,
    title: str,
    text: str,
    buttons: Button = Button.Yes | Button.No,
    default: Button = Button.NoButton,
) -> Button:
    """``QMessageBox.question``, in plain text."""
    return _ask(Icon.Question, parent, title, text, buttons, default)


def information(
    parent: QWidget | None,
    title: str,
    text: str,
    buttons: Button = Button.Ok,
    default: Button = Button.NoButton,
) -> Button:
    """``QMessageBox.information``, in plain text."""
    return _ask(Icon.Information, parent, title, text, buttons, default)


def warning(
    parent: QWidget | None,
    title: str,
    text: str,
    buttons: Button = Button.Ok,
    default: Button = Button.NoButton,
) -> Button:
    """``QMessageBox.warning``, in plain text."""
    return _ask(Icon.Warning, parent, title, text, buttons, default)


def critical(
    parent: QWidget | None,
    title: str,
    text: str,
    buttons: Button = Button.Ok,
    default: Button = Button.NoButton,
) -> Button:
    """``QMessageBox.critical``, in plain text."""
    return _ask(Icon.Critical, parent, title, text, buttons, default)
