"""The access report of one contact, started from the contact list (rules 14-16).

``AccessReportDialog`` opens filled in: the contact, the open access request it answers
(if any), the language (the person's) and where to save, in the folder used last time. OK
makes the report off the UI thread, saves it with its machine-readable copy, says where
and offers to open it: shortcut, OK, open.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QStatusBar,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from privacycrm_desktop.domain.access import Permission, has_permission
from privacycrm_desktop.domain.requests import RequestKind
from privacycrm_desktop.i18n import LANGUAGES, _
from privacycrm_desktop.services.dto import Actor, ContactRow
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.services.requests import RequestInfo
from privacycrm_desktop.ui.common.date_fields import format_date
from privacycrm_desktop.ui.common.mnemonics import assign_window_mnemonics
from privacycrm_desktop.ui.common.saved_files import offer_to_open, remember_folder, start_folder
from privacycrm_desktop.ui.common.settings import UiSettings
from privacycrm_desktop.ui.common.widgets import ErrorLabel
from privacycrm_desktop.ui.common.window_size import size_window
from privacycrm_desktop.ui.common.workers import Job, JobContext, run_in_background


class ListWindow(Protocol):
    """The window with the contact list, as the action needs it (not imported: the main
    window sits above the features)."""

    @property
    def locked(self) -> bool: ...
    @property
    def view(self) -> QTableView: ...
    @property
    def model(self) -> ContactSource: ...
    def statusBar(self) -> QStatusBar: ...


class ContactSource(Protocol):
    """The list's model: the contact on a row."""

    def contact_at(self, row: int) -> ContactRow | None: ...


LANGUAGE_NAMES = {"nl": "Nederlands", "fr": "Français", "en": "English"}
#: The kind of document whose folder the save dialogs remember.
FOLDER_KIND = "pdf"


@dataclass(frozen=True)
class AccessReportChoice:
    """What the dialog collected: the request answered (None: none), language, file."""

    request_id: int | None
    language: str | None
    path: Path


def contact_label(contact: ContactRow) -> str:
    """The contact as the dialog names it: its name, else its organisation."""
    return contact.name or contact.organisation or f"#{contact.id}"


