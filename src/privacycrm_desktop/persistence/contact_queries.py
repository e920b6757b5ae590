"""The contact list's queries: windows in index order, and search windows sorted by name.

Tuned on a million contacts (bench/): OFFSET on the sort index reaches the last row in
about 20 ms. For search, a small match set is sorted directly; a large one is found by
walking the sort index and probing the set of matches, which stops after one page.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Row, text
from sqlalchemy.orm import Session

from privacycrm_desktop.persistence.search import FTS_TABLE

#: Sort orders and the index that serves each (see models.Contact.__table_args__).
SORTS: dict[str, tuple[str, str]] = {
    "name": ("sort_name, id", "ix_contact_sort"),
    "organisation": ("organisation, sort_name, id", "ix_contact_org_sort"),
    "city": ("city, sort_name, id", "ix_contact_city_sort"),
    "relationship": ("relationship, sort_name, id", "ix_contact_relationship_sort"),
}
#: Below this many matches, sorting the matches beats walking the index.
SMALL_MATCH_SET = 4_000

LIST_COLUMNS = (
    "id, first_name, last_name, organisation, primary_email, primary_phone, city, "
    "relationship, keep_until"
)


def _order(sort: str, descending: bool) -> tuple[str, str]:
    columns, index = SORTS[sort]
    if descending:
        columns = ", ".join(f"{c.strip()} DESC" for c in columns.split(","))
    return columns, index


def count_all(session: Session) -> int:
    """Number of contacts."""
    return int(session.execute(text("SELECT count(*) FROM contact")).scalar_one())


def count_matches(session: Session, match: str) -> int:
    """Number of contacts matching an FTS expression."""
    return int(
        session.execute(
            text(f"SELECT count(*) FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH :m"), {"m": match}
        ).scalar_one()
    )


def _plan(total: int | None, offset: int, limit: int, descending: bool) -> tuple[int, int, bool]:
    """OFFSET walks the index from its start, so a window in the second half of the list is
    read from the other end and turned round: the last row costs what the middle one does.

    Returns the offset, limit and direction to query, the direction being flipped when so.
    """
    if total is None or offset <= total // 2:
        return offset, limit, descending
    limit = max(0, min(limit, total - offset))
    return max(0, total - offset - limit), limit, not descending


def window(
    session: Session,
    sort: str,
    descending: bool,
    offset: int,
    limit: int,
    total: int | None = None,
) -> Sequence[Row[tuple[object, ...]]]:
    """Rows *offset* .. *offset + limit* of the whole list (*total* rows) in the given order."""
    query_offset, query_limit, query_descending = _plan(total, offset, limit, descending)
    order, _index = _order(sort, query_descending)
    rows = session.execute(
        text(f"SELECT {LIST_COLUMNS} FROM contact ORDER BY {order} LIMIT :limit OFFSET :offset"),
        {"limit": query_limit, "offset": query_offset},
    ).all()
    return rows[::-1] if query_descending is not descending else rows


def search_window(
    session: Session,
    match: str,
    total: int,
    sort: str,
    descending: bool,
    offset: int,
    limit: int,
) -> Sequence[Row[tuple[object, ...]]]:
    """A window of the contacts matching *match* (*total* of them), in the given order."""
    matches = f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH :m"
    if total <= SMALL_MATCH_SET:
        order, _index = _order(sort, descending)
        sql = (
            f"SELECT {LIST_COLUMNS} FROM contact WHERE id IN ({matches}) "
            f"ORDER BY {order} LIMIT :limit OFFSET :offset"
        )
        params = {"m": match, "limit": limit, "offset": offset}
        return session.execute(text(sql), params).all()
    # Walk the sort index (covering: it holds the rowid) and probe the match set; only the
    # rows of the window are read from the table.
    query_offset, query_limit, query_descending = _plan(total, offset, limit, descending)
    order, index = _order(sort, query_descending)
    sql = (
        f"SELECT {LIST_COLUMNS} FROM contact WHERE id IN ("
        f"SELECT id FROM contact INDEXED BY {index} WHERE id IN ({matches}) "
        f"ORDER BY {order} LIMIT :limit OFFSET :offset) ORDER BY {order}"
    )
    params = {"m": match, "limit": query_limit, "offset": query_offset}
    rows = session.execute(text(sql), params).all()
    return rows[::-1] if query_descending is not descending else rows
