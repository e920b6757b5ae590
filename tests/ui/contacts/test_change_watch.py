"""Two desks on one database: desk A's window follows what desk B saves.

Desk A is a main window on the test's SQLite file; desk B is a second ``Services`` with its
own engine on the same file (another app instance, or the CLI). Nobody touches desk A's
window: the change feed brings B's saves to it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QItemSelectionModel
from PySide6.QtWidgets import QAbstractItemView, QLineEdit
from pytestqt.qtbot import QtBot

from privacycrm_desktop.domain.access import FieldAccess, Role
from privacycrm_desktop.domain.contacts import ContactInput
from privacycrm_desktop.domain.custom_fields import CustomFieldDefinition, CustomKind
from privacycrm_desktop.domain.erasure import ErasureReason
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.i18n import _
from privacycrm_desktop.persistence.database import create_engine_for
from privacycrm_desktop.services.clock import FixedClock
from privacycrm_desktop.services.dto import Actor, SignInChange
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.services.setup import CompanyInput
from privacycrm_desktop.ui.admin.user_admin import UserAdminDialog
from privacycrm_desktop.ui.common.qt_i18n import apply_language
from privacycrm_desktop.ui.contacts.change_watch import (
    MIN_REFRESH_GAP_MS,
    AccessNarrowedBar,
    ChangedElsewhereBar,
    ChangeWatcher,
)
from privacycrm_desktop.ui.contacts.contact_editor import ContactEditorDialog
from privacycrm_desktop.ui.contacts.contact_table_model import ID_ROLE, Column
from privacycrm_desktop.ui.main_window import MainWindow

from ..screens import save

CARD = SourceInput(SourceKind.BUSINESS_CARD, "Batibouw 2025, stand 12", dt.date(2025, 2, 20))
CALL = SourceInput(SourceKind.PHONE_CALL, "She phoned", dt.date(2025, 3, 1))
AARON = ContactInput(first_name="Aaron", last_name="Aalst", emails=("aaron@example.be",))
ZOE = ContactInput(first_name="Zoë", last_name="Lefèvre", city="Liège")
POLL = 0.1


@pytest.fixture
def desk_b(database_path: object, services: Services) -> Iterator[Services]:
    """Another desk: its own engine and services on the same database file."""
    engine = create_engine_for(str(database_path))
    yield Services.build(engine, services.clock)
    engine.dispose()


def _window(qtbot: QtBot, services: Services, owner: Actor) -> MainWindow:
    window = MainWindow(services, owner)
    qtbot.addWidget(window)
    window.show()
    window.start_change_watch(poll_interval=POLL)
    watcher = window.change_watch
    assert watcher is not None
    assert watcher.running
    # Once listening, the feed calls back for what changed before: one refresh.
    qtbot.waitUntil(lambda: watcher.refreshes == 1, timeout=5000)
    return window


def _feed_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "privacycrm-change-feed"]


def test_a_contact_added_on_another_desk_shows_without_any_action(
    qtbot: QtBot, services: Services, owner: Actor, desk_b: Services
) -> None:
    window = _window(qtbot, services, owner)
    assert window.model.rowCount() == 0
    desk_b.contacts.create(owner, AARON, CARD)
    qtbot.waitUntil(lambda: window.model.rowCount() == 1, timeout=5000)
    shown = window.model.contact_at(0)
    assert shown is not None
    assert shown.name == "Aalst, Aaron"
    assert window.count_label.text() == "1 contact"
    window.close()
    assert not _feed_threads(), "closing the window ends the feed's thread"


def test_a_contact_added_before_the_watch_started_shows_too(
    qtbot: QtBot, services: Services, owner: Actor, desk_b: Services
) -> None:
    # The app starts the watch half a second after the list loaded: a save in between
    # must not wait for the next change to show.
    window = MainWindow(services, owner)
    qtbot.addWidget(window)
    window.show()
    desk_b.contacts.create(owner, AARON, CARD)
    window.start_change_watch(poll_interval=POLL)
    qtbot.waitUntil(lambda: window.model.rowCount() == 1, timeout=5000)


def test_selection_current_row_and_scroll_stay_on_the_same_contacts(
    qtbot: QtBot, services: Services, owner: Actor, desk_b: Services
) -> None:
    services.demo.generate(owner, 300, seed=3)
    window = _window(qtbot, services, owner)
    view, model = window.view, window.model
    ids = [model.index(row, 0).data(ID_ROLE) for row in (40, 41, 45, 60)]
    view.setCurrentIndex(model.index(45, 0))
    selection = view.selectionModel()
    for row in (40, 41, 60):
        selection.select(
            model.index(row, 0),
            QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows,
        )
    view.scrollTo(model.index(30, 0), QAbstractItemView.ScrollHint.PositionAtTop)
    top_id = model.index(view.rowAt(0), 0).data(ID_ROLE)
    top_row = view.rowAt(0)
    assert top_row > 0

    # "Aalst, Aaron" sorts before every demo name: every row moves down by one.
    refreshed = window.change_watch.refreshes
    desk_b.contacts.create(owner, AARON, CARD)
    qtbot.waitUntil(lambda: model.rowCount() == 301, timeout=5000)
    assert window.change_watch.refreshes == refreshed + 1
    assert model.contact_at(0).name == "Aalst, Aaron"

    assert view.currentIndex().row() == 46
    assert view.currentIndex().data(ID_ROLE) == ids[2]
    chosen = sorted({i.row() for i in selection.selectedIndexes()})
    assert chosen == [41, 42, 46, 61]
    assert [model.index(r, 0).data(ID_ROLE) for r in chosen] == ids
    assert view.rowAt(0) == top_row + 1
    assert model.index(view.rowAt(0), 0).data(ID_ROLE) == top_id


def test_an_open_editor_says_its_contact_changed_on_another_desk(
    qtbot: QtBot, services: Services, owner: Actor, desk_b: Services
) -> None:
    changed_id = services.contacts.create(owner, ZOE, CARD)
    quiet_id = services.contacts.create(owner, AARON, CARD)
    window = _window(qtbot, services, owner)
    editors = {}
    for cid in (changed_id, quiet_id):
        editor = ContactEditorDialog(services.contacts, owner, cid, window)
        editor.show()
        editors[cid] = editor
    detail = desk_b.contacts.get(owner, changed_id)
    desk_b.contacts.update(
        owner, changed_id, detail.version, dataclasses.replace(ZOE, city="Namur"), CARD
    )
    bar = None

    def bar_shows() -> None:
        nonlocal bar
        bar = editors[changed_id].findChild(ChangedElsewhereBar)
        assert bar is not None
        assert bar.isVisible()

    qtbot.waitUntil(bar_shows, timeout=5000)
    assert bar is not None
    assert "another desk" in bar.label.text()
    assert editors[quiet_id].findChild(ChangedElsewhereBar) is None


@pytest.mark.parametrize("removed", [False, True])
def test_the_bar_in_dutch_and_french(
    qtbot: QtBot, services: Services, owner: Actor, desk_b: Services, removed: bool
) -> None:
    cid = services.contacts.create(owner, ZOE, CARD)
    window = MainWindow(services, owner)
    qtbot.addWidget(window)
    watcher = ChangeWatcher(window, services, owner)  # not started: refreshed by hand
    for language in ("nl", "fr"):
        apply_language(language)
        editor = ContactEditorDialog(services.contacts, owner, cid, window)
        editor.show()
        if removed:
            desk_b.erasure.erase(owner, cid, ErasureReason.OTHER)
        else:
            detail = desk_b.contacts.get(owner, cid)
            moved = dataclasses.replace(ZOE, city=f"Namur {language}")
            desk_b.contacts.update(owner, cid, detail.version, moved, CALL)
        watcher.refresh_now()
        bar = editor.findChild(ChangedElsewhereBar)
        assert bar is not None
        assert bar.isVisible()
        assert "another desk" not in bar.label.text()
        assert ("werkpost" if language == "nl" else "poste") in bar.label.text()
        save(editor, f"{language}-editor-{'removed' if removed else 'changed'}-elsewhere")
        editor.reject()
        if removed:
            cid = services.contacts.create(owner, ZOE, CARD)


def test_refreshes_are_at_most_one_a_second(qtbot: QtBot, services: Services, owner: Actor) -> None:
    window = _window(qtbot, services, owner)
    watcher = window.change_watch
    assert watcher is not None
    times: list[float] = []
    watcher.refreshed.connect(lambda: times.append(dt.datetime.now().timestamp()))
    for _i in range(10):
        watcher._arrived.emit()
    qtbot.waitUntil(lambda: len(times) == 1, timeout=2000)
    for _i in range(10):
        watcher._arrived.emit()
        qtbot.wait(20)
    qtbot.waitUntil(lambda: len(times) == 2, timeout=3000)
    qtbot.wait(300)
    assert len(times) == 2, "twenty changes, two refreshes"
    assert times[1] - times[0] >= MIN_REFRESH_GAP_MS / 1000 - 0.05


def test_a_locked_window_shows_nothing_new(
    qtbot: QtBot, services: Services, owner: Actor, desk_b: Services
) -> None:
    window = _window(qtbot, services, owner)
    window.lock()
    desk_b.contacts.create(owner, AARON, CARD)
    qtbot.wait(int(POLL * 1000 * 5))
    watcher = window.change_watch
    assert watcher is not None
    watcher.refresh_now()
    assert window.model.rowCount() == 0
    assert watcher.refreshes == 1, "only the one before locking"


@pytest.fixture
def pg_desks(clock: FixedClock) -> Iterator[tuple[Services, Services, Actor]]:
    """Desks A and B on a PostgreSQL database of their own (skipped without a server)."""
    import pg_support

    url = pg_support.new_database()
    engines = [create_engine_for(url), create_engine_for(url)]
    desk_a, desk_b = (Services.build(engine, clock) for engine in engines)
    company = CompanyInput("Acme BV", "Kerkstraat 1, 9000 Gent", "0403.170.701", language="en")
    desk_a.setup.initialise(company, "owner", "correct horse battery")
    yield desk_a, desk_b, desk_a.auth.login("owner", "correct horse battery")
    for engine in engines:
        engine.dispose()
    pg_support.drop_database(url)


def test_on_postgresql_a_contact_added_on_another_desk_shows(
    qtbot: QtBot, pg_desks: tuple[Services, Services, Actor]
) -> None:
    desk_a, desk_b, owner = pg_desks
    window = _window(qtbot, desk_a, owner)
    assert window.model.rowCount() == 0
    desk_b.contacts.create(owner, AARON, CARD)
    qtbot.waitUntil(lambda: window.model.rowCount() == 1, timeout=5000)
    assert window.count_label.text() == "1 contact"
    window.close()
    assert not _feed_threads()


def _hidden_elsewhere(qtbot: QtBot, desk_a: Services, desk_b: Services, owner: Actor) -> None:
    """Desk A's window shows an office user's list; the owner hides e-mail addresses from
    the office on desk B: desk A's list (and every read of its services) hides them at
    the refresh the change brings, without a new start."""
    desk_a.contacts.create(owner, AARON, CARD)
    desk_a.auth.add_user(owner, "office", "a long password 1", Role.OFFICE)
    office = desk_a.auth.login("office", "a long password 1")
    window = _window(qtbot, desk_a, office)
    watcher = window.change_watch
    assert watcher is not None
    assert window.model.contact_at(0).email == "aaron@example.be"
    before = watcher.refreshes
    desk_b.access.set_field_access(owner, Role.OFFICE, "emails", FieldAccess.HIDDEN)
    qtbot.waitUntil(lambda: watcher.refreshes > before, timeout=5000)
    shown = window.model.contact_at(0)
    assert shown.email == ""
    assert "email" in shown.hidden
    assert desk_a.contacts.get(office, shown.id).emails == ()
    # The column goes too (it stayed, empty, until the next start); shown again later, it
    # comes back, and a column the user hid stays hidden.
    assert window.view.isColumnHidden(Column.EMAIL)
    window.view.setColumnHidden(Column.CITY, True)
    before = watcher.refreshes
    desk_b.access.set_field_access(owner, Role.OFFICE, "emails", FieldAccess.READ)
    qtbot.waitUntil(lambda: watcher.refreshes > before, timeout=5000)
    assert not window.view.isColumnHidden(Column.EMAIL)
    assert window.view.isColumnHidden(Column.CITY)
    window.close()


def test_a_custom_fields_column_hidden_on_another_desk_goes_and_comes_back(
    qtbot: QtBot, services: Services, owner: Actor, desk_b: Services
) -> None:
    """A custom field's column the user chose to show goes when the owner hides the field
    on another desk (it stayed, header and empty cells), and comes back when shown again;
    one the user never chose stays hidden either way."""
    for key in ("pet", "shoe"):
        services.custom_fields.define(owner, CustomFieldDefinition(key, key, CustomKind.TEXT))
    services.contacts.create(owner, AARON, CARD)
    window = _window(qtbot, services, owner)
    watcher = window.change_watch
    assert watcher is not None
    pet, shoe = (len(Column) + n for n in range(2))
    assert [f.key for f in window.model.custom_fields] == ["pet", "shoe"]
    window.view.setColumnHidden(pet, False)  # chosen in the header's menu
    for access, shown in ((FieldAccess.HIDDEN, False), (FieldAccess.READ, True)):
        before = watcher.refreshes
        for field in ("cf_pet", "cf_shoe"):
            desk_b.access.set_field_access(owner, Role.OWNER, field, access)
        qtbot.waitUntil(lambda b=before: watcher.refreshes > b, timeout=5000)
        assert window.view.isColumnHidden(pet) is not shown
        assert window.view.isColumnHidden(shoe)
    window.close()


def test_a_field_hidden_on_another_desk_is_hidden_here_without_a_new_start(
    qtbot: QtBot, services: Services, owner: Actor, desk_b: Services
) -> None:
    _hidden_elsewhere(qtbot, services, desk_b, owner)


def test_on_postgresql_a_field_hidden_on_another_desk_is_hidden_here(
    qtbot: QtBot, pg_desks: tuple[Services, Services, Actor]
) -> None:
    desk_a, desk_b, owner = pg_desks
    _hidden_elsewhere(qtbot, desk_a, desk_b, owner)


def test_an_open_editor_names_the_fields_narrowed_on_another_desk_and_saves_none_of_them(
    qtbot: QtBot, services: Services, owner: Actor, desk_b: Services
) -> None:
    """The owner makes the office's e-mail addresses read-only while an office user has a
    contact open: the editor says so, naming the field (before, it went on offering the
    field and dropped what was typed in it at the save without a word); the save keeps
    the stored address and the other fields' changes."""
    contact_id = services.contacts.create(owner, AARON, CARD)
    services.auth.add_user(owner, "office", "a long password 1", Role.OFFICE)
    office = services.auth.login("office", "a long password 1")
    window = _window(qtbot, services, office)
    watcher = window.change_watch
    assert watcher is not None
    editor = ContactEditorDialog(services.contacts, office, contact_id, window)
    editor.show()
    edited = ContactEditorDialog(services.contacts, office, None, window)  # a new contact
    edited.show()
    before = watcher.refreshes
    desk_b.access.set_field_access(owner, Role.OFFICE, "emails", FieldAccess.READ)
    qtbot.waitUntil(lambda: watcher.refreshes > before, timeout=5000)
    label = _(next(s.label for s in services.access.catalogue() if s.name == "emails"))
    for dialog in (editor, edited):
        bar = dialog.findChild(AccessNarrowedBar)
        assert bar is not None
        assert bar.isVisible()
        assert label in bar.label.text()
        assert "will not be saved" in bar.label.text()
        assert dialog.findChild(ChangedElsewhereBar) is None
    editor.editors["emails"].setPlainText("someone.else@example.be")
    editor.editors["city"].setText("Brugge")
    editor.source_kind.setCurrentIndex(editor.source_kind.findData(SourceKind.PHONE_CALL))
    editor.source_description.setText("She phoned")
    editor.save()
    qtbot.waitUntil(lambda: not editor.isVisible(), timeout=5000)
    stored = services.contacts.get(owner, contact_id)
    assert ([e.value for e in stored.emails], stored.city) == (["aaron@example.be"], "Brugge")
    window.close()


