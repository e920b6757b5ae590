"""Two desks edit one contact: the second save shows both values to choose from.

Each desk is its own ``Services`` with its own engine on the same database file, as two app
instances would be; the editors are the real ones.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog
from pytestqt.qtbot import QtBot

from privacycrm_desktop.domain.access import Role
from privacycrm_desktop.domain.contacts import ContactInput, Relationship
from privacycrm_desktop.domain.edit_conflicts import (
    Choice,
    ConflictDetail,
    FieldConflict,
    input_from,
)
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.persistence.database import create_engine_for
from privacycrm_desktop.services.clock import FixedClock
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.ui.common.mnemonics import mnemonic_of, mnemonics_in
from privacycrm_desktop.ui.common.qt_i18n import apply_language
from privacycrm_desktop.ui.contacts.conflict_dialog import ConflictDialog
from privacycrm_desktop.ui.contacts.contact_editor import ContactEditorDialog

from ..screens import save as save_png

CARD = SourceInput(SourceKind.BUSINESS_CARD, "Batibouw 2026, stand 12", dt.date(2025, 2, 20))
ZOE = ContactInput(
    first_name="Zoë",
    last_name="Lefèvre",
    emails=("zoe.lefevre@example.be",),
    phones=("+32475123456",),
    street="Rue Haute 1",
    postcode="4000",
    city="Liège",
    notes="Prefers calls after 5 pm",
    relationship=Relationship.CUSTOMER,
)
PASSWORD = "a long enough password"


@pytest.fixture
def desk_b(db_url: str, clock: FixedClock, services: Services) -> Iterator[Services]:
    """The second desk: its own engine and services on the same database (the SQLite file,
    or the PostgreSQL server: this file runs on both back ends)."""
    engine = create_engine_for(db_url)
    yield Services.build(engine, clock)
    engine.dispose()


@pytest.fixture
def marie(services: Services, owner: Actor, desk_b: Services) -> Actor:
    services.auth.add_user(owner, "marie", PASSWORD, Role.SALES)
    return desk_b.auth.login("marie", PASSWORD)


def _editor(qtbot: QtBot, services: Services, actor: Actor, cid: int) -> ContactEditorDialog:
    editor = ContactEditorDialog(services.contacts, actor, cid)
    qtbot.addWidget(editor)
    editor.show()
    editor.source_kind.setCurrentIndex(editor.source_kind.findData(SourceKind.PHONE_CALL))
    editor.source_description.setText("She phoned")
    return editor


def _type(editor: ContactEditorDialog, **values: str) -> None:
    for name, value in values.items():
        editor.editors[name].setText(value)


def _dialog(editor: ContactEditorDialog) -> ConflictDialog:
    dialog = editor.conflict_dialog
    assert dialog is not None
    assert dialog.isVisible()
    return dialog


def _two_desks_collide(
    qtbot: QtBot, services: Services, owner: Actor, desk_b: Services, marie: Actor
) -> tuple[int, ContactEditorDialog]:
    """Both desks open the contact; A saves a new address; B saves another one."""
    cid = services.contacts.create(owner, ZOE, CARD)
    desk_a_editor = _editor(qtbot, services, owner, cid)
    desk_b_editor = _editor(qtbot, desk_b, marie, cid)
    _type(desk_a_editor, city="Namur", postcode="5000")
    desk_a_editor.editors["phones"].setPlainText("+32475123456\n+3292234567")
    with qtbot.waitSignal(desk_a_editor.accepted):
        desk_a_editor.save()
    _type(desk_b_editor, city="Gent", postcode="9000", last_name="Dubois")
    desk_b_editor.save()
    return cid, desk_b_editor


def test_the_second_desk_chooses_field_by_field_and_saves_exactly_that(
    qtbot: QtBot, services: Services, owner: Actor, desk_b: Services, marie: Actor
) -> None:
    cid, editor = _two_desks_collide(qtbot, services, owner, desk_b, marie)
    dialog = _dialog(editor)
    assert list(dialog.groups) == ["postcode", "city"]
    assert (dialog.theirs["city"].text(), dialog.mine["city"].text()) == ("Namur", "Gent")
    assert (dialog.theirs["postcode"].text(), dialog.mine["postcode"].text()) == ("5000", "9000")
    assert "Phone numbers" in (dialog.taken_label.text() if dialog.taken_label else "")
    assert "owner" in dialog.theirs["city"].toolTip()
    assert not dialog.save_button.isEnabled()  # a choice per row first
    assert editor.isVisible()
    assert services.contacts.get(owner, cid).city == "Namur"  # nothing of B's saved yet

    qtbot.mouseClick(dialog.theirs["city"], Qt.MouseButton.LeftButton)
    qtbot.mouseClick(dialog.mine["postcode"], Qt.MouseButton.LeftButton)
    assert dialog.choices() == {"city": Choice.THEIRS, "postcode": Choice.MINE}
    assert dialog.save_button.isEnabled()
    with qtbot.waitSignal(editor.accepted):
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)

    stored = services.contacts.get(owner, cid)
    assert (stored.city, stored.postcode, stored.last_name) == ("Namur", "9000", "Dubois")
    assert [p.value for p in stored.phones] == ["+32475123456", "+3292234567"]  # A's kept
    assert stored.provenance["postcode"].description == "She phoned"
    assert stored.provenance["postcode"].entered_by == "marie"


def test_cancel_keeps_the_typed_form_and_saving_again_asks_again(
    qtbot: QtBot, services: Services, owner: Actor, desk_b: Services, marie: Actor
) -> None:
    cid, editor = _two_desks_collide(qtbot, services, owner, desk_b, marie)
    dialog = _dialog(editor)
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert editor.conflict_dialog is None
    assert editor.isVisible()
    assert editor.result() != QDialog.DialogCode.Accepted
    assert editor.editors["city"].text() == "Gent"
    assert editor.editors["last_name"].text() == "Dubois"
    assert "Nothing was saved" in editor.general_error.text()
    assert services.contacts.get(owner, cid).city == "Namur"

    editor.save()
    again = _dialog(editor)
    assert list(again.groups) == ["postcode", "city"]
    qtbot.mouseClick(again.keep_mine, Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(editor.accepted):
        qtbot.mouseClick(again.save_button, Qt.MouseButton.LeftButton)
    stored = services.contacts.get(owner, cid)
    assert (stored.city, stored.postcode) == ("Gent", "9000")


def test_a_third_save_while_choosing_shows_the_dialog_again(
    qtbot: QtBot, services: Services, owner: Actor, desk_b: Services, marie: Actor
) -> None:
    cid, editor = _two_desks_collide(qtbot, services, owner, desk_b, marie)
    first = _dialog(editor)
    # Desk A saves once more while desk B is still choosing.
    current = services.contacts.get(owner, cid)
    moved = dataclasses.replace(input_from(current), city="Brugge", postcode="8000")
    services.contacts.update(owner, cid, current.version, moved, CARD)
    qtbot.mouseClick(first.keep_mine, Qt.MouseButton.LeftButton)
    assert first.choices() == {"postcode": Choice.MINE, "city": Choice.MINE}
    qtbot.mouseClick(first.save_button, Qt.MouseButton.LeftButton)

    second = _dialog(editor)
    assert second is not first
    assert (second.theirs["city"].text(), second.mine["city"].text()) == ("Brugge", "Gent")
    assert editor.editors["city"].text() == "Gent"
    assert services.contacts.get(owner, cid).city == "Brugge"
    qtbot.mouseClick(second.keep_theirs, Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(editor.accepted):
        qtbot.mouseClick(second.save_button, Qt.MouseButton.LeftButton)
    stored = services.contacts.get(owner, cid)
    assert (stored.city, stored.postcode, stored.last_name) == ("Brugge", "8000", "Dubois")


def test_choosing_the_value_that_was_replaced_again_takes_the_newest(
    qtbot: QtBot, services: Services, owner: Actor, desk_b: Services, marie: Actor
) -> None:
    """Choosing "theirs" means "not mine": a newer save of theirs is taken without asking."""
    cid, editor = _two_desks_collide(qtbot, services, owner, desk_b, marie)
    first = _dialog(editor)
    current = services.contacts.get(owner, cid)
    moved = dataclasses.replace(input_from(current), city="Brugge", postcode="8000")
    services.contacts.update(owner, cid, current.version, moved, CARD)
    qtbot.mouseClick(first.keep_theirs, Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(editor.accepted):
        qtbot.mouseClick(first.save_button, Qt.MouseButton.LeftButton)
    assert editor.conflict_dialog is None
    stored = services.contacts.get(owner, cid)
    assert (stored.city, stored.postcode, stored.last_name) == ("Brugge", "8000", "Dubois")


def test_the_dialog_is_keyboard_usable(
    qtbot: QtBot, services: Services, owner: Actor, desk_b: Services, marie: Actor
) -> None:
    _cid, editor = _two_desks_collide(qtbot, services, owner, desk_b, marie)
    dialog = _dialog(editor)
    dialog.activateWindow()
    # Each field label has an Alt+letter that moves to its row's first choice.
    label = dialog.labels["city"]
    assert "&" in label.text()
    assert label.buddy() is dialog.theirs["city"]
    for button in (dialog.keep_theirs, dialog.keep_mine, dialog.save_button):
        assert "&" in button.text()
    dialog.theirs["city"].setFocus()
    qtbot.keyClick(dialog.theirs["city"], Qt.Key.Key_Space)
    assert dialog.choices() == {"city": Choice.THEIRS}
    dialog.mine["postcode"].setFocus()
    qtbot.keyClick(dialog.mine["postcode"], Qt.Key.Key_Space)
    assert dialog.save_button.isEnabled()
    with qtbot.waitSignal(editor.accepted):
        qtbot.keyClick(dialog.save_button, Qt.Key.Key_Space)


def _every_field_conflicts() -> ConflictDetail:
    """A conflict on many fields, long notes included: the biggest the dialog gets."""
    base = ZOE
    theirs = dataclasses.replace(
        ZOE,
        first_name="Zoé",
        city="Namur",
        postcode="5000",
        emails=("zoe@example.be", "z.lefevre@brasserie-zoe.be"),
        birth_date=dt.date(1980, 5, 1),
        notes="Rappeler après 17 h; préfère le français. " * 9,
        relationship=Relationship.SUPPLIER,
    )
    mine = dataclasses.replace(
        ZOE,
        first_name="Zoë Marie",
        city="Gent",
        postcode="9000",
        emails=("zoe.lefevre@example.be",),
        birth_date=None,
        notes="Belt liever na 17 u & spreekt Nederlands.",
        relationship=Relationship.PROSPECT,
    )
    fields = ("first_name", "emails", "postcode", "city", "birth_date", "notes", "relationship")
    from privacycrm_desktop.domain.fields import FIELDS_BY_NAME

    conflicts = tuple(
        FieldConflict(
            f,
            FIELDS_BY_NAME[f].label,
            getattr(base, f),
            getattr(theirs, f),
            getattr(mine, f),
            their_by="owner",
            their_at=dt.datetime(2025, 3, 14, 9, 41),
        )
        for f in fields
    )
    return ConflictDetail(
        contact_id=1,
        version=3,
        conflicts=conflicts,
        theirs=theirs,
        merged=mine,
        taken_over=("phones", "street"),
        changed_at=dt.datetime(2025, 3, 14, 9, 41),
    )


@pytest.mark.parametrize("language", ["nl", "fr", "en"])
def test_screenshots_fit_and_mnemonics(qtbot: QtBot, language: str) -> None:
    apply_language(language)
    dialog = ConflictDialog(_every_field_conflicts())
    qtbot.addWidget(dialog)
    dialog.show()
    # Each Alt+letter once in the window, and a field's letter leads to its row.
    letters = [letter for letter, _text in mnemonics_in(dialog)]
    assert len(letters) == len(set(letters)), letters
    assert mnemonic_of(dialog.keep_theirs.text()) is not None
    assert mnemonic_of(dialog.keep_mine.text()) is not None
    qtbot.waitExposed(dialog)
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow)
    letter = mnemonic_of(dialog.labels["city"].text())
    assert letter is not None
    qtbot.keyClick(dialog, letter, Qt.KeyboardModifier.AltModifier)
    assert QApplication.focusWidget() is dialog.theirs["city"]
    assert dialog.width() <= 1366
    assert dialog.height() <= 768
    # An & in a value stays an ampersand, not a mnemonic.
    assert "&&" in dialog.mine["notes"].text()
    assert dialog.theirs["notes"].text().endswith("\u2026")
    save_png(dialog, f"{language}-conflict-dialog")
    dialog.choose("city", Choice.THEIRS)
    dialog.choose("notes", Choice.MINE)
    save_png(dialog, f"{language}-conflict-dialog-chosen")
