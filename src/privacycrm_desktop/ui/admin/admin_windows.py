"""The main window's administration windows: users, the field matrix, the audit trail.

A mixin of ``MainWindow``: each opener builds its dialog on the window's services and
actor, non-modal, and returns it (tests drive it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QDialog, QWidget

if TYPE_CHECKING:
    from privacycrm_desktop.services.dto import Actor
    from privacycrm_desktop.services.registry import Services


class AdminWindowsMixin:
    """Opens the administration dialogs of a window with ``_services`` and ``_actor``."""

    _services: Services
    _actor: Actor
    #: Go on as the actor, who reset their own password (the window's lock does it).
    signed_in_again: Callable[[Actor], None]

    def refresh_list(self) -> None:
        """Show the contact list anew (after the field matrix changed what it shows)."""
        raise NotImplementedError

    def _parent(self) -> QWidget:
        assert isinstance(self, QWidget)
        return self

    def open_users(self) -> QDialog:
        """The user administration (owner only)."""
        from privacycrm_desktop.ui.admin.user_admin import UserAdminDialog

        dialog = UserAdminDialog(self._services.auth, self._actor, self._parent())
        dialog.signed_in_again.connect(self.signed_in_again)
        dialog.open()
        return dialog

    def open_field_matrix(self) -> QDialog:
        """The field x role matrix (owner only); the list shows the new access after it."""
        from privacycrm_desktop.ui.admin.field_matrix import FieldMatrixDialog

        dialog = FieldMatrixDialog(self._services.access, self._actor, self._parent())
        dialog.finished.connect(self.refresh_list)
        dialog.open()
        return dialog

    def open_audit(self) -> QDialog:
        """The audit viewer (owner and privacy officer)."""
        from privacycrm_desktop.ui.admin.audit_view import AuditViewerDialog

        today = self._services.contacts.suggest_source(self._actor, None).obtained_on
        assert today is not None
        dialog = AuditViewerDialog(self._services.audit, self._actor, today, self._parent())
        dialog.open()
        return dialog

    def open_duplicates(self) -> QDialog:
        """The duplicate review with merge and undo (owner and privacy officer)."""
        from privacycrm_desktop.ui.duplicates.review_dialog import DuplicateReviewDialog

        dialog = DuplicateReviewDialog(self._services, self._actor, self._parent())
        dialog.finished.connect(self.refresh_list)
        dialog.open()
        return dialog