def test_a_save_after_the_owner_narrowed_a_custom_field_or_a_new_contacts_field_keeps_the_rest(
    qtbot: QtBot, services: Services, owner: Actor, desk_b: Services
) -> None:
    """What is typed in a narrowed custom field, or in any narrowed field of a new
    contact, is left out and the rest saves (the whole save was refused: "Your role may
    not fill in some of these fields", and the city typed with it was lost)."""
    services.custom_fields.define(owner, CustomFieldDefinition("pet", "Pet", CustomKind.TEXT))
    contact_id = services.contacts.create(owner, AARON, CARD)
    services.auth.add_user(owner, "office", "a long password 1", Role.OFFICE)
    office = services.auth.login("office", "a long password 1")
    window = _window(qtbot, services, office)
    watcher = window.change_watch
    assert watcher is not None
    existing = ContactEditorDialog(services.contacts, office, contact_id, window)
    new = ContactEditorDialog(services.contacts, office, None, window)
    for dialog in (existing, new):
        dialog.show()
        assert dialog.custom_section is not None
        pet = dialog.custom_section.editors["pet"]
        assert isinstance(pet, QLineEdit)
        pet.setText("Cat")
        dialog.editors["city"].setText("Brugge")
        dialog.editors["emails"].setPlainText("typed@example.be")
        dialog.source_kind.setCurrentIndex(dialog.source_kind.findData(SourceKind.PHONE_CALL))
        dialog.source_description.setText("She phoned")
    new.editors["last_name"].setText("Nieuw")
    before = watcher.refreshes
    for field in ("cf_pet", "emails"):
        desk_b.access.set_field_access(owner, Role.OFFICE, field, FieldAccess.READ)
    qtbot.waitUntil(lambda: watcher.refreshes > before, timeout=5000)
    for dialog in (existing, new):
        dialog.save()
        qtbot.waitUntil(lambda d=dialog: not d.isVisible(), timeout=5000)
    for saved_id, emails in ((contact_id, ["aaron@example.be"]), (new.saved_id, [])):
        assert saved_id is not None
        stored = services.contacts.get(owner, saved_id)
        assert ([e.value for e in stored.emails], stored.city) == (emails, "Brugge")
        assert [c.value for c in stored.custom if c.key == "pet"] in ([], [""])
    window.close()


