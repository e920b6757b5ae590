"""Look-ups of many values at once below SQLAlchemy's per-value work: an import's blocks.

An import asks, block after block, which contacts hold any of a thousand e-mail addresses,
numbers or names (``services.imports.analyse``). With an expanding ``IN`` parameter
SQLAlchemy writes every value into the statement again at each execution, more time than
SQLite takes to answer. On SQLite the statement is therefore compiled once, its ``IN``
list written once per length and the values go to the driver as they are. On PostgreSQL
the list is one array parameter (``= ANY(...)``): the statement's text is the same at
every execution, so neither SQLAlchemy nor the driver writes or parses 500 placeholders
again, and the driver prepares it on the server after a few executions. Both give the
same rows as Core.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Select
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session

from privacycrm_desktop.persistence.contact_writes import chunks

#: The name of the expanding bind parameter a statement of ``rows_in`` takes its values in.
VALUES = "values"
_MARKER = f"(__[POSTCOMPILE_{VALUES}])"
#: SQLite's SQL of each statement seen, split around its ``IN`` list, and the order of
#: its parameters (by the statement's id, the statement kept so the id stays its own).
_COMPILED: dict[int, tuple[Select[Any], str, str, tuple[str, ...]]] = {}


def _sqlite_sql(statement: Select[Any]) -> tuple[str, str, tuple[str, ...]] | None:
    """The SQL before and after the ``IN`` list, and the parameters' names in order; None
    when the statement does not have the one list this module writes."""
    known = _COMPILED.get(id(statement))
    if known is not None and known[0] is statement:
        return known[1], known[2], known[3]
    compiled = statement.compile(dialect=sqlite.dialect())
    sql = str(compiled)
    names = tuple(compiled.positiontup or ())
    if sql.count(_MARKER) != 1 or names.count(VALUES) != 1:
        return None
    before, after = sql.split(_MARKER)
    if len(_COMPILED) >= 64:
        _COMPILED.clear()
    _COMPILED[id(statement)] = (statement, before, after, names)
    return before, after, names


#: PostgreSQL's SQL of each statement seen, with its ``IN`` list as ``= ANY`` of an array.
_COMPILED_PG: dict[int, tuple[Select[Any], str]] = {}
_PG_IN = f" IN {_MARKER}"


def _postgresql_sql(statement: Select[Any], conn: Connection, element: object) -> str | None:
    """The statement's SQL with its ``IN`` list as ``= ANY`` of one array (of *element*'s
    type); None when it does not have the one list this module writes."""
    array = "bigint[]" if isinstance(element, int) else "text[]" if isinstance(element, str) else ""
    if not array:
        return None
    key = id(statement)
    known = _COMPILED_PG.get(key)
    if known is not None and known[0] is statement:
        sql = known[1]
    else:
        sql = str(statement.compile(dialect=conn.dialect))
        if sql.count(_PG_IN) != 1:
            return None
        if len(_COMPILED_PG) >= 64:
            _COMPILED_PG.clear()
        _COMPILED_PG[key] = (statement, sql)
    return sql.replace(_PG_IN, f" = ANY(CAST(%({VALUES})s AS {array}))")


def rows_in(
    conn: Connection,
    statement: Select[Any],
    values: Sequence[Any],
    params: Mapping[str, Any] | None = None,
) -> Iterator[tuple[Any, ...]]:
    """The rows of *statement* for every one of *values* (its expanding parameter
    ``VALUES``), asked 500 values at a time (5,000 in one array on PostgreSQL); *params*
    are its other parameters."""
    params = params or {}
    if not values:
        return
    if conn.dialect.name == "postgresql":
        sql = _postgresql_sql(statement, conn, values[0])
        if sql is not None:
            for part in chunks(values, 5_000):
                yield from conn.exec_driver_sql(sql, {**params, VALUES: list(part)}).tuples().all()
            return
    found = _sqlite_sql(statement) if conn.dialect.name == "sqlite" else None
    if found is None:
        for part in chunks(values):
            yield from conn.execute(statement, {VALUES: part, **params}).tuples()
        return
    before, after, names = found
    for part in chunks(values):
        sql = f"({', '.join('?' * len(part))})".join((before, after))
        arguments: list[Any] = []
        for name in names:
            if name == VALUES:
                arguments += part
            else:
                arguments.append(params[name])
        # Through the connection (its events see the statement), fetched all at once.
        yield from conn.exec_driver_sql(sql, tuple(arguments)).tuples().all()


__all__ = ["VALUES", "rows_in"]


@contextmanager
def streamed_reads(session: Session) -> Iterator[None]:
    """Reading every row of a big database once (an export of every contact) without its
    file mapped into the process: SQLite maps up to ``mmap_size`` of the file, and each
    page read that way stays resident (the process's RSS grows by the data read). Inside
    the block this connection reads through its page cache (a few MB) instead; the map
    size is put back after. Nothing changes on PostgreSQL."""
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        yield
        return
    size = int(connection.exec_driver_sql("PRAGMA mmap_size").scalar() or 0)
    connection.exec_driver_sql("PRAGMA mmap_size=0")
    try:
        yield
    finally:
        connection.exec_driver_sql(f"PRAGMA mmap_size={size}")
