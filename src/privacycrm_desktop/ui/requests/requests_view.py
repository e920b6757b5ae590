"""The requests register (owner and privacy officer): due dates, overdue markers, new
requests with a contact search, extension, closing, carrying out an objection, the access
report (made off the UI thread), letters, and "where did you get my data?" to the clipboard.

The new-request and letter dialogs it opens are in ``request_dialogs``.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import IntEnum
from typing import Any

from PySide6.QtCore import QObject, QSize, Qt
from PySide6.QtGui import QBrush, QColor, QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from privacycrm_desktop.domain.access import Permission, has_permission
from privacycrm_desktop.domain.errors import DomainError
from privacycrm_desktop.domain.fields import FIELDS_BY_NAME
from privacycrm_desktop.domain.provenance import SOURCE_KIND_LABELS, SourceInput, SourceKind
from privacycrm_desktop.domain.requests import RequestKind
from privacycrm_desktop.i18n import N_, _, describe_error
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.services.request_actions import (
    RECTIFIABLE_FIELDS,
    RectificationDone,
    can_carry_out,
)
from privacycrm_desktop.services.requests import (
    REQUEST_KIND_LABELS,
    REQUEST_STATUS_LABELS,
    RequestInfo,
)
from privacycrm_desktop.ui.common import messages
from privacycrm_desktop.ui.common.date_fields import format_date
from privacycrm_desktop.ui.common.mnemonics import assign_window_mnemonics
from privacycrm_desktop.ui.common.rows_model import RowsModel
from privacycrm_desktop.ui.common.saved_files import ask_save_path, offer_to_open
from privacycrm_desktop.ui.common.widgets import ErrorLabel
from privacycrm_desktop.ui.common.window_size import size_window
from privacycrm_desktop.ui.common.workers import Job, JobContext, run_in_background
from privacycrm_desktop.ui.requests.attention import attention_text
from privacycrm_desktop.ui.requests.request_dialogs import LetterDialog, NewRequestDialog

_OVERDUE = QColor("#b00020")
_SOON = QColor("#a85d00")


class RequestColumn(IntEnum):
    """The register's columns."""

    REFERENCE = 0
    PERSON = 1
    KIND = 2
    RECEIVED = 3
    DUE = 4
    STATUS = 5
    HANDLED_BY = 6


_HEADERS = {
    RequestColumn.REFERENCE: N_("Reference"),
    RequestColumn.PERSON: N_("Person"),
    RequestColumn.KIND: N_("Kind"),
    RequestColumn.RECEIVED: N_("Received"),
    RequestColumn.DUE: N_("Due"),
    RequestColumn.STATUS: N_("Status"),
    RequestColumn.HANDLED_BY: N_("Handled by"),
}


def people_text(info: RequestInfo) -> str:
    """Who the request is about, by name: "Lefèvre, Zoë; Peeters, Jan"."""
    return "; ".join(name or _("(erased)") for name in info.contact_names)


def due_text(info: RequestInfo) -> str:
    """The due date with its marker: "28/02/2026 – overdue"."""
    text = format_date(info.due_on)
    if info.overdue:
        return _("{date} – overdue").format(date=text)
    if info.due_soon:
        return _("{date} – due soon").format(date=text)
    return text