def _narrowed_elsewhere(qtbot: QtBot, desk_a: Services, desk_b: Services, owner: Actor) -> None:
    """An office user's window on desk A; on desk B the owner makes them read-only, then
    deactivates another office user signed in on desk A: each window locks at the refresh
    the change brings (the old role could otherwise go on writing until a new start)."""
    desk_a.contacts.create(owner, AARON, CARD)
    windows = {}
    for name in ("office", "office2"):
        desk_a.auth.add_user(owner, name, "a long password 1", Role.OFFICE)
        windows[name] = _window(qtbot, desk_a, desk_a.auth.login(name, "a long password 1"))
    assert not any(w.locked for w in windows.values())
    desk_b.auth.change_role(owner, "office", Role.READ_ONLY)
    qtbot.waitUntil(lambda: windows["office"].locked, timeout=5000)
    assert not windows["office2"].locked
    # The lock screen says why, not "after a period without activity".
    why = windows["office"].lock_screen.explanation.text()
    assert why == _(
        "The owner changed your access on another desk. Enter your password "
        "to go on with your current access."
    )
    assert why != windows["office"].lock_screen.idle_text()
    desk_b.auth.deactivate_user(owner, "office2")
    qtbot.waitUntil(lambda: windows["office2"].locked, timeout=5000)
    # The right password no longer unlocks, and the sentence does not say it was wrong only.
    screen = windows["office2"].lock_screen
    screen.password.setText("a long password 1")
    screen.try_unlock()
    assert windows["office2"].locked
    assert "no longer active" in screen.error.text()
    for window in windows.values():
        window.close()


