"""A lock never asks "Save the changes?" of an open contact editor.

The question kept the list showing behind it until someone answered, and its Save wrote
the contact with the role the owner had just taken away (found by an outside attack: a
user narrowed to read-only on another desk saved a contact after the change). A change
of access closes the editor unsaved; the idle lock hides it, with what was typed, and the
unlock shows it again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QLineEdit, QMessageBox
from pytestqt.qtbot import QtBot

from privacycrm_desktop.app import build_services
from privacycrm_desktop.cli import main as cli
from privacycrm_desktop.domain.access import Role
from privacycrm_desktop.i18n import _
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.ui.contacts.contact_editor import ContactEditorDialog
from privacycrm_desktop.ui.main_window import MainWindow

OWNER_PASSWORD = "owner-password-long-1"
SAM_PASSWORD = "sam-password-long-12"


@dataclass
class Seen:
    """What an attempt to edit while locking met."""

    questions: list[str] = field(default_factory=list)
    editor_open_after_lock: bool = True
    locked: bool = False


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A database with one contact (no. 1), its owner and sam (sales)."""
    monkeypatch.setenv("PRIVACYCRM_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("PRIVACYCRM_PASSWORD", OWNER_PASSWORD)
    db = str(tmp_path / "crm.db")
    init = ["init", "--owner", "owner", "--company", "Test BV", "--address", "Kerkstraat 1"]
    assert cli(["--db", db, *init]) == 0
    add = ["contacts", "add", "--first-name", "Zoë", "--last-name", "Lefèvre"]
    source = ["--source-kind", "phone_call", "--source", "call"]
    assert cli(["--db", db, "--user", "owner", *add, *source]) == 0
    monkeypatch.setenv("PRIVACYCRM_NEW_PASSWORD", SAM_PASSWORD)
    assert cli(["--db", db, "--user", "owner", "user", "add", "sam", "--role", "sales"]) == 0
    return db


def _edit_then(window: MainWindow, contact_id: int, action: Callable[[], None]) -> Seen:
    """Open *contact_id* in the editor, change its city, run *action*; what was seen.

    A question that shows is answered Cancel (the old behaviour then left the editor
    open), and an editor still open afterwards is closed, so the test never hangs."""
    seen = Seen()
    ended = [False]

    def answer() -> None:
        # Polls only while this test edits: a poll left running would answer the
        # message boxes of the tests after it.
        if ended[0]:
            return
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, QMessageBox) and widget.isVisible():
                seen.questions.append(widget.text())
                cancel = widget.button(QMessageBox.StandardButton.Cancel)
                if cancel is not None:
                    cancel.click()
                return
        QTimer.singleShot(20, answer)

    def in_editor() -> None:
        editor = window.findChildren(ContactEditorDialog)[0]
        city = editor.editors["city"]
        assert isinstance(city, QLineEdit)
        city.setText("Changed while locking")
        editor.source_kind.setCurrentIndex(1)
        editor.source_description.setText("a call")
        QTimer.singleShot(20, answer)
        try:
            action()
            seen.editor_open_after_lock = editor.isVisible()
            seen.locked = window.locked
            if editor.isVisible():
                editor.save()  # what the person could still do
                editor.done(0)
        finally:
            ended[0] = True

    QTimer.singleShot(0, in_editor)
    window.edit_contact(contact_id)
    return seen


def _sams_window(
    qtbot: QtBot, database: str, *, show: bool = True
) -> tuple[Services, Actor, MainWindow]:
    """A desk's services, sam signed in, and sam's main window (shown unless *show*)."""
    services = build_services(database)
    actor = services.auth.login("sam", SAM_PASSWORD)
    window = MainWindow(services, actor, None)
    qtbot.addWidget(window)
    if show:
        window.show()
    return services, actor, window


