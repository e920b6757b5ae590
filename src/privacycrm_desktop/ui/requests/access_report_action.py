"""Contacts > Access report... (Ctrl+R) on the main window. The dialog's module
(``access_report_dialog``) is imported when the report is asked for: the first paint of the
list does not need it (issue 23: start-up near the floor)."""

from __future__ import annotations

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu

from privacycrm_desktop.domain.access import Permission, has_permission
from privacycrm_desktop.i18n import _
from privacycrm_desktop.services.dto import Actor


def add_action(window: QMainWindow, actor: Actor) -> QAction:
    """Contacts > Access report... (Ctrl+R) on the main *window*, calling its
    ``export_access_report_for_selected``; in the menu only for the roles that may make one.
    Ctrl+R works for every role: the others are told why nothing opens.
    """
    action = QAction(_("&Access report..."), window)
    action.setShortcut(QKeySequence("Ctrl+R"))
    action.triggered.connect(getattr(window, "export_access_report_for_selected"))  # noqa: B009 (the main window is not imported here: it sits above)
    menu: QMenu = getattr(window, "contacts_menu")  # noqa: B009 (idem)
    if has_permission(actor.role, Permission.ACCESS_REPORT):
        menu.addAction(action)
    window.addAction(action)
    return action
