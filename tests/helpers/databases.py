"""A migrated SQLite template copied for each test, as PostgreSQL clones its template.

Migrating a new file through every Alembic revision costs about 70 ms; copying a migrated
file costs about 1 ms. Each copy gets its own ``database.id``, as a database migrated on its
own has, so backups and audit anchors still tell two test databases apart.
"""

from __future__ import annotations

import datetime as dt
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from privacycrm_desktop.persistence.database import create_engine_for
from privacycrm_desktop.persistence.migrate import migrate
from privacycrm_desktop.persistence.sqlite_driver import sqlite3
from privacycrm_desktop.services.clock import FixedClock
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services

_template: list[Path] = []


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
    from privacycrm_desktop.services.setup import CompanyInput

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
