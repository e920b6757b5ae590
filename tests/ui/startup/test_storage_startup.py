"""Start-up safety: damaged file, read-only file, locked file, full disk.

The start-up (``open_database``) runs its dialogs modally, as in the app; a timer plays the
user: it answers whichever modal window is up and writes down what it said.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import event

from privacycrm_desktop.app import build_services
from privacycrm_desktop.domain.errors import StorageReadOnly
from privacycrm_desktop.i18n import _, describe_error
from privacycrm_desktop.persistence.sqlite_driver import sqlite3
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.services.storage import read_check_record
from privacycrm_desktop.ui.common.qt_i18n import apply_language
from privacycrm_desktop.ui.contacts.contact_editor import ContactEditorDialog
from privacycrm_desktop.ui.main_window import MainWindow
from privacycrm_desktop.ui.startup.recovery_dialog import RecoveryDialog
from privacycrm_desktop.ui.startup.storage_startup import (
    add_read_only_notice,
    open_database,
    watch_storage,
)

from ..screens import save

OWNER_PASSWORD = "correct horse battery"


class User:
    """Answers modal windows: the recovery dialog by *restore*, message boxes by *button*
    ("accept" or "reject" role; else the first button)."""

    def __init__(self, qtbot: QtBot, *, restore: bool = True, button: str = "") -> None:
        self.qtbot = qtbot
        self.restore = restore
        self.button = button
        self.seen: list[str] = []
        self.shots: list[Callable[[QWidget], None]] = []
        self.timer = QTimer()
        self.timer.setInterval(50)
        self.timer.timeout.connect(self.answer)
        self.timer.start()

    def answer(self) -> None:
        modal = QApplication.activeModalWidget()
        if modal is None or not modal.isVisible():
            return
        for shot in self.shots:
            shot(modal)
        if isinstance(modal, RecoveryDialog):
            if modal.progress.busy:
                return
            self.seen.append(modal.backup_label.text())
            if self.restore and modal.restore_button.isEnabled():
                modal.restore_button.click()
            else:
                modal.quit_button.click()
        elif isinstance(modal, QMessageBox):
            self.seen.append(modal.text())
            roles = {"accept": QMessageBox.ButtonRole.AcceptRole}
            roles["reject"] = QMessageBox.ButtonRole.RejectRole
            chosen = [b for b in modal.buttons() if modal.buttonRole(b) == roles.get(self.button)]
            (chosen or modal.buttons())[0].click()

    def stop(self) -> None:
        self.timer.stop()


@pytest.fixture
def user(qtbot: QtBot) -> Iterator[Callable[..., User]]:
    made: list[User] = []

    def make(**kwargs: Any) -> User:
        made.append(User(qtbot, **kwargs))
        return made[-1]

    yield make
    for one in made:
        one.stop()


@pytest.fixture
def fast_locks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRIVACYCRM_BUSY_TIMEOUT_MS", "200")


def with_backup(services: Services, owner: Actor) -> None:
    services.demo.generate(owner, 300, seed=3)
    services.backup.create(owner)
    services.uow.engine.dispose()


def garbage(path: Path, page: int, pages: int = 1) -> None:
    """Overwrite *pages* pages of 4096 bytes from page number *page* (0-based)."""
    with open(path, "r+b") as file:
        file.seek(page * 4096)
        file.write(os.urandom(4096 * pages))


def checkpoint_and_close(services: Services) -> None:
    with services.uow.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    services.uow.engine.dispose()


def test_a_file_that_is_not_a_database_offers_the_newest_backup(
    qtbot: QtBot, services: Services, owner: Actor, database_path: Path, user: Any
) -> None:
    with_backup(services, owner)
    checkpoint_and_close(services)
    database_path.write_bytes(b"This is a text file, not a database.\n" * 500)
    for suffix in ("-wal", "-shm"):
        database_path.with_name(database_path.name + suffix).unlink(missing_ok=True)
    answers = user(restore=True)
    opened = open_database(str(database_path), build_services)
    assert opened is not None
    assert any("Newest good backup" in text for text in answers.seen)
    assert any("The backup was restored" in text for text in answers.seen)
    assert opened.contacts.count(opened.auth.login("owner", OWNER_PASSWORD)) == 300
    # The damaged file was set aside, not deleted.
    kept = [p for p in database_path.parent.rglob("*") if p.is_file() and p != database_path]
    assert any(p.read_bytes().startswith(b"This is a text file") for p in kept)
    opened.uow.engine.dispose()


def test_a_malformed_schema_without_backup_says_so_and_quits(
    qtbot: QtBot, services: Services, database_path: Path, user: Any
) -> None:
    checkpoint_and_close(services)
    with open(database_path, "r+b") as file:  # keep the header, break the schema page
        file.seek(100)
        file.write(os.urandom(3996))
    answers = user(restore=True)
    assert open_database(str(database_path), build_services) is None
    assert any("No usable backup was found" in text for text in answers.seen)
    # The damaged file is left as it was.
    assert database_path.read_bytes()[:16] == b"SQLite format 3\x00"


def test_damage_found_by_the_daily_check_is_recovered_at_the_next_start(
    qtbot: QtBot, services: Services, owner: Actor, database_path: Path, user: Any
) -> None:
    with_backup(services, owner)
    services.demo.generate(owner, 2000, seed=4)
    checkpoint_and_close(services)
    pages = database_path.stat().st_size // 4096
    garbage(database_path, pages - 40, 30)  # contact pages, not the schema
    opened = open_database(str(database_path), build_services)
    assert opened is not None  # the damage does not show when opening
    assert opened.storage.quick_check_due()
    problems = opened.storage.run_quick_check()
    assert problems
    record = read_check_record(database_path)
    assert record is not None
    assert not record.ok
    opened.storage.close()
    answers = user(restore=True)
    again = open_database(str(database_path), build_services)
    assert again is not None
    assert any("The backup was restored" in text for text in answers.seen)
    assert again.storage.run_quick_check() == []
    assert again.contacts.count(again.auth.login("owner", OWNER_PASSWORD)) == 300
    again.uow.engine.dispose()


def test_a_locked_file_asks_to_retry(
    qtbot: QtBot, services: Services, database_path: Path, user: Any, fast_locks: None
) -> None:
    checkpoint_and_close(services)
    holder = sqlite3.connect(database_path, isolation_level=None)
    holder.execute("PRAGMA locking_mode=EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    holder.execute("CREATE TABLE other_program (x)")
    holder.execute("COMMIT")  # exclusive locking mode keeps the lock after the commit
    answers = user(button="accept")  # Retry
    released: list[bool] = []

    def release() -> None:
        if answers.seen and not released:
            holder.close()
            released.append(True)

    releaser = QTimer()
    releaser.timeout.connect(release)
    releaser.start(20)
    opened = open_database(str(database_path), build_services)
    releaser.stop()
    assert released
    assert opened is not None
    assert answers.seen[0] == _(
        "Another program keeps the database locked, so PrivacyCRM cannot open it."
    )
    opened.uow.engine.dispose()


def test_a_read_only_file_opens_read_only_with_a_notice(
    qtbot: QtBot, services: Services, database_path: Path, user: Any, read_only_file: Any
) -> None:
    owner = services.auth.login("owner", OWNER_PASSWORD)
    services.demo.generate(owner, 20, seed=5)
    checkpoint_and_close(services)
    read_only_file.apply(database_path)
    opened_services: list[Services] = []

    def build(database: str) -> Services:
        built = build_services(database)
        if not read_only_file.immutable:  # query_only stands in for chattr
            read_only_file.apply(database_path, built.uow.engine)
        opened_services.append(built)
        return built

    answers = user()
    opened = open_database(str(database_path), build)
    assert opened is not None
    assert any("read-only" in text for text in answers.seen)
    actor = opened.auth.login("owner", OWNER_PASSWORD)
    window = MainWindow(opened, actor)
    qtbot.addWidget(window)
    watch_storage(window, opened, check=False)
    window.show()
    notice = window.statusBar().findChild(QLabel, "readOnlyNotice")
    assert notice is not None
    assert notice.text() == _("Read-only")
    assert window.model.rowCount() == 20  # the list reads
    # Saving says why it cannot, and the form keeps what was typed.
    editor = ContactEditorDialog(opened.contacts, actor, None, window)
    qtbot.addWidget(editor)
    editor.show()
    editor.editors["last_name"].setText("Lefèvre")
    editor.source_description.setText("phoned in")
    editor.save()
    assert editor.isVisible()
    assert "read-only" in editor.general_error.text()
    assert editor.editors["last_name"].text() == "Lefèvre"
    editor.reject()
    window.close()
    opened.uow.engine.dispose()


def test_a_read_only_file_an_older_version_wrote_is_refused_with_its_reason(
    qtbot: QtBot, services: Services, database_path: Path, user: Any, read_only_file: Any
) -> None:
    """Look-ups cannot run on an older schema: the one sentence asks for a writable file
    (the driver's "you can still look things up" was not true) and nothing changes."""
    from alembic import command

    from privacycrm_desktop.persistence.migrate import alembic_config

    with services.uow.engine.begin() as conn:
        command.downgrade(alembic_config(conn), "-1")
    checkpoint_and_close(services)
    read_only_file.apply(database_path)
    if not read_only_file.immutable:
        pytest.skip("needs chattr: query_only cannot be set before the update runs")
    before = database_path.read_bytes()
    answers = user()
    assert open_database(str(database_path), build_services) is None
    assert answers.seen == [
        _(
            "The database file is read-only and must be updated to this version of "
            "PrivacyCRM first. Make the file and its folder writable, or use the version that "
            "wrote it."
        )
    ]
    assert database_path.read_bytes() == before


def test_a_full_disk_keeps_the_editor_open_with_the_input(
    qtbot: QtBot, services: Services, owner: Actor
) -> None:
    engine = services.uow.engine

    def full(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        pages = dbapi_connection.execute("PRAGMA page_count").fetchone()[0]
        dbapi_connection.execute(f"PRAGMA max_page_count={pages}")

    editor = ContactEditorDialog(services.contacts, owner, None)
    qtbot.addWidget(editor)
    editor.show()
    editor.editors["last_name"].setText("Lefèvre")
    editor.editors["notes"].setPlainText("n" * 19_000)
    editor.source_description.setText("phoned in")
    event.listen(engine, "connect", full)
    engine.dispose()
    try:
        editor.save()
        assert editor.isVisible()
        assert editor.saved_id is None
        assert "disk holding the database is full" in editor.general_error.text()
        assert editor.editors["last_name"].text() == "Lefèvre"
    finally:
        event.remove(engine, "connect", full)
        engine.dispose()
    editor.save()  # the fault is gone: the same input saves
    assert editor.saved_id is not None
    assert services.contacts.count(owner) == 1


@pytest.mark.parametrize("language", ["nl", "fr"])
def test_screenshots_of_the_storage_messages(
    qtbot: QtBot,
    services: Services,
    owner: Actor,
    database_path: Path,
    language: str,
    user: Any,
    fast_locks: None,
    read_only_file: Any,
) -> None:
    apply_language(language)
    with_backup(services, owner)
    checkpoint_and_close(services)
    dialog = RecoveryDialog(
        database_path, _("the file is damaged, or it is not a PrivacyCRM database.")
    )
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: not dialog.progress.busy, timeout=10_000)
    assert dialog.restore_button.isEnabled()
    assert _("Newest good backup: {backup}").split("{")[0] in dialog.backup_label.text()
    save(dialog, f"{language}-recovery-dialog")
    empty = RecoveryDialog(
        database_path,
        _("its integrity check found damage ({details}).").format(details="page 7: btree"),
        backup_folder=database_path.parent / "none",
    )
    qtbot.addWidget(empty)
    empty.show()
    qtbot.waitUntil(lambda: not empty.progress.busy, timeout=10_000)
    assert not empty.restore_button.isEnabled()
    save(empty, f"{language}-recovery-no-backup")

    shots: list[str] = []
    holder = sqlite3.connect(database_path, isolation_level=None)
    holder.execute("PRAGMA locking_mode=EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    answers = user(button="reject")  # Quit
    answers.shots.append(
        lambda modal: (
            (
                save(modal, f"{language}-locked-message"),
                shots.append(modal.windowTitle()),
            )
            if isinstance(modal, QMessageBox) and not shots
            else None
        )
    )
    assert open_database(str(database_path), build_services) is None
    holder.close()
    assert shots
    assert answers.seen[0] == _(
        "Another program keeps the database locked, so PrivacyCRM cannot open it."
    )

    # Read-only: the mark in the status bar, and the editor saying why it cannot save.
    read_only_file.apply(database_path, services.uow.engine)
    window = MainWindow(services, owner)
    qtbot.addWidget(window)
    add_read_only_notice(window)
    window.resize(900, 500)
    window.show()
    qtbot.waitExposed(window)
    save(window, f"{language}-read-only-window")
    editor = ContactEditorDialog(services.contacts, owner, None, window)
    qtbot.addWidget(editor)
    editor.show()
    editor.editors["last_name"].setText("Lefèvre")
    editor.source_description.setText("Salon Liège")
    editor.save()
    assert editor.isVisible()
    assert editor.general_error.text() == describe_error(StorageReadOnly())
    save(editor, f"{language}-read-only-editor")
    editor.reject()
    window.close()


def test_background_jobs_show_a_full_disk_in_words(qtbot: QtBot, tmp_path: Path, user: Any) -> None:
    from privacycrm_desktop.ui.common.workers import run_in_background

    def bulk_write(_context: object) -> None:  # a bulk write outside the unit of work
        conn = sqlite3.connect(tmp_path / "bulk.db")
        conn.execute("CREATE TABLE t (x)")
        conn.execute(f"PRAGMA max_page_count={conn.execute('PRAGMA page_count').fetchone()[0]}")
        try:
            conn.execute("INSERT INTO t VALUES (zeroblob(100000))")
        finally:
            conn.close()

    answers = user()
    parent = QWidget()
    qtbot.addWidget(parent)
    job = run_in_background(bulk_write, lambda _result: None, parent=parent)
    qtbot.waitUntil(lambda: not job.running, timeout=10_000)
    qtbot.waitUntil(lambda: bool(answers.seen), timeout=5_000)
    assert answers.seen == [
        _(
            "The disk holding the database is full; nothing was saved. "
            "Free some space, then try again."
        )
    ]


def test_the_daily_check_runs_in_the_background_and_reports_damage(
    qtbot: QtBot, services: Services, owner: Actor, database_path: Path, user: Any
) -> None:
    from privacycrm_desktop.ui.startup.storage_startup import start_quick_check

    services.demo.generate(owner, 2000, seed=6)
    checkpoint_and_close(services)
    window = QWidget()
    qtbot.addWidget(window)
    sound = build_services(str(database_path))
    assert start_quick_check(window, sound)
    qtbot.waitUntil(lambda: not sound.storage.quick_check_due(), timeout=10_000)
    assert not start_quick_check(window, sound)  # once a day
    sound.storage.close()

    pages = database_path.stat().st_size // 4096
    garbage(database_path, pages - 40, 30)
    import json

    database_path.with_name(database_path.name + ".check.json").write_text(
        json.dumps({"at": "2000-01-01T00:00:00", "problems": []}), encoding="utf-8"
    )
    damaged = build_services(str(database_path))
    answers = user(button="reject")  # Continue
    assert start_quick_check(window, damaged)
    qtbot.waitUntil(lambda: bool(answers.seen), timeout=10_000)
    assert answers.seen[0].startswith(_("The daily check of the database file found damage."))
    record = read_check_record(database_path)
    assert record is not None
    assert not record.ok
    damaged.storage.close()


def test_a_damaged_users_table_met_at_sign_in_is_one_sentence(
    qtbot: QtBot,
    services: Services,
    database_path: Path,
    user: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The file opens (its schema and settings are sound) but the users' table is damaged:
    the sign-in's first read raised ``StorageDamaged`` out of the start as a traceback."""
    from privacycrm_desktop.app import open_and_sign_in
    from privacycrm_desktop.domain.errors import StorageDamaged
    from privacycrm_desktop.ui.common.settings import UiSettings

    checkpoint_and_close(services)
    connection = sqlite3.connect(database_path)
    roots = connection.execute(
        "SELECT rootpage FROM sqlite_schema WHERE tbl_name = 'app_user' AND rootpage > 0"
    ).fetchall()
    connection.close()
    for (root,) in roots:  # the table and its indexes: whichever the count reads
        garbage(database_path, root - 1)
    monkeypatch.setenv("PRIVACYCRM_USER", "owner")
    monkeypatch.setenv("PRIVACYCRM_PASSWORD", OWNER_PASSWORD)
    answers = user(restore=False)
    assert open_and_sign_in(str(database_path), UiSettings()) is None
    assert describe_error(StorageDamaged()) in answers.seen
