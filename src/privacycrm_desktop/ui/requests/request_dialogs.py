"""The register's two dialogs: a new request (with its contact search) and a letter.

``NewRequestDialog`` only collects a ``RequestInput``; the register saves it.
``LetterDialog`` previews a letter of a request in the person's language (the letters
service writes it) and copies or saves it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QSize
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from privacycrm_desktop.domain.errors import DomainError
from privacycrm_desktop.domain.requests import RequestKind
from privacycrm_desktop.i18n import LANGUAGES, _, describe_error
from privacycrm_desktop.services.dto import Actor, ContactRow
from privacycrm_desktop.services.letters import LETTER_LABELS, Letter
from privacycrm_desktop.services.private_files import write_private
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.services.requests import (
    REQUEST_KIND_LABELS,
    RequestInfo,
    RequestInput,
)
from privacycrm_desktop.ui.common.date_fields import date_edit, from_qdate
from privacycrm_desktop.ui.common.mnemonics import assign_window_mnemonics
from privacycrm_desktop.ui.common.rows_model import ROW_ROLE
from privacycrm_desktop.ui.common.saved_files import ask_save_path, offer_to_open
from privacycrm_desktop.ui.common.widgets import ErrorLabel, SearchOnEnter
from privacycrm_desktop.ui.common.window_size import size_window

_LANGUAGE_NAMES = {"nl": "Nederlands", "fr": "Français", "en": "English"}


class NewRequestDialog(QDialog):
    """A new request: kind, date, channel, requester, identity check and the contact(s).

    Returns a ``RequestInput`` (``request_input()``); it does not save anything.
    """

    def __init__(
        self,
        search: Callable[[str], list[ContactRow]],
        today: dt.date,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("New request"))
        self._search = search
        self.kind = QComboBox()
        for kind in RequestKind:
            self.kind.addItem(_(REQUEST_KIND_LABELS[kind]), kind.value)
        self.received = date_edit(today)
        self.received.setMaximumDate(self.received.date())
        self.channel = QLineEdit()
        self.channel.setPlaceholderText(_("e-mail, letter, phone, at the desk"))
        self.requester = QLineEdit()
        self.verified = QCheckBox(_("&Identity verified"))
        self.method = QLineEdit()
        self.method.setPlaceholderText(_("how: identity card shown, known e-mail address..."))
        self.query = QLineEdit()
        self.query.setPlaceholderText(_("name, e-mail, phone..."))
        # Enter in the search searches; it must not also press OK (the dialog's default
        # button) and save a request half filled in.
        SearchOnEnter(self.query, self._search_from_the_field)
        find = QPushButton(_("F&ind"))
        find.setAutoDefault(False)
        find.clicked.connect(self.find_contacts)
        self.results = QListWidget()
        self.results.setSelectionMode(QAbstractItemView.SelectionMode.MultiSelection)
        self.error = ErrorLabel()

        form = QFormLayout()
        form.addRow(_("&Kind:"), self.kind)
        form.addRow(_("&Received on:"), self.received)
        form.addRow(_("C&hannel:"), self.channel)
        form.addRow(_("Re&quester:"), self.requester)
        form.addRow(self.verified, self.method)
        search_row = QHBoxLayout()
        search_row.addWidget(self.query, 1)
        search_row.addWidget(find)
        contact_label = QLabel(_("&Contact:"))
        contact_label.setBuddy(self.query)
        form.addRow(contact_label, search_row)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        for line in (self.channel, self.requester, self.method):
            line.textChanged.connect(self._update_ok)
        self.verified.toggled.connect(self._update_ok)
        self.results.itemSelectionChanged.connect(self._update_ok)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.results, 1)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        size_window(self, QSize(520, 480))
        assign_window_mnemonics(self)  # unique in every language
        self._update_ok()

    def _search_from_the_field(self) -> None:
        """Enter in the contact search: search, then go to the people found."""
        self.find_contacts()
        if self.results.count():
            self.results.setFocus()

    def missing(self) -> list[str]:
        """What must still be filled in before the request can be saved (labels)."""
        out = []
        if not self.channel.text().strip():
            out.append(_("the channel"))
        if not self.requester.text().strip():
            out.append(_("the requester"))
        if self.verified.isChecked() and not self.method.text().strip():
            out.append(_("how the identity was checked"))
        if not self.contact_ids():
            out.append(_("the contact"))
        return out

    def _update_ok(self) -> None:
        missing = self.missing()
        self.ok_button.setEnabled(not missing)
        self.ok_button.setToolTip(
            _("Still to fill in: {fields}.").format(fields=", ".join(missing)) if missing else ""
        )

    def find_contacts(self) -> None:
        """List the contacts matching the search words (as the user may see them)."""
        self.results.clear()
        try:
            rows = self._search(self.query.text())
        except DomainError as error:
            self.error.show_message(describe_error(error))
            return
        for row in rows:
            # The person by name and what tells namesakes apart, not by a database number.
            parts = (row.name, row.organisation, row.email, row.city)
            text = " · ".join(p for p in parts if p) or _("(no name)")
            item = QListWidgetItem(text)
            item.setData(ROW_ROLE, row.id)
            self.results.addItem(item)
        if len(rows) == 1:
            self.results.item(0).setSelected(True)
        self.error.show_message("" if rows else _("No contact found."))

    def contact_ids(self) -> tuple[int, ...]:
        return tuple(int(item.data(ROW_ROLE)) for item in self.results.selectedItems())

    def request_input(self) -> RequestInput:
        return RequestInput(
            kind=RequestKind(self.kind.currentData()),
            contact_ids=self.contact_ids(),
            received_on=from_qdate(self.received.date()),
            channel=self.channel.text(),
            requester=self.requester.text(),
            identity_verified=self.verified.isChecked(),
            identity_method=self.method.text(),
        )

    def _accept(self) -> None:
        if not self.contact_ids():
            self.error.show_message(_("Choose the contact the request is about."))
            return
        if self.missing():
            return
        self.accept()


class LetterDialog(QDialog):
    """Preview a letter of a request in the person's language; copy or save it."""

    def __init__(
        self, services: Services, actor: Actor, info: RequestInfo, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Letter for {reference}").format(reference=info.reference))
        self._services, self._actor, self._info = services, actor, info
        self.letter = QComboBox()
        for letter in Letter:
            self.letter.addItem(_(LETTER_LABELS[letter]), letter.value)
        self.language = QComboBox()
        self.language.addItem(_("The person's language"), None)
        for code in LANGUAGES:
            self.language.addItem(_LANGUAGE_NAMES[code], code)
        self.reason = QLineEdit(info.extension_reason)
        self.preview = QPlainTextEdit()
        self.preview.setReadOnly(True)
        self.error = ErrorLabel()
        form = QFormLayout()
        form.addRow(_("&Letter:"), self.letter)
        form.addRow(_("&Language:"), self.language)
        form.addRow(_("&Reason (extension, refusal):"), self.reason)
        show = QPushButton(_("&Preview"))
        show.clicked.connect(self.refresh)
        copy = QPushButton(_("&Copy"))
        copy.clicked.connect(self.copy)
        save = QPushButton(_("&Save..."))
        save.clicked.connect(self.save)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        row = QHBoxLayout()
        for button in (show, copy, save):
            row.addWidget(button)
        row.addStretch(1)
        row.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.preview, 1)
        layout.addWidget(self.error)
        layout.addLayout(row)
        self.letter.currentIndexChanged.connect(self.refresh)
        self.language.currentIndexChanged.connect(self.refresh)
        size_window(self, QSize(640, 560))
        assign_window_mnemonics(self)  # unique in every language
        self.refresh()

    def refresh(self) -> None:
        letter = Letter(self.letter.currentData())
        if letter in (Letter.REFUSAL, Letter.EXTENSION) and not self.reason.text().strip():
            self.preview.setPlainText("")
            self.error.show_message(_("Give the reason, then press Preview."))
            return
        try:
            text = self._services.letters.render(
                self._actor, self._info.id, letter, self.language.currentData(), self.reason.text()
            )
        except DomainError as error:
            self.preview.setPlainText("")
            self.error.show_message(describe_error(error))
            return
        self.error.show_message("")
        self.preview.setPlainText(text)

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.preview.toPlainText())

    def save(self) -> Path | None:
        """Save the letter as a PDF (to print or attach) or as plain text; say where and
        offer to open it."""
        text = self.preview.toPlainText()
        if not text:
            return None
        pdf_filter, text_filter = _("PDF (*.pdf)"), _("Text (*.txt)")
        default = f"{self._info.reference}-{self.letter.currentData()}.pdf"
        asked = ask_save_path(
            self, _("Save letter"), default, f"{pdf_filter};;{text_filter}", "letter"
        )
        if asked is None:
            return None
        path, chosen = asked
        as_text = path.suffix.lower() == ".txt" or (chosen == text_filter and not path.suffix)
        path = path if path.suffix else path.with_suffix(".txt" if as_text else ".pdf")
        try:
            if as_text:
                write_private(path, text)
            else:
                write_private(
                    path,
                    self._services.letters.render_pdf(
                        self._actor,
                        self._info.id,
                        Letter(self.letter.currentData()),
                        self.language.currentData(),
                        self.reason.text(),
                    ),
                )
        except DomainError as error:
            self.error.show_message(describe_error(error))
            return None
        offer_to_open(self, path, _("Saved the letter {file}.").format(file=path.name))
        return path
