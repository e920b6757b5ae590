"""Keyset windows of the list filtered by a tag: no OFFSET walk to reach its middle.

A tag's windows in the orders its link table copies (``tag_queries._LINK_ORDERS``: name,
organisation, city, relationship) are ranges of the link table's index for the order
(tag, column, sort name, contact). By OFFSET, the middle of a tag on 100,000 contacts
stepped over 50,000 entries of it (30 ms on PostgreSQL at a million contacts, 6 on SQLite).
As for the whole list (``list_keyset``): the key of every ``STRIDE``-th link in the order
is read once (``bookmarks``), and a window is read from the bookmark before it: on SQLite
as the exact ranges that make up "at or after the key", on PostgreSQL as one row value
(the copied columns are never NULL), with the window's rows read by key.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Row, text
from sqlalchemy.orm import Session

from privacycrm_desktop.persistence.contact_queries import LIST_COLUMNS, SORTS
from privacycrm_desktop.persistence.list_keyset import Key, Marks, ranges
from privacycrm_desktop.persistence.tag_queries import LINK_ORDERS


def keyed(sort: str) -> bool:
    """Whether a tag's windows in *sort*'s order can be read by key (its link index)."""
    return sort in LINK_ORDERS


def bookmarks(session: Session, tag_id: int, sort: str, stride: int) -> list[Key]:
    """The key of links 0, *stride*, 2 * *stride*... of the tag in *sort*'s order."""
    columns = ", ".join(LINK_ORDERS[sort])
    sql = (
        f"SELECT {columns} FROM (SELECT {columns}, "
        f"row_number() OVER (ORDER BY {columns}) AS rn FROM contact_tag "
        "WHERE tag_id = :tag) AS w WHERE (rn - 1) % :stride = 0 ORDER BY rn"
    )
    return [tuple(r) for r in session.execute(text(sql), {"tag": tag_id, "stride": stride})]


def window(
    session: Session,
    tag_id: int,
    sort: str,
    descending: bool,
    offset: int,
    limit: int,
    total: int,
    marks: Marks,
) -> Sequence[Row[tuple[object, ...]]] | None:
    """Rows *offset* .. *offset + limit* of the *total* contacts carrying the tag, read
    from the bookmark before them; None when the bookmarks cannot serve this window."""
    limit = max(0, min(limit, total - offset))
    if limit == 0:
        return []
    start = total - offset - limit if descending else offset
    mark, skip = divmod(start, marks.stride)
    if mark >= len(marks.keys) or any(value is None for value in marks.keys[mark]):
        return None
    key = marks.keys[mark]
    columns = LINK_ORDERS[sort]
    sqlite = session.get_bind().dialect.name == "sqlite"
    if sqlite:
        found = ranges(sort, key, columns=columns)
    else:
        names = ", ".join(f":k{i}" for i in range(len(columns)))
        found = [(f"({', '.join(columns)}) >= ({names})", {f"k{i}": v for i, v in enumerate(key)})]
    index = f" INDEXED BY {_index(sort)}" if sqlite else ""
    order = ", ".join(columns)
    rows: list[Row[tuple[object, ...]]] = []
    for condition, params in found:
        # The links' range in the index, then the window's contacts by key (one statement:
        # one round trip to a server); the link table's copies order them as the contacts.
        sql = (
            f"SELECT {LIST_COLUMNS} FROM contact WHERE id IN (SELECT contact_id FROM "
            f"contact_tag{index} WHERE tag_id = :tag AND {condition} ORDER BY {order} "
            f"LIMIT :limit) ORDER BY {SORTS[sort][0]}"
        )
        wanted = {**params, "tag": tag_id, "limit": skip + limit - len(rows)}
        rows += session.execute(text(sql), wanted).all()
        if len(rows) >= skip + limit:
            break
    rows = rows[skip:]
    if len(rows) != limit:
        return None
    return rows[::-1] if descending else rows


def _index(sort: str) -> str:
    """The link table's index of *sort*'s order (models.ContactTag)."""
    return "ix_contact_tag_" + SORTS[sort][1].removeprefix("ix_contact_")
