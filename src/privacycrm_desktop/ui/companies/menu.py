"""The main window's way into the companies: Contacts > Companies... (Ctrl+Shift+K)."""

from __future__ import annotations

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QWidget

from privacycrm_desktop.domain.access import Permission, has_permission
from privacycrm_desktop.i18n import _
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services


def add_companies_entry(window: QWidget, menu: QMenu, services: Services, actor: Actor) -> QAction:
    """Add "Companies..." to *menu* (and its shortcut to *window*); it opens the window,
    for a role that may see contacts (the service then applies the organisation's row of
    the field matrix)."""
    action = QAction(_("&Companies..."), window)
    action.setShortcut(QKeySequence("Ctrl+Shift+K"))
    action.setEnabled(has_permission(actor.role, Permission.VIEW_CONTACTS))

    def open_window() -> None:
        from privacycrm_desktop.ui.companies.companies_window import CompaniesDialog

        CompaniesDialog(services, actor, window).open()

    action.triggered.connect(open_window)
    menu.addAction(action)
    window.addAction(action)
    return action
