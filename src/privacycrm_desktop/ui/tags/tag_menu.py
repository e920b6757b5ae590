"""The tag entries of the main window's Contacts menu: Tags... (the tag dialog) and Tag
selected contacts... (for the rows chosen in the list).

Kept apart from main_window.py, which only calls ``add_tag_actions``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QKeySequence

from privacycrm_desktop.domain.access import FieldAccess, Permission, has_permission
from privacycrm_desktop.i18n import _
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services

if TYPE_CHECKING:
    from PySide6.QtWidgets import QDialog

    from privacycrm_desktop.ui.main_window import MainWindow


class TagActions(QObject):
    """Contacts > Tags... and Contacts > Tag selected contacts... (Ctrl+T)."""

    def __init__(self, window: MainWindow, services: Services, actor: Actor) -> None:
        super().__init__(window)
        self._window = window
        self._services = services
        self._actor = actor
        self.tags_action = QAction(_("Ta&gs..."), window)
        self.tags_action.triggered.connect(self.open_tags)
        self.tag_selected_action = QAction(_("&Tag selected contacts..."), window)
        self.tag_selected_action.setShortcut(QKeySequence("Ctrl+T"))
        self.tag_selected_action.triggered.connect(self.tag_selected)
        access = services.contacts.field_access(actor).get("tags", FieldAccess.HIDDEN)
        self._may_tag = (
            has_permission(actor.role, Permission.EDIT_CONTACTS) and access is FieldAccess.WRITE
        )
        menu = window.contacts_menu
        # Before the separator that leads to "Lock now", where there is one.
        actions = menu.actions()
        lock = getattr(window, "lock_action", None)
        before = None
        if lock in actions:
            index = actions.index(lock)
            before = actions[index - 1] if index and actions[index - 1].isSeparator() else lock
        for action in (self.tags_action, self.tag_selected_action):
            if before is None:
                menu.addAction(action)
            else:
                menu.insertAction(before, action)
        window.addAction(self.tag_selected_action)
        window.view.selectionModel().selectionChanged.connect(lambda *_a: self.update())
        window.model.modelReset.connect(self.update)
        self.update()

    def update(self) -> None:
        """Tag selected contacts... is for a role that may tag (with nothing chosen in
        the list it says so: "select all" chooses no row, so no row tells)."""
        self.tag_selected_action.setEnabled(self._may_tag)

    def open_tags(self) -> QDialog:
        """Open the tag dialog."""
        from privacycrm_desktop.ui.tags.tags_dialog import TagsDialog

        dialog = TagsDialog(self._services.tags, self._actor, self._window)
        tag_filter = getattr(self._window, "tag_filter", None)
        if tag_filter is not None:
            # A tag renamed, merged or deleted: the filter follows (a deleted one: any tag).
            dialog.finished.connect(lambda _result: tag_filter.reload())
        dialog.open()
        return dialog

    def tag_selected(self) -> QDialog | None:
        """Open the dialog that tags the selected contacts."""
        from privacycrm_desktop.ui.tags.tag_selected import TagSelectedDialog
        from privacycrm_desktop.ui.transfer.selection import selected_contacts

        window = self._window
        if not self._may_tag:
            return None
        selection = selected_contacts(window)
        if selection is None:
            window.statusBar().showMessage(_("Select the contacts to tag in the list first."))
            return None
        dialog = TagSelectedDialog(self._services, self._actor, selection, window)
        dialog.accepted.connect(lambda: window.statusBar().showMessage(dialog.outcome, 10_000))
        dialog.open()
        return dialog


def add_tag_actions(window: MainWindow, services: Services, actor: Actor) -> TagActions:
    """Add the tag entries to *window*'s Contacts menu."""
    return TagActions(window, services, actor)
