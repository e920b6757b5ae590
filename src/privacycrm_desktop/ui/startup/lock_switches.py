"""While the window is locked, nothing of it answers but what unlocking needs.

Every action (menus, shortcuts a feature module added) and shortcut of the window is
switched off, the menu and status bars too, and each is switched back as it was.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtGui import QAction, QShortcut
from PySide6.QtWidgets import QMainWindow, QWidget

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