def test_idle_lock_hides_a_changed_editor_and_the_unlock_shows_it_again(
    qtbot: QtBot, database: str
) -> None:
    services, actor, window = _sams_window(qtbot, database)
    contact_id = 1
    typed: list[str] = []

    def lock_then_unlock() -> None:
        window.lock()
        editor = window.findChildren(ContactEditorDialog)[0]
        # Hidden behind the lock, not closed: nothing saved, nothing lost.
        assert window.locked
        assert not editor.isVisible()
        assert services.contacts.get(actor, contact_id).city == ""
        window.unlock(services.auth.login("sam", SAM_PASSWORD))
        city = editor.editors["city"]
        assert isinstance(city, QLineEdit)
        typed.append(city.text())

    seen = _edit_then(window, contact_id, lock_then_unlock)

    assert seen == Seen(questions=[], editor_open_after_lock=True, locked=False)
    assert typed == ["Changed while locking"]
    # The person saved it after the unlock (``_edit_then`` does): it is the person's edit.
    assert services.contacts.get(actor, contact_id).city == "Changed while locking"


def test_a_change_of_access_while_the_idle_lock_shows_closes_the_hidden_editor(
    qtbot: QtBot, database: str
) -> None:
    services, actor, window = _sams_window(qtbot, database)
    contact_id = 1

    def idle_then_narrowed() -> None:
        window.lock()
        window.lock(why="The owner changed your access on another desk.")

    seen = _edit_then(window, contact_id, idle_then_narrowed)

    assert seen == Seen(questions=[], editor_open_after_lock=False, locked=True)
    assert not any(e.isVisible() for e in window.findChildren(ContactEditorDialog))
    window.unlock(services.auth.login("sam", SAM_PASSWORD))
    assert not any(e.isVisible() for e in window.findChildren(ContactEditorDialog))
    assert services.contacts.get(actor, contact_id).city == ""


def test_a_narrowed_user_cannot_save_the_open_editor(qtbot: QtBot, database: str) -> None:
    _services, _actor, window = _sams_window(qtbot, database, show=False)
    window.start_change_watch(poll_interval=0.05)
    watch = window.change_watch
    assert watch is not None
    contact_id = 1
    owner_desk = build_services(database)
    owner = owner_desk.auth.login("owner", OWNER_PASSWORD)

    def narrow() -> None:
        owner_desk.auth.change_role(owner, "sam", Role.READ_ONLY)
        watch.refresh_now()

    seen = _edit_then(window, contact_id, narrow)
    watch.stop()

    assert seen == Seen(questions=[], editor_open_after_lock=False, locked=True)
    assert owner_desk.contacts.get(owner, contact_id).city == ""


def test_idle_lock_over_the_save_question_answers_it_as_escape_and_keeps_the_typing(
    qtbot: QtBot, database: str
) -> None:
    """The question is modal: left up, it would stand over the lock screen's password."""
    services, actor, window = _sams_window(qtbot, database)
    seen: dict[str, object] = {}

    def lock_over_the_question() -> None:
        boxes = [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox)]
        seen["question"] = [b.text() for b in boxes if b.isVisible()]
        window.lock()

    def in_editor() -> None:
        editor = window.findChildren(ContactEditorDialog)[0]
        city = editor.editors["city"]
        assert isinstance(city, QLineEdit)
        city.setText("Typed before the phone rang")
        QTimer.singleShot(50, lock_over_the_question)
        editor.reject()  # Escape: "Save the changes?" until the lock answers it
        boxes = [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox)]
        seen["question_after"] = [b for b in boxes if b.isVisible()]
        seen["hidden"] = not editor.isVisible()
        seen["locked"] = window.locked
        window.unlock(services.auth.login("sam", SAM_PASSWORD))
        seen["back"] = editor.isVisible() and city.text()
        editor.done(0)

    QTimer.singleShot(0, in_editor)
    window.edit_contact(1)

    assert seen["question"] == [_("This contact has changes that are not saved yet.")]
    assert seen["question_after"] == []
    assert seen["hidden"] is True
    assert seen["locked"] is True
    assert seen["back"] == "Typed before the phone rang"
    assert services.contacts.get(actor, 1).city == ""
