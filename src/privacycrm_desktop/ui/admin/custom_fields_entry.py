"""Administration > Custom fields...: the menu entry, kept apart from the dialog
(``custom_fields_dialog``), which is imported when it opens: the window that opens on the
contact list should not pay for the dialog and its service (issue 23).
"""

from __future__ import annotations

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QWidget

from privacycrm_desktop.domain.access import Permission, has_permission
from privacycrm_desktop.i18n import _
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services


def add_custom_fields_entry(
    window: QWidget, menu: QMenu | None, services: Services, actor: Actor
) -> QAction | None:
    """Add "Custom fields..." to the owner's *menu*; None for another role."""
    if menu is None or not has_permission(actor.role, Permission.EDIT_FIELD_MATRIX):
        return None
    action = QAction(_("Cu&stom fields..."), window)

    def open_dialog() -> None:
        from privacycrm_desktop.ui.admin.custom_fields_dialog import CustomFieldsDialog

        CustomFieldsDialog(services.custom_fields, actor, window).open()

    action.triggered.connect(open_dialog)
    menu.addAction(action)
    return action
