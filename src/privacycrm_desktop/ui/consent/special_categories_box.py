"""The locked "Special-category data" section of a contact (rule 10).

A value for a category (health, religion, ...) can be recorded only once the person's
written consent with evidence for that category is on record; until then the value
controls are disabled, an explanation says why, and the written consent can be recorded
right here. The service enforces all of it; this box only reflects it. Roles for which the
field is hidden never get the box (the consent dialog leaves it out).
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from privacycrm_desktop.domain.access import FieldAccess
from privacycrm_desktop.domain.consent import METHOD_LABELS, WRITTEN_METHODS, ConsentMethod
from privacycrm_desktop.domain.errors import DomainError
from privacycrm_desktop.domain.provenance import SOURCE_KIND_LABELS, SourceInput, SourceKind
from privacycrm_desktop.domain.special_categories import SPECIAL_CATEGORY_LABELS, SpecialCategory
from privacycrm_desktop.i18n import _, describe_error, local_date
from privacycrm_desktop.services.disclosures import DisclosureService, SpecialCategoryStatus
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.ui.common.date_fields import format_date
from privacycrm_desktop.ui.common.widgets import ErrorLabel


class SpecialCategoriesBox(QGroupBox):
    """Per category: locked or unlocked by written consent, its values, and recording."""

    #: A written consent was recorded (the consent history has a new entry).
    consent_recorded = Signal()

    def __init__(
        self,
        disclosures: DisclosureService,
        actor: Actor,
        contact_id: int,
        today: dt.date,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(_("Special-category data"), parent)
        self._disclosures = disclosures
        self._actor = actor
        self._contact_id = contact_id
        self._today = today
        self._may_write = disclosures.special_access(actor) is FieldAccess.WRITE
        self._status: dict[SpecialCategory, SpecialCategoryStatus] = {}

        outer = QVBoxLayout(self)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        # Labels go above their fields when the box is narrow (a 1024-pixel screen).
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        outer.addLayout(form)
        self.category = QComboBox()
        for category in SpecialCategory:
            self.category.addItem(_(SPECIAL_CATEGORY_LABELS[category]), category)
        self.category.currentIndexChanged.connect(self._show_category)
        form.addRow(_("Category:"), self.category)
        self.state = QLabel()
        self.state.setWordWrap(True)
        form.addRow(self.state)
        self._make_value_rows(form)
        self._make_consent_rows(form)
        # Outside the form: a wrapped label in a form row is cut off when it grows.
        self.error = ErrorLabel()
        outer.addWidget(self.error)
        self.refresh()

    def _make_value_rows(self, form: QFormLayout) -> None:
        self.value = QLineEdit()
        self.value.setPlaceholderText(_("What the person told us, in their words"))
        self.source_kind = QComboBox()
        for kind, label in SOURCE_KIND_LABELS.items():
            self.source_kind.addItem(_(label), kind)
        self.source_kind.setCurrentIndex(self.source_kind.findData(SourceKind.PHONE_CALL))
        self.source_kind.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.source_description = QLineEdit()
        self.source_description.setPlaceholderText(_("Where this comes from"))
        self.record_value_button = QPushButton(_("Record &value"))
        self.record_value_button.clicked.connect(self.record_value)
        form.addRow(_("Value:"), self.value)
        source_row = QHBoxLayout()
        source_row.setContentsMargins(0, 0, 0, 0)
        source_row.addWidget(self.source_kind)
        source_row.addWidget(self.source_description, 1)
        form.addRow(_("Source:"), source_row)
        form.addRow("", _right(self.record_value_button))

    def _make_consent_rows(self, form: QFormLayout) -> None:
        self.consent_method = QComboBox()
        for method, label in METHOD_LABELS.items():
            if method in WRITTEN_METHODS:
                self.consent_method.addItem(_(label), method)
        self.consent_evidence = QLineEdit()
        self.consent_evidence.setPlaceholderText(_("Evidence, e.g. signed form ref. 12"))
        self.record_consent_button = QPushButton(_("Record &written consent"))
        self.record_consent_button.clicked.connect(self.record_consent)
        form.addRow(_("Written consent:"), self.consent_method)
        form.addRow(_("Evidence:"), self.consent_evidence)
        form.addRow("", _right(self.record_consent_button))

    # -- behaviour ---------------------------------------------------------------------

    def current_category(self) -> SpecialCategory:
        """The category the box shows."""
        return SpecialCategory(self.category.currentData())

    def refresh(self) -> None:
        """Reload every category's consent and values from the service."""
        self._status = {
            s.category: s for s in self._disclosures.special_overview(self._actor, self._contact_id)
        }
        self._show_category()

    def _show_category(self) -> None:
        status = self._status.get(self.current_category())
        if status is None:
            return
        label = _(SPECIAL_CATEGORY_LABELS[status.category])
        if status.unlocked:
            assert status.consent_method is not None
            assert status.consent_on is not None
            text = _("Written consent for {category} on record ({method}, {date}: {evidence}).")
            text = text.format(
                category=label,
                method=_(METHOD_LABELS[status.consent_method]),
                date=format_date(status.consent_on),
                evidence=status.consent_evidence,
            )
            self.state.setStyleSheet("color: #1b5e20;")
        else:
            # No padlock emoji: common UI fonts (DejaVu) lack it and show a box instead.
            text = _(
                "Locked: {category} may be recorded only with the person's written consent "
                "with evidence for it. Record that consent first."
            ).format(category=label)
            self.state.setStyleSheet("color: #8a1c1c;")
        if status.values:
            recorded = "; ".join(
                f"{v.value} ({format_date(local_date(v.recorded_at))})" for v in status.values
            )
            text += "\n" + _("Recorded: {values}").format(values=recorded)
        self.state.setText(text)
        unlocked = status.unlocked and self._may_write
        for widget in (
            self.value,
            self.source_kind,
            self.source_description,
            self.record_value_button,
        ):
            widget.setEnabled(unlocked)
        for widget in (self.consent_method, self.consent_evidence, self.record_consent_button):
            widget.setEnabled(self._may_write)

    def record_consent(self) -> None:
        """Record the person's written consent for the shown category."""
        self.error.show_message("")
        method = ConsentMethod(self.consent_method.currentData())
        try:
            self._disclosures.record_special_consent(
                self._actor,
                self._contact_id,
                self.current_category(),
                method,
                self.consent_evidence.text(),
            )
        except DomainError as exc:
            self.error.show_message(describe_error(exc))
            return
        self.consent_evidence.clear()
        self.refresh()
        self.consent_recorded.emit()

    def record_value(self) -> None:
        """Record a value of the shown category (the service checks the consent)."""
        self.error.show_message("")
        source = SourceInput(
            SourceKind(self.source_kind.currentData()),
            self.source_description.text(),
            self._today,
        )
        try:
            self._disclosures.record_special(
                self._actor,
                self._contact_id,
                self.current_category(),
                self.value.text(),
                source,
            )
        except DomainError as exc:
            self.error.show_message(describe_error(exc))
            return
        self.value.clear()
        self.refresh()


def _right(button: QPushButton) -> QHBoxLayout:
    row = QHBoxLayout()
    row.setContentsMargins(0, 0, 0, 0)
    row.addStretch(1)
    row.addWidget(button)
    return row


__all__ = ["SpecialCategoriesBox"]
