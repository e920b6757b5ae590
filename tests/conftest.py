"""Shared fixtures: a fresh, migrated and initialised database with its services."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest

from privacycrm_desktop.persistence.database import create_engine_for
from privacycrm_desktop.persistence.migrate import migrate
from privacycrm_desktop.services.clock import FixedClock
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.services.setup import CompanyInput

OWNER = "owner"
OWNER_PASSWORD = "correct horse battery"
COMPANY = CompanyInput(
    name="Acme BV", address="Kerkstraat 1, 9000 Gent", vat_number="0403.170.701", language="en"
)


@pytest.fixture
def clock() -> FixedClock:
    """A clock standing still at a known moment."""
    return FixedClock(dt.datetime(2025, 3, 14, 10, 0))


@pytest.fixture
def database_path(tmp_path: Path) -> Path:
    """Where the test's database file lives."""
    return tmp_path / "privacycrm.db"


@pytest.fixture
def bare_services(database_path: Path, clock: FixedClock) -> Iterator[Services]:
    """Services on a migrated but not yet initialised database."""
    engine = create_engine_for(database_path)
    migrate(engine)
    yield Services.build(engine, clock)
    engine.dispose()


@pytest.fixture
def services(bare_services: Services) -> Services:
    """Services on a migrated database with the owner and company set up."""
    bare_services.setup.initialise(COMPANY, OWNER, OWNER_PASSWORD)
    return bare_services


@pytest.fixture
def owner(services: Services) -> Actor:
    """The owner, signed in."""
    return services.auth.login(OWNER, OWNER_PASSWORD)


@pytest.fixture(autouse=True)
def no_stray_threads() -> Iterator[None]:
    """Background jobs end within their test: a worker outliving it may crash the next."""
    yield
    import sys

    if "PySide6.QtCore" not in sys.modules:
        return
    from PySide6.QtCore import QThreadPool

    assert QThreadPool.globalInstance().waitForDone(10_000)


# -- storage faults (issue 8) ----------------------------------------------------------


class ReadOnlyFile:
    """Make a database file read-only for real, even for root, and undo it afterwards.

    ``chattr +i`` makes the file immutable: SQLite's read-write open fails and it falls back
    to read-only, exactly as for a write-protected file a normal user cannot change. Where
    chattr is not allowed (no CAP_LINUX_IMMUTABLE), ``PRAGMA query_only`` on every new
    connection of the engine gives the same SQLITE_READONLY to every write.
    """

    def __init__(self) -> None:
        self.path: Path | None = None
        self.immutable = False
        self._engines: list[object] = []

    def apply(self, path: Path, *engines: object) -> None:
        import subprocess

        from sqlalchemy import Engine, event

        self.path = path
        done = subprocess.run(["chattr", "+i", str(path)], capture_output=True, check=False)
        self.immutable = done.returncode == 0
        for engine in engines:
            assert isinstance(engine, Engine)
            if not self.immutable:
                event.listen(engine, "connect", _query_only)
            self._engines.append(engine)
            engine.dispose()  # open connections were read-write: new ones are not

    def undo(self) -> None:
        import subprocess

        from sqlalchemy import Engine, event

        if self.immutable and self.path is not None:
            subprocess.run(["chattr", "-i", str(self.path)], capture_output=True, check=False)
            self.immutable = False
        for engine in self._engines:
            assert isinstance(engine, Engine)
            if event.contains(engine, "connect", _query_only):
                event.remove(engine, "connect", _query_only)
        self._engines.clear()


def _query_only(dbapi_connection: object, _record: object) -> None:
    dbapi_connection.execute("PRAGMA query_only=1")  # type: ignore[attr-defined]


@pytest.fixture
def read_only_file() -> Iterator[ReadOnlyFile]:
    """``apply(path, engine...)`` makes a database read-only; it is writable again after."""
    guard = ReadOnlyFile()
    yield guard
    guard.undo()
