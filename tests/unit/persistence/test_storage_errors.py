"""The one place where driver errors become storage errors, fed real failures."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError

from privacycrm_desktop.domain.errors import (
    StorageDamaged,
    StorageFailed,
    StorageFull,
    StorageLocked,
    StorageReadOnly,
)
from privacycrm_desktop.i18n import describe_error, tr_in
from privacycrm_desktop.persistence.database import create_engine_for
from privacycrm_desktop.persistence.sqlite_driver import sqlite3
from privacycrm_desktop.persistence.storage_errors import result_code, storage_error
from privacycrm_desktop.persistence.storage_health import probe_read, probe_write, quick_check


def _error_of(action: object) -> BaseException:
    try:
        action()
    except Exception as exc:  # the error the driver really raised
        return exc
    raise AssertionError("the action did not fail")


def test_a_full_database_is_storage_full(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "f.db")
    conn.execute("CREATE TABLE t (x)")
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count={pages}")
    error = _error_of(lambda: conn.execute("INSERT INTO t VALUES (zeroblob(100000))"))
    assert str(error) == "database or disk is full"
    assert isinstance(storage_error(error), StorageFull)


def test_a_read_only_database_is_storage_read_only(tmp_path: Path) -> None:
    path = tmp_path / "r.db"
    sqlite3.connect(path).execute("CREATE TABLE t (x)").connection.close()
    conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    error = _error_of(lambda: conn.execute("INSERT INTO t VALUES (1)"))
    assert str(error) == "attempt to write a readonly database"
    assert isinstance(storage_error(error), StorageReadOnly)


def test_a_locked_database_is_storage_locked(tmp_path: Path) -> None:
    path = tmp_path / "l.db"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN EXCLUSIVE")
    other = sqlite3.connect(path, timeout=0.05)
    error = _error_of(lambda: other.execute("INSERT INTO t VALUES (1)"))
    holder.execute("ROLLBACK")
    assert str(error) == "database is locked"
    assert isinstance(storage_error(error), StorageLocked)


def test_not_a_database_and_a_missing_folder(tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all " * 400)
    error = _error_of(lambda: sqlite3.connect(junk).execute("SELECT * FROM sqlite_master"))
    assert isinstance(storage_error(error), StorageDamaged)
    missing = tmp_path / "no" / "such" / "folder.db"
    error = _error_of(lambda: sqlite3.connect(missing))
    mapped = storage_error(error)
    assert isinstance(mapped, StorageFailed)
    assert "cannot be opened" in describe_error(mapped)


def test_sqlalchemy_wraps_the_same_errors(tmp_path: Path) -> None:
    engine = create_engine_for(tmp_path / "s.db", busy_timeout=50)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (x UNIQUE)"))
        conn.execute(text("INSERT INTO t VALUES (1)"))
    holder = sqlite3.connect(tmp_path / "s.db", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(OperationalError) as caught, engine.begin() as conn:
            conn.execute(text("INSERT INTO t VALUES (2)"))
    finally:
        holder.execute("ROLLBACK")
    assert isinstance(storage_error(caught.value), StorageLocked)
    # A broken rule is not a storage failure: it must not be hidden behind one.
    with pytest.raises(IntegrityError) as duplicate, engine.begin() as conn:
        conn.execute(text("INSERT INTO t VALUES (1)"))
    assert storage_error(duplicate.value) is None
    assert result_code(duplicate.value) == 19  # SQLITE_CONSTRAINT: a rule, not the disk
    assert storage_error(ValueError("database is locked")) is None
    engine.dispose()


def test_an_error_without_a_code_is_read_by_its_text() -> None:
    assert isinstance(storage_error(sqlite3.OperationalError("disk I/O error")), StorageFailed)
    assert isinstance(
        storage_error(sqlite3.OperationalError("database or disk is full")), StorageFull
    )


@pytest.mark.parametrize(
    "error",
    [StorageFull(), StorageReadOnly(), StorageLocked(), StorageDamaged(), StorageFailed()],
)
def test_every_storage_message_is_translated(error: StorageFailed) -> None:
    for language in ("nl", "fr"):
        assert tr_in(language, error.message) != error.message


def test_probes_on_a_sound_a_locked_and_a_damaged_file(tmp_path: Path) -> None:
    path = tmp_path / "p.db"
    engine = create_engine_for(path, busy_timeout=50)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE alembic_version (version_num TEXT)"))
    probe_read(engine)
    probe_write(engine)
    assert quick_check(engine) == []
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    with pytest.raises(StorageLocked):
        probe_write(engine)
    holder.execute("ROLLBACK")
    holder.close()
    engine.dispose()
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"\x00garbage" * 1000)
    damaged = create_engine_for(junk)
    with pytest.raises(StorageDamaged):
        probe_read(damaged)
    damaged.dispose()
