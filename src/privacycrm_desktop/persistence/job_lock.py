"""Is the process running a long job (an import batch) still alive?

A batch is "running" while its process writes chunks. A process that is killed cannot
close its batch, so the next start must tell a dead batch from one another process is
writing at that moment. The running process holds a lock the operating system or server
frees when the process dies:

- SQLite: a one-byte lock at offset *batch id* in ``<database>-jobs.lock`` beside the
  database (``fcntl.lockf``; ``msvcrt.locking`` on Windows). The file is empty and holds
  nothing personal. Not the database file itself: closing any descriptor of a file drops
  every POSIX lock the process holds on it, SQLite's own included.
- PostgreSQL: a session advisory lock (two-key form, ``JOB_LOCK_CLASS``, batch id) on the
  connection that writes the chunks; the server frees it when the connection ends.

POSIX locks of one process never conflict with each other, so ``is_alive`` also asks the
in-process registry of held batches first.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import IO

from sqlalchemy import Connection, Engine, text

from privacycrm_desktop.persistence.database import sqlite_file


def _open_private(path: Path) -> IO[bytes]:
    """Open the lock file for appending, owner-only (0600, also one an older version made
    readable by others), never through a symbolic link."""
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(path, flags, 0o600)
    try:
        if os.name != "nt" and os.fstat(fd).st_uid == os.getuid():
            os.fchmod(fd, 0o600)
    except OSError:
        os.close(fd)
        raise
    return os.fdopen(fd, "ab")


#: The first key of the PostgreSQL advisory locks that mark a live import ("PCJB").
JOB_LOCK_CLASS = 0x50434A42 - (1 << 31)  # an int4
#: Batches this process holds (their locks do not conflict with its own checks).
_HELD: set[tuple[str, int]] = set()


def lock_path(database: Path) -> Path:
    """The lock file of *database*."""
    return database.with_name(database.name + "-jobs.lock")


def _lock_byte(handle: IO[bytes], offset: int) -> bool:
    """Lock one byte at *offset*; False when another process holds it."""
    try:
        import fcntl
    except ImportError:  # Windows
        import msvcrt

        handle.seek(offset)
        try:
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]
        except OSError:
            return False
        return True
    try:
        fcntl.lockf(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB, 1, offset, os.SEEK_SET)
    except OSError:
        return False
    return True


def _unlock_byte(handle: IO[bytes], offset: int) -> None:
    try:
        import fcntl
    except ImportError:  # Windows
        import msvcrt

        handle.seek(offset)
        with contextlib.suppress(OSError):
            msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)  # type: ignore[attr-defined]
        return
    fcntl.lockf(handle.fileno(), fcntl.LOCK_UN, 1, offset, os.SEEK_SET)


class JobLock:
    """Held by the process writing a batch, from before the batch row is committed until
    the batch is closed."""

    def __init__(self, engine: Engine, conn: Connection) -> None:
        self._engine = engine
        self._conn = conn
        self._file = sqlite_file(str(engine.url))
        self._handle: IO[bytes] | None = None
        self._held: int | None = None

    def hold(self, batch_id: int) -> None:
        """Mark *batch_id* as written by this living process (best effort: a job that
        cannot take the lock still runs; at worst a later start closes it too early)."""
        self._held = batch_id
        _HELD.add((str(self._engine.url), batch_id))
        if self._conn.dialect.name == "postgresql":
            self._conn.execute(
                text("SELECT pg_advisory_lock(:c, :b)"), {"c": JOB_LOCK_CLASS, "b": batch_id}
            )
            self._conn.commit()
            return
        if self._file is None:
            return
        with contextlib.suppress(OSError):
            self._handle = _open_private(lock_path(self._file))
            _lock_byte(self._handle, batch_id)

    def release(self) -> None:
        """The batch is closed: let go."""
        if self._held is None:
            return
        batch_id, self._held = self._held, None
        _HELD.discard((str(self._engine.url), batch_id))
        if self._conn.dialect.name == "postgresql":
            with contextlib.suppress(Exception):
                if self._conn.in_transaction():
                    self._conn.rollback()
                self._conn.execute(
                    text("SELECT pg_advisory_unlock(:c, :b)"),
                    {"c": JOB_LOCK_CLASS, "b": batch_id},
                )
                self._conn.commit()
            return
        if self._handle is not None:
            with contextlib.suppress(OSError):
                _unlock_byte(self._handle, batch_id)
                self._handle.close()
            self._handle = None


def is_alive(engine: Engine, batch_id: int) -> bool:
    """True when a living process holds *batch_id*'s lock (so it is really running)."""
    if any(url == str(engine.url) for url, _batch in _HELD):
        # This process writes a batch: closing a descriptor of the lock file would drop
        # its lock, so do not look (start-up looks before any import begins).
        return True
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            got = bool(
                conn.execute(
                    text("SELECT pg_try_advisory_lock(:c, :b)"),
                    {"c": JOB_LOCK_CLASS, "b": batch_id},
                ).scalar_one()
            )
            if got:
                conn.execute(
                    text("SELECT pg_advisory_unlock(:c, :b)"),
                    {"c": JOB_LOCK_CLASS, "b": batch_id},
                )
            conn.commit()
        return not got
    return _sqlite_alive(engine, batch_id)


def _sqlite_alive(engine: Engine, batch_id: int) -> bool:
    file = sqlite_file(str(engine.url))
    path = lock_path(file) if file is not None else None
    if path is None or not path.exists():
        return False
    try:
        with path.open("rb+") as handle:
            if not _lock_byte(handle, batch_id):
                return True
            _unlock_byte(handle, batch_id)
    except OSError:
        pass  # a read-only folder: no import can be running there anyway
    return False


def has_running_batches(engine: Engine) -> bool:
    """Cheap start-up test: is any import batch marked running? (Only then is the import
    service, with its heavier imports, loaded to close the dead ones.)"""
    with engine.connect() as conn:
        found = conn.execute(
            text("SELECT 1 FROM import_batch WHERE status = 'running' LIMIT 1")
        ).first()
        conn.rollback()
    return found is not None
