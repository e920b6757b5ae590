"""The disclosure ledger of one contact (rules 6 and 15).

Lists to whom the person's data was passed, for what and when the person was told; the
recipients to notify after a correction, erasure or opt-out; and a form to record a new
disclosure. A transfer to a company that would use the data for its own marketing is
refused by the service, and its explanation is shown. The dialog only calls services.
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QSize
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from privacycrm_desktop.domain.access import Permission, has_permission
from privacycrm_desktop.domain.errors import DomainError, ValidationFailed
from privacycrm_desktop.domain.purposes import (
    DATA_CATEGORY_LABELS,
    RECIPIENT_KIND_LABELS,
    RecipientKind,
)
from privacycrm_desktop.i18n import _, describe_error
from privacycrm_desktop.services.disclosures import (
    DisclosureInput,
    DisclosureService,
    RecipientInfo,
    TransferRefused,
)
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.statements import StatementService
from privacycrm_desktop.ui.common.date_fields import (
    OptionalDateEdit,
    date_edit,
    format_date,
    from_qdate,
)
from privacycrm_desktop.ui.common.widgets import ErrorLabel, show_problems
from privacycrm_desktop.ui.common.window_size import size_window


def _kind_label(kind: str) -> str:
    try:
        return _(RECIPIENT_KIND_LABELS[RecipientKind(kind)])
    except ValueError:
        return kind


def _category_label(code: str) -> str:
    label = DATA_CATEGORY_LABELS.get(code)
    return _(label) if label else code


class DisclosureDialog(QDialog):
    """The disclosure ledger of one contact, and recording a new disclosure."""

    def __init__(
        self,
        disclosures: DisclosureService,
        statements: StatementService,
        actor: Actor,
        contact_id: int,
        today: dt.date,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._disclosures = disclosures
        self._actor = actor
        self._contact_id = contact_id
        self._recipients: dict[str, RecipientInfo] = {}
        self.setWindowTitle(_("Disclosures to third parties"))

        ledger_box = QGroupBox(_("Data of this person passed to third parties"))
        self.ledger = QTableWidget(0, 6)
        self.ledger.setHorizontalHeaderLabels(
            [
                _("Date"),
                _("Recipient"),
                _("Purpose"),
                _("Data categories"),
                _("Person told on"),
                _("By"),
            ]
        )
        self.ledger.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.ledger.verticalHeader().hide()
        self.ledger.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.ledger.horizontalHeader().setStretchLastSection(True)
        QVBoxLayout(ledger_box).addWidget(self.ledger)

        notify_box = QGroupBox(_("Recipients to notify"))
        notify_layout = QVBoxLayout(notify_box)
        hint = QLabel(
            _(
                "After a correction, an erasure or an opt-out, tell each of these recipients "
                "so they honour it too."
            )
        )
        hint.setWordWrap(True)
        self.notify = QListWidget()
        self.notify.setWordWrap(True)
        notify_layout.addWidget(hint)
        notify_layout.addWidget(self.notify)

        form_box = self._make_form(statements, today)
        form_box.setEnabled(has_permission(actor.role, Permission.EXPORT))

        top = QHBoxLayout()
        top.addWidget(ledger_box, 3)
        top.addWidget(notify_box, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(top, 1)
        layout.addWidget(form_box)
        # Outside the form: a wrapped label in a form row is cut off when it grows.
        layout.addWidget(self.general_error)
        layout.addWidget(buttons)
        size_window(
            self, QSize(self.fontMetrics().averageCharWidth() * 190, self.sizeHint().height())
        )
        self.refresh()

    def _make_form(self, statements: StatementService, today: dt.date) -> QGroupBox:
        self.errors = {
            name: ErrorLabel()
            for name in ("recipient", "purpose", "categories", "subject_informed_on")
        }
        self.general_error = ErrorLabel()
        box = QGroupBox(_("Record a disclosure"))
        form = QFormLayout(box)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        # Pick a known recipient or type the name of a new one.
        self.recipient = QComboBox()
        self.recipient.setEditable(True)
        self.recipient.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        line = self.recipient.lineEdit()
        assert line is not None
        line.setPlaceholderText(_("Choose a recipient or type a new name"))
        self.recipient.currentTextChanged.connect(self._on_recipient)
        form.addRow(_("Recipient:"), self._with_error(self.recipient, "recipient"))
        self.kind = QComboBox()
        for kind, label in RECIPIENT_KIND_LABELS.items():
            self.kind.addItem(_(label), kind)
        form.addRow(_("Kind of recipient:"), self.kind)
        self.own_marketing = QCheckBox(_("Uses the data for its own marketing"))
        form.addRow("", self.own_marketing)
        self.purpose = QComboBox()
        self.purpose.addItem(_("Choose..."), None)
        for purpose in statements.purposes(self._actor):
            self.purpose.addItem(_(purpose.name), purpose.code)
        form.addRow(_("Purpose:"), self._with_error(self.purpose, "purpose"))
        self.categories: dict[str, QCheckBox] = {}
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        for code, label in DATA_CATEGORY_LABELS.items():
            check = QCheckBox(_(label))
            self.categories[code] = check
            row.addWidget(check)
        row.addStretch(1)
        categories = QWidget()
        categories.setLayout(row)
        form.addRow(_("Data categories:"), self._with_error(categories, "categories"))
        self.disclosed_on = date_edit(today)
        form.addRow(_("Date passed on:"), self.disclosed_on)
        self.informed_on = OptionalDateEdit(today)
        form.addRow(_("Person told on:"), self._with_error(self.informed_on, "subject_informed_on"))
        self.record_button = QPushButton(_("&Record disclosure"))
        self.record_button.clicked.connect(self.record)
        form.addRow("", self.record_button)
        return box

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
        """Reload the ledger, the recipients to notify and the known recipients."""
        entries = self._disclosures.disclosures(self._actor, self._contact_id)
        self.ledger.setRowCount(len(entries))
        for row, entry in enumerate(entries):
            cells = [
                format_date(entry.disclosed_on),
                entry.recipient,
                _(entry.purpose_name) if entry.purpose_name else "",
                ", ".join(_category_label(c) for c in entry.categories),
                format_date(entry.subject_informed_on)
                if entry.subject_informed_on
                else _("not yet"),
                entry.recorded_by,
            ]
            for column, value in enumerate(cells):
                self.ledger.setItem(row, column, QTableWidgetItem(value))
        self.notify.clear()
        for recipient in self._disclosures.recipients_to_notify(self._actor, self._contact_id):
            self.notify.addItem(f"{recipient.name} ({_kind_label(recipient.kind)})")
        typed = self.recipient.currentText()
        self._recipients = {r.name: r for r in self._disclosures.recipients(self._actor)}
        self.recipient.blockSignals(True)
        self.recipient.clear()
        self.recipient.addItems(list(self._recipients))
        self.recipient.setEditText(typed)
        self.recipient.blockSignals(False)

    def _on_recipient(self, name: str) -> None:
        """A known recipient brings its kind and marketing flag along."""
        known = self._recipients.get(" ".join(name.split()))
        if known is None:
            return
        index = self.kind.findData(known.kind)
        if index >= 0:
            self.kind.setCurrentIndex(index)
        self.own_marketing.setChecked(known.own_marketing)

    def disclosure_input(self) -> DisclosureInput | None:
        """The form as plain values; None (with a message) while a choice is missing."""
        purpose = self.purpose.currentData()
        self.errors["purpose"].show_message("" if purpose else _("Choose one."))
        if not purpose:
            return None
        return DisclosureInput(
            contact_id=self._contact_id,
            recipient=self.recipient.currentText(),
            purpose=str(purpose),
            categories=tuple(c for c, box in self.categories.items() if box.isChecked()),
            disclosed_on=from_qdate(self.disclosed_on.date()),
            subject_informed_on=self.informed_on.value(),
            recipient_kind=str(self.kind.currentData()),
            own_marketing=self.own_marketing.isChecked(),
        )

    def record(self) -> None:
        """Record the disclosure through the service; show a refusal with its reason."""
        show_problems(self.errors, [], self.general_error)
        data = self.disclosure_input()
        if data is None:
            return
        try:
            self._disclosures.record(self._actor, data)
        except ValidationFailed as exc:
            show_problems(self.errors, exc.problems, self.general_error)
            return
        except TransferRefused as exc:
            self.general_error.show_message(describe_error(exc))
            self.refresh()  # the refused company is now a known recipient
            return
        except DomainError as exc:
            self.general_error.show_message(describe_error(exc))
            return
        self.own_marketing.setChecked(False)
        for box in self.categories.values():
            box.setChecked(False)
        self.recipient.setEditText("")
        self.refresh()


__all__ = ["DisclosureDialog"]
