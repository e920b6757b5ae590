"""A new contact as office staff enter it: its source and opt-ins in one form, by keyboard,
a warning while typing when the person is already there, "Save and new", and a changed
form that is not thrown away by Escape."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QAbstractButton, QApplication, QLabel, QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from privacycrm_desktop.domain.consent import Channel, ConsentMethod, ConsentStatus
from privacycrm_desktop.domain.contacts import ContactInput
from privacycrm_desktop.domain.duplicates import MatchKind
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.services.contact_duplicates import EDITOR_KEYS
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.ui.common import messages
from privacycrm_desktop.ui.common.mnemonics import mnemonic_of
from privacycrm_desktop.ui.contacts.contact_editor import ContactEditorDialog
from privacycrm_desktop.ui.contacts.editor_form import SAVE_AND_NEW_KEYS
from privacycrm_desktop.ui.main_window import MainWindow

from .. import screens

SOURCE = SourceInput(SourceKind.BUSINESS_CARD, "Card at the Ghent fair", None)


@pytest.fixture(autouse=True)
def discard_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    """A form left changed by a failing test closes without a modal question."""
    monkeypatch.setattr(messages, "question", lambda *a, **k: QMessageBox.StandardButton.Discard)


def new_editor(qtbot: QtBot, services: Services, actor: Actor) -> ContactEditorDialog:
    dialog = ContactEditorDialog(
        services.contacts,
        actor,
        None,
        consent=services.consent,
        statements=services.statements,
    )
    qtbot.addWidget(dialog)
    return dialog


class Keyboard:
    """Key presses into the focused widget; every non-text key (Tab, Space, Enter,
    arrows, Alt+letter and Ctrl shortcuts) is counted."""

    def __init__(self, qtbot: QtBot) -> None:
        self.qtbot = qtbot
        self.presses = 0

    @staticmethod
    def focus() -> QWidget:
        widget = QApplication.focusWidget()
        assert widget is not None
        return widget

    def type(self, text: str) -> None:
        self.qtbot.keyClicks(self.focus(), text)

    def press(
        self,
        key: Qt.Key | str,
        modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier,
    ) -> None:
        self.presses += 1
        self.qtbot.keyClick(self.focus(), key, modifier)

    def alt(self, widget: QLabel | QAbstractButton) -> None:
        """Alt + the mnemonic of a label or button."""
        letter = mnemonic_of(widget.text())
        assert letter is not None, widget.text()
        self.press(letter, Qt.KeyboardModifier.AltModifier)


def test_a_new_contact_with_its_source_and_an_e_mail_opt_in_by_keyboard_only(
    qtbot: QtBot, services: Services, owner: Actor
) -> None:
    services.demo.generate(owner, 40, seed=2)
    window = MainWindow(services, owner)
    qtbot.addWidget(window)
    window.show()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    keys = Keyboard(qtbot)
    failures: list[BaseException] = []

    def enter_the_contact() -> None:
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, ContactEditorDialog)
        try:
            qtbot.waitUntil(dialog.isActiveWindow)
            section = dialog.consent_section
            assert section is not None
            assert keys.focus() is dialog.editors["first_name"]
            keys.type("Zoe")
            keys.press(Qt.Key.Key_Tab)
            keys.type("Peeters")
            keys.alt(dialog.labels["emails"])
            keys.type("zoe.peeters@example.be")
            keys.alt(section.channels[Channel.EMAIL])  # ticks the box
            qtbot.waitUntil(section.channels[Channel.EMAIL].isChecked)
            keys.alt(section.labels["method"])
            keys.press(Qt.Key.Key_Down)
            assert section.method.currentData() == ConsentMethod.FORM_BOX_TICKED
            keys.alt(section.labels["evidence"])
            keys.type("Newsletter form on the website, ref. 4711")
            keys.alt(dialog.labels["source_kind"])
            keys.press(Qt.Key.Key_Home)
            assert dialog.source_kind.currentData() == SourceKind.WEB_FORM
            keys.alt(dialog.labels["source_description"])
            keys.type("Newsletter form on the website")
            keys.press(Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
        except BaseException as exc:  # the dialog must close for the test to go on
            failures.append(exc)
        finally:
            if dialog.isVisible():
                dialog.done(0)

    QTimer.singleShot(0, enter_the_contact)
    keys.press(Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    if failures:
        raise failures[0]
    print(f"\nnew contact with source and e-mail opt-in: {keys.presses} non-text key presses")
    assert keys.presses <= 20
    # Saved with its source, the opt-in recorded, and selected in the list.
    current = window.model.contact_at(window.view.currentIndex().row())
    assert current is not None
    assert current.name == "Peeters, Zoe"
    saved = services.contacts.get(owner, current.id)
    assert [e.value for e in saved.emails] == ["zoe.peeters@example.be"]
    assert saved.emails[0].source.kind is SourceKind.WEB_FORM
    [event] = services.consent.history(owner, current.id)
    assert (event.channel, event.status, event.method) == (
        Channel.EMAIL,
        ConsentStatus.OPT_IN,
        ConsentMethod.FORM_BOX_TICKED,
    )
    assert event.statement_version is not None
    verdicts = {v.channel: v.allowed for v in services.consent.channels(owner, current.id)}
    assert verdicts[Channel.EMAIL] is True


def test_every_channel_starts_unticked_and_an_opt_in_needs_how_and_evidence(
    qtbot: QtBot, services: Services, owner: Actor
) -> None:
    dialog = new_editor(qtbot, services, owner)
    section = dialog.consent_section
    assert section is not None
    assert not any(box.isChecked() for box in section.channels.values())
    assert section.method.currentData() is None
    dialog.editors["last_name"].setText("Janssens")
    dialog.source_description.setText("Phone call")
    for channel in Channel:
        section.channels[channel].setChecked(True)
    dialog.save()
    assert dialog.saved_id is None
    assert not section.errors["method"].isHidden()
    section.method.setCurrentIndex(section.method.findData(ConsentMethod.VERBAL_PHONE))
    dialog.save()
    # The consent service's own check: no evidence, no opt-in; nothing saved yet.
    assert dialog.saved_id is None
    assert not section.errors["evidence"].isHidden()
    assert services.contacts.count(owner) == 0
    section.evidence.setText("Call of 2 March, 10:14")
    with qtbot.waitSignal(dialog.accepted):
        dialog.save()
    assert dialog.saved_id is not None
    events = services.consent.history(owner, dialog.saved_id)
    assert sorted(e.channel for e in events) == sorted(Channel)
    assert {e.status for e in events} == {ConsentStatus.OPT_IN}


def test_no_consent_section_for_a_role_that_may_not_record_consent(
    qtbot: QtBot, services: Services, owner: Actor
) -> None:
    from privacycrm_desktop.domain.access import Permission, Role, has_permission

    for role in Role:
        if has_permission(role, Permission.RECORD_CONSENT) or not has_permission(
            role, Permission.CREATE_CONTACTS
        ):
            continue
        name = f"user_{role.value}"
        services.auth.add_user(owner, name, "a good long password", role)
        dialog = new_editor(qtbot, services, services.auth.login(name, "a good long password"))
        assert dialog.consent_section is None


# -- duplicates while typing ------------------------------------------------------------

STORED = ContactInput(
    first_name="Zoë",
    last_name="Peeters",
    emails=("zoe@example.be",),
    phones=("+32475123456",),
    postcode="9000",
)
TYPED: dict[MatchKind, Callable[[ContactEditorDialog], None]] = {
    MatchKind.EMAIL: lambda d: d.editors["emails"].setPlainText("ZOE@example.be"),
    MatchKind.MOBILE: lambda d: d.editors["phones"].setPlainText("0475 12 34 56"),
    MatchKind.NAME_POSTCODE: lambda d: (
        d.editors["first_name"].setText("Zoë"),
        d.editors["last_name"].setText("Peeters"),
        d.editors["postcode"].setText("9000"),
    ),
}


@pytest.mark.parametrize("kind", EDITOR_KEYS)
def test_a_stored_contact_sharing_a_key_is_named_while_typing(
    qtbot: QtBot,
    services: Services,
    owner: Actor,
    kind: MatchKind,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stored = services.contacts.create(owner, STORED, SOURCE)
    services.contacts.create(owner, ContactInput(last_name="Other", postcode="9000"), SOURCE)
    dialog = new_editor(qtbot, services, owner)
    calls: list[int] = []
    original = services.contacts.duplicates

    def counted(*args: Any, **kwargs: Any) -> object:
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(services.contacts, "duplicates", counted)
    dialog.show()
    TYPED[kind](dialog)
    assert dialog.duplicate_bar.isHidden()  # not on every key: after a pause
    qtbot.waitUntil(dialog.duplicate_bar.isVisible, timeout=3000)
    assert len(calls) == 1  # one look-up for the pause
    [hit] = dialog.duplicate_bar.hits
    assert (hit.contact_id, hit.kind, hit.name) == (stored, kind, "Peeters, Zoë")
    assert "Peeters, Zoë" in dialog.duplicate_bar.label.text()
    # "Open it" closes the (changed) form after asking, and names the contact to open.
    monkeypatch.setattr(messages, "question", lambda *a, **k: QMessageBox.StandardButton.Discard)
    dialog.duplicate_bar.open_button.click()
    assert dialog.open_instead == stored
    assert not dialog.isVisible()


def test_nothing_is_named_for_values_nobody_has(
    qtbot: QtBot, services: Services, owner: Actor
) -> None:
    services.contacts.create(owner, STORED, SOURCE)
    dialog = new_editor(qtbot, services, owner)
    dialog.editors["first_name"].setText("Zoë")
    dialog.editors["last_name"].setText("Peeters")  # the same name, another postcode
    dialog.editors["postcode"].setText("1000")
    dialog.editors["emails"].setPlainText("zoe.p@example.com\nhalf@")
    dialog.editors["phones"].setPlainText("0475 99 88 77")
    assert dialog.check_duplicates() == []
    assert dialog.duplicate_bar.isHidden()


@pytest.mark.parametrize(
    "answer", [QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Save]
)
def test_saving_the_same_name_and_e_mail_again_asks_first(
    qtbot: QtBot,
    services: Services,
    owner: Actor,
    monkeypatch: pytest.MonkeyPatch,
    answer: QMessageBox.StandardButton,
) -> None:
    services.contacts.create(owner, STORED, SOURCE)
    asked: list[str] = []

    def question(_parent: object, _title: str, text: str, *args: object) -> object:
        asked.append(text)
        return answer

    monkeypatch.setattr(messages, "question", question)
    dialog = new_editor(qtbot, services, owner)
    dialog.editors["first_name"].setText("Zoë")
    dialog.editors["last_name"].setText("Peeters")
    dialog.editors["emails"].setPlainText("zoe@example.be")
    dialog.source_description.setText("Phone call")
    dialog.save()
    assert len(asked) == 1
    assert "Peeters, Zoë" in asked[0]
    assert "zoe@example.be" in asked[0]
    saved = answer == QMessageBox.StandardButton.Save
    assert (dialog.saved_id is not None) is saved
    assert services.contacts.count(owner) == (2 if saved else 1)


def test_another_person_at_the_same_address_is_saved_without_asking(
    qtbot: QtBot, services: Services, owner: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    services.contacts.create(owner, STORED, SOURCE)
    monkeypatch.setattr(messages, "question", lambda *a, **k: pytest.fail("asked"))
    dialog = new_editor(qtbot, services, owner)
    dialog.editors["first_name"].setText("Jan")
    dialog.editors["last_name"].setText("Peeters")
    dialog.editors["emails"].setPlainText("zoe@example.be")  # a shared family address
    dialog.source_description.setText("Phone call")
    dialog.save()
    assert dialog.saved_id is not None


# -- Save and new, closing ---------------------------------------------------------------


def test_save_and_new_keeps_the_source_and_empties_the_rest(
    qtbot: QtBot, services: Services, owner: Actor
) -> None:
    from PySide6.QtGui import QKeySequence

    dialog = new_editor(qtbot, services, owner)
    dialog.show()
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow)
    saved: list[int] = []
    dialog.contact_saved.connect(saved.append)
    dialog.source_kind.setCurrentIndex(dialog.source_kind.findData(SourceKind.BUSINESS_CARD))
    dialog.source_description.setText("Cards from the Ghent fair")
    for name in ("Aerts", "Baert"):
        dialog.editors["last_name"].setText(name)
        dialog.editors["last_name"].setFocus()
        sequence = QKeySequence(SAVE_AND_NEW_KEYS)[0]
        qtbot.keyClick(dialog.editors["last_name"], sequence.key(), sequence.keyboardModifiers())
        assert dialog.isVisible()
        assert dialog.editors["last_name"].text() == ""
        assert QApplication.focusWidget() is dialog.editors["first_name"]
        assert dialog.source_description.text() == "Cards from the Ghent fair"
        assert not dialog.is_changed()
    assert [services.contacts.get(owner, i).last_name for i in saved] == ["Aerts", "Baert"]
    # An empty next form closes at once.
    dialog.reject()
    assert not dialog.isVisible()


def test_save_and_new_does_not_clash_with_another_shortcut(
    qtbot: QtBot, services: Services, owner: Actor
) -> None:
    from PySide6.QtGui import QKeySequence, QShortcut

    window = MainWindow(services, owner)
    qtbot.addWidget(window)
    dialog = new_editor(qtbot, services, owner)
    taken = [s.key() for s in dialog.findChildren(QShortcut)]
    taken += [k for a in window.findChildren(type(window.new_action)) for k in a.shortcuts()]
    assert taken.count(QKeySequence(SAVE_AND_NEW_KEYS)) == 1


@pytest.mark.parametrize(
    ("answer", "closed", "saved"),
    [
        (QMessageBox.StandardButton.Cancel, False, False),
        (QMessageBox.StandardButton.Discard, True, False),
        (QMessageBox.StandardButton.Save, True, True),
    ],
)
def test_escape_on_a_changed_form_asks(
    qtbot: QtBot,
    services: Services,
    owner: Actor,
    monkeypatch: pytest.MonkeyPatch,
    answer: QMessageBox.StandardButton,
    closed: bool,
    saved: bool,
) -> None:
    asked: list[str] = []

    def question(*args: object, **kwargs: object) -> object:
        asked.append(str(args[1]))
        return answer

    monkeypatch.setattr(messages, "question", question)
    dialog = new_editor(qtbot, services, owner)
    dialog.show()
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)  # unchanged: closes at once
    assert not dialog.isVisible()
    assert asked == []
    dialog.show()
    dialog.editors["last_name"].setText("Claes")
    dialog.source_description.setText("Phone call")
    qtbot.keyClick(dialog.editors["last_name"], Qt.Key.Key_Escape)
    assert len(asked) == 1
    assert dialog.isVisible() is not closed
    assert (services.contacts.count(owner) == 1) is saved


def test_enter_in_a_field_moves_on_until_the_form_is_complete(
    qtbot: QtBot, services: Services, owner: Actor
) -> None:
    dialog = new_editor(qtbot, services, owner)
    dialog.show()
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow)
    dialog.source_description.setText("")
    first = dialog.editors["first_name"]
    first.setFocus()
    qtbot.keyClicks(first, "Zoe")
    qtbot.keyClick(first, Qt.Key.Key_Return)
    assert dialog.isVisible()
    assert dialog.source_error.isHidden()  # no "source missing" for half a form
    assert QApplication.focusWidget() is dialog.editors["last_name"]
    dialog.source_description.setText("Phone call")
    try:
        qtbot.keyClick(dialog.editors["last_name"], Qt.Key.Key_Return)
        assert dialog.saved_id is not None  # complete: Enter saves
    finally:
        dialog.done(0)


def test_the_editor_fits_1024_by_600_in_each_language(
    qtbot: QtBot, services: Services, owner: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtCore import QRect

    from privacycrm_desktop.ui.common import window_size
    from privacycrm_desktop.ui.common.qt_i18n import apply_language

    screen = QRect(0, 0, 1024, 600)
    monkeypatch.setattr(window_size.widgets, "available_geometry", lambda _widget: screen)

    from privacycrm_desktop.domain.access import Role

    stored = services.contacts.create(owner, STORED, SOURCE)
    services.auth.add_user(owner, "reader", "a good long password", Role.READ_ONLY)
    read_only = services.auth.login("reader", "a good long password")
    for language in ("nl", "fr", "en"):
        apply_language(language)
        dialog = new_editor(qtbot, services, owner)
        dialog.show()
        qtbot.waitExposed(dialog)
        assert dialog.width() <= 1024
        assert dialog.height() <= 600
        dialog.editors["emails"].setPlainText("zoe@example.be")
        dialog.check_duplicates()
        assert dialog.duplicate_bar.isVisible()
        screens.save(dialog, f"editor_new_duplicate_{language}", settle=True)
        section = dialog.consent_section
        assert section is not None
        section.channels[Channel.EMAIL].setChecked(True)
        dialog.activateWindow()
        qtbot.waitUntil(dialog.isActiveWindow)
        section.evidence.setFocus()  # the form scrolls to the focused field
        corner = section.evidence.mapTo(dialog, section.evidence.rect().bottomRight())
        assert dialog.rect().contains(corner)
        screens.save(dialog, f"editor_new_consent_{language}", settle=True)
        dialog.done(0)
        reader = ContactEditorDialog(services.contacts, read_only, stored)
        qtbot.addWidget(reader)
        reader.show()
        qtbot.waitExposed(reader)
        assert reader.width() <= 1024
        assert reader.height() <= 600
        screens.save(reader, f"editor_read_only_{language}", settle=True)
        reader.done(0)
