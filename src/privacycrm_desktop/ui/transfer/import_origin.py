"""The import wizard's origin and duplicate pages.

Where the contacts come from (kind, description, date) and why they are kept (purpose and
legal basis) are mandatory: registered with "*", so Next stays disabled until they are
filled, and the source is then checked with the domain's own rule (``validate_source``).
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QRadioButton,
    QVBoxLayout,
    QWidget,
    QWizardPage,
)

from privacycrm_desktop.domain.errors import SourceMissing, ValidationFailed
from privacycrm_desktop.domain.import_formats import DuplicatePolicy
from privacycrm_desktop.domain.provenance import (
    SOURCE_KIND_LABELS,
    SourceInput,
    SourceKind,
    validate_source,
)
from privacycrm_desktop.domain.purposes import LEGAL_BASIS_LABELS
from privacycrm_desktop.i18n import N_, _, describe_error
from privacycrm_desktop.ui.common.date_fields import date_edit, from_qdate, to_qdate
from privacycrm_desktop.ui.common.widgets import ErrorLabel, show_problems
from privacycrm_desktop.ui.transfer.import_state import ImportState

DUPLICATE_TEXTS = {
    DuplicatePolicy.SKIP: (
        N_("&Skip the row"),
        N_("The contact stays as it is; the row is not imported."),
    ),
    DuplicatePolicy.MERGE: (
        N_("&Merge into the existing contact"),
        N_(
            "What the row adds (another e-mail address or phone number, an empty field "
            "filled in) is added to the contact; what you hold already is kept."
        ),
    ),
    DuplicatePolicy.CREATE: (
        N_("&Create a new contact anyway"),
        N_("The row becomes a second contact; you may have the same person twice."),
    ),
}


def labelled(text: str, field: QWidget) -> QLabel:
    """A label whose mnemonic leads to *field*."""
    label = QLabel(text)
    label.setBuddy(field)
    return label


class OriginPage(QWizardPage):
    """Where the contacts come from and why they are kept: both mandatory (rules 8, 16)."""

    def __init__(self, state: ImportState) -> None:
        super().__init__()
        self._state = state
        self.setTitle(_("Where the contacts come from"))
        self.setSubTitle(
            _(
                "Every imported contact records where its details come from and why you keep "
                "them. Both are required."
            )
        )
        self.kind = QComboBox()
        self.kind.setPlaceholderText(_("Choose..."))
        for kind, label in SOURCE_KIND_LABELS.items():
            self.kind.addItem(_(label), kind.value)
        self.kind.setCurrentIndex(-1)
        self.description = QLineEdit()
        self.description.setPlaceholderText(_("For example: visitors of our stand at the fair"))
        self.description.setMinimumWidth(self.fontMetrics().averageCharWidth() * 45)
        self.obtained = date_edit(state.today)
        self.obtained.setMaximumDate(to_qdate(state.today))
        self.purpose = QComboBox()
        self.purpose.setPlaceholderText(_("Choose..."))
        for purpose in state.purposes:
            self.purpose.addItem(_(purpose.name), purpose.code)
        self.purpose.setCurrentIndex(-1)
        self.legal_basis = QComboBox()
        self.legal_basis.setPlaceholderText(_("Choose..."))
        for basis, label in LEGAL_BASIS_LABELS.items():
            self.legal_basis.addItem(_(label), basis.value)
        self.legal_basis.setCurrentIndex(-1)
        self.basis_note = QLabel(
            _("Filled in from the purpose; change it if this file has another basis.")
        )
        self.basis_note.setWordWrap(True)
        self.errors = {name: ErrorLabel() for name in ("source_description", "source_obtained_on")}
        self.general_error = ErrorLabel()
        form = QFormLayout()
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        form.addRow(labelled(_("&Kind of source: *"), self.kind), self.kind)
        form.addRow(labelled(_("&Description: *"), self.description), self.description)
        form.addRow("", self.errors["source_description"])
        form.addRow(labelled(_("Date &obtained:"), self.obtained), self.obtained)
        form.addRow("", self.errors["source_obtained_on"])
        form.addRow(labelled(_("&Purpose: *"), self.purpose), self.purpose)
        form.addRow(labelled(_("&Legal basis: *"), self.legal_basis), self.legal_basis)
        form.addRow("", self.basis_note)
        required = QLabel(_("* Required"))
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addStretch(1)
        layout.addWidget(self.general_error)
        layout.addWidget(required)
        self.purpose.currentIndexChanged.connect(self._purpose_chosen)
        self.registerField("source_kind*", self.kind)
        self.registerField("source_description*", self.description)
        self.registerField("purpose*", self.purpose)
        self.registerField("legal_basis*", self.legal_basis)

    def _purpose_chosen(self) -> None:
        purpose = self._state.purpose(self.purpose.currentData())
        if purpose is not None:
            self.legal_basis.setCurrentIndex(self.legal_basis.findData(purpose.legal_basis.value))

    def source(self) -> SourceInput:
        """The source as entered."""
        kind = self.kind.currentData()
        return SourceInput(
            SourceKind(kind) if kind else None,
            self.description.text(),
            from_qdate(self.obtained.date()),
        )

    def cleanupPage(self) -> None:
        """Going back keeps what was entered."""

    def validatePage(self) -> bool:
        try:
            validate_source(self.source(), self._state.today)
        except ValidationFailed as exc:
            show_problems(self.errors, exc.problems, self.general_error)
            return False
        except SourceMissing as exc:
            show_problems(self.errors, [], self.general_error)
            self.general_error.show_message(describe_error(exc))
            return False
        show_problems(self.errors, [], self.general_error)
        return True


class DuplicatesPage(QWizardPage):
    """What happens to a row that matches a contact we already have."""

    def __init__(self, state: ImportState) -> None:
        super().__init__()
        self._state = state
        self.setTitle(_("Contacts you already have"))
        self.setSubTitle(
            _(
                "A row matches a contact you already have when they share an e-mail address, "
                "a phone number, or the same name and postcode. What should happen to such "
                "a row?"
            )
        )
        self.group = QButtonGroup(self)
        self.buttons: dict[DuplicatePolicy, QRadioButton] = {}
        layout = QVBoxLayout(self)
        for policy in (DuplicatePolicy.SKIP, DuplicatePolicy.MERGE, DuplicatePolicy.CREATE):
            title, explanation = DUPLICATE_TEXTS[policy]
            button = QRadioButton(_(title))
            self.buttons[policy] = button
            self.group.addButton(button)
            text = QLabel(_(explanation))
            text.setWordWrap(True)
            text.setContentsMargins(self.fontMetrics().averageCharWidth() * 4, 0, 0, 8)
            layout.addWidget(button)
            layout.addWidget(text)
        layout.addStretch(1)
        self.buttons[DuplicatePolicy.SKIP].setChecked(True)

    def policy(self) -> DuplicatePolicy:
        """The chosen policy."""
        for policy, button in self.buttons.items():
            if button.isChecked():
                return policy
        return DuplicatePolicy.SKIP

    def cleanupPage(self) -> None:
        """Going back keeps the choice."""
