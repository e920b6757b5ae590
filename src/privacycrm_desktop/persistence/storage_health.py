"""Is the database file usable, writable, sound? Cheap probes for start-up and ``check``.

- ``probe_read``: the first read; a file that is not a database or whose schema is damaged
  fails here (as ``StorageDamaged``), a file another program locks exclusively as
  ``StorageLocked``.
- ``probe_write``: takes the write lock and starts a write that changes nothing, then rolls
  back: a read-only file answers ``StorageReadOnly`` at once, another program's write lock
  ``StorageLocked`` after the busy timeout. Nothing is written, so it costs no fsync.
- ``quick_check``: ``PRAGMA quick_check`` (the cheaper half of ``integrity_check``: pages,
  records, but not index contents); seconds on a large file, so it runs in the background
  at most once a day (services/storage.py).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from sqlalchemy import Engine

from privacycrm_desktop.persistence.database import is_sqlite
from privacycrm_desktop.persistence.storage_errors import raise_storage_error

#: Less free space than this beside the database: warn at start-up (a save may fail).
LOW_SPACE_BYTES = 50 * 1024 * 1024


def probe_read(engine: Engine) -> None:
    """Read the schema; raise the matching ``StorageError`` when the file cannot be read."""
    try:
        with engine.connect() as conn:
            if is_sqlite(engine):
                conn.exec_driver_sql("SELECT count(*) FROM sqlite_master").scalar()
            else:
                conn.exec_driver_sql("SELECT 1").scalar()
    except Exception as exc:
        raise_storage_error(exc)
        raise


#: How long the write probe waits for another program's lock: start-up must not wait the
#: full busy timeout to learn that someone else is writing.
PROBE_WAIT_MS = 300


def probe_write(engine: Engine, wait_ms: int = PROBE_WAIT_MS) -> None:
    """Raise ``StorageReadOnly`` / ``StorageLocked`` / ... when a save could not happen now."""
    if not is_sqlite(engine):
        return
    try:
        with engine.connect() as conn:
            raw = conn.connection.dbapi_connection
            assert raw is not None
            usual = raw.execute("PRAGMA busy_timeout").fetchone()[0]
            raw.execute(f"PRAGMA busy_timeout={min(int(usual), wait_ms)}")
            try:
                raw.execute("BEGIN IMMEDIATE")
                try:
                    # A write that changes nothing: SQLite still checks the file may be
                    # written (BEGIN IMMEDIATE alone succeeds on a read-only file).
                    raw.execute("UPDATE alembic_version SET version_num = version_num WHERE 0")
                finally:
                    raw.execute("ROLLBACK")
            finally:
                raw.execute(f"PRAGMA busy_timeout={int(usual)}")
    except Exception as exc:
        raise_storage_error(exc)
        raise


def quick_check(engine: Engine) -> list[str]:
    """What ``PRAGMA quick_check`` reports; empty when the file is sound."""
    if not is_sqlite(engine):
        return []
    try:
        with engine.connect() as conn:
            rows = [str(r[0]) for r in conn.exec_driver_sql("PRAGMA quick_check")]
    except Exception as exc:
        raise_storage_error(exc)
        raise
    return [r for r in rows if r != "ok"]


def free_bytes(folder: Path) -> int | None:
    """Free space for an ordinary user on the disk holding *folder*; None if unknown."""
    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return None


def setting_of_file(db_file: Path, key: str) -> str | None:
    """One value of the ``setting`` table read straight from *db_file* (read-only), or None.

    For start-up recovery: the backup folder may be configured in a file that cannot be
    opened normally any more; whatever cannot be read gives None.
    """
    import sqlite3

    try:
        conn = sqlite3.connect(f"{db_file.resolve().as_uri()}?mode=ro", uri=True, timeout=1)
    except sqlite3.Error:
        return None
    try:
        row = conn.execute("SELECT value FROM setting WHERE key = ?", (key,)).fetchone()
    except sqlite3.Error:
        return None
    finally:
        conn.close()
    return str(row[0]) if row is not None and row[0] else None