def test_a_user_narrowed_on_another_desk_is_locked_out_here(
    qtbot: QtBot, services: Services, owner: Actor, desk_b: Services
) -> None:
    _narrowed_elsewhere(qtbot, services, desk_b, owner)


def test_on_postgresql_a_user_narrowed_on_another_desk_is_locked_out_here(
    qtbot: QtBot, pg_desks: tuple[Services, Services, Actor]
) -> None:
    desk_a, desk_b, owner = pg_desks
    _narrowed_elsewhere(qtbot, desk_a, desk_b, owner)


def _reset_elsewhere(qtbot: QtBot, desk_a: Services, desk_b: Services, owner: Actor) -> None:
    """An office user's window on desk A; on desk B the owner resets their password (it
    may be known to someone else): the window locks at the refresh the change brings,
    says why, and unlocks with the new password only. Unlocked, it follows the other
    desks again without locking for the old generation."""
    desk_a.contacts.create(owner, AARON, CARD)
    desk_a.auth.add_user(owner, "office", "a long password 1", Role.OFFICE)
    window = _window(qtbot, desk_a, desk_a.auth.login("office", "a long password 1"))
    desk_b.auth.reset_password(owner, "office", "a new long password 2")
    qtbot.waitUntil(lambda: window.locked, timeout=5000)
    screen = window.lock_screen
    assert screen.explanation.text() == _(
        "The owner reset your password on another desk. Enter your new password to go on."
    )
    screen.password.setText("a long password 1")
    screen.try_unlock()
    assert window.locked
    screen.password.setText("a new long password 2")
    screen.try_unlock()
    assert not window.locked
    assert window.model.rowCount() == 1
    desk_b.contacts.create(owner, ZOE, CARD)
    qtbot.waitUntil(lambda: window.model.rowCount() == 2, timeout=5000)
    assert not window.locked
    window.close()


