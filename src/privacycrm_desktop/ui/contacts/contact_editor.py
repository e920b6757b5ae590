"""The contact editor: every field with where its value came from, and the source of edits.

The dialog shows a ``ContactDetail`` filtered by the user's field access (hidden fields are
left out, read-only ones cannot change), collects a ``ContactInput`` plus a ``SourceInput``
and hands them to the contact service. Refusals appear next to the field they concern.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QBoxLayout,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
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
from privacycrm_desktop.domain.edit_conflicts import Choice, ConflictDetail, input_from, resolve
from privacycrm_desktop.domain.errors import (
    DomainError,
    EditConflict,
    SourceMissing,
    ValidationFailed,
)
from privacycrm_desktop.domain.fields import FIELDS_BY_NAME
from privacycrm_desktop.domain.provenance import SOURCE_KIND_LABELS, SourceInput, SourceKind
from privacycrm_desktop.domain.special_categories import SPECIAL_CATEGORY_LABELS, TermHit
from privacycrm_desktop.domain.suppression import SuppressionReason
from privacycrm_desktop.i18n import _, describe_error
from privacycrm_desktop.services.contacts import ContactService
from privacycrm_desktop.services.dto import Actor, ContactDetail, SourcedValue, SourceInfo
from privacycrm_desktop.ui.common.date_fields import OptionalDateEdit, date_edit, from_qdate
from privacycrm_desktop.ui.common.mnemonics import assign_mnemonics
from privacycrm_desktop.ui.common.widgets import (
    ErrorLabel,
    SourceButton,
    available_geometry,
    describe_source,
    show_problems,
    tab_buttons_in_visual_order,
)
from privacycrm_desktop.ui.contacts.country_field import CountryCombo

if TYPE_CHECKING:
    from privacycrm_desktop.ui.contacts.conflict_dialog import ConflictDialog

_LEFT = ("kind", "first_name", "last_name", "organisation", "emails", "phones", "language")
_RIGHT = ("street", "postcode", "city", "country", "relationship")
_BELOW = ("relationship_start", "relationship_end", "last_interaction", "birth_date", "notes")
_TEXT = ("first_name", "last_name", "organisation", "street", "postcode", "city")
_DATES = ("birth_date", "relationship_start", "relationship_end", "last_interaction")


def _combo(labels: Mapping[Any, str]) -> QComboBox:
    combo = QComboBox()
    for value, label in labels.items():
        combo.addItem(_(label), value)
    return combo


class ContactEditorDialog(QDialog):
    """Create or edit one contact; ``saved_id`` holds the contact's id after a save."""

    def __init__(
        self,
        contacts: ContactService,
        actor: Actor,
        contact_id: int | None = None,
        parent: QWidget | None = None,
        open_consent: Callable[[int, str], object] | None = None,
        scan_notes: Callable[[str], Sequence[TermHit]] | None = None,
    ) -> None:
        super().__init__(parent)
        self._scan_notes = scan_notes
        self._special_confirmed = False
        self._contacts = contacts
        self._actor = actor
        self._detail: ContactDetail | None = (
            contacts.get(actor, contact_id) if contact_id is not None else None
        )
        #: The values the form was loaded from, for the service to see who changed what
        #: when somebody else saves first; after a conflict, their version.
        self._base: ContactInput | None = None if self._detail is None else input_from(self._detail)
        self.conflict_dialog: ConflictDialog | None = None
        self.saved_id: int | None = None
        self._new_access: dict[str, FieldAccess] | None = None
        today = contacts.suggest_source(actor, None).obtained_on
        assert today is not None
        self.setWindowTitle(_("Edit contact") if self._detail else _("New contact"))
        self.editors: dict[str, QWidget] = {}
        self.errors: dict[str, ErrorLabel] = {}
        self.source_buttons: dict[str, SourceButton] = {}
        #: Each field's label (its buddy is the field), in the form's visual order.
        self.labels: dict[str, QLabel] = {}
        self._make_editors(today)

        columns = QHBoxLayout()
        columns.addWidget(self._group(_("Person"), _LEFT), 1, Qt.AlignmentFlag.AlignTop)
        columns.addWidget(self._group(_("Address and relationship"), _RIGHT + _BELOW), 1)

        source_box = self._make_source_box(contact_id, today)

        self.general_error = ErrorLabel()
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        self.consent_button: QPushButton | None = None
        if open_consent is not None and self._detail is not None:
            detail = self._detail
            self.consent_button = buttons.addButton(
                _("Consent && &marketing..."), QDialogButtonBox.ButtonRole.ActionRole
            )
            self.consent_button.clicked.connect(
                lambda: open_consent(detail.id, detail.language.value)
            )
        QShortcut(QKeySequence(QKeySequence.StandardKey.Save), self, self.save)

        # The form scrolls rather than squeezes on a small or 150 %-scaled screen.
        content = QWidget()
        content.setLayout(columns)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Tab goes to the first field
        scroll.setWidget(content)
        layout = QVBoxLayout(self)
        layout.addWidget(scroll, 1)
        layout.addWidget(source_box)
        layout.addWidget(self.general_error)
        layout.addWidget(buttons)
        if self._detail is not None:
            self._load(self._detail)
        self._fit_to_screen(content, source_box)
        tab_buttons_in_visual_order(buttons)
        # Alt+letter for every field and button, unique in this window and language.
        assign_mnemonics([*self.labels.values(), *buttons.buttons()])

    @property
    def loaded_version(self) -> tuple[int, int] | None:
        """The edited contact's id and the version the form was loaded from; None for a new
        contact (the main window compares it with the stored one: ui/contacts/change_watch.py)."""
        return None if self._detail is None else (self._detail.id, self._detail.version)

    def _fit_to_screen(self, content: QWidget, source_box: QWidget) -> None:
        margin = self.fontMetrics().height() * 3
        available = available_geometry(self)
        columns = content.layout()
        if isinstance(columns, QBoxLayout) and content.sizeHint().width() > available.width():
            # Too narrow for two columns (a small or 150 %-scaled screen): one column that
            # scrolls down, rather than fields hidden off to the right.
            columns.setDirection(QBoxLayout.Direction.TopToBottom)
        width = content.sizeHint().width() + margin
        height = content.sizeHint().height() + source_box.sizeHint().height() + margin * 2
        self.resize(min(width, available.width()), min(height, available.height() - margin))

    # -- building the form ------------------------------------------------------------

    def _make_source_box(self, contact_id: int | None, today: dt.date) -> QGroupBox:
        suggestion = self._contacts.suggest_source(self._actor, contact_id)
        self.source_kind = _combo(SOURCE_KIND_LABELS)
        if suggestion.kind is not None:
            self.source_kind.setCurrentIndex(self.source_kind.findData(suggestion.kind))
        self.source_description = QLineEdit(suggestion.description)
        self.source_description.setPlaceholderText(
            _("For example: business card received at the Ghent trade fair")
        )
        self.source_date = date_edit(suggestion.obtained_on or today)
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

    def _make_editors(self, today: dt.date) -> None:
        self.editors["kind"] = _combo(KIND_LABELS)
        # Widths in characters, not pixels: they follow the font and the screen scaling.
        char = self.fontMetrics().averageCharWidth()
        for name in _TEXT:
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
        self.editors["language"] = _combo(LANGUAGE_LABELS)
        self.editors["relationship"] = _combo(RELATIONSHIP_LABELS)
        for name in _DATES:
            # A birthday may be known without its year (phones and mail clients keep such).
            no_year = NO_YEAR if name == "birth_date" else None
            self.editors[name] = OptionalDateEdit(today, no_year=no_year)
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
        for name in _TEXT:
            self._line(name).setText(str(getattr(detail, name)))
        self._country().set_code(detail.country)
        for name in ("emails", "phones"):
            values: tuple[SourcedValue, ...] = getattr(detail, name)
            self._plain(name).setPlainText("\n".join(v.value for v in values))
            button = self.source_buttons.get(name)
            if button is not None and values:
                button.setToolTip(
                    "\n\n".join(f"{v.value}\n{describe_source(v.source)}" for v in values)
                )
        self._plain("notes").setPlainText(detail.notes)
        for name in _DATES:
            self._date(name).set_value(getattr(detail, name))

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
            phones=lines("phones"),
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
        )

    def source_input(self) -> SourceInput:
        """The declared source of new or changed values."""
        kind = self.source_kind.currentData()
        return SourceInput(
            kind=SourceKind(kind) if kind else None,
            description=self.source_description.text(),
            obtained_on=from_qdate(self.source_date.date()),
        )

    def notes_confirmed(self) -> bool:
        """Warn before saving notes that seem to hold special-category data (rule 10)."""
        if self._scan_notes is None or self.access("notes") is not FieldAccess.WRITE:
            return True
        text = self._plain("notes").toPlainText()
        if self._detail is not None and text.strip() == self._detail.notes.strip():
            return True
        hits = self._scan_notes(text)
        if not hits:
            return True
        answer = QMessageBox.warning(
            self,
            _("Special-category data?"),
            _(
                "The notes seem to mention {categories} (\u201c{words}\u201d). Such data may be "
                "kept only with the person's written consent for it. Save the notes anyway?"
            ).format(
                categories=", ".join(_(SPECIAL_CATEGORY_LABELS[h.category]) for h in hits),
                words=", ".join(h.term for h in hits),
            ),
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        return answer == QMessageBox.StandardButton.Save

    def save(self) -> None:
        """Save through the service; on a refusal show why and keep the dialog open."""
        show_problems(self.errors, [], self.general_error)
        self.source_error.show_message("")
        if not self.notes_confirmed():
            return
        # The user saw the warning and chose to save (or there was nothing to warn about):
        # the service checks the same rule on every way in.
        self._special_confirmed = True
        self._submit()

    def _submit(self) -> None:
        try:
            hit = self._contacts.suppression_check(
                self._actor,
                self.contact_input(),
                None if self._detail is None else self._detail.id,
            )
            if self._detail is None:
                self.saved_id = self._contacts.create(
                    self._actor,
                    self.contact_input(),
                    self.source_input(),
                    special_confirmed=self._special_confirmed,
                )
            else:
                self._contacts.update(
                    self._actor,
                    self._detail.id,
                    self._detail.version,
                    self.contact_input(),
                    self.source_input(),
                    base=self._base,
                    special_confirmed=self._special_confirmed,
                )
                self.saved_id = self._detail.id
        except EditConflict as exc:
            if exc.detail is None:
                self.general_error.show_message(describe_error(exc))
            else:
                self._choose(exc.detail)
            return
        except ValidationFailed as exc:
            show_problems(self.errors, exc.problems, self.general_error)
            return
        except SourceMissing as exc:
            self.source_error.show_message(describe_error(exc))
            self.source_description.setFocus()
            return
        except DomainError as exc:
            self.general_error.show_message(describe_error(exc))
            return
        if hit is not None and hit.reason is SuppressionReason.OBJECTION:
            self.suppression_notice(hit.value)
        self.accept()

    # -- somebody else saved first -----------------------------------------------------

    def _choose(self, conflict: ConflictDetail) -> None:
        """Let the user choose between their values and the typed ones (``conflict_dialog``).

        Save in the dialog saves again against the newer version; Cancel keeps the form
        as typed, and saving again asks again.
        """
        from privacycrm_desktop.ui.contacts.conflict_dialog import ConflictDialog

        self.general_error.show_message(
            _(
                "Nothing was saved: somebody else changed this contact in the meantime. "
                "Save again to choose which values to keep."
            )
        )
        dialog = ConflictDialog(conflict, self)
        self.conflict_dialog = dialog
        dialog.accepted.connect(lambda: self._resolved(conflict, dialog.choices()))
        dialog.finished.connect(lambda _result: self._conflict_closed(dialog))
        dialog.open()

    def _conflict_closed(self, dialog: QDialog) -> None:
        if self.conflict_dialog is dialog:
            self.conflict_dialog = None
        dialog.deleteLater()

    def _resolved(self, conflict: ConflictDetail, choices: dict[str, Choice]) -> None:
        """Show the chosen values in the form and save them against the newer version."""
        assert self._detail is not None
        chosen = resolve(conflict, choices)
        self._detail = dataclasses.replace(self._detail, version=conflict.version)
        self._base = conflict.theirs
        self._fill(chosen)
        self.general_error.show_message("")
        self._submit()

    def _fill(self, data: ContactInput) -> None:
        """Put *data* in the fields the user may change (the others show the stored view)."""
        for name in ("kind", "language", "relationship"):
            if self.access(name) is FieldAccess.WRITE:
                combo = self.editors[name]
                assert isinstance(combo, QComboBox)
                combo.setCurrentIndex(combo.findData(getattr(data, name)))
        for name in _TEXT:
            if self.access(name) is FieldAccess.WRITE:
                self._line(name).setText(str(getattr(data, name)))
        if self.access("country") is FieldAccess.WRITE:
            self._country().set_code(data.country)
        for name in ("emails", "phones"):
            if self.access(name) is FieldAccess.WRITE:
                self._plain(name).setPlainText("\n".join(getattr(data, name)))
        if self.access("notes") is FieldAccess.WRITE:
            self._plain("notes").setPlainText(data.notes)
        for name in _DATES:
            if self.access(name) is FieldAccess.WRITE:
                self._date(name).set_value(getattr(data, name))

    def suppression_notice(self, value: str) -> None:
        """Tell the user that a saved contact inherited an objection (rule 13)."""
        QMessageBox.information(
            self,
            _("Unsubscribed from all direct marketing"),
            _(
                "{value} is on the suppression list: this person objected to direct "
                "marketing before. The contact was saved with an opt-out for every "
                "marketing purpose and channel."
            ).format(value=value),
        )


__all__ = ["ContactEditorDialog"]
