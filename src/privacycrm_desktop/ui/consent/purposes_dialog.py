"""The register of purposes (rules 7, 8, 22): the owner edits the shipped defaults.

Each purpose has a name, a description, a legal basis, a retention rule (months after a
trigger), data categories (ticked in a list, in the UI language), recipients and, for
soft opt-in, groups of similar product categories. Shipped names are translated; what
the owner types is kept as typed.
"""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QListView,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from privacycrm_desktop.domain.access import Permission, has_permission
from privacycrm_desktop.domain.errors import DomainError, ValidationFailed
from privacycrm_desktop.domain.purposes import (
    DATA_CATEGORY_LABELS,
    LEGAL_BASIS_LABELS,
    TRIGGER_LABELS,
    LegalBasis,
    RetentionTrigger,
)
from privacycrm_desktop.i18n import _, describe_error
from privacycrm_desktop.services.consent_dto import PurposeInfo
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.statements import StatementService
from privacycrm_desktop.ui.common.widgets import ErrorLabel, show_problems
from privacycrm_desktop.ui.common.window_size import size_window


def _lines(text: str) -> tuple[str, ...]:
    return tuple(line.strip() for line in text.splitlines() if line.strip())


class PurposesDialog(QDialog):
    """Browse the purposes; the owner and privacy officer change them."""

    def __init__(
        self, statements: StatementService, actor: Actor, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._statements = statements
        self._actor = actor
        self._purposes: list[PurposeInfo] = []
        self.setWindowTitle(_("Register of purposes"))
        self.list = QListWidget()
        # A long name wraps onto a second line instead of hiding behind a scroll bar.
        self.list.setWordWrap(True)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.list.currentRowChanged.connect(self.show_purpose)
        editor = self._make_editor(actor)

        columns = QHBoxLayout()
        columns.addWidget(self.list, 1)
        columns.addWidget(editor, 2)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(columns, 1)
        layout.addWidget(buttons)
        size_window(self, QSize(self.fontMetrics().averageCharWidth() * 130, 560))
        self.reload()

    def _make_editor(self, actor: Actor) -> QWidget:
        self.name = QLineEdit()
        self.description = QPlainTextEdit()
        self.description.setTabChangesFocus(True)
        self.legal_basis = QComboBox()
        for basis, label in LEGAL_BASIS_LABELS.items():
            self.legal_basis.addItem(_(label), basis)
        self.months = QSpinBox()
        self.months.setRange(0, 1200)
        self.months.setSuffix(" " + _("months"))
        self.trigger = QComboBox()
        for trigger, label in TRIGGER_LABELS.items():
            self.trigger.addItem(_(label), trigger)
        # Categories are ticked in a list in the UI language; the register keeps codes.
        self.categories = QListWidget()
        # The categories side by side, wrapping: a low list that fits a small screen.
        self.categories.setFlow(QListView.Flow.LeftToRight)
        self.categories.setWrapping(True)
        self.categories.setResizeMode(QListView.ResizeMode.Adjust)
        self.categories.setSpacing(2)
        self.other_categories = QLineEdit()
        self.other_categories.setPlaceholderText(_("Your own categories, separated by commas"))
        self.recipients = QPlainTextEdit()
        self.recipients.setPlaceholderText(_("One per line"))
        self.recipients.setTabChangesFocus(True)
        self.similar = QPlainTextEdit()
        self.similar.setPlaceholderText(_("One group per line, for example: coffee, tea"))
        self.similar.setTabChangesFocus(True)
        self.active = QCheckBox(_("In use"))
        self.errors = {"name": ErrorLabel(), "retention_months": ErrorLabel()}
        self.general_error = ErrorLabel()
        self.save_button = QPushButton(_("&Save purpose"))
        self.save_button.clicked.connect(self.save)

        form = QFormLayout()
        form.addRow(_("Name:"), self._with_error(self.name, "name"))
        form.addRow(_("Description:"), self.description)
        form.addRow(_("Legal basis:"), self.legal_basis)
        retention = QHBoxLayout()
        retention.setContentsMargins(0, 0, 0, 0)
        retention.addWidget(self.months)
        retention.addWidget(self.trigger, 1)
        retention_widget = QWidget()
        retention_widget.setLayout(retention)
        form.addRow(_("Keep for:"), self._with_error(retention_widget, "retention_months"))
        form.addRow(_("Data categories:"), self.categories)
        form.addRow(_("Other categories:"), self.other_categories)
        form.addRow(_("Recipients:"), self.recipients)
        form.addRow(_("Similar product categories:"), self.similar)
        form.addRow("", self.active)
        form.addRow(self.general_error)
        form.addRow("", self.save_button)
        editor = QWidget()
        editor.setLayout(form)
        editor.setEnabled(has_permission(actor.role, Permission.EDIT_SETTINGS))
        return editor

    def _with_error(self, editor: QWidget, field: str) -> QWidget:
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(editor)
        layout.addWidget(self.errors[field])
        return box

    def reload(self, keep_row: int = 0) -> None:
        """Read the register again and show the purpose at *keep_row*."""
        self._purposes = self._statements.purposes(self._actor, include_inactive=True)
        self.list.blockSignals(True)
        self.list.clear()
        for purpose in self._purposes:
            self.list.addItem(_(purpose.name))
        self.list.blockSignals(False)
        if self._purposes:
            self.list.setCurrentRow(min(keep_row, len(self._purposes) - 1))
            self.show_purpose(self.list.currentRow())

    def show_purpose(self, row: int) -> None:
        """Fill the form with the purpose on *row*."""
        if not 0 <= row < len(self._purposes):
            return
        p = self._purposes[row]
        show_problems(self.errors, [], self.general_error)
        self.name.setText(_(p.name))
        self.description.setPlainText(_(p.description))
        self.legal_basis.setCurrentIndex(self.legal_basis.findData(p.legal_basis))
        self.months.setValue(p.retention_months)
        self.trigger.setCurrentIndex(self.trigger.findData(p.retention_trigger))
        self._show_categories(p.data_categories)
        self.recipients.setPlainText("\n".join(p.recipients))
        self.similar.setPlainText("\n".join(", ".join(g) for g in p.similar_categories))
        self.similar.setEnabled(p.is_marketing)
        self.active.setChecked(p.active)

    def _show_categories(self, chosen: tuple[str, ...]) -> None:
        """Tick the purpose's categories among the known ones (the shipped ones and any
        an owner named in another purpose); its own others go in the line below."""
        known = list(DATA_CATEGORY_LABELS)
        for purpose in self._purposes:
            known += [c for c in purpose.data_categories if c not in known]
        self.categories.clear()
        for code in known:
            label = DATA_CATEGORY_LABELS.get(code)
            item = QListWidgetItem(_(label) if label else code)
            item.setData(Qt.ItemDataRole.UserRole, code)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            checked = Qt.CheckState.Checked if code in chosen else Qt.CheckState.Unchecked
            item.setCheckState(checked)
            self.categories.addItem(item)
        # Two rows of categories in sight (the shipped five fit in them); more scroll.
        rows = (self.categories.sizeHintForRow(0) + 2 * self.categories.spacing()) * 2
        self.categories.setFixedHeight(rows + 2 * self.categories.frameWidth())
        self.other_categories.setText("")

    def chosen_categories(self) -> tuple[str, ...]:
        """The ticked categories' codes, then the others typed, each once."""
        chosen = [
            str(item.data(Qt.ItemDataRole.UserRole))
            for item in map(self.categories.item, range(self.categories.count()))
            if item.checkState() == Qt.CheckState.Checked
        ]
        for typed in self.other_categories.text().split(","):
            if typed.strip() and typed.strip() not in chosen:
                chosen.append(typed.strip())
        return tuple(chosen)

    def edited(self) -> PurposeInfo | None:
        """The form as a purpose (None when no purpose is selected)."""
        row = self.list.currentRow()
        if not 0 <= row < len(self._purposes):
            return None
        p = self._purposes[row]
        # A shipped name left as shown keeps its msgid, so it stays translated.
        name = p.name if self.name.text() == _(p.name) else self.name.text()
        text = self.description.toPlainText()
        description = p.description if text == _(p.description) else text
        return dataclasses.replace(
            p,
            name=name,
            description=description,
            legal_basis=LegalBasis(self.legal_basis.currentData()),
            retention_months=self.months.value(),
            retention_trigger=RetentionTrigger(self.trigger.currentData()),
            data_categories=self.chosen_categories(),
            recipients=_lines(self.recipients.toPlainText()),
            similar_categories=tuple(
                tuple(c.strip() for c in line.split(",") if c.strip())
                for line in _lines(self.similar.toPlainText())
            ),
            active=self.active.isChecked(),
        )

    def save(self) -> None:
        """Save the selected purpose through the service."""
        data = self.edited()
        if data is None:
            return
        try:
            self._statements.update_purpose(self._actor, data)
        except ValidationFailed as exc:
            show_problems(self.errors, exc.problems, self.general_error)
            return
        except DomainError as exc:
            self.general_error.show_message(describe_error(exc))
            return
        self.reload(self.list.currentRow())
