"""The post entries of the main window: Contacts > Print labels... and Mail-merge
letter..., also in the list's context menu (a right click on the selected contacts).

Kept apart from main_window.py, which only calls ``add_post_actions``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QPoint, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu

from privacycrm_desktop.domain.access import Permission, has_permission
from privacycrm_desktop.i18n import _
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services

if TYPE_CHECKING:
    from PySide6.QtWidgets import QDialog

    from privacycrm_desktop.ui.main_window import MainWindow
    from privacycrm_desktop.ui.post.post_form import PostFormMixin
    from privacycrm_desktop.ui.transfer.export_dialog import SelectedContacts


class PostActions(QObject):
    """Print labels... and Mail-merge letter... for the selected contacts."""

    def __init__(self, window: MainWindow, services: Services, actor: Actor) -> None:
        super().__init__(window)
        self._window = window
        self._services = services
        self._actor = actor
        self._may = has_permission(actor.role, Permission.EXPORT) and has_permission(
            actor.role, Permission.VIEW_CONTACTS
        )
        self.labels_action = QAction(_("P&rint labels..."), window)
        self.labels_action.triggered.connect(self.open_labels)
        self.letter_action = QAction(_("&Mail-merge letter..."), window)
        self.letter_action.triggered.connect(self.open_letter)
        if self._may:
            menu = window.contacts_menu
            export = getattr(window, "export_action", None)
            actions = menu.actions()
            index = actions.index(export) + 1 if export in actions else len(actions)
            before = actions[index] if index < len(actions) else None
            for action in (self.labels_action, self.letter_action):
                if before is None:
                    menu.addAction(action)
                else:
                    menu.insertAction(before, action)
        view = window.view
        view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        view.customContextMenuRequested.connect(self.context_menu)
        # Rows chosen, Ctrl+A, the list reloaded, the window locked: the window says so.
        window.selection_changed.connect(self.update)
        self.update()

    def update(self) -> None:
        """The entries work when contacts are chosen and the window is not locked."""
        from privacycrm_desktop.ui.transfer.selection import has_selection

        window = self._window
        chosen = has_selection(window)
        for action in (self.labels_action, self.letter_action):
            action.setEnabled(self._may and chosen and not window.locked)

    def make_context_menu(self) -> QMenu:
        """The list's context menu: export, tag, labels and letter for the selection."""
        window = self._window
        menu = QMenu(window.view)
        export = getattr(window, "export_action", None)
        if export is not None and export in window.contacts_menu.actions():
            menu.addAction(export)
        tags = getattr(window, "tag_actions", None)
        if tags is not None:
            menu.addAction(tags.tag_selected_action)
        if self._may:
            menu.addSeparator()
            menu.addAction(self.labels_action)
            menu.addAction(self.letter_action)
        return menu

    def context_menu(self, point: QPoint) -> None:
        """Show the context menu where the list was right-clicked."""
        menu = self.make_context_menu()
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        viewport = self._window.view.viewport()
        if viewport is not None:
            menu.popup(viewport.mapToGlobal(point))

    def _selection(self) -> SelectedContacts | None:
        from privacycrm_desktop.ui.transfer.selection import selected_contacts

        return selected_contacts(self._window)

    def open_labels(self) -> QDialog | None:
        """Open the labels dialog for the selected contacts."""
        from privacycrm_desktop.ui.post.labels_dialog import LabelsDialog

        return self._open(LabelsDialog)

    def open_letter(self) -> QDialog | None:
        """Open the mail-merge letter dialog for the selected contacts."""
        from privacycrm_desktop.ui.post.letter_dialog import MergeLetterDialog

        return self._open(MergeLetterDialog)

    def _open(self, kind: type[PostFormMixin]) -> QDialog | None:
        selection = self._selection()
        if not self._may:
            return None
        if selection is None:
            self._window.statusBar().showMessage(_("Select the contacts in the list first."))
            return None
        dialog = kind(self._services, self._actor, selection, self._window)
        dialog.open()
        return dialog


def add_post_actions(window: MainWindow, services: Services, actor: Actor) -> PostActions:
    """Add the labels and letter entries to *window*'s Contacts menu and context menu."""
    return PostActions(window, services, actor)
