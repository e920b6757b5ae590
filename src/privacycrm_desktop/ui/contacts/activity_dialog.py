"""Log an interaction: what kind, when (local time, now by default), a short summary, the
details and an attached file (when the role may write details), and the other people who
took part (found by search words, ticked; it shows on their timelines too).

The dialog collects the values; the *save* callable it is given writes them (the
timeline's: the service, in one transaction). A refused value shows under its field and
the dialog stays open; text suggesting special-category data is saved only after the user
confirms it (rule 10), as with the notes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QDate, QDateTime, QEvent, QObject, QSize, Qt, QTime, QTimeZone
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from privacycrm_desktop.domain.activities import (
    ACTIVITY_KIND_LABELS,
    MAX_SUMMARY,
    ActivityInput,
    ActivityKind,
)
from privacycrm_desktop.domain.errors import DomainError, ValidationFailed
from privacycrm_desktop.domain.special_categories import SpecialCategoryUnconfirmed
from privacycrm_desktop.i18n import _, describe_error
from privacycrm_desktop.services.attachment_files import read_attachment
from privacycrm_desktop.services.dto import ContactRow
from privacycrm_desktop.ui.common import messages
from privacycrm_desktop.ui.common.date_fields import date_format
from privacycrm_desktop.ui.common.mnemonics import assign_window_mnemonics
from privacycrm_desktop.ui.common.rows_model import ROW_ROLE
from privacycrm_desktop.ui.common.widgets import ErrorLabel, show_problems
from privacycrm_desktop.ui.common.window_size import size_window

#: Saves the values (raises a DomainError to refuse them).
Save = Callable[[ActivityInput], object]
#: Finds contacts by search words (who else took part).
FindPeople = Callable[[str], list[ContactRow]]


def to_stored(local: QDateTime) -> dt.datetime:
    """A local date and time from the field as stored: naive UTC."""
    utc = local.toUTC()
    day, clock = utc.date(), utc.time()
    return dt.datetime(day.year(), day.month(), day.day(), clock.hour(), clock.minute())


def from_stored(moment: dt.datetime) -> QDateTime:
    """A stored (naive UTC) moment as local time for the field."""
    day = QDate(moment.year, moment.month, moment.day)
    stamp = QDateTime(day, QTime(moment.hour, moment.minute, moment.second), QTimeZone.utc())
    return stamp.toLocalTime()


class LogActivityDialog(QDialog):
    """Log one interaction with a person; *save* writes it."""

    def __init__(
        self,
        save: Save,
        kind: ActivityKind,
        now: dt.datetime,
        *,
        details_allowed: bool = True,
        find_people: FindPeople | None = None,
        exclude: int | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Log an interaction"))
        self._save = save
        self._find_people = find_people
        self._exclude = exclude
        self.people_query = QLineEdit()
        self.people_query.setPlaceholderText(_("Find another person who took part"))
        # Enter in the search field runs the search: the line edit lets the key through to
        # the dialog, whose default button would save with only the first person.
        self.people_query.installEventFilter(self)
        self.people_find = QPushButton(_("F&ind"))
        self.people_find.setAutoDefault(False)
        self.people_find.clicked.connect(self.find_people)
        self.people = QListWidget()
        self.people.setAccessibleName(_("People who took part"))
        self.people.setMaximumHeight(self.fontMetrics().height() * 5)
        self._attachment: bytes | None = None
        self._attachment_name = ""
        self.saved: object = None
        self.kind = QComboBox()
        for value, label in ACTIVITY_KIND_LABELS.items():
            self.kind.addItem(_(label), value.value)
        self.kind.setCurrentIndex(self.kind.findData(kind.value))
        self.when = QDateTimeEdit(from_stored(now))
        self.when.setCalendarPopup(True)
        self.when.setDisplayFormat(f"{date_format()} HH:mm")
        self.when.setMaximumDateTime(from_stored(now))
        self.summary = QLineEdit()
        self.summary.setMaxLength(MAX_SUMMARY)
        self.summary.setPlaceholderText(_("For example: asked for a quote"))
        self.details = QPlainTextEdit()
        self.details.setTabChangesFocus(True)
        self.attach_button = QPushButton(_("Attach a file..."))
        self.attach_button.setAutoDefault(False)
        self.attach_button.clicked.connect(self.choose_file)
        self.attached = QLabel()
        self.attached.setWordWrap(True)
        self.errors = {
            name: ErrorLabel()
            for name in ("summary", "details", "occurred_at", "attachment", "people")
        }
        self.error = ErrorLabel()
        self._details_allowed = details_allowed
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setDefault(True)
        layout = QVBoxLayout(self)
        layout.addLayout(self._form(), 1)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        height = (420 if details_allowed else 220) + (140 if find_people is not None else 0)
        size_window(self, QSize(520, height))
        assign_window_mnemonics(self)
        self.summary.setFocus()

    def _form(self) -> QFormLayout:
        """The fields with their error lines; details and file only when allowed."""
        form = QFormLayout()
        attach_row = QHBoxLayout()
        attach_row.addWidget(self.attach_button)
        attach_row.addWidget(self.attached, 1)
        rows: list[tuple[str, QWidget | QHBoxLayout, str]] = [
            (_("&Kind:"), self.kind, ""),
            (_("&When:"), self.when, "occurred_at"),
            (_("&Summary:"), self.summary, "summary"),
        ]
        if self._details_allowed:
            rows += [
                (_("&Details:"), self.details, "details"),
                (_("File:"), attach_row, "attachment"),
            ]
        for label, widget, name in rows:
            cell = QVBoxLayout()
            if isinstance(widget, QHBoxLayout):
                cell.addLayout(widget)
            else:
                cell.addWidget(widget)
            if name:
                cell.addWidget(self.errors[name])
            row_label = QLabel(label)
            if isinstance(widget, QWidget):
                row_label.setBuddy(widget)
            form.addRow(row_label, cell)
        if self._find_people is not None:
            find_row = QHBoxLayout()
            find_row.addWidget(self.people_query, 1)
            find_row.addWidget(self.people_find)
            cell = QVBoxLayout()
            cell.addLayout(find_row)
            cell.addWidget(self.people)
            cell.addWidget(self.errors["people"])
            with_label = QLabel(_("W&ith:"))
            with_label.setBuddy(self.people_query)
            form.addRow(with_label, cell)
        if not self._details_allowed:
            self.details.hide()
            self.attach_button.hide()
            self.attached.hide()
        return form

    # -- the attached file ------------------------------------------------------------

    def choose_file(self) -> None:
        """Ask for a file to keep with the interaction (a scanned letter, an e-mail)."""
        name, _filter = QFileDialog.getOpenFileName(self, _("Attach a file"))
        if name:
            self.attach(Path(name))

    def attach(self, path: Path) -> None:
        """Read *path* as the attached file (at most 10 MB)."""
        try:
            self._attachment = read_attachment(path)
        except ValidationFailed:
            self.errors["attachment"].show_message(_("The attached file is larger than 10 MB."))
            return
        except OSError as exc:
            self.errors["attachment"].show_message(
                _("Cannot read {name}: {reason}").format(name=path.name, reason=exc.strerror)
            )
            return
        self._attachment_name = path.name
        self.attached.setText(path.name)
        self.errors["attachment"].show_message("")

    # -- who else took part ----------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Enter or Return in the search field searches, and does not save."""
        if (
            watched is self.people_query
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        ):
            self.find_people()
            return True
        return super().eventFilter(watched, event)

    def find_people(self) -> None:
        """List the contacts matching the search words, to tick; those ticked stay."""
        if self._find_people is None:
            return
        for at in reversed(range(self.people.count())):
            if self.people.item(at).checkState() != Qt.CheckState.Checked:
                self.people.takeItem(at)
        ticked = set(self.chosen_people())
        try:
            found = self._find_people(self.people_query.text())
        except DomainError as exc:
            self.errors["people"].show_message(describe_error(exc))
            return
        found = [r for r in found if r.id != self._exclude and r.id not in ticked]
        for row in found:
            text = " · ".join(p for p in (row.name, row.organisation, row.city) if p)
            item = QListWidgetItem(text)
            item.setData(ROW_ROLE, row.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            self.people.addItem(item)
        if len(found) == 1:
            self.people.item(self.people.count() - 1).setCheckState(Qt.CheckState.Checked)
        self.errors["people"].show_message("" if found else _("No contact found."))

    def chosen_people(self) -> tuple[int, ...]:
        """The contacts ticked as having taken part."""
        return tuple(
            int(self.people.item(i).data(ROW_ROLE))
            for i in range(self.people.count())
            if self.people.item(i).checkState() == Qt.CheckState.Checked
        )

    # -- saving -----------------------------------------------------------------------

    def value(self, *, special_confirmed: bool = False) -> ActivityInput:
        """What the user entered."""
        return ActivityInput(
            kind=ActivityKind(self.kind.currentData()),
            summary=self.summary.text(),
            occurred_at=to_stored(self.when.dateTime()),
            details=self.details.toPlainText() if self._details_allowed else "",
            attachment=self._attachment,
            attachment_name=self._attachment_name,
            special_confirmed=special_confirmed,
            people=self.chosen_people(),
        )

    def submit(self) -> None:
        """Save through *save*; stay open with the reasons when it refuses."""
        confirmed = False
        while True:
            try:
                self.saved = self._save(self.value(special_confirmed=confirmed))
            except SpecialCategoryUnconfirmed as exc:
                answer = messages.question(self, _("Special-category data"), describe_error(exc))
                if answer != QMessageBox.StandardButton.Yes or confirmed:
                    return
                confirmed = True
                continue
            except ValidationFailed as exc:
                show_problems(self.errors, exc.problems, self.error)
                return
            except DomainError as exc:
                self.error.show_message(describe_error(exc))
                return
            self.accept()
            return
