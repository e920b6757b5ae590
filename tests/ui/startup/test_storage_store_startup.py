"""Start-up once something went wrong: damage stays remembered, derived parts are
rebuilt, a newer version's database or backup gets one sentence and recovery falls back to
a backup it can actually restore.

The modal windows are answered by test_storage_startup's ``User`` (a timer playing the user).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from privacycrm_desktop.app import build_services
from privacycrm_desktop.i18n import _
from privacycrm_desktop.persistence import backup as backup_files
from privacycrm_desktop.persistence.migrate import HEAD_REVISION
from privacycrm_desktop.persistence.sqlite_driver import sqlite3
from privacycrm_desktop.services.clock import FixedClock
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.services.storage import read_check_record
from privacycrm_desktop.ui.startup.storage_startup import open_database

from .test_storage_startup import OWNER_PASSWORD, checkpoint_and_close, user, with_backup

__all__ = ["user"]  # the fixture, used by name


def raw(path: Path, *statements: str, params: tuple[Any, ...] = ()) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        for statement in statements:
            conn.execute(statement, params) if params else conn.execute(statement)
    finally:
        conn.close()


def swap_two_indexes(path: Path) -> None:
    """Damage only ``integrity_check`` sees (index contents), not ``quick_check``."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        root = dict(
            conn.execute(
                "SELECT name, rootpage FROM sqlite_master WHERE name IN "
                "('ix_contact_city_sort', 'ix_contact_org_sort')"
            ).fetchall()
        )
        conn.execute("PRAGMA writable_schema=ON")
        conn.execute(
            "UPDATE sqlite_master SET rootpage = ? WHERE name = 'ix_contact_city_sort'",
            (root["ix_contact_org_sort"],),
        )
        conn.execute(
            "UPDATE sqlite_master SET rootpage = ? WHERE name = 'ix_contact_org_sort'",
            (root["ix_contact_city_sort"],),
        )
        conn.execute("PRAGMA writable_schema=OFF")
    finally:
        conn.close()


def test_damage_a_full_check_found_is_not_forgotten_at_the_next_start(
    qtbot: QtBot, services: Services, owner: Actor, database_path: Path, user: Any
) -> None:
    with_backup(services, owner)
    services.demo.generate(owner, 500, seed=5)
    checkpoint_and_close(services)
    swap_two_indexes(database_path)
    outcome = services.storage.run_check()  # what ``check`` runs
    assert outcome.damaged
    services.storage.close()
    answers = user(restore=True)
    opened = open_database(str(database_path), build_services)
    assert opened is not None
    # The start-up checked in full again (a quick check does not see this damage) and
    # offered the backup instead of opening the damaged file.
    assert any("The backup was restored" in text for text in answers.seen)
    assert opened.contacts.count(opened.auth.login("owner", OWNER_PASSWORD)) == 300
    assert opened.storage.run_check().problems == ()
    record = read_check_record(database_path)
    assert record is not None
    assert record.ok
    opened.uow.engine.dispose()


def test_a_broken_search_index_found_before_is_rebuilt_at_start_with_one_sentence(
    qtbot: QtBot, services: Services, owner: Actor, database_path: Path, user: Any
) -> None:
    services.demo.generate(owner, 400, seed=6)
    checkpoint_and_close(services)
    raw(database_path, "DELETE FROM contact_fts_content WHERE id % 4 = 0")
    assert services.storage.run_quick_check() == []  # the daily check rebuilds it at once
    raw(database_path, "DELETE FROM contact_fts_content WHERE id % 4 = 1")
    # A record of a failed check (as a read-only or locked file leaves it): next start.
    from privacycrm_desktop.services.storage import CheckRecord, write_check_record

    write_check_record(
        database_path, CheckRecord(services.storage._clock.now(), ("search index ...",))
    )
    services.storage.close()
    answers = user(restore=False)
    opened = open_database(str(database_path), build_services)
    assert opened is not None
    assert (
        _("The search index did not match the data and was rebuilt from it; no data was lost.")
        in answers.seen
    )
    from privacycrm_desktop.persistence.storage_health import check_engine

    assert check_engine(opened.uow.engine).ok
    actor = opened.auth.login("owner", OWNER_PASSWORD)
    first = opened.contacts.page(actor, limit=1)[0]
    assert first.id in [r.id for r in opened.contacts.page(actor, query=first.name, limit=50)]
    assert opened.storage.run_check().repaired == ()
    opened.uow.engine.dispose()


def test_a_database_from_a_newer_version_says_so_and_quits(
    qtbot: QtBot, services: Services, database_path: Path, user: Any
) -> None:
    checkpoint_and_close(services)
    raw(database_path, "UPDATE alembic_version SET version_num = '0099_future'")
    answers = user(restore=True)
    assert open_database(str(database_path), build_services) is None
    assert any("newer version of PrivacyCRM (schema 0099_future)" in t for t in answers.seen)


