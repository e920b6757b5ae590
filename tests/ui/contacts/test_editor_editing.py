"""Editing a contact: the source of a change is chosen, not assumed; empty dates look
empty; refusals say what a valid value looks like; numbers are shown formatted and saved
unchanged; a user who may not change contacts gets a read-only form."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtWidgets import QComboBox, QLineEdit, QMessageBox, QPlainTextEdit
from pytestqt.qtbot import QtBot

from privacycrm_desktop.domain.access import Permission, Role, has_permission
from privacycrm_desktop.domain.contacts import ContactInput
from privacycrm_desktop.domain.normalize import phone_display
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.ui.common import messages
from privacycrm_desktop.ui.common.date_fields import OptionalDateEdit
from privacycrm_desktop.ui.common.mnemonics import mnemonic_of, mnemonics_in
from privacycrm_desktop.ui.common.qt_i18n import apply_language
from privacycrm_desktop.ui.contacts.contact_editor import ContactEditorDialog
from privacycrm_desktop.ui.contacts.editor_form import RIGHT_FIELDS

from .. import screens

SOURCE = SourceInput(SourceKind.BUSINESS_CARD, "Card at the Ghent fair", dt.date(2025, 1, 2))
STORED = ContactInput(
    first_name="Zoë",
    last_name="Peeters",
    emails=("zoe@example.be",),
    phones=("+32475123456", "+33123456789"),
)


@pytest.fixture(autouse=True)
def discard_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(messages, "question", lambda *a, **k: QMessageBox.StandardButton.Discard)


def editor(
    qtbot: QtBot, services: Services, actor: Actor, cid: int | None = None
) -> ContactEditorDialog:
    dialog = ContactEditorDialog(
        services.contacts,
        actor,
        cid,
        consent=services.consent,
        statements=services.statements,
        home_country="BE",
    )
    qtbot.addWidget(dialog)
    return dialog


def test_ctrl_s_after_a_change_asks_for_its_source_instead_of_reusing_the_last(
    qtbot: QtBot, services: Services, owner: Actor
) -> None:
    cid = services.contacts.create(owner, STORED, SOURCE)
    dialog = editor(qtbot, services, owner, cid)
    assert dialog.source_kind.currentData() is None
    assert dialog.source_description.text() == ""
    dialog.editors["city"].setText("Gent")
    dialog.save()
    assert dialog.saved_id is None
    assert not dialog.source_error.isHidden()
    assert services.contacts.get(owner, cid).city == ""
    dialog.source_kind.setCurrentIndex(dialog.source_kind.findData(SourceKind.PHONE_CALL))
    dialog.source_description.setText("She phoned")
    dialog.save()
    saved = services.contacts.get(owner, cid)
    assert saved.city == "Gent"
    assert saved.provenance["city"].kind is SourceKind.PHONE_CALL


def test_numbers_are_shown_formatted_and_saving_them_unchanged_changes_nothing(
    qtbot: QtBot, services: Services, owner: Actor
) -> None:
    cid = services.contacts.create(owner, STORED, SOURCE)
    before = services.contacts.get(owner, cid)
    dialog = editor(qtbot, services, owner, cid)
    shown = dialog.editors["phones"].toPlainText().splitlines()
    assert shown == [phone_display(p.value, "BE") for p in before.phones]
    assert shown[0] == "0475 12 34 56"
    assert shown[1].startswith("+33 ")
    assert not dialog.is_changed()
    dialog.save()  # no source chosen: nothing changed, nothing to attribute
    assert dialog.saved_id == cid
    after = services.contacts.get(owner, cid)
    assert after.version == before.version
    assert [p.value for p in after.phones] == [p.value for p in before.phones]


def test_unset_optional_dates_show_nothing(qtbot: QtBot, services: Services, owner: Actor) -> None:
    dialog = editor(qtbot, services, owner)
    dates = [e for e in dialog.editors.values() if isinstance(e, OptionalDateEdit)]
    assert dates
    for field in dates:
        assert field.value() is None
        assert field.edit.text().strip() == ""  # not today's date in grey
        assert "dd/mm/yyyy" in field.edit.toolTip()
        field.check.setChecked(True)
        assert field.value() == services.contacts.suggest_source(owner, None).obtained_on
        field.check.setChecked(False)
        assert field.edit.text().strip() == ""


@pytest.mark.parametrize(
    ("field", "value", "example"),
    [("phones", "12", "0475 12 34 56"), ("emails", "zoe at example", "name@example.be")],
)
def test_a_refused_value_says_what_a_valid_one_looks_like(
    qtbot: QtBot, services: Services, owner: Actor, field: str, value: str, example: str
) -> None:
    dialog = editor(qtbot, services, owner)
    dialog.editors["last_name"].setText("Claes")
    dialog.editors[field].setPlainText(value)
    dialog.source_description.setText("Phone call")
    dialog.save()
    assert dialog.saved_id is None
    assert example in dialog.errors[field].text()


@pytest.mark.parametrize(
    "role", [r for r in Role if not has_permission(r, Permission.EDIT_CONTACTS)]
)
def test_a_user_who_may_not_edit_gets_a_read_only_form(
    qtbot: QtBot, services: Services, owner: Actor, role: Role
) -> None:
    cid = services.contacts.create(owner, STORED, SOURCE)
    services.auth.add_user(owner, "reader", "a good long password", role)
    reader = services.auth.login("reader", "a good long password")
    dialog = editor(qtbot, services, reader, cid)
    assert dialog.read_only
    assert not dialog.save_button.isVisibleTo(dialog)
    assert dialog.save_new_button is None
    for name, widget in dialog.editors.items():
        if widget.parent() is None:
            continue  # hidden from the role
        if isinstance(widget, QLineEdit | QPlainTextEdit):
            assert widget.isReadOnly(), name
            palette = widget.palette()
            assert palette.color(palette.ColorRole.Base) == palette.color(
                palette.ColorRole.Window
            ), name  # does not look like a field to type in
        elif isinstance(widget, QComboBox):
            assert not widget.isEnabled(), name
    dialog.show()
    dialog.save()
    screens.save(dialog, f"editor_read_only_{role.value}", settle=True)
    dialog.reject()  # nothing to ask: a read-only form never changes
    assert not dialog.isVisible()


# -- mnemonics ----------------------------------------------------------------------------

#: Fields a new contact rarely needs: these may go without an Alt+letter when a language
#: has fewer letters in its labels than the form has labels (Tab still reaches them).
RARELY_USED = {"relationship_start", "relationship_end", "last_interaction", "birth_date", "notes"}


@pytest.mark.parametrize("language", ["nl", "fr", "en"])
@pytest.mark.parametrize("new", [True, False])
def test_every_button_and_label_has_its_own_alt_letter(
    qtbot: QtBot, services: Services, owner: Actor, language: str, new: bool
) -> None:
    from PySide6.QtWidgets import QAbstractButton, QLabel

    apply_language(language)
    cid = None if new else services.contacts.create(owner, STORED, SOURCE)
    dialog = editor(qtbot, services, owner, cid)
    found = mnemonics_in(dialog)
    letters = [letter for letter, _text in found]
    assert len(letters) == len(set(letters)), found
    missing = []
    for widget in dialog.findChildren(QAbstractButton) + dialog.findChildren(QLabel):
        if not widget.isVisibleTo(dialog) or not any(c.isalpha() for c in widget.text()):
            continue
        if isinstance(widget, QLabel) and widget.buddy() is None:
            continue  # a caption or a message, not a field's label
        if (
            isinstance(widget, QAbstractButton)
            and widget.parent() is not None
            and any(isinstance(widget.parent(), OptionalDateEdit) for _ in [0])
        ):
            continue  # a date's own tick boxes: the label's letter leads to them
        if mnemonic_of(widget.text()) is None:
            missing.append(widget.text())
    names = {label.text(): name for name, label in dialog.labels.items()}
    # A new contact's form also holds the opt-ins: more labels than letters in any of the
    # three languages. The buttons, the source, the person and the opt-ins come first;
    # what goes without is in the address and relationship column (reached by Tab).
    allowed = (RARELY_USED | set(RIGHT_FIELDS)) if new else RARELY_USED
    assert all(names.get(text) in allowed for text in missing), missing
    # Save and Cancel, in every language.
    assert mnemonic_of(dialog.save_button.text()) is not None
    assert mnemonic_of(dialog.cancel_button.text()) is not None
    if dialog.save_new_button is not None:
        assert mnemonic_of(dialog.save_new_button.text()) is not None
    for name in ("first_name", "last_name", "emails", "phones"):
        assert mnemonic_of(dialog.labels[name].text()) is not None, name
    print(f"\n{language} {'new' if new else 'edit'}: without Alt+letter: {missing}")
