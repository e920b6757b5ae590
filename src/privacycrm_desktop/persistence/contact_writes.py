"""Bulk writes of contacts below SQLAlchemy's per-row work: the import's chunks.

An import writes 10,000 contacts a transaction with their addresses, numbers and index
rows. On SQLite the rows go to the driver's ``executemany`` as tuples, with dates in the
text form SQLAlchemy's column types store (their own conversions), and the connection gets
a bigger page cache and its temporary files in memory; elsewhere (PostgreSQL) the rows go
through a Core ``insert()``. What to write is decided in the services; this module only
knows how to get many rows into the tables quickly.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import operator
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, insert

from privacycrm_desktop.domain.fields import scalar_fields
from privacycrm_desktop.persistence.bulk_writes import copy_tuples
from privacycrm_desktop.persistence.models import Base

_T = Base.metadata.tables
_Item = TypeVar("_Item")

#: Scalar catalogue fields a new contact from an import starts without: the relationship
#: dates and the last interaction are set by later dealings with the person, not by a file.
LEFT_EMPTY_ON_INSERT = ("relationship_start", "relationship_end", "last_interaction")

#: The columns a new contact is inserted with: its id, the catalogue's scalar fields (in the
#: catalogue's order, those above left out), then the stored columns no one types
#: (``domain.contact_columns``, the retention date, provenance and bookkeeping). The
#: import's writer gives each row's values in this order.
CONTACT_COLUMNS = (
    "id",
    *(name for name in scalar_fields() if name not in LEFT_EMPTY_ON_INSERT),
    "sort_name",
    "primary_email",
    "primary_phone",
    "keep_until",
    "keep_reason",
    "source_id",
    "import_batch_id",
    "created_by",
    "created_at",
    "updated_at",
    "version",
)


def point_columns(value_column: str) -> tuple[str, ...]:
    """The columns of a contact_email ("address") or contact_phone ("number") row."""
    return ("contact_id", value_column, "position", "source_id", "recorded_at", "recorded_by")


def chunks(items: Sequence[_Item], size: int = 500) -> Iterable[list[_Item]]:
    """*items* in lists of at most *size* (SQLite's bound-parameter limit)."""
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


#: SQLite page cache of the connection that writes an import, in KiB (the default is 2 MiB:
#: a 100,000-row load into eight indexes of ``contact`` would reread and rewrite pages).
BULK_CACHE_KIB = 65_536


@contextlib.contextmanager
def bulk_connection(engine: Engine) -> Iterator[Connection]:
    """A connection for writing chunks; on SQLite with a larger page cache and its temporary
    files in memory, both put back before the connection returns to the pool.

    In memory: the statement journal. Each insert into ``contact`` fires triggers, so
    SQLite keeps the pages it is about to change in a statement journal, a temporary file
    by default: some 40 KB of writes a row (and personal data in a file in /tmp).
    """
    with engine.connect() as conn:
        if conn.dialect.name != "sqlite":
            yield conn
            return
        raw = conn.connection.driver_connection
        assert raw is not None
        cache_size = raw.execute("PRAGMA cache_size").fetchone()[0]
        temp_store = raw.execute("PRAGMA temp_store").fetchone()[0]
        raw.execute("PRAGMA temp_store=MEMORY")
        raw.execute(f"PRAGMA cache_size={-BULK_CACHE_KIB}")
        try:
            yield conn
        finally:
            if conn.in_transaction():
                conn.rollback()
            raw.execute(f"PRAGMA temp_store={int(temp_store)}")
            raw.execute(f"PRAGMA cache_size={int(cache_size)}")


class BulkInserter:
    """Bulk inserts of rows as tuples, without SQLAlchemy's per-row parameter work.

    On SQLite the rows go to the driver's executemany as they are, so dates and times
    must be given in the text form SQLAlchemy stores (``datetime``, ``date``: the column
    types' own conversions); that per-row work was half the time of writing 100,000
    contacts. Elsewhere (PostgreSQL) the values stay Python values and the rows go through
    a Core ``insert()`` as before.
    """

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._sqlite = conn.dialect.name == "sqlite"
        contact = _T["contact"].c
        dialect = conn.dialect
        self._datetime = contact.created_at.type.dialect_impl(dialect).bind_processor(dialect)
        self._date = contact.keep_until.type.dialect_impl(dialect).bind_processor(dialect)

    def datetime(self, value: dt.datetime) -> Any:
        """A date and time as the driver takes it."""
        return self._datetime(value) if self._sqlite and self._datetime else value

    def date(self, value: dt.date | None) -> Any:
        """A date (or None) as the driver takes it."""
        if value is None or not self._sqlite or self._date is None:
            return value
        return self._date(value)

    def insert(
        self, table_name: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]
    ) -> None:
        """Insert *rows*, each a tuple of values in the order of *columns*."""
        if not rows:
            return
        table = _T[table_name]
        plain = positional_insert(table_name, columns) if self._sqlite else None
        if plain is None:
            # PostgreSQL: one COPY, not a statement (and a run of the write log's triggers)
            # a row; the tuples go to the driver as they are.
            if self._conn.dialect.name == "postgresql" and copy_tuples(
                self._conn, table, columns, rows
            ):
                return
            dicts = [dict(zip(columns, row, strict=True)) for row in rows]
            self._conn.execute(insert(table), dicts)
            return
        sql, order = plain
        if order is not None:
            pick = operator.itemgetter(*order)
            rows = [pick(row) for row in rows]
        self._conn.exec_driver_sql(sql, rows)


@functools.cache
def positional_insert(
    table_name: str, columns: tuple[str, ...]
) -> tuple[str, tuple[int, ...] | None] | None:
    """SQLite's INSERT of *columns* (Core's own SQL) and the order its parameters take
    them in (None: as given); None when Core would add a value of its own (a default of a
    column left out), so the rows must go through Core."""
    from sqlalchemy.dialects import sqlite

    compiled = insert(_T[table_name]).compile(dialect=sqlite.dialect(), column_keys=columns)
    names = tuple(compiled.positiontup or ())
    if sorted(names) != sorted(columns):
        return None
    order = tuple(columns.index(name) for name in names)
    return str(compiled), (None if names == columns else order)


__all__ = [
    "CONTACT_COLUMNS",
    "LEFT_EMPTY_ON_INSERT",
    "BulkInserter",
    "bulk_connection",
    "chunks",
    "point_columns",
    "positional_insert",
]