def newer_backup(services: Services, owner: Actor, *, manifest_knows_it: bool) -> Path:
    """A backup whose database a newer version wrote; its manifest says so, or (as an
    older app's manifest would) names a revision this version knows. Made a day after
    the good one: rotation keeps one backup a day."""
    clock = services.backup._clock
    assert isinstance(clock, FixedClock)
    clock.advance(dt.timedelta(days=1))
    info = services.backup.create(owner)
    raw(info.path, "UPDATE alembic_version SET version_num = '0099_future'")
    database_id, key = services.backup.identity()
    fresh = backup_files.new_backup_info(
        info.path,
        info.created_at,
        backup_files.snapshot_facts(info.path),
        encrypted=False,
        tier=info.tier,
        database_id=database_id,
    )
    if manifest_knows_it:
        fresh = dataclasses.replace(fresh, schema_version=HEAD_REVISION)
    backup_files.write_manifest(fresh, key)
    return info.path


def test_recovery_skips_a_newer_versions_backup(
    qtbot: QtBot, services: Services, owner: Actor, database_path: Path, user: Any
) -> None:
    with_backup(services, owner)  # 300 contacts, a good backup
    services.demo.generate(owner, 100, seed=7)
    newer_backup(services, owner, manifest_knows_it=False)
    checkpoint_and_close(services)
    database_path.write_bytes(b"not a database\n" * 400)
    for suffix in ("-wal", "-shm"):
        database_path.with_name(database_path.name + suffix).unlink(missing_ok=True)
    answers = user(restore=True)
    opened = open_database(str(database_path), build_services)
    assert opened is not None
    assert any("The backup was restored" in text for text in answers.seen)
    assert opened.contacts.count(opened.auth.login("owner", OWNER_PASSWORD)) == 300
    opened.uow.engine.dispose()


def test_recovery_falls_back_when_a_restore_fails(
    qtbot: QtBot, services: Services, owner: Actor, database_path: Path, user: Any
) -> None:
    with_backup(services, owner)
    services.demo.generate(owner, 100, seed=8)
    newer_backup(services, owner, manifest_knows_it=True)  # passes its check, fails restore
    checkpoint_and_close(services)
    database_path.write_bytes(b"not a database\n" * 400)
    for suffix in ("-wal", "-shm"):
        database_path.with_name(database_path.name + suffix).unlink(missing_ok=True)
    answers = user(restore=True)
    opened = open_database(str(database_path), build_services)
    assert opened is not None
    assert sum("Newest good backup" in text for text in answers.seen) >= 2
    assert opened.contacts.count(opened.auth.login("owner", OWNER_PASSWORD)) == 300
    opened.uow.engine.dispose()


def test_the_daily_check_rebuilds_a_broken_index_in_the_background(
    qtbot: QtBot, services: Services, owner: Actor, database_path: Path, user: Any
) -> None:
    from PySide6.QtWidgets import QMainWindow

    from privacycrm_desktop.ui.startup.storage_startup import start_quick_check

    services.demo.generate(owner, 600, seed=9)
    checkpoint_and_close(services)
    raw(database_path, "DELETE FROM contact_fts_content WHERE id % 6 = 0")
    window = QMainWindow()
    qtbot.addWidget(window)
    opened = build_services(str(database_path))
    answers = user(button="accept")
    assert start_quick_check(window, opened)
    qtbot.waitUntil(lambda: bool(answers.seen), timeout=20_000)
    assert answers.seen == [
        _("The search index did not match the data and was rebuilt from it; no data was lost.")
    ]
    record = read_check_record(database_path)
    assert record is not None
    assert record.ok
    assert record.repaired == ("search index",)
    opened.storage.close()


@pytest.mark.parametrize("language", ["nl", "fr"])
def test_screenshots_of_the_fallback_and_the_repair(
    qtbot: QtBot, services: Services, owner: Actor, database_path: Path, language: str
) -> None:
    """The recovery dialog after a failed restore, and the repair sentence (1024x600)."""
    from PySide6.QtWidgets import QMessageBox

    from privacycrm_desktop.domain.errors import BackupInvalid
    from privacycrm_desktop.persistence.backup_verify import NEWER_SCHEMA
    from privacycrm_desktop.services.storage import REBUILT_INDEX
    from privacycrm_desktop.ui.common.qt_i18n import apply_language
    from privacycrm_desktop.ui.startup.recovery_dialog import RecoveryDialog

    from ..screens import save

    apply_language(language)
    try:
        with_backup(services, owner)
        newer = newer_backup(services, owner, manifest_knows_it=True)
        dialog = RecoveryDialog(
            database_path, _("the file is damaged, or it is not a PrivacyCRM database.")
        )
        qtbot.addWidget(dialog)
        dialog.resize(1024, 600)
        dialog.show()
        qtbot.waitUntil(lambda: dialog.backup is not None, timeout=20_000)
        assert dialog.backup.path == newer
        dialog._failed(BackupInvalid(NEWER_SCHEMA))
        qtbot.waitUntil(
            lambda: dialog.backup is not None and dialog.backup.path != newer, timeout=20_000
        )
        assert newer in dialog.failed_backups
        assert dialog.error.text()
        save(dialog, f"h17-recovery-fallback-{language}")
        box = QMessageBox(QMessageBox.Icon.Information, _("PrivacyCRM"), _(REBUILT_INDEX))
        qtbot.addWidget(box)
        box.resize(1024, 600)
        box.show()
        save(box, f"h17-index-rebuilt-{language}")
    finally:
        apply_language("en")
