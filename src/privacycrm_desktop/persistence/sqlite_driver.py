"""The SQLite library the app uses: the one bundled with ``sqlean.py``, never the system's.

Python's ``sqlite3`` links whatever SQLite the operating system (or the Python build)
ships: 3.40.1 on Debian 12, whose FTS5 ``optimize`` sometimes corrupted the search index in
ordinary use (docs/architecture.md, Known traps), and which has no FTS5 ``secure-delete`` (3.42+).
``sqlean.py`` is a drop-in DB-API module (the standard library's ``_sqlite3`` compiled
against its own current SQLite, FTS5 included) with wheels for Linux, Windows and macOS, so
every platform runs the same SQLite. Its optional extensions stay off.

Everything that opens an SQLite file goes through this module: the engine (SQLAlchemy's
``module=``), backups (the backup API of the same library, so a backup is read and written
by the SQLite that wrote the file), restores, start-up probes. Its exception classes are
its own (not ``sqlite3.Error``): catch ``sqlite3.Error`` from here, or ``DRIVER_ERRORS``.

For type checking the module is the standard library's ``sqlite3`` (the same API).
"""

from __future__ import annotations

import sqlite3 as _stdlib_sqlite3
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import sqlite3
else:
    import sqlean as sqlite3

#: The oldest SQLite the app accepts: FTS5 secure-delete (3.42), and the FTS5 fixes after
#: 3.40's optimize bug; a test keeps the bundled one at or above it.
MINIMUM_VERSION = (3, 45, 0)

#: Errors of the bundled library and of the standard one (a test or a tool may use it).
DRIVER_ERRORS: tuple[type[Exception], ...] = (sqlite3.Error, _stdlib_sqlite3.Error)

__all__ = ["DRIVER_ERRORS", "MINIMUM_VERSION", "sqlite3", "sqlite_version"]


def sqlite_version() -> str:
    """The version of the SQLite library the app uses, e.g. ``"3.50.4"``."""
    return str(sqlite3.sqlite_version)
