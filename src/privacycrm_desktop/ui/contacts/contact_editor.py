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
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QKeySequence,
    QShortcut,
)
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QBoxLayout,
    QDialogButtonBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from privacycrm_desktop.domain.access import FieldAccess, Permission, has_permission
from privacycrm_desktop.domain.contacts import (
    ContactInput,
)
from privacycrm_desktop.domain.custom_fields import catalogue_name
from privacycrm_desktop.domain.duplicates import MatchKind
from privacycrm_desktop.domain.edit_conflicts import input_from
from privacycrm_desktop.domain.errors import (
    DomainError,
    EditConflict,
    SourceMissing,
    ValidationFailed,
)
from privacycrm_desktop.domain.normalize import DEFAULT_REGION
from privacycrm_desktop.domain.special_categories import SPECIAL_CATEGORY_LABELS, TermHit
from privacycrm_desktop.domain.suppression import SuppressionReason
from privacycrm_desktop.i18n import _, describe_error
from privacycrm_desktop.services.consent import ConsentService
from privacycrm_desktop.services.consent_dto import ConsentInput
from privacycrm_desktop.services.contacts import ContactService
from privacycrm_desktop.services.dto import Actor, ContactDetail
from privacycrm_desktop.services.statements import StatementService
from privacycrm_desktop.ui.common import messages
from privacycrm_desktop.ui.common.mnemonics import assign_mnemonics
from privacycrm_desktop.ui.common.widgets import (
    ErrorLabel,
    SourceButton,
    show_problems,
    tab_buttons_in_visual_order,
)
from privacycrm_desktop.ui.common.window_size import screen_room, size_window
from privacycrm_desktop.ui.contacts.consent_section import ConsentSection
from privacycrm_desktop.ui.contacts.custom_section import CustomFieldSection
from privacycrm_desktop.ui.contacts.duplicate_bar import DuplicateBar
from privacycrm_desktop.ui.contacts.editor_flow import EditorFlowMixin
from privacycrm_desktop.ui.contacts.editor_form import (
    BELOW_FIELDS,
    DUPLICATE_DELAY_MS,
    FORMAT_HINTS,
    LEFT_FIELDS,
    RIGHT_FIELDS,
    SAVE_AND_NEW_KEYS,
)
from privacycrm_desktop.ui.contacts.links_section import CompaniesTagsSection, LinksServices

if TYPE_CHECKING:
    from privacycrm_desktop.ui.contacts.conflict_dialog import ConflictDialog


class ContactEditorDialog(EditorFlowMixin):
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
        links: LinksServices | None = None,
    ) -> None:
        super().__init__(parent)
        self._links = links
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
        self._today = today
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
        left.addWidget(self._group(_("Person"), LEFT_FIELDS))
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
        self.links_section: CompaniesTagsSection | None = None
        if self._detail is not None and self._links is not None:
            section = CompaniesTagsSection(self._detail, self._actor, *self._links)
            if section.shows_links or section.shows_tags:
                self.links_section = section
                contact_id = self._detail.id
                section.changed.connect(lambda: self.contact_saved.emit(contact_id))
                left.addWidget(section)
        left.addStretch(1)
        right = QVBoxLayout()
        right.addWidget(self._group(_("Address and relationship"), RIGHT_FIELDS + BELOW_FIELDS))
        # The owner's custom fields, built from their definitions.
        self.custom_section = CustomFieldSection(
            self._contacts.custom_fields(self._actor),
            {name: self.access(name) for name in self._custom_names()},
            self._detail.custom if self._detail is not None else (),
            self._today,
        )
        self.errors.update(self.custom_section.errors)
        right.addWidget(self.custom_section)
        right.addStretch(1)
        columns = QHBoxLayout()
        columns.addLayout(left, 1)
        columns.addLayout(right, 1)
        return columns

    def _custom_names(self) -> list[str]:
        return [d.name for d in self._contacts.custom_fields(self._actor)]

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
        person_labels = [self.labels[k] for k in LEFT_FIELDS if k in self.labels]
        field_labels = [
            v
            for k, v in self.labels.items()
            if not k.startswith("source_") and k not in LEFT_FIELDS
        ]
        ranked: list[QLabel | QAbstractButton] = [
            *buttons.buttons(),
            *source_labels,
            *person_labels,
            *section_labels,
            *field_labels,
            *([] if self.links_section is None else self.links_section.buttons),
        ]
        assign_mnemonics([w for w in ranked if w.isVisibleTo(self)])

    @property
    def loaded_version(self) -> tuple[int, int] | None:
        """The edited contact's id and the version the form was loaded from; None for a new
        contact (the main window compares it with the stored one: ui/contacts/change_watch.py)."""
        return None if self._detail is None else (self._detail.id, self._detail.version)

    def _fit_to_screen(self, content: QWidget, source_box: QWidget) -> None:
        margin = self.fontMetrics().height() * 3
        columns = content.layout()
        if (
            isinstance(columns, QBoxLayout)
            and content.sizeHint().width() + margin > screen_room(self).width()
        ):
            # Too narrow for two columns (a small or 150 %-scaled screen): one column that
            # scrolls down, rather than fields hidden off to the right.
            columns.setDirection(QBoxLayout.Direction.TopToBottom)
        width = content.sizeHint().width() + margin
        height = content.sizeHint().height() + source_box.sizeHint().height() + margin * 2
        size_window(self, QSize(width, height))  # capped to the screen, remembered

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
        answer = messages.warning(
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
        answer = messages.question(
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

    def _within_access(self, data: ContactInput) -> ContactInput:
        """*data* without what was typed in the fields the owner has narrowed since the
        editor opened (its ``AccessNarrowedBar`` says so): those keep their stored value
        (a new contact: none), and the rest saves (the whole save was refused)."""
        narrowed = {
            name
            for name in self.narrowed(self._contacts.field_access(self._actor))
            if self.access(name) is FieldAccess.WRITE
        }
        if not narrowed:
            return data
        before = self._base if self._base is not None else ContactInput()
        kept = {
            name: getattr(before, name)
            for name in narrowed
            if name != "extra" and hasattr(before, name)
        }
        extra = {k: v for k, v in data.extra.items() if catalogue_name(k) not in narrowed}
        return dataclasses.replace(data, **kept, extra=extra)

    def _submit(self, consents: Sequence[ConsentInput] = ()) -> None:
        try:
            data = self._within_access(self.contact_input())
            hit = self._contacts.suppression_check(
                self._actor,
                data,
                None if self._detail is None else self._detail.id,
            )
            if self._detail is None:
                self.saved_id = self._contacts.create(
                    self._actor,
                    data,
                    self.source_input(),
                    special_confirmed=self._special_confirmed,
                )
            else:
                self._contacts.update(
                    self._actor,
                    self._detail.id,
                    self._detail.version,
                    data,
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
            messages.warning(
                self,
                _("Consent not recorded"),
                _(
                    "The contact was saved, but its consent was not recorded: {reason} "
                    "Record it with Consent & marketing."
                ).format(reason=describe_error(exc)),
            )

    def _add_format_hints(self) -> None:
        """Say under a refused phone number or e-mail address what a valid one looks like."""
        for name, hint in FORMAT_HINTS.items():
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


__all__ = ["ContactEditorDialog"]
