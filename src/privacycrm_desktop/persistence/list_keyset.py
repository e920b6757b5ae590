"""Keyset windows of the whole contact list: no OFFSET walk to reach the middle.

``OFFSET n`` steps over n index entries, so a window in the middle of a million contacts
walks half a million of them. Instead, the sort key of every ``STRIDE``-th row is read once
per order (``bookmarks``: one pass over the sort index, a few thousand keys), and a window
starts at the bookmark at or before it: ``WHERE (key...) >= (:k...) ORDER BY key... LIMIT``,
one range of the sort index. A window aligned on the stride (the table model's blocks are)
needs no OFFSET at all; any other skips fewer than ``STRIDE`` rows.

Keys are tuples of the sort's columns (``contact_queries.SORTS``) as the database returns
them, bound back unchanged. A window that does not come out whole (the list changed since
the bookmarks were read) returns None and the caller reads it by OFFSET as before.

On SQLite a row value ``(a, b, id) >= (:a, :b, :id)`` bounds the index on its leading
columns only, never on ``id`` (the rowid), so a window starting inside a run of equal
leading values first walks that run from its start: 30,000 contacts share a keep-until
date and reason in the demo data. And a key holding NULL (350,000 customers have no
keep-until date) is no bound at all. So on SQLite the rows from a key are read as the
ranges that make up "at or after the key", each an exact range of the order's index:
the rest of the key's run of equal leading values (``a = :a AND b = :b AND id >= :id``),
then the rest of each shorter run (``a = :a AND b > :b``), then everything after
(``a > :a``); NULL is equal to NULL (``IS NULL``) and before any value (``IS NOT NULL``),
as SQLite sorts it. The ranges are read in that order until the window is full: a window
of 200 visits 200 entries (plus fewer than ``STRIDE`` skipped), wherever it starts.

On PostgreSQL a row value bounds the index on every column, so a key without NULL is one
row-value range. A NULL in a row value bounds nothing, so a key holding NULL is read as
ranges too, with PostgreSQL's ascending order: NULL after every value (``IS NULL`` after
``> :a``). Descending windows are read ascending and turned round, so that order serves both.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from sqlalchemy import Row, text
from sqlalchemy.orm import Session

from privacycrm_desktop.persistence.contact_queries import LIST_COLUMNS, SORTS
from privacycrm_desktop.persistence.models import Contact

#: Rows between two bookmarks: the table model's block size, so its blocks need no OFFSET.
STRIDE = 200

Key = tuple[object, ...]


class Marks(Protocol):
    """Bookmarks as the services keep them: a key every *stride* rows from the first."""

    @property
    def keys(self) -> Sequence[Key]: ...

    @property
    def stride(self) -> int: ...


def key_columns(sort: str) -> list[str]:
    """The columns of *sort*'s order (the last one is always ``id``)."""
    return [c.strip() for c in SORTS[sort][0].split(",")]


def bookmarks(session: Session, sort: str, stride: int) -> list[Key]:
    """The key of rows 0, *stride*, 2 * *stride*... of the whole list in *sort*'s order."""
    columns = ", ".join(key_columns(sort))
    sql = (
        f"SELECT {columns} FROM (SELECT {columns}, "
        f"row_number() OVER (ORDER BY {columns}) AS rn FROM contact) AS w "
        f"WHERE (rn - 1) % :stride = 0 ORDER BY rn"
    )
    return [tuple(r) for r in session.execute(text(sql), {"stride": stride})]


def window(
    session: Session,
    sort: str,
    descending: bool,
    offset: int,
    limit: int,
    total: int,
    bookmarks: Marks,
) -> Sequence[Row[tuple[object, ...]]] | None:
    """Rows *offset* .. *offset + limit* of the list of *total* rows, read from the
    bookmark before them; None when the bookmarks cannot serve this window."""
    marks, stride = bookmarks.keys, bookmarks.stride
    limit = max(0, min(limit, total - offset))
    if limit == 0:
        return []
    # Descending: the same rows read in ascending order, then turned round.
    start = total - offset - limit if descending else offset
    mark, skip = divmod(start, stride)
    if mark >= len(marks):
        return None
    key = marks[mark]
    rows: Sequence[Row[tuple[object, ...]]]
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite" or any(value is None for value in key):
        # PostgreSQL: a NULL in a row value bounds nothing, so a key holding NULL is read
        # as ranges too, with NULL sorted last as PostgreSQL does.
        rows = _ranges_from(session, sort, key, skip + limit, nulls_first=dialect == "sqlite")
        rows = rows[skip:]
    else:
        rows = _row_value_from(session, sort, key, skip + limit)[skip:]
        if len(rows) < limit:
            # The row value holds no row with NULL in it: the NULLs, last, come next.
            rows = [*rows, *_null_tails_from(session, sort, key, limit - len(rows))]
    if len(rows) != limit:
        return None
    return rows[::-1] if descending else rows


