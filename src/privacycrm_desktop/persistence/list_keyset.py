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

A saved view's list (``filtered``: its condition on contact ``c``) is read the same way:
bookmarks of the view's rows, then the ranges of the order's index from the bookmark,
probing the view's condition on the index entries (every order's index holds the columns
the views test: migration 0031), so a window walks the entries from its bookmark to its
last row (200 / the view's share of the list), never the rows before it by OFFSET. On
PostgreSQL the ids are found in the index alone (an index-only scan with the condition as
its filter) and only the window's rows read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from sqlalchemy import Row, text
from sqlalchemy.orm import Session

from privacycrm_desktop.persistence.contact_queries import LIST_COLUMNS, SORTS
from privacycrm_desktop.persistence.models import Contact

#: Rows between two bookmarks: the table model's block size, so its blocks need no OFFSET.
STRIDE = 200

Key = tuple[object, ...]
#: A saved view's condition on contact ``c`` with its parameters ("" for the whole list).
Filtered = tuple[str, Mapping[str, object]]
WHOLE: Filtered = ("", {})


class Marks(Protocol):
    """Bookmarks as the services keep them: a key every *stride* rows from the first."""

    @property
    def keys(self) -> Sequence[Key]: ...

    @property
    def stride(self) -> int: ...


def key_columns(sort: str) -> list[str]:
    """The columns of *sort*'s order (the last one is always ``id``)."""
    return [c.strip() for c in SORTS[sort][0].split(",")]


def bookmarks(session: Session, sort: str, stride: int, filtered: Filtered = WHOLE) -> list[Key]:
    """The key of rows 0, *stride*, 2 * *stride*... of the whole list (or of the saved
    view *filtered* selects) in *sort*'s order."""
    columns = ", ".join(key_columns(sort))
    condition, params = filtered
    where = f" WHERE {condition}" if condition else ""
    sql = (
        f"SELECT {columns} FROM (SELECT {columns}, "
        f"row_number() OVER (ORDER BY {columns}) AS rn FROM contact AS c{where}) AS w "
        f"WHERE (rn - 1) % :stride = 0 ORDER BY rn"
    )
    return [tuple(r) for r in session.execute(text(sql), {**params, "stride": stride})]


def window(
    session: Session,
    sort: str,
    descending: bool,
    offset: int,
    limit: int,
    total: int,
    bookmarks: Marks,
    filtered: Filtered = WHOLE,
    index: str = "",
) -> Sequence[Row[tuple[object, ...]]] | None:
    """Rows *offset* .. *offset + limit* of the list of *total* rows (the whole list, or
    the saved view *filtered* selects), read from the bookmark before them; None when the
    bookmarks cannot serve this window. *index*: one in the same order that narrows the
    view's walk (by relationship in name order: its own index), walked instead of the
    order's on SQLite; on PostgreSQL the view's condition then bounds the walk."""
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
    wanted = skip + limit
    if dialect == "sqlite" or any(value is None for value in key):
        # PostgreSQL: a NULL in a row value bounds nothing, so a key holding NULL is read
        # as ranges too, with NULL sorted last as PostgreSQL does.
        sqlite = dialect == "sqlite"
        rows = _ranges_from(session, sort, key, wanted, filtered, index, nulls_first=sqlite)
        rows = rows[skip:]
    else:
        rows = list(_row_value_from(session, sort, key, wanted, filtered, bool(index)))
        if len(rows) < wanted:
            # The row value holds no row with NULL in it: the NULLs, last, come next (and
            # the rows skipped may lie among them: skipped after, not before).
            rows += _null_tails_from(session, sort, key, wanted - len(rows), filtered)
        rows = rows[skip:]
    if len(rows) != limit:
        return None
    return rows[::-1] if descending else rows


def _select(
    sort: str, condition: str, filtered: Filtered, hint: str = "", *, narrowed: bool = False
) -> str:
    """The first ``:limit`` rows meeting *condition* (a range of *sort*'s index) in its
    order. In a saved view, the ids are found first on the index's entries (which hold
    the views' columns: no row is read for an entry the view leaves out), then only the
    window's rows are read.

    On PostgreSQL (no *hint*) the view's condition is a filter of the walk (``IS TRUE``),
    never a bound of the index: an equality on the order's leading column (by
    relationship, sorted by relationship) became the scan's start instead of the row
    value, and each window walked the view from its start (1,886 pages, 22 ms, for the
    middle of 350,000 customers at a million contacts: EXPLAIN (ANALYZE, BUFFERS)).
    Unless *narrowed*: an index in the same order leads with the view's column (by
    relationship in name order), the equality and the row value then bound it together."""
    order = ", ".join(key_columns(sort))
    if not filtered[0]:
        return (
            f"SELECT {LIST_COLUMNS} FROM contact{hint} WHERE {condition} "
            f"ORDER BY {order} LIMIT :limit"
        )
    view = f"({filtered[0]})" if hint or narrowed else f"({filtered[0]}) IS TRUE"
    return (
        f"SELECT {LIST_COLUMNS} FROM contact WHERE id IN (SELECT c.id FROM contact AS c"
        f"{hint} WHERE ({condition}) AND {view} ORDER BY {order} LIMIT :limit) "
        f"ORDER BY {order}"
    )


def _row_value_from(
    session: Session, sort: str, key: Key, wanted: int, filtered: Filtered, narrowed: bool
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
    params: dict[str, object] = {**filtered[1], **dict(zip(names, key, strict=True))}
    params["limit"] = wanted
    sql = _select(sort, bound, filtered, narrowed=narrowed)
    return session.execute(text(sql), params).all()


def _null_tails_from(
    session: Session, sort: str, key: Key, wanted: int, filtered: Filtered
) -> list[Row[tuple[object, ...]]]:
    """PostgreSQL, after a row-value range from a key without NULL: the first *wanted*
    rows of the ranges of NULLs that follow it (``keep_until IS NULL``: the only sort
    column that may be NULL leads its order, so these come after every row value)."""
    rows: list[Row[tuple[object, ...]]] = []
    for condition, params in ranges(sort, key, nulls_first=False):
        if not condition.endswith("IS NULL"):
            continue
        sql = _select(sort, condition, filtered)
        limit = wanted - len(rows)
        rows += session.execute(text(sql), {**filtered[1], **params, "limit": limit}).all()
        if len(rows) >= wanted:
            break
    return rows


def ranges(
    sort: str, key: Key, *, nulls_first: bool = True, columns: Sequence[str] = ()
) -> list[tuple[str, dict[str, object]]]:
    """The conditions (with their parameters) of the ranges of *sort*'s index that
    together hold the rows at or after *key*, in the order they come in the list: NULL
    sorted before every value (SQLite) or, with *nulls_first* false, after every value
    (PostgreSQL's ascending order). *columns*: the order's columns as another table names
    them (a tag's link table: ``contact_id`` for ``id``)."""
    columns = list(columns) or key_columns(sort)
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
        column = Contact.__table__.c.get(columns[i])
        if not nulls_first and not last and column is not None and column.nullable:
            # NULL last: after every value of this column come its NULLs.
            found.append((" AND ".join([*prefix, f"{columns[i]} IS NULL"]), params))
    return found


def _ranges_from(
    session: Session,
    sort: str,
    key: Key,
    wanted: int,
    filtered: Filtered,
    index: str,
    *,
    nulls_first: bool,
) -> list[Row[tuple[object, ...]]]:
    """The first *wanted* rows at or after *key* in *sort*'s order, read range by range
    (``ranges``) from the order's index (or *index*) until there are enough."""
    index = index or SORTS[sort][1]
    hint = f" INDEXED BY {index}" if index and nulls_first else ""
    rows: list[Row[tuple[object, ...]]] = []
    for condition, params in ranges(sort, key, nulls_first=nulls_first):
        sql = _select(sort, condition, filtered, hint)
        limit = wanted - len(rows)
        rows += session.execute(text(sql), {**filtered[1], **params, "limit": limit}).all()
        if len(rows) >= wanted:
            break
    return rows
