"""Keyset windows of the whole contact list: no OFFSET walk to reach the middle.

``OFFSET n`` steps over n index entries, so a window in the middle of a million contacts
walks half a million of them. Instead, the sort key of every ``STRIDE``-th row is read once
per order (``bookmarks``: one pass over the sort index, a few thousand keys), and a window
starts at the bookmark at or before it: ``WHERE (key...) >= (:k...) ORDER BY key... LIMIT``,
one range of the sort index. A window aligned on the stride (the table model's blocks are)
needs no OFFSET at all; any other skips fewer than ``STRIDE`` rows.

Keys are tuples of the sort's columns (``contact_queries.SORTS``) as the database returns
them, bound back unchanged. A key holding NULL (a contact without a keep-until date) is no
usable bound for a row-value comparison: such a window returns None and the caller reads
it by OFFSET as before, as it does for a window that does not come out whole (the list
changed since the bookmarks were read).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from sqlalchemy import Row, text
from sqlalchemy.orm import Session

from privacycrm_desktop.persistence.contact_queries import LIST_COLUMNS, SORTS

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
    if mark >= len(marks) or any(value is None for value in marks[mark]):
        return None
    columns = key_columns(sort)
    names = [f"k{i}" for i in range(len(columns))]
    bound = (
        f"{columns[0]} >= :k0"
        if len(columns) == 1
        else f"({', '.join(columns)}) >= ({', '.join(':' + n for n in names)})"
    )
    order = ", ".join(columns)
    sql = f"SELECT {LIST_COLUMNS} FROM contact WHERE {bound} ORDER BY {order} LIMIT :limit"
    params: dict[str, object] = dict(zip(names, marks[mark], strict=True))
    params["limit"] = limit
    if skip:
        sql += " OFFSET :skip"
        params["skip"] = skip
    rows = session.execute(text(sql), params).all()
    if len(rows) != limit:
        return None
    return rows[::-1] if descending else rows