def test_a_password_reset_on_another_desk_locks_until_the_new_password(
    qtbot: QtBot, services: Services, owner: Actor, desk_b: Services
) -> None:
    _reset_elsewhere(qtbot, services, desk_b, owner)


def test_on_postgresql_a_password_reset_on_another_desk_locks_until_the_new_password(
    qtbot: QtBot, pg_desks: tuple[Services, Services, Actor]
) -> None:
    desk_a, desk_b, owner = pg_desks
    _reset_elsewhere(qtbot, desk_a, desk_b, owner)


def test_the_owner_resetting_their_own_password_here_goes_on_unlocked(
    qtbot: QtBot, services: Services, owner: Actor, desk_b: Services
) -> None:
    window = _window(qtbot, services, owner)
    dialog = window.open_users()
    assert isinstance(dialog, UserAdminDialog)
    dialog.select(owner.username)
    assert dialog.reset_selected("the owner's new password")
    dialog.close()
    desk_b.contacts.create(owner, ZOE, CARD)
    qtbot.waitUntil(lambda: window.model.rowCount() == 1, timeout=5000)
    assert not window.locked
    window.close()


def test_a_failed_refresh_is_logged_and_the_next_change_retries(
    qtbot: QtBot,
    services: Services,
    owner: Actor,
    desk_b: Services,
    caplog: pytest.LogCaptureFixture,
) -> None:
    services.contacts.create(owner, ZOE, CARD)
    window = _window(qtbot, services, owner)
    watcher = window.change_watch
    assert watcher is not None
    engine = desk_b.uow.engine
    # The list's count comes from this row: without it the refresh fails for real.
    with engine.begin() as conn:
        saved = conn.exec_driver_sql("SELECT n FROM contact_count WHERE id = 1").scalar_one()
        conn.exec_driver_sql("DELETE FROM contact_count")
    qtbot.waitUntil(lambda: "refresh after a change elsewhere failed" in caplog.text, timeout=5000)
    assert watcher.refreshes == 2  # counted, not completed
    assert window.model.rowCount() == 1  # the reset was ended: the view still works
    assert window.model.contact_at(0) is not None
    with engine.begin() as conn:
        conn.exec_driver_sql(f"INSERT INTO contact_count (id, n) VALUES (1, {int(saved)})")
    desk_b.contacts.create(owner, AARON, CARD)
    qtbot.waitUntil(lambda: window.model.rowCount() == 2, timeout=5000)


