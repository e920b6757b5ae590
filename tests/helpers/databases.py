"""A migrated SQLite template copied for each test, as PostgreSQL clones its template.

Migrating a new file through every Alembic revision costs about 70 ms; copying a migrated
file costs about 1 ms. Each copy gets its own ``database.id``, as a database migrated on its
own has, so backups and audit anchors still tell two test databases apart.

A test that asks for a set-up database (the ``services`` or ``owner`` fixtures) gets a copy
of one set up earlier in its process with the same ``OwnerSetup`` and clock: on SQLite a
file, on PostgreSQL a snapshot database (``pg_support.initialised_database``).
"""

from __future__ import annotations

import datetime as dt
import shutil
import uuid
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from privacycrm_desktop.persistence.database import create_engine_for
from privacycrm_desktop.persistence.migrate import migrate
from privacycrm_desktop.persistence.sqlite_driver import sqlite3
from privacycrm_desktop.services.clock import FixedClock
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.services.setup import CompanyInput

_template: list[Path] = []


@dataclass(frozen=True)
class OwnerSetup:
    """How a test database is set up: the controller's details, the owner and the password."""

    company: CompanyInput
    username: str
    password: str

    def initialise(self, services: Services) -> Actor:
        """Set the database of *services* up; the owner."""
        return services.setup.initialise(self.company, self.username, self.password)

    def key(self, clock: FixedClock) -> Hashable:
        """What makes two set-ups the same: these details, the moment and the hash cost."""
        from privacycrm_desktop.services import passwords

        return (self, clock.now(), passwords.MEMORY_KIB, passwords.TIME_COST)

    def initialise_at(self, url: str, clock: FixedClock) -> Actor:
        """Set up the database at *url*, and close every connection to it."""
        engine = create_engine_for(url)
        try:
            return self.initialise(Services.build(engine, clock))
        finally:
            engine.dispose()


#: The owner of a test's database that came set up, on the test's node.
SET_UP = pytest.StashKey[Actor]()


def set_up(request: pytest.FixtureRequest, services: Services, setup: OwnerSetup) -> Actor:
    """The owner of the test's database: set up already (copied), or set up now."""
    owner = request.node.stash.get(SET_UP, None)
    return owner if owner is not None else setup.initialise(services)


#: The SQLite files set up once per process, by ``OwnerSetup.key``, with their owner and
#: the anchor file the set-up wrote.
_initialised: dict[Hashable, tuple[Path, Actor, bytes | None]] = {}


def anchor_file(url: str) -> Path:
    """The audit anchor file this computer keeps for the database at *url* (a file path or
    a server URL): named after the path, or the server and the database's name."""
    from sqlalchemy import create_engine

    from privacycrm_desktop.persistence.database import normalise_url
    from privacycrm_desktop.services.audit_anchors import AnchorFile, database_key

    engine = create_engine(normalise_url(url))
    try:
        key = database_key(engine)
    finally:
        engine.dispose()
    assert key is not None
    return AnchorFile.for_key(key).path


def saved_anchors(url: str) -> bytes | None:
    """What the anchor file of the database at *url* holds (None: it has none)."""
    try:
        return anchor_file(url).read_bytes()
    except FileNotFoundError:
        return None


def give_anchors(url: str, saved: bytes | None) -> None:
    """Give a copy at *url* the anchor file its original had when it was *saved*: a copy
    is a database set up on its own, not the next one at the same place."""
    path = anchor_file(url)
    path.unlink(missing_ok=True)
    if saved is not None:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        path.write_bytes(saved)
        path.chmod(0o600)


def copy_initialised(
    template: Path, target: Path, setup: OwnerSetup, clock: FixedClock
) -> Actor | None:
    """Make *target* a set-up database of its own (a copy of one set up earlier by *setup*
    at *clock*'s moment); its owner. None when *target* exists already (left as it is)."""
    if target.exists():
        return None
    key = setup.key(clock)
    if key not in _initialised:
        path = template.with_name(f"initialised-{len(_initialised)}.db")
        path.unlink(missing_ok=True)
        copy_migrated(template, path)
        owner = setup.initialise_at(str(path), clock)
        assert not path.with_name(path.name + "-wal").exists()
        _initialised[key] = (path, owner, saved_anchors(str(path)))
    path, owner, anchors = _initialised[key]
    copy_migrated(path, target)
    give_anchors(str(target), anchors)
    return owner


def migrated_template(directory: Path) -> Path:
    """This test process's migrated template file (made once, in *directory*)."""
    if not _template:
        path = directory / "migrated-template.db"
        engine = create_engine_for(str(path))
        migrate(engine)
        engine.dispose()
        # The copy takes the main file only: every page must be in it, not in a WAL.
        assert not path.with_name(path.name + "-wal").exists()
        _template.append(path)
    return _template[0]


def prepared_file(folder: Path, *steps: Callable[[Path], object]) -> Path:
    """A database file in *folder* made by *steps* (each called with its path), with every
    page in the main file, for tests to copy with ``copy_migrated``."""
    path = folder / "crm.db"
    for step in steps:
        step(path)
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    return path


def copy_migrated(template: Path, target: Path) -> None:
    """Make *target* a migrated database of its own, unless it exists already."""
    if target.exists():
        return
    shutil.copy(template, target)  # with its mode: 0600, as the app makes its files
    conn = sqlite3.connect(target)
    try:
        with conn:
            conn.execute(
                "UPDATE setting SET value = ? WHERE key = 'database.id'", (uuid.uuid4().hex,)
            )
    finally:
        conn.close()


def prepared_on_server(
    request: pytest.FixtureRequest, key: Hashable, prepare: Callable[[str], object]
) -> str:
    """A database on the test server prepared by *prepare(url)* once per process and *key*
    and copied for this test (tests/pg_support.py); its URL. Released after the test."""
    import pg_support

    url, _value = pg_support.initialised_database(key, prepare)
    request.addfinalizer(lambda: pg_support.release(url))
    return url


@contextmanager
def fresh_services(
    template: Path, folder: Path, clock: FixedClock | None = None, backend: str = "sqlite"
) -> Iterator[tuple[Services, Actor]]:
    """Services on a new initialised database of their own, and its owner.

    For property tests: each hypothesis example gets a database of its own, so no example
    sees what an earlier one left behind. *backend* "postgresql" clones the server's
    template instead of copying the SQLite file.
    """
    import pg_support

    path = folder / f"example-{uuid.uuid4().hex}.db"
    if backend == "postgresql":
        url = pg_support.new_database()
    else:
        url = str(path)
        copy_migrated(template, path)
    engine = create_engine_for(url)
    try:
        services = Services.build(engine, clock or FixedClock(dt.datetime(2026, 3, 2, 10, 0)))
        owner = services.setup.initialise(
            CompanyInput("Acme BV", "Kerkstraat 1, 9000 Gent", "0403.170.701"),
            "owner",
            "correct horse battery",
        )
        yield services, owner
    finally:
        engine.dispose()
        if backend == "postgresql":
            pg_support.drop_database(url)
        for leftover in folder.glob(path.name + "*"):
            leftover.unlink()
