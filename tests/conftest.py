"""Shared fixtures: a fresh, migrated and initialised database with its services."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# This computer's saved database choice (File > Database...) never leaks into a test.
os.environ["PRIVACYCRM_CONFIG_DIR"] = __import__("tempfile").mkdtemp(prefix="pcrm-config-")

import pytest

import pg_support
from helpers.databases import (
    SET_UP,
    OwnerSetup,
    copy_initialised,
    copy_migrated,
    migrated_template,
    set_up,
)
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
def owner_setup() -> OwnerSetup:
    """How ``services`` and ``owner`` set the test's database up."""
    return OwnerSetup(COMPANY, OWNER, OWNER_PASSWORD)


#: The fixtures that set the database up. A test asking for one gets its database set up
#: already, copied from one set up earlier in its process (helpers/databases.py): the
#: same rows, a database id of its own.
_SETS_UP = {"services", "owner"}


def _set_up_wanted(request: pytest.FixtureRequest) -> tuple[OwnerSetup, FixedClock] | None:
    """The set-up and clock of a test that asks for a set-up database, else None."""
    if not _SETS_UP & set(request.fixturenames):
        return None
    return request.getfixturevalue("owner_setup"), request.getfixturevalue("clock")


# -- two back ends -------------------------------------------------------------------------

#: Where tests run against PostgreSQL as well as SQLite: the services, the CLI, the canary,
#: and two desks editing one contact in two editors.
_BOTH_BACKENDS = (
    "tests/unit/services/",
    "tests/e2e/test_cli",
    "tests/e2e/test_canary",
    "tests/ui/contacts/test_conflict_dialog",
)
#: A test asking for one of these works on the SQLite file itself: SQLite only.
_FILE_FIXTURES = {"database_path", "db_path", "read_only_file"}


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run every test of the service and CLI suites on both back ends.

    A test that asks for the database file, or is marked ``sqlite_only``, stays on SQLite.
    """
    if "backend" not in metafunc.fixturenames:
        return
    path = metafunc.definition.path.as_posix()
    both = any(part in path for part in _BOTH_BACKENDS)
    if _FILE_FIXTURES & set(metafunc.fixturenames) or metafunc.definition.get_closest_marker(
        "sqlite_only"
    ):
        both = False
    metafunc.parametrize("backend", ["sqlite", "postgresql"] if both else ["sqlite"])


#: Markers given by where a test lives, so a run can pick a kind: ``-m "not ui and not e2e"``.
_FOLDER_MARKERS = {"/tests/ui/": "ui", "/tests/e2e/": "e2e"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test by its folder, and the PostgreSQL ones as ``postgresql``; then put the
    long modules first.

    The test processes take whole modules (``--dist loadfile``) in this order
    (``--no-loadscope-reorder``, see the Makefile): a long module handed out last would keep
    one process busy while the others have nothing left to do.
    """
    for item in items:
        path = item.path.as_posix()
        for folder, marker in _FOLDER_MARKERS.items():
            if folder in path:
                item.add_marker(marker)
        callspec = getattr(item, "callspec", None)
        on_server = callspec is not None and callspec.params.get("backend") == "postgresql"
        if on_server or "pg_url" in getattr(item, "fixturenames", ()):
            item.add_marker("postgresql")
    long = {i.path for i in items if i.get_closest_marker("slow") or i.get_closest_marker("e2e")}
    items.sort(key=lambda item: item.path not in long)  # stable: the path order otherwise


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    pg_support.drop_template()


@pytest.fixture
def database_path(tmp_path: Path) -> Path:
    """Where the test's database file lives."""
    return tmp_path / "privacycrm.db"


