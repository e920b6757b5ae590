"""Crash safety: a process editing contacts is killed 200 times at random moments.

A fork server (crash_worker.py) starts workers that create and edit contacts, add demo
contacts in bulk and (once the import service exists) import small files, each through the
services, reporting on a pipe what they committed AFTER the commit returned. The test
kills each worker with SIGKILL after a seeded random delay, then checks the one database
they all share: ``integrity_check`` and ``foreign_key_check`` come back clean and the
trigger-kept contact count matches the rows after every kill; every transaction a worker
reported is there and the audit chain verifies after every tenth kill and at the end.
SIGKILL tests what SQLite and our transactions do when the process dies mid-write; the
page cache survives it, so it does not stand in for a power cut.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from privacycrm_desktop.persistence.database import create_engine_for
from privacycrm_desktop.persistence.sqlite_driver import sqlite3
from privacycrm_desktop.services.audit import verify_chain
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.erasure_batch import INDEX_SCRUB_KEY, SCRUB_PENDING_KEY
from privacycrm_desktop.services.registry import Services

#: The program runs in its own processes here and signs in with the real costs, so the
#: in-process parts keep them too (a cheap hash would be rehashed at the first sign-in).
pytestmark = pytest.mark.real_key_costs

KILLS = int(os.environ.get("PRIVACYCRM_CRASH_KILLS", "200"))
SEED = 20261129
#: Share of kills at a random moment of the worker's life (0 to MAX_DELAY_S after it
#: started: often while starting or in a bulk insert); the others come after a random
#: number of commits, within about one transaction's time.
ANYWHERE = 0.3
MAX_DELAY_S = 0.3
NEXT_TRANSACTION_S = 0.03
WORKER = Path(__file__).with_name("crash_worker.py")
#: SQLite's checks run after every kill; the reported commits, the audit events and the
#: chain (which take longer as the trail grows) after every tenth and at the end.
FULL_CHECK_EVERY = 10


@dataclass
class Committed:
    """What the workers reported as committed, over all their lives."""

    created: dict[int, str] = field(default_factory=dict)
    edited: dict[int, tuple[int, str]] = field(default_factory=dict)
    bulk: int = 0
    demo_seeds: list[str] = field(default_factory=list)
    imported: dict[str, int] = field(default_factory=dict)
    erased: set[int] = field(default_factory=set)

    def take(self, line: str) -> None:
        kind, *rest = line.split()
        if kind == "C":
            self.created[int(rest[0])] = rest[1]
        elif kind == "U":
            contact, version = int(rest[0]), int(rest[1])
            if version >= self.edited.get(contact, (0, ""))[0]:
                self.edited[contact] = (version, rest[2])
        elif kind == "D":
            self.bulk += int(rest[0])
            self.demo_seeds.append(rest[1])
        elif kind == "I":
            self.imported[rest[1]] = int(rest[0])
        elif kind == "X":
            self.erased.update(int(r) for r in rest)
        elif kind == "E":
            pytest.fail(f"a worker failed on its own, not by the kill: {line}")
        else:
            pytest.fail(f"unexpected line from the worker: {line!r}")


class ForkServer:
    """The crash_worker.py process, driven over its stdin/stdout."""

    def __init__(self, database: Path, owner_id: int) -> None:
        env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
        self.process = subprocess.Popen(
            [sys.executable, str(WORKER), str(database), str(owner_id)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            bufsize=1,
            env=env,
        )
        assert self.read() == "ready"

    def read(self) -> str:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            pytest.fail(f"the fork server ended (code {self.process.poll()})")
        return line.strip()

    def send(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()

    def until(self, prefix: str, committed: Committed) -> str:
        """Read lines, handing reports to *committed*, until one starts with *prefix*."""
        while True:
            line = self.read()
            if line.startswith(prefix):
                return line
            committed.take(line)

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait(timeout=10)
        if self.process.stdout is not None:
            self.process.stdout.close()


@pytest.fixture
def prepared(services: Services, owner: Actor, database_path: Path) -> tuple[Path, int]:
    """The shared fixture's database, set up, with no connection of ours left open."""
    services.uow.engine.dispose()
    return database_path, owner.user_id


