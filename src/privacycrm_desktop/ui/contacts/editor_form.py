"""The contact editor's form: the fields the user's access allows, each with where its
value came from, the source of an edit, and the values read in and out (a mixin of
``ContactEditorDialog``, ``ui/contacts/contact_editor.py``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QTimer
from PySide6.QtGui import (
    QPalette,
)
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
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
from privacycrm_desktop.domain.contacts import (
    KIND_LABELS,
    LANGUAGE_LABELS,
    NO_YEAR,
    RELATIONSHIP_LABELS,
    ContactInput,
    ContactKind,
    Language,
    Relationship,
)
from privacycrm_desktop.domain.fields import FIELDS_BY_NAME
from privacycrm_desktop.domain.normalize import phone_display
from privacycrm_desktop.domain.provenance import SOURCE_KIND_LABELS, SourceInput, SourceKind
from privacycrm_desktop.i18n import N_, _
from privacycrm_desktop.services.consent_dto import ConsentInput
from privacycrm_desktop.services.contacts import ContactService
from privacycrm_desktop.services.dto import Actor, ContactDetail, SourcedValue, SourceInfo
from privacycrm_desktop.ui.common.date_fields import (
    OptionalDateEdit,
    date_edit,
    date_format,
    from_qdate,
)
from privacycrm_desktop.ui.common.widgets import (
    ErrorLabel,
    SourceButton,
    describe_source,
)
from privacycrm_desktop.ui.contacts.consent_section import ConsentSection
from privacycrm_desktop.ui.contacts.country_field import CountryCombo
from privacycrm_desktop.ui.contacts.custom_section import CustomFieldSection
from privacycrm_desktop.ui.contacts.duplicate_bar import DuplicateBar

if TYPE_CHECKING:
    from privacycrm_desktop.ui.contacts.conflict_dialog import ConflictDialog

LEFT_FIELDS = ("kind", "first_name", "last_name", "organisation", "emails", "phones", "language")
RIGHT_FIELDS = ("street", "postcode", "city", "country", "relationship")
BELOW_FIELDS = ("relationship_start", "relationship_end", "last_interaction", "birth_date", "notes")
TEXT_FIELDS = ("first_name", "last_name", "organisation", "street", "postcode", "city")
DATE_FIELDS = ("birth_date", "relationship_start", "relationship_end", "last_interaction")
#: The fields the duplicate check reads: typing in one of them checks again after a pause.
DUPLICATE_FIELDS = ("first_name", "last_name", "emails", "phones", "postcode")
#: The pause in typing after which the duplicate check runs (one query per pause).
DUPLICATE_DELAY_MS = 400
#: Field access, weakest first: a field whose rank fell was narrowed.
_RANK = {access: rank for rank, access in enumerate(FieldAccess)}
#: What a valid value looks like, added to a refusal of the field's value.
FORMAT_HINTS = {
    "phones": N_("Enter a phone number like 0475 12 34 56 or +33 1 23 45 67 89."),
    "emails": N_("Enter an e-mail address like name@example.be."),
}
#: "Save and new": Ctrl+S saves, Ctrl+N is the main window's "New contact".
SAVE_AND_NEW_KEYS = "Ctrl+Shift+S"


def combo_of(labels: Mapping[Any, str]) -> QComboBox:
    combo = QComboBox()
    for value, label in labels.items():
        combo.addItem(_(label), value)
    return combo


class EditorFormMixin(QDialog):
    """Builds the editor's fields and reads them (see ``ContactEditorDialog``, which sets
    the attributes declared here in its ``__init__``)."""

    _actor: Actor
    _contacts: ContactService
    _detail: ContactDetail | None
    _home_country: str
    _new_access: dict[str, FieldAccess] | None
    _initial: tuple[object, ...]
    _closing: bool
    read_only: bool
    editors: dict[str, QWidget]
    errors: dict[str, ErrorLabel]
    source_buttons: dict[str, SourceButton]
    labels: dict[str, QLabel]
    consent_section: ConsentSection | None
    custom_section: CustomFieldSection | None = None
    duplicate_bar: DuplicateBar
    duplicate_timer: QTimer
    general_error: ErrorLabel
    conflict_dialog: ConflictDialog | None
    open_instead: int | None
    _base: ContactInput | None

    def save(self) -> None:
        """Save the form (``ContactEditorDialog``)."""
        raise NotImplementedError

    def _submit(self, consents: Sequence[ConsentInput] = ()) -> None:
        raise NotImplementedError

    # -- building the form ------------------------------------------------------------

    def _make_source_box(self, contact_id: int | None, today: dt.date) -> QGroupBox:
        suggestion = self._contacts.suggest_source(self._actor, contact_id)
        self.source_kind = combo_of(SOURCE_KIND_LABELS)
        self.source_description = QLineEdit()
        self.source_description.setPlaceholderText(
            _("For example: business card received at the Ghent trade fair")
        )
        if contact_id is None:
            if suggestion.kind is not None:
                self.source_kind.setCurrentIndex(self.source_kind.findData(suggestion.kind))
        else:
            # A change is attributed to the source the user names for it, never silently
            # to the one the contact came from: nothing is chosen until the user chooses.
            self.source_kind.insertItem(0, _("Choose..."), None)
            self.source_kind.setCurrentIndex(0)
            if suggestion.description:
                self.source_description.setPlaceholderText(
                    _("Last time: {description}").format(description=suggestion.description)
                )
        self.source_date = date_edit(today)
        self.source_error = ErrorLabel()
        self.errors["source_description"] = ErrorLabel()
        self.errors["source_obtained_on"] = ErrorLabel()
        source_box = QGroupBox(_("Source of new or changed values"))
        source_form = QFormLayout(source_box)
        source_form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        source_form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        rows = (
            ("source_kind", _("Kind of source:"), self.source_kind, self.source_kind),
            (
                "source_description",
                _("Description:"),
                self.source_description,
                self._with_error(self.source_description, "source_description"),
            ),
            (
                "source_obtained_on",
                _("Date obtained:"),
                self.source_date,
                self._with_error(self.source_date, "source_obtained_on"),
            ),
        )
        for name, text, editor, row in rows:
            label = QLabel(text)
            label.setBuddy(editor)
            self.labels[name] = label
            source_form.addRow(label, row)
        source_form.addRow(self.source_error)
        return source_box

    def access(self, field: str) -> FieldAccess:
        """How much of *field* the signed-in user may see and change."""
        if self._detail is not None:
            return FieldAccess(self._detail.field_access.get(field, FieldAccess.HIDDEN.value))
        # A new contact: the matrix in force, with the owner's overrides.
        if self._new_access is None:
            self._new_access = self._contacts.field_access(self._actor)
        return self._new_access.get(field, FieldAccess.HIDDEN)

    def narrowed(self, now: Mapping[str, FieldAccess]) -> list[str]:
        """The fields whose access in *now* (the field matrix in force) is weaker than when
        the editor opened: the owner narrowed them on another desk meanwhile."""
        return [name for name, access in now.items() if _RANK[access] < _RANK[self.access(name)]]

    def _make_editors(self, today: dt.date) -> None:
        self.editors["kind"] = combo_of(KIND_LABELS)
        # Widths in characters, not pixels: they follow the font and the screen scaling.
        char = self.fontMetrics().averageCharWidth()
        for name in TEXT_FIELDS:
            self.editors[name] = QLineEdit()
            self.editors[name].setMinimumWidth(char * 22)
        # Country names in the user's language (CLDR); the contact keeps the ISO code.
        self.editors["country"] = CountryCombo()
        for name in ("emails", "phones"):
            edit = QPlainTextEdit()
            edit.setTabChangesFocus(True)
            edit.setPlaceholderText(_("One per line"))
            edit.setMinimumWidth(char * 22)
            edit.setFixedHeight(edit.fontMetrics().lineSpacing() * 3 + 12)
            self.editors[name] = edit
        self.editors["language"] = combo_of(LANGUAGE_LABELS)
        self.editors["relationship"] = combo_of(RELATIONSHIP_LABELS)
        for name in DATE_FIELDS:
            # A birthday may be known without its year (phones and mail clients keep such).
            no_year = NO_YEAR if name == "birth_date" else None
            field = OptionalDateEdit(today, no_year=no_year)
            # The format the field takes, in the user's language ("dd/mm/yyyy" in Belgium).
            field.edit.setToolTip(
                _("Enter the date as {format}").format(format=date_format().lower())
            )
            self.editors[name] = field
        notes = QPlainTextEdit()
        notes.setTabChangesFocus(True)
        notes.setMinimumHeight(notes.fontMetrics().lineSpacing() * 4 + 12)
        self.editors["notes"] = notes

    def _with_error(self, editor: QWidget, field: str, source: QWidget | None = None) -> QWidget:
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        row = QHBoxLayout()
        row.addWidget(editor, 1)
        if source is not None:
            row.addWidget(source)
        layout.addLayout(row)
        layout.addWidget(self.errors.setdefault(field, ErrorLabel()))
        return box

    def _group(self, title: str, fields: tuple[str, ...]) -> QGroupBox:
        group = QGroupBox(title)
        form = QFormLayout(group)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for name in fields:
            level = self.access(name)
            if level is FieldAccess.HIDDEN:
                continue
            editor = self.editors[name]
            self._set_read_only(editor, level is not FieldAccess.WRITE)
            button = None
            if FIELDS_BY_NAME[name].needs_source:
                button = SourceButton(self._source_of(name))
                self.source_buttons[name] = button
            # "Prénom :" in French: the colon's spacing is the language's.
            label = QLabel(_("{label}:").format(label=_(FIELDS_BY_NAME[name].label)))
            label.setBuddy(editor)
            self.labels[name] = label
            form.addRow(label, self._with_error(editor, name, button))
        return group

    def _source_of(self, field: str) -> SourceInfo | None:
        if self._detail is None:
            return None
        if field in ("emails", "phones"):
            values: tuple[SourcedValue, ...] = getattr(self._detail, field)
            return values[0].source if values else None
        return self._detail.provenance.get(field)

    @staticmethod
    def _set_read_only(editor: QWidget, read_only: bool) -> None:
        if isinstance(editor, QLineEdit | QPlainTextEdit):
            editor.setReadOnly(read_only)
            if read_only:
                # The window's colour, not the white of a field one can type in.
                palette = editor.palette()
                palette.setColor(QPalette.ColorRole.Base, palette.color(QPalette.ColorRole.Window))
                editor.setPalette(palette)
        elif isinstance(editor, OptionalDateEdit):
            editor.set_read_only(read_only)
        elif read_only:
            editor.setEnabled(False)

    # -- values in and out -------------------------------------------------------------

    def _load(self, detail: ContactDetail) -> None:
        for name in ("kind", "language", "relationship"):
            combo = self.editors[name]
            assert isinstance(combo, QComboBox)
            combo.setCurrentIndex(combo.findData(getattr(detail, name)))
        for name in TEXT_FIELDS:
            self._line(name).setText(str(getattr(detail, name)))
        self._country().set_code(detail.country)
        for name in ("emails", "phones"):
            values: tuple[SourcedValue, ...] = getattr(detail, name)
            self._plain(name).setPlainText("\n".join(self._shown(name, v.value) for v in values))
            button = self.source_buttons.get(name)
            if button is not None and values:
                button.setToolTip(
                    "\n\n".join(f"{v.value}\n{describe_source(v.source)}" for v in values)
                )
        self._plain("notes").setPlainText(detail.notes)
        for name in DATE_FIELDS:
            self._date(name).set_value(getattr(detail, name))

    def _shown(self, name: str, value: str) -> str:
        """A stored value as the form shows it: numbers formatted for the office's country."""
        return phone_display(value, self._home_country) if name == "phones" else value

    def _stored_phone(self, line: str) -> str:
        """The stored number a line of the form shows unchanged, else the line as typed.

        "0475 12 34 56" shown for +32475123456 saves back as +32475123456, so opening and
        saving a contact changes nothing (and asks for no source)."""
        if self._detail is not None:
            for value in self._detail.phones:
                if self._shown("phones", value.value) == line:
                    return value.value
        return line

    def _line(self, name: str) -> QLineEdit:
        editor = self.editors[name]
        assert isinstance(editor, QLineEdit)
        return editor

    def _country(self) -> CountryCombo:
        editor = self.editors["country"]
        assert isinstance(editor, CountryCombo)
        return editor

    def _plain(self, name: str) -> QPlainTextEdit:
        editor = self.editors[name]
        assert isinstance(editor, QPlainTextEdit)
        return editor

    def _date(self, name: str) -> OptionalDateEdit:
        editor = self.editors[name]
        assert isinstance(editor, OptionalDateEdit)
        return editor

    def _combo_value(self, name: str) -> object:
        editor = self.editors[name]
        assert isinstance(editor, QComboBox)
        return editor.currentData()

    def contact_input(self) -> ContactInput:
        """The form's values as plain data (hidden fields keep their defaults)."""

        def lines(name: str) -> tuple[str, ...]:
            text = self._plain(name).toPlainText()
            return tuple(line.strip() for line in text.splitlines() if line.strip())

        return ContactInput(
            kind=ContactKind(str(self._combo_value("kind"))),
            first_name=self._line("first_name").text(),
            last_name=self._line("last_name").text(),
            organisation=self._line("organisation").text(),
            emails=lines("emails"),
            phones=tuple(self._stored_phone(line) for line in lines("phones")),
            street=self._line("street").text(),
            postcode=self._line("postcode").text(),
            city=self._line("city").text(),
            country=self._country().code(),
            language=Language(str(self._combo_value("language"))),
            birth_date=self._date("birth_date").value(),
            notes=self._plain("notes").toPlainText(),
            relationship=Relationship(str(self._combo_value("relationship"))),
            relationship_start=self._date("relationship_start").value(),
            relationship_end=self._date("relationship_end").value(),
            last_interaction=self._date("last_interaction").value(),
            extra=self.custom_section.values() if self.custom_section is not None else {},
        )

    def source_input(self) -> SourceInput:
        """The declared source of new or changed values."""
        kind = self.source_kind.currentData()
        return SourceInput(
            kind=SourceKind(kind) if kind else None,
            description=self.source_description.text(),
            obtained_on=from_qdate(self.source_date.date()),
        )
