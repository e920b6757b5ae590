"""The contact editor: every field with where its value came from, and the source of edits.

The dialog shows a ``ContactDetail`` filtered by the user's field access (hidden fields are
left out, read-only ones cannot change), collects a ``ContactInput`` plus a ``SourceInput``
and hands them to the contact service. Refusals appear next to the field they concern.

A new contact gets its opt-ins in the same form (``consent_section``), recorded through the
consent service right after the contact is saved; a bar warns while the user types when a
stored contact shares an e-mail address, a mobile number or the name with the postcode
(``duplicate_bar``). "Save and new" saves and empties the form, keeping the source (a pile
of business cards). Closing a changed form asks first. A user who may not change contacts
gets the form read-only, without Save.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import (
    QCloseEvent,
    QKeyEvent,
    QKeySequence,
    QPalette,
    QShortcut,
    QShowEvent,
)
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
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

from privacycrm_desktop.domain.access import FieldAccess, Permission, has_permission
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
from privacycrm_desktop.domain.duplicates import MatchKind
from privacycrm_desktop.domain.edit_conflicts import Choice, ConflictDetail, input_from, resolve
from privacycrm_desktop.domain.errors import (
    DomainError,
    EditConflict,
    SourceMissing,
    ValidationFailed,
)
from privacycrm_desktop.domain.fields import FIELDS_BY_NAME
from privacycrm_desktop.domain.normalize import DEFAULT_REGION, phone_display
from privacycrm_desktop.domain.provenance import SOURCE_KIND_LABELS, SourceInput, SourceKind
from privacycrm_desktop.domain.special_categories import SPECIAL_CATEGORY_LABELS, TermHit
from privacycrm_desktop.domain.suppression import SuppressionReason
from privacycrm_desktop.i18n import N_, _, describe_error
from privacycrm_desktop.services.consent import ConsentService
from privacycrm_desktop.services.consent_dto import ConsentInput
from privacycrm_desktop.services.contact_duplicates import DuplicateHit
from privacycrm_desktop.services.contacts import ContactService
from privacycrm_desktop.services.dto import Actor, ContactDetail, SourcedValue, SourceInfo
from privacycrm_desktop.services.statements import StatementService
from privacycrm_desktop.ui.common.date_fields import (
    OptionalDateEdit,
    date_edit,
    date_format,
    from_qdate,
)
from privacycrm_desktop.ui.common.mnemonics import assign_mnemonics
from privacycrm_desktop.ui.common.widgets import (
    ErrorLabel,
    SourceButton,
    available_geometry,
    describe_source,
    show_problems,
    tab_buttons_in_visual_order,
)
from privacycrm_desktop.ui.contacts.consent_section import ConsentSection
from privacycrm_desktop.ui.contacts.country_field import CountryCombo
from privacycrm_desktop.ui.contacts.duplicate_bar import DuplicateBar

if TYPE_CHECKING:
    from privacycrm_desktop.ui.contacts.conflict_dialog import ConflictDialog

_LEFT = ("kind", "first_name", "last_name", "organisation", "emails", "phones", "language")
_RIGHT = ("street", "postcode", "city", "country", "relationship")
_BELOW = ("relationship_start", "relationship_end", "last_interaction", "birth_date", "notes")
_TEXT = ("first_name", "last_name", "organisation", "street", "postcode", "city")
_DATES = ("birth_date", "relationship_start", "relationship_end", "last_interaction")
#: The fields the duplicate check reads: typing in one of them checks again after a pause.
_DUPLICATE_FIELDS = ("first_name", "last_name", "emails", "phones", "postcode")
#: The pause in typing after which the duplicate check runs (one query per pause).
DUPLICATE_DELAY_MS = 400
#: What a valid value looks like, added to a refusal of the field's value.
_FORMAT_HINTS = {
    "phones": N_("Enter a phone number like 0475 12 34 56 or +33 1 23 45 67 89."),
    "emails": N_("Enter an e-mail address like name@example.be."),
}
#: "Save and new": Ctrl+S saves, Ctrl+N is the main window's "New contact".
SAVE_AND_NEW_KEYS = "Ctrl+Shift+S"


def _combo(labels: Mapping[Any, str]) -> QComboBox:
    combo = QComboBox()
    for value, label in labels.items():
        combo.addItem(_(label), value)
    return combo


class ContactEditorDialog(QDialog):
    """Create or edit one contact; ``saved_id`` holds the contact's id after a save.

    ``contact_saved`` is emitted after each save (with "Save and new", once per contact);
    ``open_instead`` holds the stored contact the user chose to open from the duplicate
    warning, the dialog closed.
    """

    contact_saved = Signal(int)

    def __init__(
        self,
        contacts: ContactService,
        actor: Actor,
        contact_id: int | None = None,
        parent: QWidget | None = None,
        open_consent: Callable[[int, str], object] | None = None,
        scan_notes: Callable[[str], Sequence[TermHit]] | None = None,
        *,
        consent: ConsentService | None = None,
        statements: StatementService | None = None,
        home_country: str = DEFAULT_REGION,
    ) -> None:
        super().__init__(parent)
        self._scan_notes = scan_notes
        self._special_confirmed = False
        self._contacts = contacts
        self._consent = consent
        self._statements = statements
        self._home_country = home_country
        self._actor = actor
        self._detail: ContactDetail | None = (
            contacts.get(actor, contact_id) if contact_id is not None else None
        )
        #: The values the form was loaded from, for the service to see who changed what
        #: when somebody else saves first; after a conflict, their version.
        self._base: ContactInput | None = None if self._detail is None else input_from(self._detail)
        self.conflict_dialog: ConflictDialog | None = None
        self.saved_id: int | None = None
        self.open_instead: int | None = None
        self._new_access: dict[str, FieldAccess] | None = None
        self._closing = self._save_and_new = False
        permission = (
            Permission.CREATE_CONTACTS if self._detail is None else Permission.EDIT_CONTACTS
        )
        #: A user who may not save sees the contact, read-only, without Save.
        self.read_only = not has_permission(actor.role, permission)
        today = contacts.suggest_source(actor, None).obtained_on
        assert today is not None
        self.setWindowTitle(_("Edit contact") if self._detail else _("New contact"))
        if self.read_only and self._detail is not None:
            self.setWindowTitle(_("Contact"))
        self.editors: dict[str, QWidget] = {}
        self.errors: dict[str, ErrorLabel] = {}
        self.source_buttons: dict[str, SourceButton] = {}
        #: Each field's label (its buddy is the field), in the form's visual order.
        self.labels: dict[str, QLabel] = {}
        self._make_editors(today)

        columns = self._make_columns()
        source_box = self._make_source_box(contact_id, today)
        self.duplicate_bar = DuplicateBar()
        self.duplicate_bar.open_requested.connect(self.open_existing)
        # One look-up per pause in typing, not per key.
        self.duplicate_timer = QTimer(self, singleShot=True, interval=DUPLICATE_DELAY_MS)
        self.duplicate_timer.timeout.connect(self.check_duplicates)

        self.general_error = ErrorLabel()
        buttons = self._make_buttons(open_consent)
        self._apply_read_only(source_box)
        content = self._lay_out(columns, source_box, buttons)
        if self._detail is not None:
            self._load(self._detail)
        self._fit_to_screen(content, source_box)
        tab_buttons_in_visual_order(buttons)
        self._assign_mnemonics(buttons)
        self._connect_changes()
        self._initial = self.form_state()
        self._empty = self.contact_input() if self._detail is None else None
        self._focus_first()

    def _apply_read_only(self, source_box: QWidget) -> None:
        if self.read_only:
            self.save_button.hide()
            self.cancel_button.setText(_("Close"))
            source_box.hide()
        else:
            QShortcut(QKeySequence(QKeySequence.StandardKey.Save), self, self.save)

    def _focus_first(self) -> None:
        """A new contact starts in First name (the kind is nearly always "person")."""
        first = self.editors["first_name"]
        if self._detail is None and not self.read_only and first.parent() is not None:
            first.setFocus(Qt.FocusReason.OtherFocusReason)

    def _lay_out(
        self, columns: QHBoxLayout, source_box: QWidget, buttons: QDialogButtonBox
    ) -> QWidget:
        """The warning bar, the form (scrolling), the source and the buttons; the form."""
        # The form scrolls rather than squeezes on a small or 150 %-scaled screen.
        content = QWidget()
        content.setLayout(columns)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Tab goes to the first field
        scroll.setWidget(content)
        self._scroll = scroll
        # Alt+letter may jump to a field scrolled out of view (the opt-ins at 1024 x 600):
        # the form follows the focus.
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.focusChanged.connect(self._show_focused)
        layout = QVBoxLayout(self)
        layout.addWidget(self.duplicate_bar)
        layout.addWidget(scroll, 1)
        layout.addWidget(source_box)
        layout.addWidget(self.general_error)
        layout.addWidget(buttons)
        return content

    def _show_focused(self, _old: QWidget | None, new: QWidget | None) -> None:
        content = self._scroll.widget()
        if new is not None and content is not None and content.isAncestorOf(new):
            self._scroll.ensureWidgetVisible(new)

    def _make_columns(self) -> QHBoxLayout:
        """The person (with a new contact's opt-ins) beside the address and relationship."""
        left = QVBoxLayout()
        left.addWidget(self._group(_("Person"), _LEFT))
        self.consent_section: ConsentSection | None = None
        if (
            self._detail is None
            and not self.read_only
            and self._consent is not None
            and self._statements is not None
            and has_permission(self._actor.role, Permission.RECORD_CONSENT)
        ):
            self.consent_section = ConsentSection(self._statements.purposes(self._actor))
            left.addWidget(self.consent_section)
        left.addStretch(1)
        columns = QHBoxLayout()
        columns.addLayout(left, 1)
        columns.addWidget(self._group(_("Address and relationship"), _RIGHT + _BELOW), 1)
        return columns

    def _make_buttons(self, open_consent: Callable[[int, str], object] | None) -> QDialogButtonBox:
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        self.cancel_button = buttons.button(QDialogButtonBox.StandardButton.Cancel)
        self.save_new_button: QPushButton | None = None
        if self._detail is None and not self.read_only:
            self.save_new_button = buttons.addButton(
                _("Save and new"), QDialogButtonBox.ButtonRole.ActionRole
            )
            self.save_new_button.setToolTip(
                _("Save this contact and start the next one, with the same source ({keys})").format(
                    keys=QKeySequence(SAVE_AND_NEW_KEYS).toString(
                        QKeySequence.SequenceFormat.NativeText
                    )
                )
            )
            self.save_new_button.clicked.connect(self.save_and_new)
            QShortcut(QKeySequence(SAVE_AND_NEW_KEYS), self, self.save_and_new)
        self.consent_button: QPushButton | None = None
        if open_consent is not None and self._detail is not None:
            detail = self._detail
            self.consent_button = buttons.addButton(
                _("Consent && &marketing..."), QDialogButtonBox.ButtonRole.ActionRole
            )
            self.consent_button.clicked.connect(
                lambda: open_consent(detail.id, detail.language.value)
            )
        for button in buttons.buttons():
            # Enter in a field never presses Save by itself (``_on_return``).
            if isinstance(button, QPushButton):
                button.setAutoDefault(False)
                button.setDefault(False)
        return buttons

    def _assign_mnemonics(self, buttons: QDialogButtonBox) -> None:
        # Alt+letter for every field and button, unique in this window and language. The
        # buttons, the source and the opt-ins choose first: a form this long has more
        # labels than a language has letters in them, and the rarely used dates come last.
        section_labels: list[QLabel | QAbstractButton] = (
            []
            if self.consent_section is None
            else [
                *self.consent_section.labels.values(),
                *self.consent_section.channels.values(),
            ]
        )
        source_labels = [
            self.labels[n] for n in ("source_kind", "source_description", "source_obtained_on")
        ]
        person_labels = [self.labels[k] for k in _LEFT if k in self.labels]
        field_labels = [
            v for k, v in self.labels.items() if not k.startswith("source_") and k not in _LEFT
        ]
        ranked: list[QLabel | QAbstractButton] = [
            *buttons.buttons(),
            *source_labels,
            *person_labels,
            *section_labels,
            *field_labels,
        ]
        assign_mnemonics([w for w in ranked if w.isVisibleTo(self)])

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
        for name in _TEXT:
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
        for name in _DATES:
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
        if self.read_only:
            return
        self._save_and_new = False
        self._save()

    def save_and_new(self) -> None:
        """Save, then empty the form for the next contact (the source stays)."""
        if self.read_only or self._detail is not None:
            return
        self._save_and_new = True
        self._save()

    def _save(self) -> None:
        self._clear_messages()
        consents = self._checked_consents()
        if consents is None:
            return
        if not self.notes_confirmed() or not self._duplicate_confirmed():
            return
        # The user saw the warning and chose to save (or there was nothing to warn about):
        # the service checks the same rule on every way in.
        self._special_confirmed = True
        self._submit(consents)

    def _clear_messages(self) -> None:
        show_problems(self.errors, [], self.general_error)
        self.source_error.show_message("")
        if self.consent_section is not None:
            show_problems(self.consent_section.errors, [])

    def _statement_version(self) -> int | None:
        if self._statements is None:
            return None
        language = str(self._combo_value("language"))
        return self._statements.current(language).version

    def _checked_consents(self) -> list[ConsentInput] | None:
        """The opt-ins to record after the contact is saved, checked by the consent service
        first; None (with the problems shown) when one would be refused."""
        section = self.consent_section
        if section is None or self._consent is None:
            return []
        problems = section.problems()
        if problems:
            show_problems(section.errors, problems, self.general_error)
            return None
        consents = section.inputs(0, self._statement_version() if section.chosen() else None)
        try:
            for data in consents[:1]:  # the channels differ in nothing the check reads
                self._consent.check(self._actor, data)
        except ValidationFailed as exc:
            show_problems(section.errors, exc.problems, self.general_error)
            return None
        except DomainError as exc:
            self.general_error.show_message(describe_error(exc))
            return None
        return consents

    def _duplicate_confirmed(self) -> bool:
        """Ask before saving a new contact with the name and e-mail address of a stored one."""
        if self._detail is not None:
            return True
        hits = self._contacts.duplicates(self._actor, self.contact_input())
        same = [h for h in hits if h.same_name and h.kind is MatchKind.EMAIL]
        if not same:
            return True
        answer = QMessageBox.question(
            self,
            _("Save a second contact?"),
            _(
                "{name} with the e-mail address {email} is already in the contacts. "
                "Save this one as another contact anyway?"
            ).format(name=same[0].name or _("A contact"), email=same[0].value),
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        return answer == QMessageBox.StandardButton.Save

    def _submit(self, consents: Sequence[ConsentInput] = ()) -> None:
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
            self._add_format_hints()
            return
        except SourceMissing as exc:
            self.source_error.show_message(describe_error(exc))
            if self.source_kind.currentData() is None:
                self.source_kind.setFocus()
            else:
                self.source_description.setFocus()
            return
        except DomainError as exc:
            self.general_error.show_message(describe_error(exc))
            return
        self._record_consents(self.saved_id, consents)
        if hit is not None and hit.reason is SuppressionReason.OBJECTION:
            self.suppression_notice(hit.value)
        self.contact_saved.emit(self.saved_id)
        if self._save_and_new:
            self._start_next()
            return
        self._closing = True
        self.accept()

    def _record_consents(self, contact_id: int, consents: Sequence[ConsentInput]) -> None:
        """Record the checked opt-ins for the saved contact (rarely refused now: then say so)."""
        if self._consent is None:
            return
        try:
            for data in consents:
                self._consent.record(self._actor, dataclasses.replace(data, contact_id=contact_id))
        except DomainError as exc:
            QMessageBox.warning(
                self,
                _("Consent not recorded"),
                _(
                    "The contact was saved, but its consent was not recorded: {reason} "
                    "Record it with Consent & marketing."
                ).format(reason=describe_error(exc)),
            )

    def _add_format_hints(self) -> None:
        """Say under a refused phone number or e-mail address what a valid one looks like."""
        for name, hint in _FORMAT_HINTS.items():
            label = self.errors.get(name)
            if label is not None and not label.isHidden() and label.text():
                label.show_message(f"{label.text()}\n{_(hint)}")

    def _start_next(self) -> None:
        """Empty the form for the next contact; the source and its date stay."""
        assert self._empty is not None
        self._detail = None
        self.saved_id = None
        self._special_confirmed = False
        self._fill(self._empty)
        if self.consent_section is not None:
            self.consent_section.clear()
        self.duplicate_timer.stop()
        self.duplicate_bar.show_hits([])
        self._initial = self.form_state()
        self._focus_first()

    # -- changes, closing, Enter, duplicates -------------------------------------------

    def form_state(self) -> tuple[object, ...]:
        """What the user can change, to compare with the form as it was opened."""
        section: tuple[object, ...] = ()
        if self.consent_section is not None:
            section = self.consent_section.state()
        return (
            self.contact_input(),
            self.source_kind.currentData(),
            self.source_description.text(),
            section,
        )

    def is_changed(self) -> bool:
        """Has the user changed anything since the form was opened (or last saved)?"""
        return not self.read_only and self.form_state() != self._initial

    def reject(self) -> None:
        """Cancel or Escape: a changed form asks whether to save, discard or stay."""
        if self._closing or not self.isVisible() or not self.is_changed():
            super().reject()
            return
        answer = QMessageBox.question(
            self,
            _("Save the changes?"),
            _("This contact has changes that are not saved yet."),
            QMessageBox.StandardButton.Save
            | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Save,
        )
        if answer == QMessageBox.StandardButton.Discard:
            self._closing = True
            super().reject()
        elif answer == QMessageBox.StandardButton.Save:
            self.save()

    def closeEvent(self, event: QCloseEvent) -> None:
        """The window's close button asks like Cancel; a close by the program does not."""
        if not event.spontaneous():
            self._closing = True
        super().closeEvent(event)

    def showEvent(self, event: QShowEvent) -> None:
        self._closing = False
        super().showEvent(event)

    def open_existing(self, contact_id: int) -> None:
        """Close this form (asking when it changed) and open the stored contact instead."""
        self.open_instead = contact_id
        self.reject()
        if self.isVisible():  # the user chose to stay
            self.open_instead = None

    def _connect_changes(self) -> None:
        for name in _DUPLICATE_FIELDS:
            editor = self.editors[name]
            if isinstance(editor, QLineEdit | QPlainTextEdit):
                editor.textChanged.connect(self.duplicate_timer.start)

    def is_complete(self) -> bool:
        """Could Save succeed as far as the form can tell (a name, and a source when needed)?"""
        data = self.contact_input()
        if not (data.first_name.strip() or data.last_name.strip() or data.organisation.strip()):
            return False
        changed = self._detail is None or self.form_state()[0] != self._initial[0]
        described = self.source_kind.currentData() is not None and self.source_description.text()
        if changed and not described:
            return False
        return self.consent_section is None or not self.consent_section.problems()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Enter in a field: ``_on_return``, never the default button by itself."""
        plain = not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and plain:
            focus = QApplication.focusWidget()
            if isinstance(focus, QPushButton):
                focus.click()
            else:
                self._on_return()
            return
        super().keyPressEvent(event)

    def _on_return(self) -> None:
        """Enter saves a complete form; in one still being filled in it moves on."""
        if self.read_only:
            return
        if self.is_complete():
            self.save()
        else:
            self.focusNextChild()

    def check_duplicates(self) -> list[DuplicateHit]:
        """Look for stored contacts sharing a key with the form; show the bar (one query)."""
        self.duplicate_timer.stop()
        if self.read_only:
            return []
        try:
            hits = self._contacts.duplicates(
                self._actor, self.contact_input(), None if self._detail is None else self._detail.id
            )
        except DomainError:
            hits = []
        self.duplicate_bar.show_hits(hits)
        return hits

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
                shown = (self._shown(name, v) for v in getattr(data, name))
                self._plain(name).setPlainText("\n".join(shown))
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
