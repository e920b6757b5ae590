"""While the window is locked, nothing of it answers but what unlocking needs.

Every action (menus, shortcuts a feature module added) and shortcut of the window is
switched off, the menu and status bars too, and each is switched back as it was.

The open dialogs hold personal data. The idle lock hides them, an editor with what was
typed in it, and the unlock shows them again: a phone call longer than the idle time loses
nothing. A lock for a change of the person's access closes them unsaved, without asking
(an editor's "Save the changes?" kept the list showing behind it, and its Save wrote with
the role the owner had just taken away).
"""

from __future__ import annotations

from collections.abc import Sequence

import shiboken6
from PySide6.QtGui import QAction, QShortcut
from PySide6.QtWidgets import QDialog, QMainWindow, QMessageBox, QWidget

Switch = QAction | QShortcut | QWidget


def switch_off_all_but(window: QMainWindow, keep: Sequence[Switch]) -> dict[Switch, bool]:
    """Switch off every action and shortcut of *window* but *keep*; the states before."""
    switches: list[Switch] = [window.menuBar(), window.statusBar()]
    switches += window.findChildren(QAction)
    switches += window.findChildren(QShortcut)
    before = {switch: switch.isEnabled() for switch in switches if switch not in keep}
    for switch in before:
        switch.setEnabled(False)
    return before


def switch_back(before: dict[Switch, bool]) -> None:
    """Each switch as it was before the lock."""
    for switch, enabled in before.items():
        switch.setEnabled(enabled)


def hide_dialogs(window: QWidget) -> list[QDialog]:
    """Hide the open dialogs of *window* (the idle lock); those hidden, to show again.

    A question up (an editor's "Save the changes?") is answered as Escape answers it
    first: it is modal, and would stand over the lock screen's password field."""
    for box in window.findChildren(QMessageBox):
        if box.isVisible():
            box.reject()
    hidden = [dialog for dialog in window.findChildren(QDialog) if dialog.isVisible()]
    for dialog in hidden:
        dialog.hide()
    return hidden


def show_dialogs(dialogs: Sequence[QDialog]) -> None:
    """Show again the dialogs ``hide_dialogs`` hid, those still there."""
    for dialog in dialogs:
        if shiboken6.isValid(dialog):
            dialog.show()


def close_dialogs(window: QWidget, hidden: Sequence[QDialog] = ()) -> None:
    """Close the open dialogs of *window* and the *hidden* ones unsaved, without asking
    (a change of access: what they hold may no longer be the person's to see or save).
    A dialog that refuses to close (an import running) is asked to stop, as Cancel does;
    a hidden editor's Cancel does not ask."""
    for dialog in [*window.findChildren(QDialog), *hidden]:
        if not shiboken6.isValid(dialog):
            continue
        if dialog.isVisible():
            dialog.close()
        if dialog.isVisible() or dialog in hidden:
            dialog.reject()
