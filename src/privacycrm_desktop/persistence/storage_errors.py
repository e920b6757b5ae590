"""Driver errors that mean "the storage failed", turned into domain errors, in one place.

SQLite reports a full disk, a read-only file, another program's lock, a damaged file or a
disk that does not answer through result codes; Python 3.11's ``sqlite3`` exceptions carry
them as ``sqlite_errorcode`` (SQLAlchemy wraps them in ``DBAPIError.orig``). The unit of
work and the start-up checks call ``storage_error`` so the UI and the CLI show one clear,
translated sentence (domain/errors.py) instead of a driver message.

Other back ends (PostgreSQL) report their own errors; those pass through unchanged.
"""

from __future__ import annotations

import sqlite3

from privacycrm_desktop.domain.errors import (
    StorageDamaged,
    StorageError,
    StorageFailed,
    StorageFull,
    StorageLocked,
    StorageReadOnly,
)
from privacycrm_desktop.domain.text import N_

# SQLite's primary result codes (sqlite3.h); extended codes keep them in the low byte.
SQLITE_BUSY = 5
SQLITE_LOCKED = 6
SQLITE_READONLY = 8
SQLITE_IOERR = 10
SQLITE_CORRUPT = 11
SQLITE_FULL = 13
SQLITE_CANTOPEN = 14
SQLITE_NOTADB = 26

CANNOT_OPEN = N_(
    "The database file cannot be opened: check that the disk is there, the path is right "
    "and the file may be read."
)

#: When a driver gives no code (an older SQLite, a wrapped error), its English text decides.
_TEXTS = (
    ("database or disk is full", SQLITE_FULL),
    ("attempt to write a readonly database", SQLITE_READONLY),
    ("database is locked", SQLITE_BUSY),
    ("database table is locked", SQLITE_LOCKED),
    ("database disk image is malformed", SQLITE_CORRUPT),
    ("file is not a database", SQLITE_NOTADB),
    ("disk i/o error", SQLITE_IOERR),
    ("unable to open database file", SQLITE_CANTOPEN),
)


def _driver_error(error: BaseException) -> sqlite3.Error | None:
    """The ``sqlite3`` error behind *error* (SQLAlchemy's wrapper or a chained cause)."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, sqlite3.Error):
            return current
        orig = getattr(current, "orig", None)  # sqlalchemy.exc.DBAPIError
        if isinstance(orig, sqlite3.Error):
            return orig
        current = current.__cause__ or current.__context__
    return None


def result_code(error: BaseException) -> int | None:
    """SQLite's primary result code behind *error*, or None when it is not an SQLite one."""
    raw = _driver_error(error)
    if raw is None:
        return None
    code = getattr(raw, "sqlite_errorcode", None)
    if isinstance(code, int):
        return code & 0xFF
    text = str(raw).lower()
    for fragment, primary in _TEXTS:
        if fragment in text:
            return primary
    return None


def storage_error(error: BaseException) -> StorageError | None:
    """The domain error for a storage failure behind *error*; None for anything else.

    Constraint violations, SQL mistakes and the like are bugs or rules, not storage
    failures: they are not turned into a storage message.
    """
    if isinstance(error, StorageError):
        return error
    code = result_code(error)
    if code is None:
        return None
    raw = _driver_error(error)
    reason = str(raw).strip().splitlines()[0] if raw is not None and str(raw).strip() else ""
    simple: dict[int, type[StorageError]] = {
        SQLITE_FULL: StorageFull,
        SQLITE_READONLY: StorageReadOnly,
        SQLITE_BUSY: StorageLocked,
        SQLITE_LOCKED: StorageLocked,
        SQLITE_CORRUPT: StorageDamaged,
        SQLITE_NOTADB: StorageDamaged,
    }
    if code in simple:
        return simple[code]()
    if code == SQLITE_IOERR:
        return StorageFailed(reason=reason or "disk I/O error")
    if code == SQLITE_CANTOPEN:
        return StorageFailed(CANNOT_OPEN, reason=reason)
    return None


def raise_storage_error(error: BaseException) -> None:
    """Raise the domain error for *error* (chained to it) if it is a storage failure."""
    mapped = storage_error(error)
    if mapped is not None and mapped is not error:
        raise mapped from error