#: Per erased contact (an erasure_ledger row): what must be gone with it.
ERASED_LEFT = (
    "SELECT count(*) FROM erasure_ledger l WHERE EXISTS (SELECT 1 FROM contact WHERE id = "
    "l.contact_id) OR EXISTS (SELECT 1 FROM contact_email WHERE contact_id = l.contact_id) "
    "OR EXISTS (SELECT 1 FROM contact_phone WHERE contact_id = l.contact_id) "
    "OR EXISTS (SELECT 1 FROM contact_fts_content WHERE id = l.contact_id) "
    "OR (SELECT count(*) FROM audit_event WHERE action IN ('contact.erase', 'contact.anonymise') "
    "AND entity_id = CAST(l.contact_id AS TEXT)) != 1"
)


def check_sound(database: Path) -> None:
    """Assert the file is sound after a kill: SQLite's own checks and the trigger-kept count
    (a torn transaction would show there); each erased contact fully erased (a batch of
    erasures is one transaction), FTS5's own check of the search index, and the marker of
    a search index still to be rewritten never without the scrub marker that finishes it."""
    conn = sqlite3.connect(database)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        contacts = conn.execute("SELECT count(*) FROM contact").fetchone()[0]
        assert conn.execute("SELECT n FROM contact_count").fetchone()[0] == contacts
        assert conn.execute(ERASED_LEFT).fetchone() == (0,)
        conn.execute("INSERT INTO contact_fts(contact_fts, rank) VALUES ('integrity-check', 1)")
        markers = {
            key
            for (key,) in conn.execute(
                "SELECT key FROM setting WHERE key IN (?, ?)", (INDEX_SCRUB_KEY, SCRUB_PENDING_KEY)
            )
        }
        assert markers != {INDEX_SCRUB_KEY}
    finally:
        conn.close()


def check_database(database: Path, committed: Committed) -> int:
    """Assert the database holds every reported commit, each action whole with its audit
    event, and the audit chain verifies; return its contacts. What a kill loses or tears
    stays lost or torn, so checking every few kills and at the end misses nothing."""
    check_sound(database)
    conn = sqlite3.connect(database)
    try:
        contacts = conn.execute("SELECT count(*) FROM contact").fetchone()[0]
        # Workers erase only contacts they created ("Crash" m...s...), reported or not.
        erased = {r[0] for r in conn.execute("SELECT contact_id FROM erasure_ledger")}
        assert committed.erased <= erased
        created = {k: v for k, v in committed.created.items() if k not in erased}
        assert contacts >= len(created) + committed.bulk + sum(committed.imported.values())
        if created:
            ids = ",".join(map(str, created))
            found = dict(conn.execute(f"SELECT id, last_name FROM contact WHERE id IN ({ids})"))
            assert found == created
        for contact, (version, marker) in committed.edited.items():
            if contact in erased:
                continue
            stored = conn.execute(
                "SELECT version, organisation FROM contact WHERE id = ?", (contact,)
            ).fetchone()
            assert stored is not None
            assert stored[0] >= version, (contact, stored, version)
            if stored[0] == version:
                assert stored[1] == marker
        for seed in committed.demo_seeds:
            assert conn.execute(
                "SELECT count(*) FROM audit_event WHERE action = 'demo.generate' AND detail LIKE ?",
                (f"% seed={seed}",),
            ).fetchone() == (1,)
        # One action, one transaction with its audit event: no worker contact without its
        # "contact.create" event, no edit without its "contact.update" event (reported or
        # not: a commit the kill hid from the report must be whole too).
        events = (
            "LEFT JOIN (SELECT entity_id, count(*) AS n FROM audit_event WHERE action = ? "
            "AND entity = 'contact' GROUP BY entity_id) e ON e.entity_id = CAST(c.id AS TEXT) "
        )
        assert conn.execute(
            f"SELECT count(*) FROM contact c {events} WHERE c.first_name = 'Crash' "
            "AND c.last_name GLOB 'm[0-9]*s[0-9]*' AND coalesce(e.n, 0) != 1",
            ("contact.create",),
        ).fetchone() == (0,)
        assert conn.execute(
            f"SELECT count(*) FROM contact c {events} WHERE c.version - 1 != coalesce(e.n, 0)",
            ("contact.update",),
        ).fetchone() == (0,)
        for marker, count in committed.imported.items():
            # Imported people are named <marker>x<n> (an edit later keeps the last name).
            assert conn.execute(
                "SELECT count(*) FROM contact WHERE last_name GLOB ?", (f"{marker}x*",)
            ).fetchone() == (count,)
    finally:
        conn.close()
    engine = create_engine_for(database)
    try:
        from sqlalchemy.orm import Session

        with Session(engine) as session:
            assert verify_chain(session) is None
    finally:
        engine.dispose()
    return int(contacts)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="the fork server needs os.fork")