class RequestTableModel(RowsModel[RequestInfo]):
    """Rows of the register (``RequestInfo``), open ones soonest due first."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(_HEADERS, parent)

    def row(self, index: int) -> RequestInfo:
        """The request on row *index* (which must exist)."""
        return self._rows[index]

    def cell(self, row: RequestInfo, column: int, role: int) -> Any:
        shown = RequestColumn(column)
        if role == Qt.ItemDataRole.DisplayRole:
            return {
                RequestColumn.REFERENCE: row.reference,
                RequestColumn.PERSON: people_text(row),
                RequestColumn.KIND: _(REQUEST_KIND_LABELS[row.kind]),
                RequestColumn.RECEIVED: format_date(row.received_on),
                RequestColumn.DUE: due_text(row),
                RequestColumn.STATUS: _(REQUEST_STATUS_LABELS[row.status]),
                RequestColumn.HANDLED_BY: row.handled_by,
            }[shown]
        if role == Qt.ItemDataRole.ForegroundRole and shown is RequestColumn.DUE:
            if row.overdue:
                return QBrush(_OVERDUE)
            if row.due_soon:
                return QBrush(_SOON)
        return None


class RequestsDialog(QDialog):
    """The register of rights requests."""

    def __init__(self, services: Services, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Requests register"))
        self._services, self._actor = services, actor
        self.job: Job[object] | None = None
        self.model = RequestTableModel(self)
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.verticalHeader().hide()
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(RequestColumn.PERSON, QHeaderView.ResizeMode.Stretch)
        self.summary = QLabel()
        self.details = QLabel()
        self.details.setWordWrap(True)
        self.details.setTextFormat(Qt.TextFormat.PlainText)
        # A word-wrapped label is sized too small by the layout: reserve its lines.
        self.details.setMinimumHeight(self.fontMetrics().lineSpacing() * 5)
        self.details.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.error = ErrorLabel()

        buttons = self._make_buttons()
        done = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        done.rejected.connect(self.reject)
        body = QHBoxLayout()
        body.addWidget(self.view, 1)
        body.addLayout(buttons)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addLayout(body, 1)
        layout.addWidget(self.details)
        layout.addWidget(self.error)
        layout.addWidget(done)
        self.view.selectionModel().selectionChanged.connect(self._update_buttons)
        size_window(self, QSize(900, 520))
        assign_window_mnemonics(self)  # unique in every language
        self.refresh()

    def _make_buttons(self) -> QVBoxLayout:
        self.new_button = QPushButton(_("&New request..."))
        self.extend_button = QPushButton(_("E&xtend..."))
        self.close_button = QPushButton(_("C&lose..."))
        self.carry_button = QPushButton(_("Carry &out"))
        self.report_button = QPushButton(_("Access &report..."))
        self.letter_button = QPushButton(_("Le&tters..."))
        self.rectify_button = QPushButton(_("Corr&ect a value..."))
        self.rectify_button.clicked.connect(self.rectify)
        self.where_button = QPushButton(_("&Where did we get the data?"))
        self.where_button.setToolTip(
            _("Copies a short text listing the sources, in the person's language.")
        )
        self.new_button.clicked.connect(self.new_request)
        self.extend_button.clicked.connect(self.extend)
        self.close_button.clicked.connect(self.close_request)
        self.carry_button.clicked.connect(self.carry_out)
        self.report_button.clicked.connect(self.save_report)
        self.letter_button.clicked.connect(self.open_letters)
        self.where_button.clicked.connect(self.copy_where_from)
        buttons = QVBoxLayout()
        for button in (
            self.new_button,
            self.extend_button,
            self.close_button,
            self.carry_button,
            self.report_button,
            self.rectify_button,
            self.letter_button,
            self.where_button,
        ):
            button.setAutoDefault(False)
            buttons.addWidget(button)
        buttons.addStretch(1)
        return buttons

    # -- state ----------------------------------------------------------------------------

    def refresh(self, select: int | None = None) -> None:
        rows = self._services.requests.list_requests(self._actor)
        self.model.set_rows(rows)
        overdue = sum(r.overdue for r in rows)
        soon = sum(r.due_soon for r in rows)
        self.summary.setText(attention_text(overdue, soon) or _("No request needs attention."))
        for number, info in enumerate(rows):
            if info.id == select:
                self.view.selectRow(number)
        self._update_buttons()

    def selected(self) -> RequestInfo | None:
        rows = self.view.selectionModel().selectedRows()
        return self.model.row(rows[0].row()) if rows else None

    def _update_buttons(self) -> None:
        info = self.selected()
        is_open = info is not None and info.is_open
        self.extend_button.setEnabled(is_open and info is not None and info.extension_months < 2)
        self.close_button.setEnabled(is_open)
        self.carry_button.setEnabled(is_open and info is not None and can_carry_out(info.kind))
        has_contact = info is not None and bool(info.contact_ids)
        may_report = has_permission(self._actor.role, Permission.ACCESS_REPORT)
        self.report_button.setEnabled(has_contact and may_report and self.job is None)
        self.where_button.setEnabled(has_contact and may_report)
        self.letter_button.setEnabled(info is not None)
        self.rectify_button.setEnabled(
            is_open and has_contact and info is not None and info.kind is RequestKind.RECTIFICATION
        )
        if info is None:
            self.details.setText("")
            return
        lines = [
            _("About: {people}").format(people=people_text(info) or "-"),
            _("Channel: {channel} · Requester: {requester}").format(
                channel=info.channel or "-", requester=info.requester or "-"
            ),
        ]
        if info.identity_verified:
            lines.append(_("Identity verified: {method}").format(method=info.identity_method))
        if info.extension_months:
            lines.append(
                _("Extended by {months} months: {reason}").format(
                    months=info.extension_months, reason=info.extension_reason
                )
            )
        if info.outcome:
            lines.append(_("Outcome: {outcome}").format(outcome=info.outcome))
        self.details.setText("\n".join(lines))

    def _run(self, action: Callable[[], object]) -> bool:
        try:
            action()
        except DomainError as error:
            self.error.show_message(describe_error(error))
            return False
        self.error.show_message("")
        return True

    # -- actions --------------------------------------------------------------------------

    def new_request(self) -> NewRequestDialog:
        dialog = NewRequestDialog(
            lambda query: self._services.contacts.page(self._actor, query=query, limit=50),
            self._services.requests.today(),
            self,
        )
        if dialog.exec() == QDialog.DialogCode.Accepted:
            data = dialog.request_input()
            created: list[int] = []
            if self._run(lambda: created.append(self._services.requests.add(self._actor, data))):
                self.refresh(select=created[0])
        return dialog

    def extend(self) -> None:
        info = self.selected()
        if info is None:
            return
        months, ok = QInputDialog.getInt(
            self, _("Extend"), _("Extend by how many months?"), 1, 1, 2 - info.extension_months
        )
        if not ok:
            return
        reason, ok = QInputDialog.getText(self, _("Extend"), _("Reason for the extension:"))
        if ok and self._run(
            lambda: self._services.requests.extend(self._actor, info.id, months, reason)
        ):
            self.refresh(select=info.id)

    def close_request(self) -> None:
        info = self.selected()
        if info is None:
            return
        outcomes = [_("Done"), _("Refused")]
        choice, ok = QInputDialog.getItem(
            self, _("Close"), _("How did it end?"), outcomes, 0, False
        )
        if not ok:
            return
        outcome, ok = QInputDialog.getMultiLineText(
            self, _("Close"), _("Outcome (for a refusal: the reason):")
        )
        refused = choice == outcomes[1]
        if ok and self._run(
            lambda: self._services.requests.close(self._actor, info.id, outcome, refused=refused)
        ):
            self.refresh(select=info.id)

    def _ask_correction(self, info: RequestInfo) -> tuple[str, str, str, SourceInput] | None:
        """Which value, the correct one, why, and how it reached us (None: cancelled)."""
        labels = [_(FIELDS_BY_NAME[f].label) for f in RECTIFIABLE_FIELDS]
        label, ok = QInputDialog.getItem(self, _("Correct"), _("Which value?"), labels, 0, False)
        if not ok:
            return None
        field = RECTIFIABLE_FIELDS[labels.index(label)]
        value, ok = QInputDialog.getText(self, _("Correct"), _("The correct value:"))
        if not ok:
            return None
        reason, ok = QInputDialog.getText(self, _("Correct"), _("Reason for the correction:"))
        if not ok:
            return None
        kinds = list(SourceKind)
        how, ok = QInputDialog.getItem(
            self,
            _("Correct"),
            _("How did the correct value reach us?"),
            [_(SOURCE_KIND_LABELS[k]) for k in kinds],
            kinds.index(SourceKind.PHONE_CALL),
            False,
        )
        if not ok:
            return None
        return (
            field,
            value,
            reason,
            SourceInput(
                kinds[[_(SOURCE_KIND_LABELS[k]) for k in kinds].index(how)],
                _("Rectification request {reference}").format(reference=info.reference),
                self._services.requests.today(),
            ),
        )

    def rectify(self) -> RectificationDone | None:
        """Correct one value for a rectification request; list the recipients to tell."""
        info = self.selected()
        asked = self._ask_correction(info) if info is not None and info.contact_ids else None
        if info is None or asked is None:
            return None
        field, value, reason, source = asked
        done: list[RectificationDone] = []
        if not self._run(
            lambda: done.append(
                self._services.request_actions.rectify(
                    self._actor, info.id, info.contact_ids[0], field, value, reason, source
                )
            )
        ):
            return None
        recipients = ", ".join(done[0].recipients_to_tell) or _("none")
        self.refresh(select=info.id)
        self.summary.setText(
            _("Corrected. Recipients to tell: {recipients}").format(recipients=recipients)
        )
        return done[0]

    def carry_out(self) -> None:
        info = self.selected()
        if info is None:
            return
        if info.kind is RequestKind.ERASURE:
            answer = messages.question(
                self,
                _("Erase"),
                _("Erase the data of this request's contacts for good? This cannot be undone."),
            )
            if answer != QMessageBox.StandardButton.Yes:
                return
        if self._run(lambda: self._services.request_actions.carry_out(self._actor, info.id)):
            self.refresh(select=info.id)

    def copy_where_from(self) -> str:
        info = self.selected()
        if info is None or not info.contact_ids:
            return ""
        texts: list[str] = []
        if self._run(
            lambda: texts.append(
                self._services.access_reports.where_from(
                    self._actor, info.contact_ids[0], also=info.contact_ids
                )
            )
        ):
            QGuiApplication.clipboard().setText(texts[0])
            self.error.show_message("")
            self.summary.setText(_("The text is on the clipboard: paste it into your reply."))
            return texts[0]
        return ""

    def open_letters(self) -> LetterDialog | None:
        info = self.selected()
        if info is None:
            return None
        dialog = LetterDialog(self._services, self._actor, info, self)
        dialog.open()
        return dialog

    def save_report(self) -> Job[object] | None:
        """Make the access report off the UI thread and save it with its JSON copy."""
        info = self.selected()
        if info is None or not info.contact_ids or self.job is not None:
            return None
        asked = ask_save_path(self, _("Save PDF"), f"{info.reference}.pdf", _("PDF (*.pdf)"), "pdf")
        if asked is None:
            return None
        pdf_path = asked[0]
        services, actor = self._services, self._actor

        def work(_context: JobContext) -> object:
            # Every record the request is about, in one report.
            services.access_reports.save_for_request(
                actor, info.id, pdf_path, json_out=pdf_path.with_suffix(".json")
            )
            return pdf_path

        def saved(_result: object) -> None:
            message = _("Saved {file} and its machine-readable copy.").format(file=pdf_path.name)
            self.summary.setText(message)
            offer_to_open(self, pdf_path, message)

        def finished() -> None:
            self.job = None
            self._update_buttons()

        self.job = run_in_background(work, saved, parent=self)
        self.job.finished.connect(finished)
        self._update_buttons()
        self.summary.setText(_("Making the PDF..."))
        return self.job
