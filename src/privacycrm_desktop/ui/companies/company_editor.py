"""Add or edit one company: its values, its custom fields (beside them) and the source of
what is new or changed.

The dialog returns values (``company_input``, ``custom_values``, ``source_input``); the
companies window saves them and, when the service refuses a value, shows the problems here
(``show_problems``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from PySide6.QtCore import QSize
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from privacycrm_desktop.domain.access import FieldAccess
from privacycrm_desktop.domain.companies import (
    COMPANY_FIELD_LABELS,
    LEGAL_FORM_LABELS,
    CompanyInput,
    LegalForm,
)
from privacycrm_desktop.domain.contacts import RELATIONSHIP_LABELS, Relationship
from privacycrm_desktop.domain.custom_fields import CustomFieldDefinition
from privacycrm_desktop.domain.errors import FieldProblem
from privacycrm_desktop.domain.provenance import SOURCE_KIND_LABELS, SourceInput, SourceKind
from privacycrm_desktop.i18n import _
from privacycrm_desktop.services.dto import CustomValueInfo
from privacycrm_desktop.ui.common.widgets import (
    ErrorLabel,
    show_problems,
    tab_buttons_in_visual_order,
)
from privacycrm_desktop.ui.common.window_size import size_window
from privacycrm_desktop.ui.contacts.country_field import CountryCombo
from privacycrm_desktop.ui.contacts.custom_section import CustomFieldSection

#: The one-line text fields, in the form's order (the rest are choices or notes).
_TEXT_FIELDS = ("name", "vat", "street", "postcode", "city", "email", "phone", "website")


def _combo(labels: Mapping[Any, str]) -> QComboBox:
    combo = QComboBox()
    for value, label in labels.items():
        combo.addItem(_(label), value)
    return combo


class CompanyEditorDialog(QDialog):
    """The form of one company; *company* None for a new one. *custom_fields* are the
    companies' custom fields, shown as far as *access* (the role's) lets see them, with
    the *stored* values of the company."""

    def __init__(
        self,
        company: CompanyInput | None = None,
        parent: QWidget | None = None,
        *,
        custom_fields: Sequence[CustomFieldDefinition] = (),
        access: Mapping[str, FieldAccess] | None = None,
        stored: Sequence[CustomValueInfo] = (),
        today: dt.date | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("New company") if company is None else _("Edit company"))
        values = company or CompanyInput()
        self.editors: dict[str, QWidget] = {}
        self.errors: dict[str, ErrorLabel] = {}
        self._make_editors(values)
        form = self._make_form()
        self.custom = CustomFieldSection(
            custom_fields, access or {}, stored, today or dt.date.today()
        )
        self.errors.update(self.custom.errors)
        source_box = self._make_source_box()
        self._lay_out(form, source_box)

    def _make_editors(self, values: CompanyInput) -> None:
        for name in _TEXT_FIELDS:
            edit = QLineEdit(str(getattr(values, name)))
            edit.setObjectName(name)
            self.editors[name] = edit
        placeholders = {
            "vat": _("BE 0403.170.701 or another EU VAT number"),
            "email": _("info@..."),
            "website": _("https://..."),
        }
        for name, text in placeholders.items():
            editor = self.editors[name]
            assert isinstance(editor, QLineEdit)
            editor.setPlaceholderText(text)
        self.legal_form = _combo(LEGAL_FORM_LABELS)
        self.legal_form.setCurrentIndex(self.legal_form.findData(LegalForm(values.legal_form)))
        self.editors["legal_form"] = self.legal_form
        self.country = CountryCombo()
        self.country.set_code(values.country)
        self.editors["country"] = self.country
        self.relationship = _combo(RELATIONSHIP_LABELS)
        self.relationship.setCurrentIndex(
            self.relationship.findData(Relationship(values.relationship))
        )
        self.editors["relationship"] = self.relationship
        self.notes = QPlainTextEdit(values.notes)
        self.notes.setTabChangesFocus(True)
        self.notes.setFixedHeight(self.notes.fontMetrics().lineSpacing() * 3 + 12)
        self.editors["notes"] = self.notes

    def _make_form(self) -> QFormLayout:
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        order = (
            "name",
            "legal_form",
            "vat",
            "street",
            "postcode",
            "city",
            "country",
            "email",
            "phone",
            "website",
            "relationship",
            "notes",
        )
        for name in order:
            self.errors[name] = ErrorLabel()
            label = QLabel(_("{label}:").format(label=_(COMPANY_FIELD_LABELS[name])))
            label.setBuddy(self.editors[name])
            cell = QVBoxLayout()
            cell.setSpacing(0)
            cell.addWidget(self.editors[name])
            cell.addWidget(self.errors[name])
            form.addRow(label, cell)
        return form

    def _make_source_box(self) -> QGroupBox:
        self.source_kind = QComboBox()
        # The first choice is no kind at all: saving then asks for one.
        self.source_kind.addItem("", "")
        for value, label in SOURCE_KIND_LABELS.items():
            self.source_kind.addItem(_(label), value)
        self.source_kind.setCurrentIndex(self.source_kind.findData(SourceKind.PHONE_CALL))
        self.source_description = QLineEdit()
        self.source_description.setPlaceholderText(
            _("For example: business card received at the Ghent trade fair")
        )
        self.errors["source_description"] = ErrorLabel()
        source_box = QGroupBox(_("Source of new or changed values"))
        source_row = QHBoxLayout(source_box)
        kind_label = QLabel(_("Kind of source:"))
        kind_label.setBuddy(self.source_kind)
        description_label = QLabel(_("Description:"))
        description_label.setBuddy(self.source_description)
        description_cell = QVBoxLayout()
        description_cell.addWidget(self.source_description)
        description_cell.addWidget(self.errors["source_description"])
        source_row.addWidget(kind_label)
        source_row.addWidget(self.source_kind)
        source_row.addWidget(description_label)
        source_row.addLayout(description_cell, 1)
        return source_box

    def _lay_out(self, form: QFormLayout, source_box: QGroupBox) -> None:
        self.general_error = ErrorLabel()
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        tab_buttons_in_visual_order(buttons)
        self.buttons = buttons
        # Ctrl+S saves, as in the contact editor.
        save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        QShortcut(QKeySequence(QKeySequence.StandardKey.Save), self, save_button.click)
        # One column, the source under the values: it reads top to bottom and stays
        # within 1024x600 in every language.
        # The custom fields beside the company's own: the height stays that of the form.
        values = QHBoxLayout()
        values.addLayout(form, 3)
        side = QVBoxLayout()
        side.addWidget(self.custom)
        side.addStretch(1)
        values.addLayout(side, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(values)
        layout.addWidget(source_box)
        layout.addWidget(self.general_error)
        layout.addWidget(buttons)
        hint = self.sizeHint()
        size_window(self, QSize(max(hint.width(), 720), hint.height()))

    def custom_values(self) -> dict[str, str]:
        """The custom fields' values the user may change: key -> text typed."""
        return self.custom.values()

    def _text(self, name: str) -> str:
        editor = self.editors[name]
        assert isinstance(editor, QLineEdit)
        return editor.text()

    def set_text(self, name: str, value: str) -> None:
        """Type *value* into the text field *name* (tests, and filling in from elsewhere)."""
        editor = self.editors[name]
        assert isinstance(editor, QLineEdit)
        editor.setText(value)

    def company_input(self) -> CompanyInput:
        """The form's values as plain data."""
        return CompanyInput(
            name=self._text("name"),
            legal_form=LegalForm(self.legal_form.currentData()),
            vat=self._text("vat"),
            street=self._text("street"),
            postcode=self._text("postcode"),
            city=self._text("city"),
            country=self.country.code(),
            email=self._text("email"),
            phone=self._text("phone"),
            website=self._text("website"),
            relationship=Relationship(self.relationship.currentData()),
            notes=self.notes.toPlainText(),
        )

    def source_input(self) -> SourceInput:
        """The source the user gave for what is new or changed."""
        kind = self.source_kind.currentData()
        return SourceInput(
            kind=SourceKind(kind) if kind else None,
            description=self.source_description.text(),
        )

    def show_problems(self, problems: list[FieldProblem], message: str = "") -> None:
        """Put each refused value's problem under its field; the rest at the side."""
        unplaced = show_problems(self.errors, problems, self.general_error)
        if message and not unplaced:
            self.general_error.show_message(message)
        for name in self.editors:
            if any(p.field == name for p in problems):
                self.editors[name].setFocus()
                break
