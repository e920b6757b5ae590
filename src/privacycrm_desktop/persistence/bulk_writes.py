"""Many rows in one statement on PostgreSQL: COPY for inserts, an UPDATE from arrays.

On the server, every statement fires the write log's statement triggers
(``postgres/write_log.py``) and the change notification once; an executemany of 20,000
rows is 20,000 statements, so 20,000 trigger runs (about a millisecond each over loopback).
``COPY`` and ``UPDATE ... FROM unnest(...)`` are one statement each: the triggers run once
and see every row. SQLite keeps its executemany (no such triggers, no round trips).
"""

from __future__ import annotations

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


def vacuum_analyze(engine: Engine, table: str) -> None:
    """``VACUUM ANALYZE`` *table* on PostgreSQL (nothing elsewhere), after a statement
    rewrote most of its rows: until then the visibility map is empty and every index-only
    scan (the cleanup's scan, the list's windows) reads the table row by row (21 ms became
    244 ms for the scan of 100,000 contacts). Outside a transaction, as VACUUM must be; a
    role that does not own the table gets a warning from the server, not an error."""
    if engine.dialect.name != "postgresql":
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql(f"VACUUM (ANALYZE) {table}")


def copy_into(conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> bool:
    """COPY *rows* (dicts with the same keys) into *table*, the columns' Python-side scalar
    defaults filled in as a Core insert would (PostgreSQL). False, having written nothing,
    where a left-out column's default is not a plain value: the caller inserts with Core."""
    if not rows:
        return True
    given = list(rows[0])
    defaults: dict[str, Any] = {}
    for column in table.c:
        if column.name in rows[0] or column.default is None:
            continue
        if not column.default.is_scalar:
            return False
        defaults[column.name] = column.default.arg  # type: ignore[attr-defined]
    filled = [{**defaults, **row} for row in rows] if defaults else rows
    copy_rows(conn, table.name, [*given, *defaults], filled)
    return True
