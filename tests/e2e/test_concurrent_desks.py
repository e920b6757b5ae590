"""Several desks writing at once: no committed write is ever lost.

Eight writers, each with its own engine (its own connections, as eight desks have), run
for ``PRIVACYCRM_WRITERS_SECONDS`` on PostgreSQL (10 s in ``make test``; set it higher for
a soak) and ``PRIVACYCRM_WRITERS_SQLITE`` on SQLite (5 s). Each writer creates contacts
with names of its own and, in turn, raises a counter kept in the notes of one of two
contacts that every writer edits: an edit against a stale version is refused
(``EditConflict``), reloaded and tried again, the way a person would.
Afterwards every contact a writer was told it created is there with its values, and each
shared counter equals the number of edits that were told they succeeded: an overwritten
edit would leave it short.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest

import pg_support
from privacycrm_desktop.domain.contacts import ContactInput
from privacycrm_desktop.domain.edit_conflicts import input_from
from privacycrm_desktop.domain.errors import EditConflict, StorageLocked
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.persistence.database import create_engine_for
from privacycrm_desktop.persistence.migrate import migrate
from privacycrm_desktop.services.clock import SystemClock
from privacycrm_desktop.services.dto import Actor, ContactDetail
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.services.setup import CompanyInput

WRITERS = 8
PASSWORD = "correct horse battery"
CALL = SourceInput(SourceKind.PHONE_CALL, "Phone call", dt.date(2026, 1, 5))


@dataclass
class Tally:
    """What one writer was told had been saved."""

    created: dict[int, str] = field(default_factory=dict)
    edits: dict[int, int] = field(default_factory=dict)
    conflicts: int = 0
    locked: int = 0
    failures: list[BaseException] = field(default_factory=list)


def _input(detail: ContactDetail, notes: str) -> ContactInput:
    return replace(input_from(detail), notes=notes)


def _writer(
    url: str,
    actor: Actor,
    number: int,
    shared: list[int],
    seconds: float,
    ready: threading.Barrier,
    tally: Tally,
):
    svc = Services.build(create_engine_for(url), SystemClock())
    try:
        # The desks write for the same *seconds* from the moment all are ready: on a loaded
        # machine, building the services of eight desks took most of the time they had.
        ready.wait(120)
        until = time.monotonic() + seconds
        step = 0
        while time.monotonic() < until:
            step += 1
            try:
                name = f"W{number}N{step}"
                data = ContactInput(first_name="Desk", last_name=name)
                tally.created[svc.contacts.create(actor, data, CALL)] = name
                target = shared[step % len(shared)]
                while time.monotonic() < until:
                    detail = svc.contacts.get(actor, target)
                    raised = str(int(detail.notes or "0") + 1)
                    try:
                        svc.contacts.update(
                            actor, target, detail.version, _input(detail, raised), CALL
                        )
                    except EditConflict:
                        tally.conflicts += 1
                        continue
                    tally.edits[target] = tally.edits.get(target, 0) + 1
                    break
            except StorageLocked:
                tally.locked += 1  # refused with a message: nothing was saved, nothing lost
    except BaseException as exc:  # pragma: no cover - what the test reports
        tally.failures.append(exc)
    finally:
        svc.uow.engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def shared_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, float]]:
    """The database the desks share, and how long they write to it."""
    if request.param == "sqlite":
        yield str(tmp_path / "shared.db"), float(os.environ.get("PRIVACYCRM_WRITERS_SQLITE", "5"))
        return
    url = pg_support.new_database()
    yield url, float(os.environ.get("PRIVACYCRM_WRITERS_SECONDS", "10"))
    pg_support.drop_database(url)


@pytest.mark.slow
def test_eight_writers_lose_no_write(shared_database: tuple[str, float]) -> None:
    url, seconds = shared_database
    engine = create_engine_for(url)
    migrate(engine)
    svc = Services.build(engine, SystemClock())
    owner = svc.setup.initialise(CompanyInput("Acme BV", "Markt 1, 9000 Gent"), "owner", PASSWORD)
    notes_of = {}
    shared = [
        svc.contacts.create(owner, ContactInput(first_name="Shared", last_name=n, notes="0"), CALL)
        for n in ("Counter", "Tally")
    ]
    tallies = [Tally() for _ in range(WRITERS)]
    ready = threading.Barrier(WRITERS)
    threads = [
        threading.Thread(target=_writer, args=(url, owner, i, shared, seconds, ready, tallies[i]))
        for i in range(WRITERS)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 120)
    assert not any(t.is_alive() for t in threads)
    failures = [f for t in tallies for f in t.failures]
    assert not failures, failures
    created = {cid: name for t in tallies for cid, name in t.created.items()}
    assert len(created) == sum(len(t.created) for t in tallies)  # no id handed out twice
    assert len(created) >= WRITERS  # every desk got work done
    for cid, name in created.items():
        assert svc.contacts.get(owner, cid).last_name == name
    for target in shared:
        notes_of[target] = int(svc.contacts.get(owner, target).notes)
        told = sum(t.edits.get(target, 0) for t in tallies)
        assert notes_of[target] == told, (target, notes_of[target], told)
    assert svc.contacts.count(owner) == len(created) + len(shared)
    print(
        f"{'postgresql' if '://' in url else 'sqlite'}: {len(created)} contacts and "
        f"{sum(notes_of.values())} shared "
        f"edits in {seconds:.0f} s by {WRITERS} writers; "
        f"{sum(t.conflicts for t in tallies)} conflicts refused and retried, "
        f"{sum(t.locked for t in tallies)} lock waits refused"
    )
    engine.dispose()