def test_killed_two_hundred_times_loses_nothing(prepared: tuple[Path, int]) -> None:
    database, owner_id = prepared
    rng = random.Random(SEED)
    committed = Committed()
    server = ForkServer(database, owner_id)
    started = time.perf_counter()
    checking = 0.0
    try:
        for round_number in range(KILLS):
            server.send(f"run {rng.randrange(1, 10**6)}")
            pid = int(server.until("pid ", committed).split()[1])
            if rng.random() < ANYWHERE:
                # Any moment of its life: starting, in a bulk insert, in a commit.
                time.sleep(rng.uniform(0.0, MAX_DELAY_S))
            else:
                # After its k-th commit, somewhere in the next transaction: counted in
                # commits rather than seconds, so a busy machine kills as often mid-work.
                for _ in range(rng.randint(1, 6)):
                    committed.take(server.read())
                time.sleep(rng.uniform(0.0, NEXT_TRANSACTION_S))
            os.kill(pid, signal.SIGKILL)
            server.send(f"reap {pid}")
            status = int(server.until(f"reaped {pid}", committed).split()[2])
            # Killed, not ended on its own (which would mean it failed: an "E" line).
            assert os.WIFSIGNALED(status), round_number
            assert os.WTERMSIG(status) == signal.SIGKILL, round_number
            before = time.perf_counter()
            if round_number % FULL_CHECK_EVERY == FULL_CHECK_EVERY - 1:
                check_database(database, committed)
            else:
                check_sound(database)
            checking += time.perf_counter() - before
    finally:
        server.close()
    contacts = check_database(database, committed)
    elapsed = time.perf_counter() - started
    reported = len(committed.created) + len(committed.edited) + len(committed.demo_seeds)
    print(
        f"\ncrash test: {KILLS} kills in {elapsed:.1f} s (checks {checking:.1f} s); "
        f"{contacts} contacts; reported commits: {len(committed.created)} created, "
        f"{len(committed.edited)} contacts edited, {len(committed.demo_seeds)} bulk inserts "
        f"({committed.bulk} contacts), {len(committed.imported)} imports, "
        f"{len(committed.erased)} contacts erased in batches"
    )
    # The workload really ran: most lives committed something before they were killed.
    assert reported > KILLS
    assert committed.erased
    # A kill between a batch of erasures and its scrub: the next start finishes it.
    engine = create_engine_for(database)
    try:
        finished = Services.build(engine)
        assert finished.erasure.retry_scrub()
        assert not finished.erasure.scrub_pending()
    finally:
        engine.dispose()
    conn = sqlite3.connect(database)
    try:
        left = conn.execute(
            "SELECT count(*) FROM setting WHERE key IN (?, ?)", (INDEX_SCRUB_KEY, SCRUB_PENDING_KEY)
        ).fetchone()
        assert left == (0,)
    finally:
        conn.close()