def test_a_failed_access_check_is_logged_and_the_next_change_retries(
    qtbot: QtBot,
    services: Services,
    owner: Actor,
    desk_b: Services,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The check of the user's role failing (a server gone for a moment) raised out of the
    refresh: a traceback, and the list was not refreshed."""
    from sqlalchemy.exc import OperationalError

    services.contacts.create(owner, ZOE, CARD)
    window = _window(qtbot, services, owner)
    real = services.auth.sign_in_change
    failing = [True]

    def check(actor: Actor) -> SignInChange | None:
        if failing[0]:
            raise OperationalError("SELECT", {}, Exception("server closed the connection"))
        return real(actor)

    monkeypatch.setattr(services.auth, "sign_in_change", check)
    desk_b.contacts.create(owner, AARON, CARD)
    qtbot.waitUntil(lambda: "access check after a change failed" in caplog.text, timeout=5000)
    assert not window.locked
    failing[0] = False
    desk_b.contacts.create(owner, ContactInput(first_name="Anna", last_name="Baert"), CARD)
    qtbot.waitUntil(lambda: window.model.rowCount() == 3, timeout=5000)
    assert not window.locked


def test_the_feed_lets_go_of_the_database_while_the_backups_dialog_is_open(
    qtbot: QtBot, services: Services, owner: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    from privacycrm_desktop.ui.admin.backup_dialog import BackupDialog

    window = _window(qtbot, services, owner)
    seen: list[bool] = []

    def exec_(dialog: BackupDialog) -> int:
        seen.append(window.change_watch is not None and window.change_watch.running)
        seen.append(bool(_feed_threads()))
        return 0

    monkeypatch.setattr(BackupDialog, "exec", exec_)
    window.open_backups()
    assert seen == [False, False], "a restore may swap the file: no connection of ours on it"
    assert window.change_watch is not None
    assert window.change_watch.running, "and it follows the other desks again afterwards"
