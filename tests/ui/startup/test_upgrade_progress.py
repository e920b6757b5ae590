"""A schema update at start-up runs on a thread of its own under a window that says so
(filling the digests of a million contacts took a minute with nothing on screen)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from sqlalchemy import Engine

from privacycrm_desktop import app
from privacycrm_desktop.domain.errors import StorageReadOnly
from privacycrm_desktop.persistence import migrate as migrations
from privacycrm_desktop.persistence.database import create_engine_for
from privacycrm_desktop.persistence.migrate import HEAD_REVISION, current_revision
from privacycrm_desktop.ui.startup import upgrade_progress
from privacycrm_desktop.ui.startup.upgrade_progress import UpgradeDialog, run_with_progress

OLDER = "0026_digest_id_change"


def _visible_dialogs() -> list[UpgradeDialog]:
    return [
        w for w in QApplication.topLevelWidgets() if isinstance(w, UpgradeDialog) and w.isVisible()
    ]


def test_a_due_update_runs_off_the_ui_thread_under_a_window(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = tmp_path / "older.db"
    engine = create_engine_for(str(database))
    migrations.migrate(engine, target=OLDER)
    engine.dispose()
    real = migrations.migrate
    threads: list[str] = []

    def slow(engine: Engine, target: str = "head") -> bool:
        threads.append(threading.current_thread().name)
        time.sleep(0.3)  # a long update: the window shows meanwhile
        return real(engine, target)

    monkeypatch.setattr(migrations, "migrate", slow)
    monkeypatch.setattr(upgrade_progress, "SHOW_AFTER_MS", 50)
    seen: list[int] = []
    probe = QTimer()
    probe.timeout.connect(lambda: seen.append(len(_visible_dialogs())))
    probe.start(20)
    services = app._build_with_progress(str(database))
    probe.stop()
    try:
        assert threads == ["database-update"]  # not the UI thread
        assert max(seen) == 1  # the UI thread kept its events going and showed the window
        assert not _visible_dialogs()  # and closed it
        assert current_revision(services.uow.engine) == HEAD_REVISION
    finally:
        services.uow.engine.dispose()


def test_a_database_already_up_to_date_opens_without_the_window(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = tmp_path / "current.db"
    engine = create_engine_for(str(database))
    migrations.migrate(engine)
    engine.dispose()

    def refuse(*_args: object) -> object:
        raise AssertionError("no update is due")

    monkeypatch.setattr(upgrade_progress, "run_with_progress", refuse)
    services = app._build_with_progress(str(database))
    services.uow.engine.dispose()


def test_what_the_update_raises_is_raised_on_the_ui_thread(qtbot: QtBot) -> None:
    def refused() -> bool:
        raise StorageReadOnly()

    with pytest.raises(StorageReadOnly):
        run_with_progress(refused)
    assert not _visible_dialogs()
    assert run_with_progress(lambda: 42) == 42


def test_escape_does_not_close_the_window(qtbot: QtBot) -> None:
    dialog = UpgradeDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert dialog.isVisible()
