"""Look-ups of many values at once below SQLAlchemy's per-value work: an import's blocks.

An import asks, block after block, which contacts hold any of a thousand e-mail addresses,
numbers or names (``services.imports.analyse``). With an expanding ``IN`` parameter
SQLAlchemy writes every value into the statement again at each execution, more time than
SQLite takes to answer. On SQLite the statement is therefore compiled once, its ``IN``
list written once per length and the values go to the driver as they are; elsewhere
(PostgreSQL) the statement runs through Core as before. Both give the same rows.
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


def rows_in(
    conn: Connection,
    statement: Select[Any],
    values: Sequence[Any],
    params: Mapping[str, Any] | None = None,
) -> Iterator[tuple[Any, ...]]:
    """The rows of *statement* for every one of *values* (its expanding parameter
    ``VALUES``), asked 500 values at a time; *params* are its other parameters."""
    params = params or {}
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