class AccessReportDialog(QDialog):
    """The access report of one contact: which request it answers, language, file."""

    def __init__(
        self,
        contact: ContactRow,
        requests: list[RequestInfo],
        today: dt.date,
        settings: UiSettings | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Access report"))
        self._contact, self._today, self._settings = contact, today, settings
        #: The job making the report once OK was pressed.
        self.job: Job[Path] | None = None
        self.who = who = QLabel(
            _("Everything we hold on {name}, as a PDF with its machine-readable copy.").format(
                name=contact_label(contact)
            )
        )
        who.setWordWrap(True)
        who.setTextFormat(Qt.TextFormat.PlainText)  # the name as typed, never markup
        self.request = QComboBox()
        for info in requests:
            self.request.addItem(
                _("{reference}, received on {date}").format(
                    reference=info.reference, date=format_date(info.received_on)
                ),
                info.id,
            )
        self.request.addItem(_("None: a report on its own"), None)
        self._references = {info.id: info.reference for info in requests}
        self.language = QComboBox()
        self.language.addItem(_("The person's language"), None)
        for code in LANGUAGES:
            self.language.addItem(LANGUAGE_NAMES[code], code)
        self.path = QLineEdit()
        browse = QPushButton(_("&Browse..."))
        browse.setAutoDefault(False)
        browse.clicked.connect(self.browse)
        self.error = ErrorLabel()
        form = QFormLayout()
        form.addRow(_("Answers the &request:"), self.request)
        form.addRow(_("&Language:"), self.language)
        path_row = QHBoxLayout()
        path_row.addWidget(self.path, 1)
        path_row.addWidget(browse)
        save_label = QLabel(_("&Save as:"))
        save_label.setBuddy(self.path)
        form.addRow(save_label, path_row)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(_("&Make the report"))
        self.ok_button.setDefault(True)
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(who)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        # Wide enough to read the folder and the file name (a 1024-pixel screen has room).
        self.path.setMinimumWidth(self.fontMetrics().averageCharWidth() * 48)
        self._folder = Path(start_folder(FOLDER_KIND, settings))
        self.request.currentIndexChanged.connect(self._suggest_name)
        self._suggest_name()
        size_window(self)
        assign_window_mnemonics(self)  # unique in every language
        self.ok_button.setFocus()

    def _file_name(self) -> str:
        request_id = self.request.currentData()
        if request_id is not None:
            return f"{self._references[request_id]}.pdf"
        return f"A-{self._today:%Y%m%d}-{self._contact.id}.pdf"

    def _suggest_name(self) -> None:
        current = self.path.text().strip()
        folder = Path(current).parent if current else self._folder
        self.path.setText(str(folder / self._file_name()))

    def browse(self) -> None:
        """Choose another file with the system's save dialog."""
        name, _filter = QFileDialog.getSaveFileName(
            self, _("Save PDF"), self.path.text(), _("PDF (*.pdf)")
        )
        if name:
            self.path.setText(name)

    def choice(self) -> AccessReportChoice:
        """The request answered, the language and the file, as chosen."""
        path = Path(self.path.text().strip())
        if path.suffix.lower() != ".pdf":
            path = path.with_name(path.name + ".pdf")
        return AccessReportChoice(self.request.currentData(), self.language.currentData(), path)

    def _accept(self) -> None:
        path = Path(self.path.text().strip())
        if not self.path.text().strip() or not path.parent.is_dir():
            self.error.show_message(_("Choose a folder that exists."))
            return
        self.accept()


def open_access_requests(services: Services, actor: Actor, contact_id: int) -> list[RequestInfo]:
    """The open access requests about *contact_id*, soonest due first."""
    if not has_permission(actor.role, Permission.MANAGE_REQUESTS):
        return []
    return [
        info
        for info in services.requests.list_requests(actor, open_only=True)
        if info.kind is RequestKind.ACCESS and contact_id in info.contact_ids
    ]


def start_access_report(
    parent: QWidget,
    services: Services,
    actor: Actor,
    contact: ContactRow,
    settings: UiSettings | None = None,
) -> AccessReportDialog:
    """Open the dialog for *contact*; on OK make, save and offer to open the report."""
    dialog = AccessReportDialog(
        contact,
        open_access_requests(services, actor, contact.id),
        services.requests.today(),
        settings,
        parent,
    )

    def make() -> None:
        chosen = dialog.choice()
        remember_folder(FOLDER_KIND, chosen.path, settings)

        def work(_context: JobContext) -> Path:
            # Written, then recorded as given (never the other way round).
            services.access_reports.save(
                actor,
                contact.id,
                chosen.path,
                json_out=chosen.path.with_suffix(".json"),
                language=chosen.language,
                request_id=chosen.request_id,
            )
            return chosen.path

        def saved(path: Path) -> None:
            offer_to_open(
                parent,
                path,
                _("Saved the access report {file} and its machine-readable copy.").format(
                    file=path.name
                ),
            )

        dialog.job = run_in_background(work, saved, parent=parent)

    dialog.accepted.connect(make)
    dialog.open()
    return dialog


def for_selected(
    window: ListWindow, services: Services, actor: Actor, settings: UiSettings | None
) -> AccessReportDialog | None:
    """The access report of the contact selected in *window*'s list; without one, the
    status bar says to select one first."""
    if window.locked:
        return None
    if not has_permission(actor.role, Permission.ACCESS_REPORT):
        window.statusBar().showMessage(_("Your role may not make access reports."), 5000)
        return None
    index = window.view.currentIndex()
    contact = window.model.contact_at(index.row()) if index.isValid() else None
    if contact is None:
        window.statusBar().showMessage(_("Select a contact first."), 5000)
        return None
    parent = window if isinstance(window, QWidget) else None
    assert parent is not None
    return start_access_report(parent, services, actor, contact, settings)