@pytest.fixture
def db_url(backend: str, request: pytest.FixtureRequest) -> Iterator[str]:
    """The test's database: the SQLite file of ``database_path``/``db_path``, or a fresh,
    migrated PostgreSQL database of its own (dropped afterwards)."""
    if backend == "sqlite":
        for name in ("db_path", "database_path"):
            if name in request.fixturenames:
                yield str(request.getfixturevalue(name))
                return
        yield str(request.getfixturevalue("database_path"))
        return
    wanted = _set_up_wanted(request)
    if wanted is not None:
        setup, clock = wanted
        url, owner = pg_support.initialised_database(
            setup.key(clock), lambda url: setup.initialise_at(url, clock)
        )
        request.node.stash[SET_UP] = owner
        yield url
        pg_support.release(url)
        return
    url = pg_support.new_database()
    yield url
    pg_support.drop_database(url)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite database, made once per test process and copied for each test."""
    return migrated_template(tmp_path_factory.mktemp("template"))


@pytest.fixture
def migrated_url(
    db_url: str, backend: str, sqlite_template: Path, request: pytest.FixtureRequest
) -> str:
    """The test's database, migrated: a copy of the SQLite template, or the PostgreSQL
    database (itself cloned from a migrated template). Set up already for a test that asks
    for a set-up database."""
    if backend == "sqlite":
        wanted = _set_up_wanted(request)
        if wanted is not None:
            owner = copy_initialised(sqlite_template, Path(db_url), *wanted)
            if owner is not None:
                request.node.stash[SET_UP] = owner
        else:
            copy_migrated(sqlite_template, Path(db_url))
    return db_url


@pytest.fixture
def bare_services(migrated_url: str, clock: FixedClock) -> Iterator[Services]:
    """Services on a migrated but not yet initialised database."""
    engine = create_engine_for(migrated_url)
    migrate(engine)
    yield Services.build(engine, clock)
    engine.dispose()


@pytest.fixture
def services(
    bare_services: Services, owner_setup: OwnerSetup, request: pytest.FixtureRequest
) -> Services:
    """Services on a migrated database with the owner and company set up."""
    set_up(request, bare_services, owner_setup)
    return bare_services


@pytest.fixture
def owner(services: Services) -> Actor:
    """The owner, signed in."""
    return services.auth.login(OWNER, OWNER_PASSWORD)


#: Cheap costs for the in-process tests: an argon2id sign-in costs about a millisecond
#: instead of 50, a backup passphrase's Scrypt key 40 ms instead of 300 (the smallest cost a
#: backup header may carry). Tests marked ``real_key_costs`` keep the real ones: those that
#: check them, and the modules running the program in processes of its own (which sign in
#: with the real costs).
CHEAP_MEMORY_KIB = 256
CHEAP_TIME_COST = 1
CHEAP_SCRYPT_N = 2**14


@pytest.fixture(autouse=True)
def cheap_key_costs(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    from privacycrm_desktop.persistence import backup_crypto
    from privacycrm_desktop.services import passwords

    real = request.node.get_closest_marker("real_key_costs")
    if real is None:
        monkeypatch.setattr(passwords, "MEMORY_KIB", CHEAP_MEMORY_KIB)
        monkeypatch.setattr(passwords, "TIME_COST", CHEAP_TIME_COST)
        monkeypatch.setattr(backup_crypto, "SCRYPT_N", CHEAP_SCRYPT_N)
    passwords.hasher.cache_clear()
    yield
    passwords.hasher.cache_clear()


@pytest.fixture(autouse=True)
def no_stray_threads() -> Iterator[None]:
    """Background jobs end within their test: a worker outliving it may crash the next."""
    yield
    import sys

    if "PySide6.QtCore" not in sys.modules:
        return
    from PySide6.QtCore import QThreadPool

    assert QThreadPool.globalInstance().waitForDone(10_000)


# -- storage faults ------------------------------------------------------------------------


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
    dbapi_connection.execute("PRAGMA query_only=1")


@pytest.fixture
def read_only_file() -> Iterator[ReadOnlyFile]:
    """``apply(path, engine...)`` makes a database read-only; it is writable again after."""
    guard = ReadOnlyFile()
    yield guard
    guard.undo()
