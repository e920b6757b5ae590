"""Driver errors that mean "the storage failed", turned into domain errors, in one place.

SQLite reports a full disk, a read-only file, another program's lock, a damaged file or a
disk that does not answer through result codes; Python 3.11's ``sqlite3`` exceptions carry
them as ``sqlite_errorcode`` (SQLAlchemy wraps them in ``DBAPIError.orig``). The unit of
work and the start-up checks call ``storage_error`` so the UI and the CLI show one clear,
translated sentence (domain/errors.py) instead of a driver message.

PostgreSQL (psycopg) reports the same conditions through SQLSTATE codes: a full disk on the
server, a read-only (standby) server, a lock wait that timed out or a deadlock, damaged
data, and a server that cannot be reached or went away.
"""

from __future__ import annotations

from privacycrm_desktop.domain.errors import (
    DomainError,
    StorageDamaged,
    StorageError,
    StorageFailed,
    StorageFull,
    StorageLocked,
    StorageReadOnly,
)
from privacycrm_desktop.domain.text import N_
from privacycrm_desktop.persistence.sqlite_driver import DRIVER_ERRORS

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


def _driver_error(error: BaseException) -> Exception | None:
    """The SQLite error behind *error* (SQLAlchemy's wrapper or a chained cause), from the
    bundled library or the standard one (persistence/sqlite_driver.py)."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, DRIVER_ERRORS):
            return current
        orig = getattr(current, "orig", None)  # sqlalchemy.exc.DBAPIError
        if isinstance(orig, DRIVER_ERRORS):
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


SERVER_UNREACHABLE = N_(
    "The database server cannot be reached: check the network connection and that the "
    "server is running, then try again."
)

#: SQLSTATE codes (PostgreSQL appendix A) that mean a storage failure, by class or code.
_PG_STATES: dict[str, type[StorageError]] = {
    "53100": StorageFull,  # disk_full
    "53200": StorageFull,  # out_of_memory (the server's)
    "25006": StorageReadOnly,  # read_only_sql_transaction (a standby, or read-only mode)
    "55P03": StorageLocked,  # lock_not_available (lock_timeout)
    "40P01": StorageLocked,  # deadlock_detected
    "40001": StorageLocked,  # serialization_failure
    "XX001": StorageDamaged,  # data_corrupted
    "XX002": StorageDamaged,  # index_corrupted
}


def _server_error(error: BaseException) -> BaseException | None:
    """The psycopg error behind *error*, or None (psycopg is not imported for this)."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        for candidate in (current, getattr(current, "orig", None)):
            if isinstance(candidate, BaseException) and type(candidate).__module__.startswith(
                "psycopg"
            ):
                return candidate
        current = current.__cause__ or current.__context__
    return None


def refused_sign_in(error: BaseException) -> bool:
    """True when the PostgreSQL server refused the login role or its password (28xxx).

    libpq reports a refused connection without an SQLSTATE, so its message decides too;
    that message is the server's, sent in English before any session language is set.
    """
    raw = _server_error(error)
    if raw is None:
        return False
    state = getattr(raw, "sqlstate", None)
    text = str(raw)
    return (isinstance(state, str) and state.startswith("28")) or (
        "password authentication failed" in text
        or ("role" in text and "does not exist" in text)
        or "is not permitted to log in" in text
    )


def refused_password(error: BaseException) -> bool:
    """True when the PostgreSQL server refused the password itself (28P01): the login role
    has another one now (a reset), as opposed to a role that may not log in."""
    raw = _server_error(error)
    if raw is None:
        return False
    return getattr(raw, "sqlstate", None) == "28P01" or "password authentication failed" in str(raw)


def _pg_storage_error(raw: BaseException) -> StorageError | None:
    if refused_sign_in(raw):
        return None  # the person's credentials, not the storage: sign-in says so
    state = getattr(raw, "sqlstate", None)
    if isinstance(state, str) and state in _PG_STATES:
        return _PG_STATES[state]()
    # No SQLSTATE: the connection itself failed (refused, timed out, closed); class 08 and
    # a server shutting down (57P0x) mean the same to the person at the desk.
    is_operational = type(raw).__name__ == "OperationalError" or any(
        base.__name__ == "OperationalError" for base in type(raw).__mro__
    )
    if (state is None and is_operational) or (
        isinstance(state, str) and (state.startswith("08") or state.startswith("57P0"))
    ):
        reason = str(raw).strip().splitlines()[0] if str(raw).strip() else ""
        return StorageFailed(SERVER_UNREACHABLE, reason=reason)
    return None


def storage_error(error: BaseException) -> StorageError | None:
    """The domain error for a storage failure behind *error*; None for anything else.

    Constraint violations, SQL mistakes and the like are bugs or rules, not storage
    failures: they are not turned into a storage message.
    """
    if isinstance(error, StorageError):
        return error
    if isinstance(error, DomainError):
        # A refusal raised while handling a storage error (a sign-in deferred under a
        # lock) is that refusal, not the storage error in its context.
        return None
    server = _server_error(error)
    if server is not None:
        return _pg_storage_error(server)
    return _sqlite_storage_error(error)


def _sqlite_storage_error(error: BaseException) -> StorageError | None:
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
