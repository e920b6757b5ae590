"""The "Consent & marketing" dialog of a contact (rules 1, 2, 3, 13).

Shows per channel, in plain words, whether the contact may be used for marketing and why;
the append-only history; a form to record consent whose choices all start unticked; and
"Unsubscribe from all direct marketing" behind a confirmation. It only calls services.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tempfile
from pathlib import Path

from PySide6.QtCore import QSize, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from privacycrm_desktop.domain.access import FieldAccess, Permission, has_permission
from privacycrm_desktop.domain.consent import (
    CHANNEL_LABELS,
    CHOOSABLE_METHODS,
    METHOD_LABELS,
    STATUS_LABELS,
    Channel,
    ConsentMethod,
    ConsentStatus,
)
from privacycrm_desktop.domain.errors import DomainError, ValidationFailed
from privacycrm_desktop.domain.special_categories import (
    CONSENT_PREFIX,
    SPECIAL_CATEGORY_LABELS,
    SpecialCategory,
)
from privacycrm_desktop.i18n import (
    _,
    describe_error,
    describe_explanation,
    local_clock,
    local_date,
)
from privacycrm_desktop.services.consent import ConsentService
from privacycrm_desktop.services.consent_dto import ConsentEventInfo, ConsentInput
from privacycrm_desktop.services.disclosures import DisclosureService
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.statements import StatementService
from privacycrm_desktop.ui.common import messages
from privacycrm_desktop.ui.common.date_fields import OptionalDateEdit, format_date
from privacycrm_desktop.ui.common.mnemonics import assign_window_mnemonics
from privacycrm_desktop.ui.common.widgets import ErrorLabel, show_problems
from privacycrm_desktop.ui.common.window_size import let_combos_shrink, scrolling, size_window

MAX_SCAN_BYTES = 10 * 1024 * 1024


class ConsentDialog(QDialog):
    """Consent and marketing of one contact."""

    def __init__(
        self,
        consent: ConsentService,
        statements: StatementService,
        actor: Actor,
        contact_id: int,
        contact_language: str = "en",
        parent: QWidget | None = None,
        *,
        disclosures: DisclosureService | None = None,
    ) -> None:
        super().__init__(parent)
        self._consent = consent
        self._statements = statements
        self._disclosures = disclosures
        self._actor = actor
        self._contact_id = contact_id
        self._scan: tuple[bytes, str] | None = None
        self._events: list[ConsentEventInfo] = []
        self._temp_files: list[Path] = []
        self.setWindowTitle(_("Consent and marketing"))
        may_record = has_permission(actor.role, Permission.RECORD_CONSENT)

        state_box = self._make_state_box()
        form_box = self._make_form(consent, statements, contact_language)
        form_box.setEnabled(may_record)
        history_box = self._make_history()

        self.unsubscribe_button = QPushButton(_("&Unsubscribe from all direct marketing..."))
        self.unsubscribe_button.setEnabled(may_record)
        self.unsubscribe_button.clicked.connect(self.unsubscribe)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        bottom = QHBoxLayout()
        bottom.addWidget(self.unsubscribe_button)
        self.disclosures_button: QPushButton | None = None
        if disclosures is not None:
            self.disclosures_button = QPushButton(_("&Disclosures to third parties..."))
            self.disclosures_button.clicked.connect(self.open_disclosures)
            if not has_permission(actor.role, Permission.EXPORT):
                # Recording a disclosure passes data on: the export permission's.
                self.disclosures_button.setEnabled(False)
                self.disclosures_button.setToolTip(
                    _("Your role may not record disclosures to third parties.")
                )
            bottom.addWidget(self.disclosures_button)
        bottom.addStretch(1)
        bottom.addWidget(buttons)

        self._lay_out(state_box, form_box, history_box, bottom)
        assign_window_mnemonics(self)
        self._scan_text = self.scan_button.text()  # with the mnemonic chosen
        self.refresh()

    def _lay_out(
        self, state_box: QWidget, form_box: QWidget, history_box: QWidget, bottom: QHBoxLayout
    ) -> None:
        columns = QHBoxLayout()
        left = QVBoxLayout()
        left.addWidget(state_box)
        left.addWidget(form_box)
        left.addStretch(1)
        columns.addLayout(left, 1)
        right = QVBoxLayout()
        right.addWidget(history_box, 1)
        self.special_box = self._make_special_box()
        if self.special_box is not None:
            right.addWidget(self.special_box)
        columns.addLayout(right, 1)
        # Both columns scroll together on a screen too low for them (600 pixels at a large
        # desktop font); the buttons below stay in view.
        content = QWidget()
        content.setLayout(columns)
        columns.setContentsMargins(0, 0, 0, 0)
        let_combos_shrink(content)
        layout = QVBoxLayout(self)
        area = scrolling(content)
        layout.addWidget(area, 1)
        layout.addLayout(bottom)
        # As high as both columns need (a scroll area's own hint stops short of that).
        height = self.sizeHint().height() - area.sizeHint().height() + content.sizeHint().height()
        size_window(self, QSize(self.fontMetrics().averageCharWidth() * 190, height))

    def _make_state_box(self) -> QGroupBox:
        self.channel_labels: dict[Channel, QLabel] = {}
        state_box = QGroupBox(_("May we use this contact for marketing?"))
        state_layout = QVBoxLayout(state_box)
        for channel in Channel:
            label = QLabel()
            label.setWordWrap(True)
            self.channel_labels[channel] = label
            state_layout.addWidget(label)

        return state_box

    def _make_form(
        self, consent: ConsentService, statements: StatementService, contact_language: str
    ) -> QGroupBox:
        self.errors = {
            name: ErrorLabel()
            for name in ("purpose", "status", "method", "evidence", "category", "expires_on")
        }
        self.errors["statement_version"] = self.errors["evidence"]
        self.errors["opt_out_offered"] = self.errors["category"]
        self.general_error = ErrorLabel()
        form_box = QGroupBox(_("Record consent or an objection"))
        form = QFormLayout(form_box)
        # A label too long beside its field goes above it: the form then fits the left half
        # of a 1024-pixel screen in every language.
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self.purpose = QComboBox()
        self.purpose.addItem(_("Choose..."), None)
        for purpose in statements.purposes(self._actor):
            self.purpose.addItem(_(purpose.name), purpose.code)
        form.addRow(_("Purpose:"), self._with_error(self.purpose, "purpose"))
        self.channel = QComboBox()
        for channel in Channel:
            self.channel.addItem(_(CHANNEL_LABELS[channel]), channel)
        form.addRow(_("Channel:"), self.channel)
        status_widget = self._make_status_buttons()
        form.addRow(_("The person said:"), self._with_error(status_widget, "status"))
        self.method = QComboBox()
        self.method.addItem(_("Choose..."), None)
        for method in CHOOSABLE_METHODS:
            self.method.addItem(_(METHOD_LABELS[method]), method)
        form.addRow(_("How:"), self._with_error(self.method, "method"))
        self.evidence = QLineEdit()
        self.evidence.setPlaceholderText(
            _("For example: web form {date} {time}, ref. 4711").format(
                date=format_date(dt.date(2026, 3, 2)), time="12:14"
            )
        )
        self.scan_button = QPushButton(_("Attach a scan..."))
        self.scan_button.clicked.connect(self.attach_scan)
        evidence_row = QHBoxLayout()
        evidence_row.setContentsMargins(0, 0, 0, 0)
        evidence_row.addWidget(self.evidence, 1)
        evidence_row.addWidget(self.scan_button)
        evidence_widget = QWidget()
        evidence_widget.setLayout(evidence_row)
        form.addRow(_("Evidence:"), self._with_error(evidence_widget, "evidence"))
        self.statement_version = QSpinBox()
        self.statement_version.setRange(1, 10_000)
        self.statement_version.setValue(statements.current(contact_language).version)
        form.addRow(_("Privacy statement shown (version):"), self.statement_version)
        self.category = QLineEdit()
        self.category.setPlaceholderText(_("Soft opt-in: the product category bought"))
        form.addRow(_("Product category:"), self._with_error(self.category, "category"))
        self.opt_out_offered = QCheckBox(
            _("A free opt-out was offered when the details were taken")
        )
        form.addRow("", self.opt_out_offered)
        self.expires_on = OptionalDateEdit(consent.today())
        form.addRow(_("Valid until:"), self._with_error(self.expires_on, "expires_on"))
        self.record_button = QPushButton(_("&Record"))
        self.record_button.clicked.connect(self.record)
        form.addRow("", self.record_button)
        form.addRow(self.general_error)

        return form_box

    def _make_status_buttons(self) -> QWidget:
        # Rule 1: nothing is chosen for the person; every choice starts unticked.
        self.status_group = QButtonGroup(self)
        self.status_buttons: dict[ConsentStatus, QRadioButton] = {}
        status_row = QHBoxLayout()
        status_row.setContentsMargins(0, 0, 0, 0)
        for status in (ConsentStatus.OPT_IN, ConsentStatus.OPT_OUT, ConsentStatus.SOFT_OPT_IN):
            button = QRadioButton(_(STATUS_LABELS[status]))
            self.status_group.addButton(button)
            self.status_buttons[status] = button
            status_row.addWidget(button)
        status_row.addStretch(1)
        status_widget = QWidget()
        status_widget.setLayout(status_row)
        return status_widget

    def _make_history(self) -> QGroupBox:
        self.history = QTableWidget(0, 8)
        self.history.setHorizontalHeaderLabels(
            [
                _("Recorded"),
                _("Purpose"),
                _("Channel"),
                _("Status"),
                _("How"),
                _("Evidence"),
                _("Statement"),
                _("By"),
            ]
        )
        self.history.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.history.verticalHeader().hide()
        header = self.history.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        # The long texts share the room left, elided, so every column is in view (the full
        # text is in the cell's tooltip).
        for column in (1, 4, 5):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
        # Yet never narrower than their titles ("Doeleinde", "Comment").
        header.setMinimumSectionSize(
            max(header.sectionSizeFromContents(column).width() for column in (1, 4, 5))
        )
        self.history.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.history.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.history.itemSelectionChanged.connect(self._on_history_selection)
        self.evidence_button = QPushButton(_("Open &evidence"))
        self.evidence_button.setToolTip(_("Open the scanned file kept with the selected entry"))
        self.evidence_button.setEnabled(False)
        self.evidence_button.clicked.connect(self.open_evidence)
        # A short title: a group box's title never wraps, and the long one made the dialog
        # wider than a 1024-pixel screen. The rule is told beside the button instead.
        history_box = QGroupBox(_("History"))
        history_layout = QVBoxLayout(history_box)
        history_layout.addWidget(self.history)
        self.history_note = QLabel(_("Nothing is ever removed: a correction is a new entry."))
        self.history_note.setWordWrap(True)
        evidence_row = QHBoxLayout()
        evidence_row.addWidget(self.history_note, 1)
        evidence_row.addWidget(self.evidence_button)
        history_layout.addLayout(evidence_row)

        return history_box

    def _with_error(self, editor: QWidget, field: str) -> QWidget:
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(editor)
        layout.addWidget(self.errors[field])
        return box

    # -- behaviour ---------------------------------------------------------------------

    def refresh(self) -> None:
        """Reload the plain-words state per channel and the history."""
        for verdict in self._consent.channels(self._actor, self._contact_id):
            label = self.channel_labels[verdict.channel]
            mark = "✔" if verdict.allowed else "✖"
            label.setText(f"{mark} {describe_explanation(verdict.explanation)}")
            label.setStyleSheet("color: #1b5e20;" if verdict.allowed else "color: #8a1c1c;")
        events = self._consent.history(self._actor, self._contact_id)
        self._events = events
        self.history.setRowCount(len(events))
        for row, event in enumerate(events):
            evidence = event.evidence
            if event.evidence_file_name:
                evidence = f"{evidence} [{event.evidence_file_name}]".strip()
            category = event.product_category
            special = category.removeprefix(CONSENT_PREFIX)
            if category.startswith(CONSENT_PREFIX) and special in set(SpecialCategory):
                # Written consent for a special category: its name, not the code.
                category = _(SPECIAL_CATEGORY_LABELS[SpecialCategory(special)])
            if category:
                evidence = f"{evidence} ({category})".strip()
            if event.withheld:
                # Written consent for a special category this role may not see (rule 10).
                evidence = _("(hidden for your role)")
            cells = [
                f"{format_date(local_date(event.recorded_at))} {local_clock(event.recorded_at)}",
                _(event.purpose_name),
                _(CHANNEL_LABELS[event.channel]),
                _(STATUS_LABELS[event.status]),
                _(METHOD_LABELS[event.method]),
                evidence,
                "" if event.statement_version is None else str(event.statement_version),
                event.recorded_by,
            ]
            for column, value in enumerate(cells):
                item = QTableWidgetItem(value)
                item.setToolTip(value)
                self.history.setItem(row, column, item)

    def attach_scan(self) -> None:
        """Choose a scanned file to keep with the record (at most 10 MB)."""
        name, _filter = QFileDialog.getOpenFileName(
            self, _("Attach a scan"), "", _("Scans (*.pdf *.png *.jpg *.jpeg);;All files (*)")
        )
        if not name:
            return
        path = Path(name)
        if path.stat().st_size > MAX_SCAN_BYTES:
            self.errors["evidence"].show_message(_("The evidence file is larger than 10 MB."))
            return
        self._scan = (path.read_bytes(), path.name)
        self.scan_button.setText(path.name.replace("&", "&&"))

    def consent_input(self) -> ConsentInput | None:
        """The form as plain values; None (with a message) while a choice is missing."""
        checked = [s for s, b in self.status_buttons.items() if b.isChecked()]
        purpose = self.purpose.currentData()
        method = self.method.currentData()
        missing = False
        for field, ok in (("purpose", purpose), ("status", checked), ("method", method)):
            self.errors[field].show_message("" if ok else _("Choose one."))
            missing = missing or not ok
        if missing:
            return None
        return ConsentInput(
            contact_id=self._contact_id,
            purpose=str(purpose),
            channel=Channel(self.channel.currentData()),
            status=checked[0],
            method=ConsentMethod(method),
            evidence=self.evidence.text(),
            statement_version=self.statement_version.value(),
            product_category=self.category.text(),
            expires_on=self.expires_on.value(),
            evidence_file=self._scan[0] if self._scan else None,
            evidence_file_name=self._scan[1] if self._scan else "",
            opt_out_offered=self.opt_out_offered.isChecked(),
        )

    def record(self) -> None:
        """Record the form through the service; on success clear it and refresh."""
        show_problems(self.errors, [], self.general_error)
        data = self.consent_input()
        if data is None:
            return
        try:
            self._consent.record(self._actor, data)
        except ValidationFailed as exc:
            show_problems(self.errors, exc.problems, self.general_error)
            return
        except DomainError as exc:
            self.general_error.show_message(describe_error(exc))
            return
        self._clear()
        self.refresh()

    def _clear(self) -> None:
        self.status_group.setExclusive(False)
        for button in self.status_buttons.values():
            button.setChecked(False)
        self.status_group.setExclusive(True)
        self.method.setCurrentIndex(0)
        self.evidence.clear()
        self.category.clear()
        self.opt_out_offered.setChecked(False)
        self.expires_on.set_value(None)
        self._scan = None
        self.scan_button.setText(self._scan_text)

    def unsubscribe(self) -> None:
        """After confirmation, opt out of all direct marketing on every channel."""
        answer = messages.question(
            self,
            _("Unsubscribe from all direct marketing"),
            _(
                "This person will no longer receive any direct marketing, on any channel, "
                "from any list or export. Their e-mail addresses and phone numbers go on the "
                "suppression list. Continue?"
            ),
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        # How the person asked: the method chosen in the form, else "in person".
        chosen = self.method.currentData()
        method = ConsentMethod(chosen) if chosen else ConsentMethod.IN_PERSON
        try:
            self._consent.unsubscribe(self._actor, self._contact_id, method)
        except DomainError as exc:
            self.general_error.show_message(describe_error(exc))
            return
        self.refresh()

    # -- disclosures, special categories, evidence files ---------------------------------

    def _make_special_box(self) -> QWidget | None:
        """The special-category section; left out for roles that may not see that data."""
        if self._disclosures is None or self._disclosures.special_access(self._actor) in (
            FieldAccess.HIDDEN,
            FieldAccess.MASKED,
        ):
            return None
        from privacycrm_desktop.ui.consent.special_categories_box import SpecialCategoriesBox

        box = SpecialCategoriesBox(
            self._disclosures, self._actor, self._contact_id, self._consent.today()
        )
        box.consent_recorded.connect(self.refresh)
        return box

    def open_disclosures(self) -> QDialog | None:
        """Open the contact's disclosure ledger (window-modal); returns the dialog."""
        if self._disclosures is None:
            return None
        from privacycrm_desktop.ui.consent.disclosure_dialog import DisclosureDialog

        dialog = DisclosureDialog(
            self._disclosures,
            self._statements,
            self._actor,
            self._contact_id,
            self._consent.today(),
            self,
        )
        dialog.open()
        return dialog

    def selected_event(self) -> ConsentEventInfo | None:
        """The history entry selected, if any."""
        row = self.history.currentRow()
        return self._events[row] if 0 <= row < len(self._events) else None

    def _on_history_selection(self) -> None:
        event = self.selected_event()
        self.evidence_button.setEnabled(event is not None and bool(event.evidence_file_name))

    def open_evidence(self) -> Path | None:
        """Open the selected entry's scanned file with the desktop's viewer.

        The file is written to a private temporary file (owner-only permissions, a
        neutral name: the original name may be personal) that is removed when the
        dialog closes.
        """
        event = self.selected_event()
        if event is None or not event.evidence_file_name:
            return None
        try:
            evidence = self._consent.evidence_file(self._actor, event.id)
        except DomainError as exc:
            self.general_error.show_message(describe_error(exc))
            return None
        suffix = Path(evidence.name).suffix
        if not re.fullmatch(r"\.[A-Za-z0-9]{1,8}", suffix):
            suffix = ""
        handle, name = tempfile.mkstemp(prefix="privacycrm-evidence-", suffix=suffix)
        path = Path(name)
        with os.fdopen(handle, "wb") as out:
            out.write(evidence.data)
        path.chmod(0o600)
        self._temp_files.append(path)
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))
        return path

    def done(self, result: int) -> None:
        """Close, removing the temporary copies of evidence files."""
        for path in self._temp_files:
            path.unlink(missing_ok=True)
        self._temp_files.clear()
        super().done(result)
