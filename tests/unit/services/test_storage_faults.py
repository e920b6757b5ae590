"""Faults for real: a full disk, a read-only file, another program's lock.

After each: the clear domain error, every earlier record still there, the failed action's
record absent, ``integrity_check`` clean, and the services working again once the fault
is gone. Made to happen through SQLite itself: ``PRAGMA max_page_count`` gives a genuine
SQLITE_FULL; ``chattr +i`` (or ``query_only`` where chattr is not allowed) a genuine
SQLITE_READONLY; a second connection's ``BEGIN EXCLUSIVE`` a genuine SQLITE_BUSY.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from privacycrm_desktop.domain.contacts import ContactInput
from privacycrm_desktop.domain.errors import (
    StorageFull,
    StorageLocked,
    StorageReadOnly,
)
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.persistence.database import create_engine_for, integrity_problems
from privacycrm_desktop.persistence.sqlite_driver import sqlite3
from privacycrm_desktop.services.clock import FixedClock
from privacycrm_desktop.services.contacts import MAX_PAGE
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.services.storage import (
    CheckRecord,
    StorageState,
    read_check_record,
    write_check_record,
)

from ..conftest import OWNER_PASSWORD

OWNER = "owner"

SOURCE = SourceInput(SourceKind.PHONE_CALL, "phoned in")


def person(name: str, notes: str = "") -> ContactInput:
    return ContactInput(first_name="Zoë", last_name=name, notes=notes)


def names(svc: Services, owner: Actor) -> list[str]:
    rows: list[str] = []
    while batch := svc.contacts.page(owner, offset=len(rows), limit=MAX_PAGE):
        rows += [r.name for r in batch]
    return sorted(rows)


@pytest.mark.sqlite_only  # fills the SQLite file (max_page_count)
def test_a_full_disk_refuses_the_save_and_keeps_everything(svc: Services, owner: Actor) -> None:
    engine = svc.uow.engine
    first = svc.contacts.create(owner, person("Before"), SOURCE)

    def full(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        pages = dbapi_connection.execute("PRAGMA page_count").fetchone()[0]
        dbapi_connection.execute(f"PRAGMA max_page_count={pages}")

    event.listen(engine, "connect", full)
    engine.dispose()
    try:

        def fill() -> None:
            for n in range(50):  # the pages left free fill up within a few contacts
                svc.contacts.create(owner, person(f"Big{n}", "x" * 8000), SOURCE)

        with pytest.raises(StorageFull):
            fill()
        # Signing in and the list still work while the disk is full.
        assert svc.auth.login(OWNER, OWNER_PASSWORD).username == OWNER
        assert svc.contacts.get(owner, first).last_name == "Before"
    finally:
        event.remove(engine, "connect", full)
        engine.dispose()
    stored = names(svc, owner)
    assert any("Before" in name for name in stored)
    # Each contact is whole or absent: the trigger-kept count matches the rows.
    with engine.connect() as conn:
        counted = conn.exec_driver_sql("SELECT n FROM contact_count").scalar()
        rows = conn.exec_driver_sql("SELECT count(*) FROM contact").scalar()
    assert counted == rows == len(stored)
    assert integrity_problems(engine) == []
    assert svc.audit.verify() is None
    svc.contacts.create(owner, person("After"), SOURCE)
    assert any("After" in name for name in names(svc, owner))


def test_a_read_only_file_reads_refuses_saves_and_signs_in(
    svc: Services, owner: Actor, db_path: Path, read_only_file: Any
) -> None:
    svc.contacts.create(owner, person("Kept"), SOURCE)
    read_only_file.apply(db_path, svc.uow.engine)
    assert svc.storage.status().state is StorageState.READ_ONLY
    with pytest.raises(StorageReadOnly):
        svc.contacts.create(owner, person("Refused"), SOURCE)
    # Signing in works without recording it; the list and search read.
    actor = svc.auth.login(OWNER, OWNER_PASSWORD)
    assert actor.username == OWNER
    assert svc.contacts.count(actor, "kept") == 1
    assert all("Refused" not in name for name in names(svc, actor))
    read_only_file.undo()
    # The next save works at once (a writer after a read-only refusal reconnects).
    assert integrity_problems(svc.uow.engine) == []
    svc.contacts.create(owner, person("Later"), SOURCE)
    assert any("Later" in name for name in names(svc, owner))
    assert svc.storage.status().state is StorageState.WRITABLE


def test_another_programs_lock_gives_storage_locked(
    svc: Services, owner: Actor, db_path: Path, clock: FixedClock
) -> None:
    svc.contacts.create(owner, person("Earlier"), SOURCE)
    impatient = Services.build(create_engine_for(db_path, busy_timeout=100), clock)
    holder = sqlite3.connect(db_path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        assert impatient.storage.status().state is StorageState.LOCKED
        with pytest.raises(StorageLocked):
            impatient.contacts.create(owner, person("Waiting"), SOURCE)
        # Reading goes on while the other program writes (WAL).
        assert impatient.contacts.count(owner, "earlier") == 1
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert impatient.storage.status().state is StorageState.WRITABLE
    impatient.contacts.create(owner, person("Released"), SOURCE)
    stored = names(impatient, owner)
    assert [n for n in stored if "Waiting" in n] == []
    assert len([n for n in stored if "Earlier" in n or "Released" in n]) == 2
    assert integrity_problems(impatient.uow.engine) == []
    impatient.uow.engine.dispose()


def test_the_quick_check_runs_once_a_day_and_remembers(
    svc: Services, db_path: Path, clock: FixedClock
) -> None:
    storage = svc.storage
    assert storage.quick_check_due()
    assert storage.run_quick_check() == []
    assert not storage.quick_check_due()
    record = read_check_record(db_path)
    assert record is not None
    assert record.ok
    clock.current += dt.timedelta(hours=23)
    assert not storage.quick_check_due()
    clock.current += dt.timedelta(hours=2)
    assert storage.quick_check_due()
    # A failed check is due again at once (the next start checks and offers a backup).
    write_check_record(db_path, CheckRecord(clock.current, ("page 3 is never used",)))
    assert storage.quick_check_due()
    last = storage.last_check()
    assert last is not None
    assert not last.ok


@pytest.mark.sqlite_only  # fills the SQLite file (max_page_count)
def test_a_nearly_full_disk_is_reported(svc: Services) -> None:
    from privacycrm_desktop.services.storage import StorageService

    status = StorageService(svc.uow, svc.clock, low_space=1 << 62).status()
    assert status.low_space
    assert status.free_bytes is not None
    assert not svc.storage.status().low_space