def _row_value_from(
    session: Session, sort: str, key: Key, wanted: int
) -> Sequence[Row[tuple[object, ...]]]:
    """PostgreSQL: the first *wanted* rows from *key* on as one row-value range (bounded
    on every column of the index there)."""
    columns = key_columns(sort)
    names = [f"k{i}" for i in range(len(columns))]
    bound = (
        f"{columns[0]} >= :k0"
        if len(columns) == 1
        else f"({', '.join(columns)}) >= ({', '.join(':' + n for n in names)})"
    )
    order = ", ".join(columns)
    sql = f"SELECT {LIST_COLUMNS} FROM contact WHERE {bound} ORDER BY {order} LIMIT :limit"
    params: dict[str, object] = dict(zip(names, key, strict=True))
    params["limit"] = wanted
    return session.execute(text(sql), params).all()


def _null_tails_from(
    session: Session, sort: str, key: Key, wanted: int
) -> list[Row[tuple[object, ...]]]:
    """PostgreSQL, after a row-value range from a key without NULL: the first *wanted*
    rows of the ranges of NULLs that follow it (``keep_until IS NULL``: the only sort
    column that may be NULL leads its order, so these come after every row value)."""
    order = ", ".join(key_columns(sort))
    rows: list[Row[tuple[object, ...]]] = []
    for condition, params in ranges(sort, key, nulls_first=False):
        if not condition.endswith("IS NULL"):
            continue
        sql = f"SELECT {LIST_COLUMNS} FROM contact WHERE {condition} ORDER BY {order} LIMIT :limit"
        rows += session.execute(text(sql), {**params, "limit": wanted - len(rows)}).all()
        if len(rows) >= wanted:
            break
    return rows


def ranges(sort: str, key: Key, *, nulls_first: bool = True) -> list[tuple[str, dict[str, object]]]:
    """The conditions (with their parameters) of the ranges of *sort*'s index that
    together hold the rows at or after *key*, in the order they come in the list: NULL
    sorted before every value (SQLite) or, with *nulls_first* false, after every value
    (PostgreSQL's ascending order)."""
    columns = key_columns(sort)
    found: list[tuple[str, dict[str, object]]] = []
    for i in range(len(columns) - 1, -1, -1):
        prefix, params = [], {}
        for j in range(i):
            if key[j] is None:
                prefix.append(f"{columns[j]} IS NULL")
            else:
                prefix.append(f"{columns[j]} = :k{j}")
                params[f"k{j}"] = key[j]
        last = i == len(columns) - 1
        if key[i] is None:
            # NULL first: every value comes after NULL in this column; NULL last:
            # nothing does (the last column, the id, is never NULL).
            if nulls_first:
                found.append((" AND ".join([*prefix, f"{columns[i]} IS NOT NULL"]), params))
            continue
        bound = f"{columns[i]} {'>=' if last else '>'} :k{i}"
        found.append((" AND ".join([*prefix, bound]), {**params, f"k{i}": key[i]}))
        if not nulls_first and not last and Contact.__table__.c[columns[i]].nullable:
            # NULL last: after every value of this column come its NULLs.
            found.append((" AND ".join([*prefix, f"{columns[i]} IS NULL"]), params))
    return found


def _ranges_from(
    session: Session, sort: str, key: Key, wanted: int, *, nulls_first: bool
) -> list[Row[tuple[object, ...]]]:
    """The first *wanted* rows at or after *key* in *sort*'s order, read range by range
    (``ranges``) from the order's index until there are enough."""
    order = ", ".join(key_columns(sort))
    index = SORTS[sort][1]
    hint = f" INDEXED BY {index}" if index and nulls_first else ""
    rows: list[Row[tuple[object, ...]]] = []
    for condition, params in ranges(sort, key, nulls_first=nulls_first):
        sql = (
            f"SELECT {LIST_COLUMNS} FROM contact{hint} WHERE {condition} "
            f"ORDER BY {order} LIMIT :limit"
        )
        rows += session.execute(text(sql), {**params, "limit": wanted - len(rows)}).all()
        if len(rows) >= wanted:
            break
    return rows
