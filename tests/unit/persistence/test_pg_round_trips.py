"""Round trips to the PostgreSQL server per list call (issue 23): what libpq sends is
traced (``PQtrace``) and each message that waits for the server's answer (a simple
``Query``, or the ``Sync`` closing a parsed statement) counted. A search's count, its
window, a window read by key and a saved view's count and window are each one statement
and one round trip (a search read again: one look at the snapshot): no ping, no
``BEGIN``/``ROLLBACK``, no read of the custom fields, no ``SET LOCAL``. Skipped without a
test server.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, text

import pg_support
from privacycrm_desktop.persistence import database
from privacycrm_desktop.persistence.database import create_engine_for
from privacycrm_desktop.persistence.migrate import migrate
from privacycrm_desktop.persistence.unit_of_work import UnitOfWork
from privacycrm_desktop.services.dto import Actor, ContactFilter, ContactSort, ListFilter
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.services.setup import CompanyInput

PASSWORD = "round-trip-password-1"


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    url = pg_support.new_database()
    engine = create_engine_for(url)
    migrate(engine)
    services = Services.build(engine)
    owner = services.setup.initialise(
        CompanyInput(name="Trip BV", address="Markt 1, 9000 Gent"), "owner", PASSWORD
    )
    services.demo.generate(owner, 600, seed=3)
    engine.dispose()
    yield url
    pg_support.drop_database(url)


class Wire:
    """libpq's trace of every connection *engine* opens, written to one file."""

    def __init__(self, engine: Engine, path: Path) -> None:
        import psycopg

        self._file = path.open("w")
        self.path = path
        flags = psycopg.pq.Trace.SUPPRESS_TIMESTAMPS | psycopg.pq.Trace.REGRESS_MODE

        @event.listens_for(engine, "connect")
        def _trace(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.pgconn.trace(self._file.fileno())
            dbapi_connection.pgconn.set_trace_flags(flags)

        @event.listens_for(engine, "checkin")
        def _flush(dbapi_connection: Any, _record: Any) -> None:
            # libpq writes its trace through a buffered stream that only PQuntrace
            # flushes: flushed at the end of every unit of work, then traced on.
            if dbapi_connection is not None:
                dbapi_connection.pgconn.untrace()
                _trace(dbapi_connection, _record)

    def lines(self) -> list[str]:
        return self.path.read_text().splitlines()

    def round_trips(self, action: Callable[[], object]) -> list[str]:
        """The messages *action* sent that wait for an answer (and what they carried)."""
        before = len(self.lines())
        action()
        sent = [line.split("\t") for line in self.lines()[before:] if line.startswith("F\t")]
        waits, pending = [], ""
        for fields in sent:
            kind = fields[2].strip()
            if kind == "Parse":
                pending = fields[3].strip()[:60]
            if kind == "Query":
                waits.append(fields[3].strip()[:60])
            elif kind == "Sync":
                waits.append(pending)
        return waits


@pytest.fixture
def served(pg_url: str, tmp_path: Path) -> Iterator[tuple[Services, Actor, Wire]]:
    engine = create_engine_for(pg_url)
    wire = Wire(engine, tmp_path / "libpq.trace")
    services = Services.build(engine)
    actor = services.auth.login("owner", PASSWORD)
    yield services, actor, wire
    engine.dispose()


def test_each_list_call_is_one_round_trip(served: tuple[Services, Actor, Wire]) -> None:
    services, actor, wire = served
    contacts = services.contacts
    total = contacts.count(actor)
    marks = contacts.bookmarks(actor, ContactSort.NAME)
    found = contacts.count(actor, "jan")
    assert found > 0
    expired = ListFilter(ContactFilter.EXPIRED)
    no_consent = ListFilter(ContactFilter.NO_CONSENT)
    middle = (total // 2) // marks.stride * marks.stride
    calls: dict[str, Callable[[], object]] = {
        "search count": lambda: contacts.count(actor, "jan"),
        "search window": lambda: contacts.page(actor, query="jan", limit=200, total=found),
        "search window, count unknown": lambda: contacts.page(actor, query="jan", limit=50),
        "window by key": lambda: contacts.page(
            actor, offset=middle, limit=200, total=total, bookmarks=marks
        ),
        "window by offset": lambda: contacts.page(actor, offset=middle, limit=200, total=total),
        "expired count": lambda: contacts.count(actor, "", expired),
        "expired window": lambda: contacts.page(actor, view=expired, limit=200, total=9),
        "no consent count": lambda: contacts.count(actor, "", no_consent),
        "no consent search": lambda: contacts.page(actor, query="jan", view=no_consent, total=5),
    }
    # The window with no total counts first: two statements, no more.
    expected = {name: 2 if name.endswith("count unknown") else 1 for name in calls}
    # A search's count and windows read before are kept (persistence/server_kept_reads.py):
    # one look at the snapshot. Another test's write anywhere on the server between the
    # two reads ends them: the look, then the statement. So a few tries.
    for _attempt in range(5):
        for action in calls.values():
            action()  # the access rules and custom fields are read once, before
        trips = {name: wire.round_trips(action) for name, action in calls.items()}
        if {name: len(sent) for name, sent in trips.items()} == expected:
            break
    assert {name: len(sent) for name, sent in trips.items()} == expected, trips


def test_a_connection_ended_by_the_server_is_replaced_before_use(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No ping while a connection is in use, yet one the server ended is not handed out:
    its socket says so (the server's goodbye), and the pool opens a fresh one."""
    monkeypatch.setattr(database, "PING_AFTER_IDLE_S", 3600.0)
    engine = create_engine_for(pg_url)
    uow = UnitOfWork(engine)
    try:
        with uow(autocommit=True) as unit:
            first = unit.session.execute(text("SELECT pg_backend_pid()")).scalar_one()
        import psycopg

        with psycopg.connect(pg_url, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (first,))
        time.sleep(0.3)
        with uow() as unit:
            second = unit.session.execute(text("SELECT pg_backend_pid()")).scalar_one()
        assert second != first
    finally:
        engine.dispose()


def test_an_autocommit_unit_holds_no_transaction(pg_url: str) -> None:
    """Each statement of a list read is its own transaction on the server (no BEGIN, no
    ROLLBACK sent); a unit that writes cannot ask for that."""
    engine = create_engine_for(pg_url)
    uow = UnitOfWork(engine)
    status = "SELECT count(*) FROM pg_stat_activity WHERE pid = pg_backend_pid() AND "
    in_transaction = status + "backend_xid IS NULL AND xact_start = query_start"
    try:
        with uow(autocommit=True) as unit:
            unit.session.execute(text("SELECT 1"))
            # The transaction of this statement started with it, not at an earlier BEGIN.
            assert unit.session.execute(text(in_transaction)).scalar_one() == 1
        with uow() as unit:
            unit.session.execute(text("SELECT 1"))
            time.sleep(0.01)
            assert unit.session.execute(text(in_transaction)).scalar_one() == 0
        with pytest.raises(ValueError, match="transaction"):
            uow(write=True, autocommit=True)
    finally:
        engine.dispose()
