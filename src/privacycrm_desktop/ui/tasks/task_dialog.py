"""The new-task dialog: what, when (a date, perhaps a time), for whom, about whom.

It returns a ``TaskDraft`` (``draft``) and touches no database: the caller hands the draft
to ``TaskService.add`` and shows a refusal in the dialog's message line.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from PySide6.QtCore import QSize, QTime
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from privacycrm_desktop.domain.tasks import MAX_TITLE, TaskDraft, TaskOrigin
from privacycrm_desktop.i18n import _
from privacycrm_desktop.services.tasks import UserChoice
from privacycrm_desktop.ui.common.date_fields import OptionalDateEdit
from privacycrm_desktop.ui.common.widgets import ErrorLabel
from privacycrm_desktop.ui.common.window_size import size_window


class TaskDialog(QDialog):
    """A new task. *about*: the person's name when it is made from a contact (ticked:
    the task is about them)."""

    def __init__(
        self,
        users: list[UserChoice],
        me: int,
        today: dt.date,
        about: str = "",
        parent: QWidget | None = None,
        save: Callable[[TaskDraft], str] | None = None,
        contact_id: int | None = None,
        *,
        title: str = "",
        due: dt.date | None = None,
        origin: TaskOrigin = TaskOrigin.MANUAL,
    ) -> None:
        super().__init__(parent)
        #: Called with the draft on OK: "" when saved (the dialog closes), else why not.
        self._save = save
        self._contact_id = contact_id
        self._origin = origin
        self.setWindowTitle(_("New task"))
        self.title = QLineEdit()
        self.title.setMaxLength(MAX_TITLE)
        self.title.setPlaceholderText(_("For example: call back about the offer"))
        self.details = QPlainTextEdit()
        self.details.setTabChangesFocus(True)
        self.due = OptionalDateEdit(today)
        self.due.set_value(due or today)
        self.at_time = QCheckBox(_("At"))
        self.time = QTimeEdit(QTime(9, 0))
        self.time.setEnabled(False)
        self.at_time.toggled.connect(self.time.setEnabled)
        self.due.check.toggled.connect(self._on_date_toggled)
        when = QHBoxLayout()
        when.addWidget(self.due, 1)
        when.addWidget(self.at_time)
        when.addWidget(self.time)
        self.assignee = QComboBox()
        for user in users:
            self.assignee.addItem(user.username, user.id)
        mine = self.assignee.findData(me)
        self.assignee.setCurrentIndex(max(mine, 0))
        self.about = QCheckBox(about)
        self.about.setChecked(bool(about))
        self.about.setVisible(bool(about))
        form = QFormLayout()
        form.addRow(_("&Task:"), self.title)
        form.addRow(_("&Details:"), self.details)
        due_label = QLabel(_("D&ue:"))
        due_label.setBuddy(self.due)
        form.addRow(due_label, when)
        form.addRow(_("&Assigned to:"), self.assignee)
        if about:
            form.addRow(_("About:"), self.about)
        self.error = ErrorLabel()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.title.textChanged.connect(self._update)
        self.title.setText(title)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self._update()
        size_window(self, QSize(520, 360))

    def _on_date_toggled(self, checked: bool) -> None:
        self.at_time.setEnabled(checked)
        if not checked:
            self.at_time.setChecked(False)

    def _update(self) -> None:
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setEnabled(bool(self.title.text().strip()))

    def accept(self) -> None:
        """Save through the caller's *save*; stay open with its reason when refused."""
        if self._save is not None:
            problem = self._save(self.draft(self._contact_id))
            if problem:
                self.show_error(problem)
                return
        super().accept()

    def show_error(self, text: str) -> None:
        """Say why the task was refused (the dialog stays open)."""
        self.error.show_message(text)

    def draft(self, contact_id: int | None = None) -> TaskDraft:
        """The task as typed; linked to *contact_id* when "About" is ticked."""
        due = self.due.value()
        at = None
        if due is not None and self.at_time.isChecked():
            value = self.time.time()
            at = dt.time(value.hour(), value.minute())
        assignee = self.assignee.currentData()
        return TaskDraft(
            self.title.text(),
            self.details.toPlainText(),
            due,
            at,
            int(assignee) if assignee is not None else None,
            contact_id if self.about.isChecked() else None,
            origin=self._origin,
        )
