"""An import the storage stops part-way, on both back ends.

After its first chunk is committed, another program takes the write lock (SQLite: a
second connection's ``BEGIN EXCLUSIVE``; PostgreSQL: ``LOCK TABLE contact`` and the
audit table), so the next chunk fails with a real lock time-out, and so does the closing
of the batch. The error says what was kept (never "nothing was saved"); the committed
chunk counted itself in the batch row; once the other program is gone, the next start
closes the batch as interrupted and audits it, and it can be undone.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text

from privacycrm_desktop.domain.errors import ImportPartlySaved
from privacycrm_desktop.persistence.database import create_engine_for, sqlite_file
from privacycrm_desktop.persistence.sqlite_driver import sqlite3
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.imports import write as import_write
from privacycrm_desktop.services.registry import Services

from .test_imports import plan_for

ROWS = 150


@pytest.fixture
def impatient(svc: Services, owner: Actor, db_url: str) -> Iterator[Services]:
    """The same database through an engine that waits 300 ms for a lock."""
    engine = create_engine_for(db_url, busy_timeout=300)
    yield Services.build(engine, svc.clock)
    engine.dispose()


class OtherProgram:
    """Takes the write lock from outside the services, and lets go."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._held: Any = None

    def take(self) -> None:
        file = sqlite_file(str(self._engine.url))
        if file is not None:
            self._held = sqlite3.connect(file, isolation_level=None)
            self._held.execute("BEGIN EXCLUSIVE")
            return
        url = self._engine.url.render_as_string(hide_password=False)
        self._held = create_engine(url).connect()
        self._held.execute(text("LOCK TABLE contact, import_batch, audit_event IN EXCLUSIVE MODE"))

    def release(self) -> None:
        if self._held is None:
            return
        if isinstance(self._held, sqlite3.Connection):
            self._held.execute("ROLLBACK")
            self._held.close()
        else:
            self._held.rollback()
            self._held.close()
            self._held.engine.dispose()
        self._held = None


@pytest.mark.slow
def test_a_lock_after_the_first_chunk_keeps_it_as_an_undoable_audited_batch(
    impatient: Services, owner: Actor, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(import_write, "CHUNK", 50)
    people = tmp_path / "people.csv"
    people.write_text(
        "first_name,last_name,email\n"
        + "".join(f"Anna{n},Peeters{n},anna{n}@example.be\n" for n in range(ROWS)),
        encoding="utf-8",
    )
    other = OtherProgram(impatient.uow.engine)
    rows_written: list[int] = []

    def progress(done: int, total: int) -> None:
        rows_written.append(done)
        if done > total // 2 and done - total // 2 >= 50 and other._held is None:
            other.take()  # the first chunk is committed: now another program writes

    plan = plan_for(impatient, owner, people)
    try:
        with pytest.raises(ImportPartlySaved) as raised:
            impatient.imports.run(owner, plan, progress)
        with impatient.uow.engine.connect() as conn:
            kept = conn.execute(text("SELECT count(*) FROM contact")).scalar_one()
    finally:
        other.release()
    error = raised.value
    assert kept == 50
    assert error.params["kept"] == 50
    assert error.params["batch"] == 1
    assert error.params["total"] == ROWS
    assert "nothing was saved" not in str(error)
    assert "kept as import 1" in str(error)
    with impatient.uow.engine.connect() as conn:
        status, imported = conn.execute(text("SELECT status, imported FROM import_batch")).one()
    assert imported == 50  # counted by the committed chunk itself
    if status == "running":
        assert "marked as interrupted" in str(error)
        assert impatient.imports.close_interrupted() == [1]
        status = "interrupted"
    assert impatient.imports.close_interrupted() == []
    [batch] = impatient.imports.batches(owner)
    assert (batch.status, batch.contacts, batch.undoable) == (status, 50, True)
    details = [e.detail for e in impatient.audit.list_events(owner) if e.action == "import.run"]
    assert len(details) == 1
    assert details[0].startswith("imported=50;merged=0;")
    assert impatient.audit.verify() is None
    assert impatient.imports.undo(owner, 1) == 50


@pytest.mark.slow
def test_a_running_batch_of_a_living_process_is_left_alone(
    svc: Services, owner: Actor, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The next start must not close a batch another process is writing at that moment."""
    monkeypatch.setattr(import_write, "CHUNK", 50)
    people = tmp_path / "people.csv"
    people.write_text(
        "first_name,last_name,email\n"
        + "".join(f"Bob{n},Jacobs{n},bob{n}@example.be\n" for n in range(120)),
        encoding="utf-8",
    )
    seen: list[str] = []
    url = svc.uow.engine.url.render_as_string(hide_password=False)
    script = (
        "import sys; from privacycrm_desktop.persistence.database import create_engine_for; "
        "from privacycrm_desktop.services.registry import Services; "
        "print(Services.build(create_engine_for(sys.argv[1])).imports.close_interrupted())"
    )

    def progress(done: int, total: int) -> None:
        if done > total // 2 and not seen:
            # While this import writes, another process starts and looks for dead batches.
            looked = subprocess.run(
                [sys.executable, "-c", script, url], capture_output=True, text=True, check=True
            )
            seen.append(looked.stdout.strip())

    svc.imports.run(owner, plan_for(svc, owner, people), progress)
    assert seen == ["[]"]
    [batch] = svc.imports.batches(owner)
    assert batch.status == "done"


def test_a_batch_nobody_writes_is_listed_as_interrupted_before_the_next_start(
    svc: Services, owner: Actor, tmp_path: Path
) -> None:
    """After the storage (or a kill) stopped an import before it could close its batch,
    the history said "running" until the next start closed it; it says what is true now,
    while a batch a living process writes still shows as running."""
    from privacycrm_desktop.persistence import job_lock

    people = tmp_path / "people.csv"
    people.write_text("first_name,last_name\nAnna,Peeters\n", encoding="utf-8")
    svc.imports.run(owner, plan_for(svc, owner, people))
    with svc.uow.engine.begin() as conn:
        conn.execute(text("UPDATE import_batch SET status = 'running'"))
    [batch] = svc.imports.batches(owner)
    assert batch.status == "interrupted"
    with svc.uow.engine.connect() as conn:
        writer = job_lock.JobLock(svc.uow.engine, conn)
        writer.hold(batch.id)
        try:
            [batch] = svc.imports.batches(owner)
            assert batch.status == "running"
        finally:
            writer.release()
