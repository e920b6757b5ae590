"""Many rows in one statement on PostgreSQL: COPY for inserts, an UPDATE from arrays.

On the server, every statement fires the write log's statement triggers
(``postgres/write_log.py``) and the change notification once; an executemany of 20,000
rows is 20,000 statements, so 20,000 trigger runs (about a millisecond each over loopback).
``COPY`` and ``UPDATE ... FROM unnest(...)`` are one statement each: the triggers run once
and see every row. SQLite keeps its executemany (no such triggers, no round trips).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Engine, Table, text
from sqlalchemy.orm import Session


def is_postgresql(conn: Connection | Session) -> bool:
    bind = conn if isinstance(conn, Connection) else conn.get_bind()
    return bind.dialect.name == "postgresql"


def copy_rows(
    conn: Connection | Session,
    table: str,
    columns: Sequence[str],
    rows: Sequence[Mapping[str, Any]],
) -> None:
    """Insert *rows* (dicts keyed by column) into *table* with one ``COPY`` (PostgreSQL)."""
    if not rows:
        return
    connection = conn.connection() if isinstance(conn, Session) else conn
    driver: Any = connection.connection.driver_connection
    statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    with driver.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(tuple(row.get(column) for column in columns))


def update_from_arrays(
    conn: Connection | Session,
    table: str,
    key: str,
    columns: Mapping[str, str],
    rows: Sequence[Mapping[str, Any]],
) -> None:
    """``UPDATE table SET column = value ... WHERE key = ...`` for every row, as one
    statement (PostgreSQL): *columns* maps each column (the key first) to its SQL type,
    each row gives a value per column."""
    if not rows:
        return
    names = list(columns)
    arrays = ", ".join(f"CAST(:a{i} AS {columns[n]}[])" for i, n in enumerate(names))
    sets = ", ".join(f"{n} = v.{n}" for n in names if n != key)
    sql = (
        f"UPDATE {table} SET {sets} FROM unnest({arrays}) AS v({', '.join(names)}) "  # noqa: S608
        f"WHERE {table}.{key} = v.{key}"
    )
    params = {f"a{i}": [row[n] for row in rows] for i, n in enumerate(names)}
    conn.execute(text(sql), params)


#: How many more VACUUM passes ``vacuum_analyze`` makes while pages stay out of the
#: visibility map, and how long it waits before each (seconds, times the pass's number).
VISIBILITY_PASSES = 4
VISIBILITY_WAIT = 0.25


def vacuum_analyze(engine: Engine, table: str) -> None:
    """``VACUUM (FREEZE, ANALYZE)`` *table* on PostgreSQL (nothing elsewhere), after a
    statement rewrote most of its rows: until then the visibility map is empty and every
    index-only scan (the cleanup's scan, the list's windows) reads the table row by row
    (21 ms became 244 ms for the scan of 100,000 contacts). Outside a transaction, as
    VACUUM must be; a role that does not own the table gets a warning from the server, not
    an error.

    Every page must end up all-visible, which one VACUUM right after the rewrite does not
    ensure: on the test server (PostgreSQL 15, ``synchronous_commit = off``) after a
    recompute of 100,000 contacts the first pass left 44 to 1,225 of 5,811 pages out of
    the map from one run to the next (the issue measured 639 of 1,160), with nothing left
    "dead but not yet removable"; a second pass set them all, every time. PostgreSQL
    leaves a page out when, at that moment, another session's snapshot still predates
    the rewrite's last commits (an autovacuum worker analysing another table holds one
    too), when a row's "inserter committed" hint bit may not be set yet because its
    asynchronous commit's WAL record is not flushed, or when another session holds the
    page pinned (a reader's cursor, the checkpointer writing it; a plain VACUUM then prunes
    it without the cleanup lock). So:

    - a transaction of our own is committed synchronously first, which flushes the WAL
      up to it and so every commit before it;
    - FREEZE makes the pass aggressive: each row written just now needs freezing, so
      VACUUM waits for a pinned page's cleanup lock instead of skipping it (and marks the
      pages all-frozen too: no later anti-wraparound pass rewrites them; the same time as
      without, measured);
    - the map is then read (``relallvisible`` against ``relpages``, both set by this
      VACUUM) and, while it falls short, another pass made after a short wait, at most
      ``VISIBILITY_PASSES`` (each visits only the pages left out: 0.7 s for the two
      passes at 100,000 contacts)."""
    if engine.dialect.name != "postgresql":
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("SET synchronous_commit = on")
        conn.exec_driver_sql("SELECT pg_current_xact_id()")  # a commit record, flushed
        conn.exec_driver_sql("RESET synchronous_commit")
        conn.exec_driver_sql(f"VACUUM (FREEZE, ANALYZE) {table}")
        for attempt in range(1, VISIBILITY_PASSES + 1):
            pages, visible = conn.execute(
                text("SELECT relpages, relallvisible FROM pg_class WHERE oid = to_regclass(:t)"),
                {"t": table},
            ).one()
            if int(visible) >= int(pages):
                return
            time.sleep(VISIBILITY_WAIT * attempt)
            conn.exec_driver_sql(f"VACUUM (FREEZE) {table}")


def copy_into(conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> bool:
    """COPY *rows* (dicts with the same keys) into *table*, the columns' Python-side scalar
    defaults filled in as a Core insert would (PostgreSQL). False, having written nothing,
    where a left-out column's default is not a plain value: the caller inserts with Core."""
    if not rows:
        return True
    given = tuple(rows[0])
    return copy_tuples(conn, table, given, [tuple(row.get(c) for c in given) for row in rows])


def copy_tuples(
    conn: Connection, table: Table, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]
) -> bool:
    """COPY *rows* (tuples of values in the order of *columns*) into *table*, as
    ``copy_into`` does, without a dict a row (PostgreSQL). False, having written nothing,
    where a left-out column's default is not a plain value."""
    if not rows:
        return True
    defaults: dict[str, Any] = {}
    for column in table.c:
        if column.name in columns or column.default is None:
            continue
        if not column.default.is_scalar:
            return False
        defaults[column.name] = column.default.arg  # type: ignore[attr-defined]
    if defaults:
        tail = tuple(defaults.values())
        rows = [row + tail for row in rows]
    connection = conn.connection() if isinstance(conn, Session) else conn
    driver: Any = connection.connection.driver_connection
    names = ", ".join([*columns, *defaults])
    with driver.cursor() as cursor, cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
        write = copy.write_row
        for row in rows:
            write(row)
    return True
