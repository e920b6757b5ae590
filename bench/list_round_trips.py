"""What one list call sends to the database: statements and round trips, per engine.

For a search (``count`` + first ``page``), a window read by key and a saved view (count +
window), prints each statement with its time (SQLAlchemy's cursor events) and, on
PostgreSQL, every message that waited for the server (libpq's trace: a simple ``Query``
such as a ping, ``BEGIN`` or ``ROLLBACK``, or the ``Sync`` after a parsed statement).
Informational (no target): the round trips are what a loaded machine cannot blur.

    .venv/bin/python bench/list_round_trips.py [--count N] [--engine E] [--pg-url URL]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from common import count_argument, engine_arguments, engines, ensure_database, open_services


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    count_argument(parser, default=100_000)
    engine_arguments(parser)
    args = parser.parse_args()
    for name in engines(args):
        print(f"--- {name} ---", flush=True)
        trace(ensure_database(args.count, name, args.pg_url))
    return 0


def trace(database: str) -> None:
    from sqlalchemy import event

    from privacycrm_desktop.services.dto import ContactFilter, ContactSort, ListFilter

    engine, services, actor = open_services(database)
    contacts = services.contacts
    sent: list[tuple[float, str]] = []
    wire = tempfile.NamedTemporaryFile("w+", suffix=".trace")  # noqa: SIM115 (closed below)
    if engine.dialect.name == "postgresql":
        import psycopg

        engine.dispose()  # every connection from now on is traced
        flags = psycopg.pq.Trace.SUPPRESS_TIMESTAMPS | psycopg.pq.Trace.REGRESS_MODE

        @event.listens_for(engine, "connect")
        def _traced(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.pgconn.trace(wire.fileno())
            dbapi_connection.pgconn.set_trace_flags(flags)

        @event.listens_for(engine, "checkin")
        def _flushed(dbapi_connection: Any, record: Any) -> None:
            # libpq's trace stream is buffered; PQuntrace flushes it (then trace on).
            if dbapi_connection is not None:
                dbapi_connection.pgconn.untrace()
                _traced(dbapi_connection, record)

    @event.listens_for(engine, "before_cursor_execute")
    def _before(conn: Any, *_rest: Any) -> None:
        conn.info["bench.started"] = time.perf_counter()

    @event.listens_for(engine, "after_cursor_execute")
    def _after(conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        ms = (time.perf_counter() - conn.info["bench.started"]) * 1000
        sent.append((ms, " ".join(statement.split())[:110]))

    total = contacts.count(actor)
    marks = contacts.bookmarks(actor, ContactSort.NAME)
    expired = ListFilter(ContactFilter.EXPIRED)
    calls: dict[str, Callable[[], object]] = {
        "search count": lambda: contacts.count(actor, "peeters"),
        "search window": lambda: contacts.page(actor, query="peeters", limit=200, total=500),
        "window by key (middle)": lambda: contacts.page(
            actor, offset=(total // 2) // 200 * 200, limit=200, total=total, bookmarks=marks
        ),
        "view count (expired)": lambda: contacts.count(actor, "", expired),
        "view window (expired, start)": lambda: contacts.page(
            actor, view=expired, limit=200, total=total // 3
        ),
    }
    for name, call in calls.items():
        call()  # warm: the access rules and custom fields are read once
        sent.clear()
        before = len(Path(wire.name).read_text().splitlines())
        started = time.perf_counter()
        call()
        ms = (time.perf_counter() - started) * 1000
        waits = _waits(Path(wire.name).read_text().splitlines()[before:])
        trips = f", {len(waits)} round trips" if engine.dialect.name == "postgresql" else ""
        print(f"{name}: {ms:.1f} ms, {len(sent)} statements{trips}")
        for statement_ms, statement in sent:
            print(f"    {statement_ms:7.2f} ms  {statement}")
        for wait in waits:
            print(f"    waited for: {wait}")
    wire.close()
    engine.dispose()


def _waits(lines: list[str]) -> list[str]:
    """The messages in a libpq trace that waited for the server's answer."""
    waits, parsed = [], ""
    for line in lines:
        fields = [*line.split("\t"), ""]
        if len(fields) < 4 or fields[0] != "F":
            continue
        kind, body = fields[2].strip(), fields[3].strip()[:70]
        if kind == "Parse":
            parsed = body
        elif kind == "Query":
            waits.append(body)
        elif kind == "Sync":
            waits.append(parsed)
    return waits


if __name__ == "__main__":
    raise SystemExit(main())
