"""The contact editor's flow around the form: what changed, closing a changed form, Enter,
the duplicate warning, and an edit somebody else saved first (a mixin of
``ContactEditorDialog``, ``ui/contacts/contact_editor.py``)."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import (
    QCloseEvent,
    QKeyEvent,
    QShowEvent,
)
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDialog,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
)

from privacycrm_desktop.domain.access import FieldAccess
from privacycrm_desktop.domain.contacts import (
    ContactInput,
)
from privacycrm_desktop.domain.edit_conflicts import Choice, ConflictDetail, resolve
from privacycrm_desktop.domain.errors import (
    DomainError,
)
from privacycrm_desktop.i18n import _
from privacycrm_desktop.services.contact_duplicates import DuplicateHit
from privacycrm_desktop.ui.common import messages
from privacycrm_desktop.ui.contacts.editor_form import (
    DATE_FIELDS,
    DUPLICATE_FIELDS,
    TEXT_FIELDS,
    EditorFormMixin,
)

if TYPE_CHECKING:
    pass


class EditorFlowMixin(EditorFormMixin):
    """Changes, closing, Enter, duplicates and conflicts (see ``ContactEditorDialog``)."""

    # -- changes, closing, Enter, duplicates -------------------------------------------

    def form_state(self) -> tuple[object, ...]:
        """What the user can change, to compare with the form as it was opened."""
        section: tuple[object, ...] = ()
        if self.consent_section is not None:
            section = self.consent_section.state()
        return (
            self.contact_input(),
            self.source_kind.currentData(),
            self.source_description.text(),
            section,
        )

    def is_changed(self) -> bool:
        """Has the user changed anything since the form was opened (or last saved)?"""
        return not self.read_only and self.form_state() != self._initial

    def reject(self) -> None:
        """Cancel or Escape: a changed form asks whether to save, discard or stay."""
        if self._closing or not self.isVisible() or not self.is_changed():
            super().reject()
            return
        answer = messages.question(
            self,
            _("Save the changes?"),
            _("This contact has changes that are not saved yet."),
            QMessageBox.StandardButton.Save
            | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Save,
        )
        if answer == QMessageBox.StandardButton.Discard:
            self._closing = True
            super().reject()
        elif answer == QMessageBox.StandardButton.Save:
            self.save()

    def closeEvent(self, event: QCloseEvent) -> None:
        """The window's close button asks like Cancel; a close by the program does not."""
        if not event.spontaneous():
            self._closing = True
        super().closeEvent(event)

    def showEvent(self, event: QShowEvent) -> None:
        self._closing = False
        super().showEvent(event)

    def open_existing(self, contact_id: int) -> None:
        """Close this form (asking when it changed) and open the stored contact instead."""
        self.open_instead = contact_id
        self.reject()
        if self.isVisible():  # the user chose to stay
            self.open_instead = None

    def _connect_changes(self) -> None:
        for name in DUPLICATE_FIELDS:
            editor = self.editors[name]
            if isinstance(editor, QLineEdit | QPlainTextEdit):
                editor.textChanged.connect(self.duplicate_timer.start)

    def is_complete(self) -> bool:
        """Could Save succeed as far as the form can tell (a name, and a source when needed)?"""
        data = self.contact_input()
        if not (data.first_name.strip() or data.last_name.strip() or data.organisation.strip()):
            return False
        changed = self._detail is None or self.form_state()[0] != self._initial[0]
        described = self.source_kind.currentData() is not None and self.source_description.text()
        if changed and not described:
            return False
        return self.consent_section is None or not self.consent_section.problems()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Enter in a field: ``_on_return``, never the default button by itself."""
        plain = not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and plain:
            focus = QApplication.focusWidget()
            if isinstance(focus, QPushButton):
                focus.click()
            else:
                self._on_return()
            return
        super().keyPressEvent(event)

    def _on_return(self) -> None:
        """Enter saves a complete form; in one still being filled in it moves on."""
        if self.read_only:
            return
        if self.is_complete():
            self.save()
        else:
            self.focusNextChild()

    def check_duplicates(self) -> list[DuplicateHit]:
        """Look for stored contacts sharing a key with the form; show the bar (one query)."""
        self.duplicate_timer.stop()
        if self.read_only:
            return []
        try:
            hits = self._contacts.duplicates(
                self._actor, self.contact_input(), None if self._detail is None else self._detail.id
            )
        except DomainError:
            hits = []
        self.duplicate_bar.show_hits(hits)
        return hits

    # -- somebody else saved first -----------------------------------------------------

    def _choose(self, conflict: ConflictDetail) -> None:
        """Let the user choose between their values and the typed ones (``conflict_dialog``).

        Save in the dialog saves again against the newer version; Cancel keeps the form
        as typed, and saving again asks again.
        """
        from privacycrm_desktop.ui.contacts.conflict_dialog import ConflictDialog

        self.general_error.show_message(
            _(
                "Nothing was saved: somebody else changed this contact in the meantime. "
                "Save again to choose which values to keep."
            )
        )
        dialog = ConflictDialog(conflict, self)
        self.conflict_dialog = dialog
        dialog.accepted.connect(lambda: self._resolved(conflict, dialog.choices()))
        dialog.finished.connect(lambda _result: self._conflict_closed(dialog))
        dialog.open()

    def _conflict_closed(self, dialog: QDialog) -> None:
        if self.conflict_dialog is dialog:
            self.conflict_dialog = None
        dialog.deleteLater()

    def _resolved(self, conflict: ConflictDetail, choices: dict[str, Choice]) -> None:
        """Show the chosen values in the form and save them against the newer version."""
        assert self._detail is not None
        chosen = resolve(conflict, choices)
        self._detail = dataclasses.replace(self._detail, version=conflict.version)
        self._base = conflict.theirs
        self._fill(chosen)
        self.general_error.show_message("")
        self._submit()

    def _fill(self, data: ContactInput) -> None:
        """Put *data* in the fields the user may change (the others show the stored view)."""
        for name in ("kind", "language", "relationship"):
            if self.access(name) is FieldAccess.WRITE:
                combo = self.editors[name]
                assert isinstance(combo, QComboBox)
                combo.setCurrentIndex(combo.findData(getattr(data, name)))
        for name in TEXT_FIELDS:
            if self.access(name) is FieldAccess.WRITE:
                self._line(name).setText(str(getattr(data, name)))
        if self.access("country") is FieldAccess.WRITE:
            self._country().set_code(data.country)
        for name in ("emails", "phones"):
            if self.access(name) is FieldAccess.WRITE:
                shown = (self._shown(name, v) for v in getattr(data, name))
                self._plain(name).setPlainText("\n".join(shown))
        if self.access("notes") is FieldAccess.WRITE:
            self._plain("notes").setPlainText(data.notes)
        for name in DATE_FIELDS:
            if self.access(name) is FieldAccess.WRITE:
                self._date(name).set_value(getattr(data, name))

    def suppression_notice(self, value: str) -> None:
        """Tell the user that a saved contact inherited an objection (rule 13)."""
        messages.information(
            self,
            _("Unsubscribed from all direct marketing"),
            _(
                "{value} is on the suppression list: this person objected to direct "
                "marketing before. The contact was saved with an opt-out for every "
                "marketing purpose and channel."
            ).format(value=value),
        )


__all__ = ["EditorFlowMixin"]
