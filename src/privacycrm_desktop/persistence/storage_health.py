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
- ``check_engine`` / ``check_file``: ``integrity_check`` (or ``quick_check``) with the
  search index (FTS5's own integrity-check, part of the pragma since SQLite 3.44), the
  foreign keys, and the derived counters recounted; ``check_file`` is what verifying a
  backup runs (persistence/backup.py, persistence/backup_verify.py).
"""

from __future__ import annotations

import contextlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from privacycrm_desktop.domain.errors import StorageDamaged
from privacycrm_desktop.persistence.database import is_sqlite
from privacycrm_desktop.persistence.storage_errors import (
    SQLITE_CORRUPT,
    raise_storage_error,
    result_code,
    storage_error,
)

#: The last check's outcome is kept beside the database file, in ``<file>.check.json``
#: (services/storage.py reads and writes it; ``remember_damage`` below writes it too).
CHECK_RECORD_SUFFIX = ".check.json"

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
    from privacycrm_desktop.persistence.sqlite_driver import sqlite3

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


# -- the full check: the file, the search index, and what is derived -------------------

#: How ``PRAGMA integrity_check`` names a problem inside the FTS5 search index: since SQLite
#: 3.44 the pragma runs FTS5's own ``integrity-check`` (its xIntegrity method), which the
#: SQLite 3.40 the app once used did not, so a broken index passed as "ok".
_FTS_MARK = "fts5 table"

#: The derived tables and the recount each must equal (SQLite; on PostgreSQL they are
#: views over the data and cannot drift).
_CONTACT_COUNT = "SELECT (SELECT n FROM contact_count WHERE id = 1), (SELECT count(*) FROM contact)"
#: Days whose stored count differs from a recount, either way round.
_KEEP_UNTIL_DRIFT = (
    "SELECT (SELECT count(*) FROM (SELECT day, n FROM keep_until_count WHERE n <> 0 "
    "EXCEPT SELECT keep_until, count(*) FROM contact WHERE keep_until IS NOT NULL "
    "GROUP BY keep_until)) "
    "+ (SELECT count(*) FROM (SELECT keep_until, count(*) FROM contact "
    "WHERE keep_until IS NOT NULL GROUP BY keep_until "
    "EXCEPT SELECT day, n FROM keep_until_count WHERE n <> 0))"
)

#: Words of the problems found in what is derived (not shown to people: the check's
#: one sentence is; these go to ``check --format json`` and the log).
SEARCH_INDEX = "search index"
CONTACT_COUNT = "contact counter"
KEEP_UNTIL_COUNTS = "keep-until counts"


@dataclass(frozen=True)
class Health:
    """What a check found: damage to the file itself (only a backup repairs it), and
    damage to what is derived from the data (the app rebuilds it)."""

    damage: tuple[str, ...] = ()
    #: ``SEARCH_INDEX``, ``CONTACT_COUNT``, ``KEEP_UNTIL_COUNTS`` that need rebuilding.
    derived: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.damage and not self.derived

    @property
    def problems(self) -> list[str]:
        """Everything found, one line each (derived parts named as such)."""
        return [*self.damage, *(f"{part} does not match the data" for part in self.derived)]


def _table_exists(raw: Any, name: str) -> bool:
    row = raw.execute(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
    ).fetchone()
    return bool(row[0])


def check_raw(raw: Any, *, quick: bool = False) -> Health:
    """Check an open SQLite connection (DB-API): pages, records, indexes (not with
    *quick*), the search index, foreign keys (not with *quick*) and the derived counts.

    Driver errors propagate (a file too damaged to be read at all)."""
    pragma = "PRAGMA quick_check" if quick else "PRAGMA integrity_check"
    damage: list[str] = []
    derived: list[str] = []
    for (line,) in raw.execute(pragma).fetchall():
        text = str(line)
        if text == "ok":
            continue
        if _FTS_MARK in text.lower():
            if SEARCH_INDEX not in derived:
                derived.append(SEARCH_INDEX)
        else:
            damage.append(text)
    if not quick:
        for table, rowid, parent, _fk in raw.execute("PRAGMA foreign_key_check").fetchall():
            damage.append(f"{table} row {rowid}: dangling reference to {parent}")
    if damage:
        return Health(tuple(damage), tuple(derived))  # counts of a damaged file mean nothing
    if _table_exists(raw, "contact_count"):
        stored, actual = raw.execute(_CONTACT_COUNT).fetchone()
        if stored != actual:
            derived.append(CONTACT_COUNT)
    if _table_exists(raw, "keep_until_count") and raw.execute(_KEEP_UNTIL_DRIFT).fetchone()[0]:
        derived.append(KEEP_UNTIL_COUNTS)
    return Health((), tuple(derived))


def check_engine(engine: Engine, *, quick: bool = False) -> Health:
    """``check_raw`` on the database behind *engine*; a file that cannot even be read is
    damage (its one-line reason), not an error. PostgreSQL checks its own storage: there
    this only proves the connection works (its counters are views)."""
    try:
        with engine.connect() as conn:
            if not is_sqlite(engine):
                conn.exec_driver_sql("SELECT 1")
                return Health()
            raw = conn.connection.dbapi_connection
            assert raw is not None
            return check_raw(raw, quick=quick)
    except Exception as exc:
        mapped = storage_error(exc)
        if mapped is None or not isinstance(mapped, StorageDamaged):
            if mapped is not None:
                raise mapped from exc
            raise
        return Health((_reason(exc),))


def _reason(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    text = str(orig).strip()
    return text.splitlines()[0] if text else type(orig).__name__


def check_file(path: Path) -> Health:
    """``check_raw`` on a database file opened read-only with the app's own SQLite (a backup,
    a restored copy): what verifying a backup runs, so a backup whose search index or
    counters are broken is not called verified."""
    from privacycrm_desktop.persistence.sqlite_driver import DRIVER_ERRORS, sqlite3

    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except DRIVER_ERRORS as exc:
        return Health((str(exc),))
    try:
        return check_raw(conn)
    except DRIVER_ERRORS as exc:
        return Health((str(exc),))
    finally:
        conn.close()


def search_index_problems(raw: Any) -> list[str]:
    """FTS5's own ``integrity-check`` of the search index, run as its command (needs a
    writable connection; changes nothing); empty when sound."""
    try:
        raw.execute("INSERT INTO contact_fts(contact_fts, rank) VALUES ('integrity-check', 1)")
    except Exception as exc:
        if result_code(exc) in (SQLITE_CORRUPT,):
            return [_reason(exc)]
        raise
    return []


_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def write_private_text(target: Path, text: str) -> None:
    """Write *text* to *target* owner-only (0600, also when an older file was readable
    by others), atomically (temporary file, rename), never through a symbolic link.

    Raises:
        OSError: the folder cannot be written.
    """
    temporary = target.with_name(target.name + ".tmp")
    with contextlib.suppress(FileNotFoundError):
        temporary.unlink()  # a leftover (or a planted link): never written through
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        if os.name != "nt":
            os.fchmod(handle.fileno(), 0o600)  # the umask cannot widen or narrow it
        handle.write(text)
    os.replace(temporary, target)


def remember_damage(engine: Engine, problem: str) -> None:
    """Note beside the database file that an action met a damaged file (SQLITE_CORRUPT),
    as a failed check would: the next start then checks the file in full, rebuilds what is
    derived, and offers the newest good backup while the file itself stays damaged.
    Best effort (the folder may be read-only); nothing for a server database."""
    import datetime as dt
    import json

    url = engine.url
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return
    target = Path(url.database).with_name(Path(url.database).name + CHECK_RECORD_SUFFIX)
    document = {
        "at": dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat(),
        "problems": [problem or "database disk image is malformed"],
        "repaired": [],
    }
    try:
        write_private_text(target, json.dumps(document))
    except OSError:
        return
