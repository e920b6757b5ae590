"""The contact editor's section of custom fields: one row per field the owner defined and
the user may see, built from the definitions (``domain.custom_fields``), each with its
source, read-only where the role may not change it (a part of ``ContactEditorDialog``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from privacycrm_desktop.domain.access import FieldAccess
from privacycrm_desktop.domain.custom_fields import (
    NO,
    YES,
    CustomFieldDefinition,
    CustomKind,
)
from privacycrm_desktop.i18n import _, current_language
from privacycrm_desktop.services.custom_fields import display_value
from privacycrm_desktop.services.dto import CustomValueInfo
from privacycrm_desktop.ui.common.date_fields import OptionalDateEdit, date_format
from privacycrm_desktop.ui.common.widgets import ErrorLabel, SourceButton


class CustomFieldSection(QGroupBox):
    """The custom fields of one contact: ``values()`` gives key -> text to save."""

    def __init__(
        self,
        definitions: Sequence[CustomFieldDefinition],
        access: Mapping[str, FieldAccess],
        stored: Sequence[CustomValueInfo],
        today: dt.date,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(_("Custom fields"), parent)
        self.definitions = [
            d
            for d in definitions
            if access.get(d.name, FieldAccess.HIDDEN) is not FieldAccess.HIDDEN
        ]
        self._writable = {
            d.key for d in self.definitions if access.get(d.name) is FieldAccess.WRITE
        }
        self._stored = {v.key: v for v in stored}
        self.editors: dict[str, QWidget] = {}
        self.errors: dict[str, ErrorLabel] = {}
        self.labels: dict[str, QLabel] = {}
        self.source_buttons: dict[str, SourceButton] = {}
        form = QFormLayout(self)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        language = current_language()
        for definition in self.definitions:
            editor = self._editor(definition, today)
            value = self._stored.get(definition.key)
            self._load(definition, editor, value)
            writable = definition.key in self._writable and not (value and value.masked)
            _set_read_only(editor, not writable)
            self.editors[definition.key] = editor
            button = SourceButton(value.source if value is not None else None)
            self.source_buttons[definition.key] = button
            label = QLabel(_("{label}:").format(label=definition.label_in(language)))
            label.setBuddy(editor)
            self.labels[definition.key] = label
            form.addRow(label, self._with_error(definition.name, editor, button))
        self.setVisible(bool(self.definitions))

    def _with_error(self, name: str, editor: QWidget, button: QWidget) -> QWidget:
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        row = QHBoxLayout()
        row.addWidget(editor, 1)
        row.addWidget(button)
        layout.addLayout(row)
        self.errors[name] = ErrorLabel()
        layout.addWidget(self.errors[name])
        return box

    @staticmethod
    def _editor(definition: CustomFieldDefinition, today: dt.date) -> QWidget:
        if definition.kind is CustomKind.DATE:
            field = OptionalDateEdit(today)
            field.edit.setToolTip(
                _("Enter the date as {format}").format(format=date_format().lower())
            )
            return field
        if definition.kind in (CustomKind.CHOICE, CustomKind.YESNO):
            combo = QComboBox()
            combo.addItem("", "")
            if definition.kind is CustomKind.YESNO:
                combo.addItem(_("Yes"), YES)
                combo.addItem(_("No"), NO)
            for choice in definition.choices:
                combo.addItem(choice, choice)
            return combo
        edit = QLineEdit()
        edit.setMinimumWidth(edit.fontMetrics().averageCharWidth() * 22)
        return edit

    @staticmethod
    def _load(
        definition: CustomFieldDefinition, editor: QWidget, value: CustomValueInfo | None
    ) -> None:
        stored = "" if value is None else value.value
        if isinstance(editor, OptionalDateEdit):
            try:
                editor.set_value(dt.date.fromisoformat(stored) if stored else None)
            except ValueError:
                editor.set_value(None)  # masked: nothing to show
        elif isinstance(editor, QComboBox):
            index = editor.findData(stored)
            if index < 0 and stored:
                editor.addItem(stored, stored)  # masked, or an option taken away since
                index = editor.count() - 1
            editor.setCurrentIndex(max(index, 0))
        elif isinstance(editor, QLineEdit):
            shown = stored
            if value is not None and not value.masked and definition.kind is CustomKind.NUMBER:
                shown = display_value(definition.kind.value, stored, grouped=False)
            editor.setText(shown)

    def values(self) -> dict[str, str]:
        """key -> the value typed, for the fields the user may change (dates as ISO)."""
        result: dict[str, str] = {}
        for definition in self.definitions:
            if definition.key not in self._writable:
                continue
            stored = self._stored.get(definition.key)
            if stored is not None and stored.masked:
                continue
            editor = self.editors[definition.key]
            if isinstance(editor, OptionalDateEdit):
                date = editor.value()
                result[definition.key] = "" if date is None else date.isoformat()
            elif isinstance(editor, QComboBox):
                result[definition.key] = str(editor.currentData() or "")
            elif isinstance(editor, QLineEdit):
                result[definition.key] = editor.text()
        return result


def _set_read_only(editor: QWidget, read_only: bool) -> None:
    if isinstance(editor, QLineEdit):
        editor.setReadOnly(read_only)
        if read_only:
            palette = editor.palette()
            palette.setColor(QPalette.ColorRole.Base, palette.color(QPalette.ColorRole.Window))
            editor.setPalette(palette)
    elif isinstance(editor, OptionalDateEdit):
        editor.set_read_only(read_only)
    elif read_only:
        editor.setEnabled(False)
