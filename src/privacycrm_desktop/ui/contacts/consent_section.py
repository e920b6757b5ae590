"""The new-contact form's consent section: an opt-in per channel, how it was given, its proof.

The same events as the "Consent & marketing" dialog records (``ConsentService.record``):
a purpose of the register, the channels the person opted in to, the method and the
evidence, and the privacy-statement version in force in the contact's language. Every
channel starts unticked (rule 1); opt-outs, soft opt-ins and scans stay in that dialog.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from privacycrm_desktop.domain.consent import (
    CHANNEL_LABELS,
    CHOOSABLE_METHODS,
    METHOD_LABELS,
    Channel,
    ConsentMethod,
    ConsentStatus,
)
from privacycrm_desktop.domain.errors import FieldProblem
from privacycrm_desktop.domain.purposes import LegalBasis
from privacycrm_desktop.domain.text import N_
from privacycrm_desktop.i18n import _
from privacycrm_desktop.services.consent_dto import ConsentInput, PurposeInfo
from privacycrm_desktop.ui.common.date_fields import format_date
from privacycrm_desktop.ui.common.widgets import ErrorLabel

#: Ways an opt-in can be given (a sale or an unsubscribe link is no opt-in: rule 1).
OPT_IN_METHODS = tuple(
    m for m in CHOOSABLE_METHODS if m not in (ConsentMethod.SALE, ConsentMethod.UNSUBSCRIBE_LINK)
)
_CHOOSE = N_("Choose one.")


class ConsentSection(QGroupBox):
    """Opt-ins of a contact not saved yet; ``inputs`` turns them into consent records."""

    def __init__(self, purposes: Sequence[PurposeInfo], parent: QWidget | None = None) -> None:
        super().__init__(_("Marketing consent"), parent)
        self.errors = {name: ErrorLabel() for name in ("purpose", "channel", "method", "evidence")}
        #: Each row's label (its buddy is the field), in the form's order.
        self.labels: dict[str, QLabel] = {}
        form = QFormLayout(self)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)

        self.purpose = QComboBox()
        # Opt-ins are given for purposes whose legal basis is consent.
        on_consent = [p for p in purposes if p.legal_basis is LegalBasis.CONSENT]
        if len(on_consent) != 1:
            self.purpose.addItem(_("Choose..."), None)
        for purpose in on_consent:
            self.purpose.addItem(_(purpose.name), purpose.code)
        self._row(form, "purpose", _("Purpose:"), self.purpose)

        self.channels: dict[Channel, QCheckBox] = {}
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        for channel in Channel:
            box = QCheckBox(_(CHANNEL_LABELS[channel]))
            self.channels[channel] = box
            row.addWidget(box)
        row.addStretch(1)
        boxes = QWidget()
        boxes.setLayout(row)
        # A caption, not a field's label: each channel's box has its own Alt+letter.
        self._row(form, "channel", _("Opted in by:"), boxes, caption=True)

        self.method = QComboBox()
        self.method.addItem(_("Choose..."), None)
        for method in OPT_IN_METHODS:
            self.method.addItem(_(METHOD_LABELS[method]), method)
        self._row(form, "method", _("How:"), self.method)

        self.evidence = QLineEdit()
        self.evidence.setPlaceholderText(
            _("For example: web form {date} {time}, ref. 4711").format(
                date=format_date(dt.date(2026, 3, 2)), time="12:14"
            )
        )
        self._row(form, "evidence", _("Evidence:"), self.evidence)
        note = QLabel(
            _(
                "Recorded with the current privacy statement in the contact's language. "
                "Opt-outs, soft opt-ins and scans: Consent & marketing, after saving."
            )
        )
        note.setWordWrap(True)
        note.setEnabled(False)  # greyed: a hint, not a value
        form.addRow(note)

    def _row(
        self,
        form: QFormLayout,
        name: str,
        text: str,
        editor: QWidget,
        *,
        caption: bool = False,
    ) -> None:
        label = QLabel(text)
        if not caption:
            label.setBuddy(editor)
            self.labels[name] = label
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(editor)
        layout.addWidget(self.errors[name])
        form.addRow(label, box)

    def chosen(self) -> list[Channel]:
        """The channels ticked, in the enum's order."""
        return [c for c, box in self.channels.items() if box.isChecked()]

    def state(self) -> tuple[object, ...]:
        """What the user can change here, to tell whether the form changed."""
        return (
            self.purpose.currentData(),
            tuple(self.chosen()),
            self.method.currentData(),
            self.evidence.text(),
        )

    def clear(self) -> None:
        """Untick every channel and forget method and evidence (the next contact)."""
        for box in self.channels.values():
            box.setChecked(False)
        self.method.setCurrentIndex(0)
        self.evidence.clear()
        for label in self.errors.values():
            label.show_message("")

    def problems(self) -> list[FieldProblem]:
        """What is missing before the opt-ins can be recorded (nothing when none is ticked)."""
        if not self.chosen():
            if self.method.currentData() or self.evidence.text().strip():
                return [FieldProblem("channel", N_("Tick the channels the person opted in to."))]
            return []
        return [
            FieldProblem(name, _CHOOSE)
            for name, combo in (("purpose", self.purpose), ("method", self.method))
            if not combo.currentData()
        ]

    def inputs(self, contact_id: int, statement_version: int | None) -> list[ConsentInput]:
        """One opt-in per ticked channel, for the contact *contact_id* (0 to check only)."""
        purpose = self.purpose.currentData()
        method = self.method.currentData()
        if not purpose or not method:
            return []
        return [
            ConsentInput(
                contact_id=contact_id,
                purpose=str(purpose),
                channel=channel,
                status=ConsentStatus.OPT_IN,
                method=ConsentMethod(method),
                evidence=self.evidence.text(),
                statement_version=statement_version,
            )
            for channel in self.chosen()
        ]

    def set_read_only(self, read_only: bool) -> None:
        """Show the section without letting it change."""
        self.setEnabled(not read_only)


__all__ = ["OPT_IN_METHODS", "ConsentSection"]
