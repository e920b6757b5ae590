"""The contact list's queries: windows in index order, and search windows sorted by name.

Tuned on a million contacts (bench/): OFFSET on the sort index reaches the last row in
about 20 ms. For search, a small match set is sorted directly; a large one is found by
walking the sort index and probing the set of matches, which stops after one page.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Row, text
from sqlalchemy.orm import Session

from privacycrm_desktop.persistence.search import SearchTerms, matching_ids
from privacycrm_desktop.persistence.search_matches import (
    KEPT_ID_LIST,
    KEPT_IDS,
    kept_count,
    kept_ids,
)
from privacycrm_desktop.persistence.server_kept_reads import (
    STATE_COLUMNS,
    keep,
    kept_read,
    kept_result,
)

ENTRY_ORDER = "entry"
#: Sort orders and the index that serves each (see models.Contact.__table_args__).
SORTS: dict[str, tuple[str, str]] = {
    "name": ("sort_name, id", "ix_contact_sort"),
    "organisation": ("organisation, sort_name, id", "ix_contact_org_sort"),
    "city": ("city, sort_name, id", "ix_contact_city_sort"),
    "relationship": ("relationship, sort_name, id", "ix_contact_relationship_sort"),
    #: The whole index (keep_until, keep_reason, id): no sorting step on a million rows.
    "keep_until": ("keep_until, keep_reason, id", "ix_contact_keep_until"),
    #: The order contacts were entered in: for a role that may read no name,
    #: as any other order would give away one of the fields hidden from it.
    ENTRY_ORDER: ("id", ""),
}
#: Microseconds, measured on a million contacts: sorting one phone match, walking one row.
_SORT_COST_PER_MATCH = 2.0
_WALK_COST_PER_ROW = 2.6
#: Keeping one phone match (``search_matches``), walking one row probing the kept
#: matches instead of its numbers (microseconds, measured likewise).
_KEEP_COST_PER_MATCH = 0.4
_KEPT_PROBE_COST_PER_ROW = 0.25
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
    """Number of contacts, as the triggers keep it (no scan of a million rows)."""
    return int(session.execute(text(_COUNT_ALL)).scalar_one())


_COUNT_ALL = "SELECT n FROM contact_count WHERE id = 1"


def count_matches(session: Session, terms: SearchTerms) -> int:
    """Number of contacts matching the search terms (SQLite: their ids kept for the
    window read next, ``search_matches``; PostgreSQL: the number kept for a repeat while
    the server's data is unchanged, ``server_kept_reads``)."""
    kept = kept_count(session, terms)
    if kept is not None:
        return kept
    if _is_postgresql(session):
        return _count_with_first_window(session, terms)
    ids_sql, params = matching_ids(session, terms)
    return int(session.execute(text(f"SELECT count(*) FROM ({ids_sql}) AS m"), params).scalar_one())


#: PostgreSQL: the order, direction and size of the connection's latest search window
#: from the start (the list keeps them while the user types), on its pool record.
_WINDOW_SHAPE = "search_window_shape"
_DEFAULT_SHAPE = ("name", False, 200)


def _count_with_first_window(session: Session, terms: SearchTerms) -> int:
    """PostgreSQL: the number of matches and, in the same statement, the first window the
    list reads right after (in the shape of the latest one), both kept on the connection
    (``server_kept_reads``): the matches' heap pages are read once, not once for the
    count and again for the window. The window is the one ``search_window`` reads: the
    matches sorted when few, else the sort index walked probing them (a one-time filter
    on the count runs only one of the two)."""
    found, kept = kept_result(session, ("count", terms))
    if found:
        return int(str(kept))
    info = session.connection().connection.info
    sort, descending, limit = info.get(_WINDOW_SHAPE, _DEFAULT_SHAPE)
    ids_sql, params = matching_ids(session, terms)
    order, _index = _order(sort, descending)
    keys = [column.strip() for column in SORTS[sort][0].split(",")]
    key_columns = ", ".join(f"{column} AS k{i}" for i, column in enumerate(keys))
    direction = " DESC" if descending else ""
    by_keys = ", ".join(f"w.k{i}{direction}" for i in range(len(keys)))
    columns = f"{LIST_COLUMNS}, {key_columns}"
    sql = (
        f"WITH m AS MATERIALIZED ({ids_sql}), "
        "n AS MATERIALIZED (SELECT count(*) AS total FROM m), "
        f"w AS ((SELECT {columns} FROM contact WHERE id IN (SELECT rowid FROM m) "
        f"AND (SELECT total FROM n) <= :small ORDER BY {order} LIMIT :limit) UNION ALL "
        f"(SELECT {columns} FROM contact WHERE id IN (SELECT c.id FROM contact AS c "
        f"WHERE {_PG_PROBE} AND (SELECT total FROM n) > :small "
        f"ORDER BY {order} LIMIT :limit))) "
        f"SELECT n.total, {STATE_COLUMNS}, w.* FROM n LEFT JOIN w ON true ORDER BY {by_keys}"
    )
    window_params = {**params, "small": SMALL_MATCH_SET, "limit": limit}
    frozen = session.execute(text(sql), window_params).freeze()
    first = frozen().first()
    assert first is not None
    total, snapshot, clean = int(first[0]), str(first[1]), bool(first[2])
    width = len(LIST_COLUMNS.split(","))
    # No window row (none asked for): the outer join's one row has no contact id.
    rows = frozen().columns(*range(3, 3 + width)).all()
    window = tuple(row for row in rows if row[0] is not None)
    window_key = ("window", terms, total, sort, descending, 0, limit)
    keep(session, snapshot, clean, {("count", terms): total, window_key: window})
    return total


def _indexed_by(session: Session, index: str) -> str:
    """SQLite's ``INDEXED BY`` hint (PostgreSQL's planner chooses for itself)."""
    if not index:
        return ""  # the primary key: SQLite walks the table itself
    return f"INDEXED BY {index}" if session.get_bind().dialect.name == "sqlite" else ""


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
    sql = f"SELECT {LIST_COLUMNS} FROM contact ORDER BY {order} LIMIT :limit OFFSET :offset"
    if _is_postgresql(session):
        # The offset skipped in the sort index alone (an index-only scan: it holds the id),
        # then only the window's rows read: skipping whole rows reads the table for every
        # skipped one (0.3 s to the middle of 100,000 contacts).
        sql = (
            f"SELECT {LIST_COLUMNS} FROM contact WHERE id IN (SELECT id FROM contact "
            f"ORDER BY {order} LIMIT :limit OFFSET :offset) ORDER BY {order}"
        )
    rows = session.execute(text(sql), {"limit": query_limit, "offset": query_offset}).all()
    return rows[::-1] if query_descending is not descending else rows


def search_window(
    session: Session,
    terms: SearchTerms,
    total: int,
    sort: str,
    descending: bool,
    offset: int,
    limit: int,
) -> Sequence[Row[tuple[object, ...]]]:
    """A window of the contacts matching *terms* (*total* of them), in the given order;
    on SQLite from the matches ``count_matches`` kept (unless anything changed since), on
    PostgreSQL the same window kept for a repeat (``server_kept_reads``)."""
    if total == 0:
        return []
    if offset == 0 and _is_postgresql(session):
        session.connection().connection.info[_WINDOW_SHAPE] = (sort, descending, limit)
    key = ("window", terms, total, sort, descending, offset, limit)
    return kept_read(
        session,
        key,
        lambda: tuple(_search_window(session, terms, total, sort, descending, offset, limit)),
    )


def _search_window(
    session: Session,
    terms: SearchTerms,
    total: int,
    sort: str,
    descending: bool,
    offset: int,
    limit: int,
) -> Sequence[Row[tuple[object, ...]]]:
    matches, params = matching_ids(session, terms)
    if kept_count(session, terms) is not None:
        # Probed in place while the walk tests fewer rows than are kept (a common word),
        # else copied into a list once (a rarer one: more rows walked past per match).
        # A few matches are read by key and sorted: the table serves as it is.
        walked = (offset + limit) * count_all(session) / total
        in_place = total <= SMALL_MATCH_SET or total > walked
        matches, params = (KEPT_IDS if in_place else KEPT_ID_LIST), {}
    if total <= SMALL_MATCH_SET:
        return _sorted_matches(session, matches, params, sort, descending, offset, limit)
    # Walk the sort index (covering: it holds the rowid) and probe the match set.
    if _is_postgresql(session):
        return _walked_matches(
            session, _PG_PROBE, params, total, sort, descending, offset, limit, matches=matches
        )
    condition = f"c.id IN ({matches})"
    return _walked_matches(session, condition, params, total, sort, descending, offset, limit)


#: PostgreSQL: the match set read once (a materialised CTE ``m``) and probed as a hash
#: while the sort index is walked. Written as a condition the planner cannot turn into a
#: join (``IS TRUE``): as a join it sorts every match, or probes the search index row by
#: row, not knowing how many there are (0.5-1.5 s at 100,000 contacts).
_PG_PROBE = "(c.id IN (SELECT rowid FROM m)) IS TRUE"
# Room for that hash (a million matching ids): every connection's work_mem
# (persistence/database.py, PG_WORK_MEM), not a SET LOCAL round trip per window.


def _is_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _sorted_matches(
    session: Session,
    ids_sql: str,
    params: dict[str, object],
    sort: str,
    descending: bool,
    offset: int,
    limit: int,
) -> Sequence[Row[tuple[object, ...]]]:
    """A window of the contacts whose ids *ids_sql* selects, found first, then sorted."""
    order, _index = _order(sort, descending)
    sql = (
        f"SELECT {LIST_COLUMNS} FROM contact WHERE id IN ({ids_sql}) "
        f"ORDER BY {order} LIMIT :limit OFFSET :offset"
    )
    if _is_postgresql(session):
        # The few matches first (a materialised CTE), then their rows by key and sorted:
        # inlined, the planner may walk the whole sort index probing each contact.
        sql = (
            f"WITH m AS MATERIALIZED ({ids_sql}) SELECT {LIST_COLUMNS} FROM contact "
            f"WHERE id IN (SELECT * FROM m) ORDER BY {order} LIMIT :limit OFFSET :offset"
        )
    return session.execute(text(sql), {**params, "limit": limit, "offset": offset}).all()


def _walked_matches(
    session: Session,
    condition: str,
    params: dict[str, object],
    total: int,
    sort: str,
    descending: bool,
    offset: int,
    limit: int,
    index: str = "",
    matches: str = "",
) -> Sequence[Row[tuple[object, ...]]]:
    """A window of the contacts ``c`` meeting *condition*, found by walking the sort index
    (or *index*) in order: it stops at the window's end, and only the window's rows are
    read. *matches* (PostgreSQL): SQL of the ids the condition probes as ``m``."""
    query_offset, query_limit, query_descending = _plan(total, offset, limit, descending)
    order, sort_index = _order(sort, query_descending)
    index = index or sort_index
    with_matches = ""
    if matches:
        with_matches = f"WITH m AS MATERIALIZED ({matches}) "
    sql = (
        f"{with_matches}SELECT {LIST_COLUMNS} FROM contact WHERE id IN ("
        f"SELECT c.id FROM contact AS c {_indexed_by(session, index)} WHERE {condition} "
        f"ORDER BY {order} LIMIT :limit OFFSET :offset) ORDER BY {order}"
    )
    window_params = {**params, "limit": query_limit, "offset": query_offset}
    rows = session.execute(text(sql), window_params).all()
    return rows[::-1] if query_descending is not descending else rows


def prefix_bounds(prefix: str) -> tuple[str, str]:
    """The half-open range of strings starting with *prefix* (for an index range scan)."""
    return prefix, prefix[:-1] + chr(ord(prefix[-1]) + 1)


def count_phone_prefix(session: Session, prefix: str) -> int:
    """Contacts with a phone number starting with *prefix*, each counted once.

    Numbers in range, minus the second numbers of contacts whose earlier number is in range
    too (few: read through a partial index of non-first numbers). PostgreSQL: kept for a
    repeat while the server's data is unchanged (``server_kept_reads``).
    """
    return kept_read(session, ("phone count", prefix), lambda: _count_phone_prefix(session, prefix))


def _count_phone_prefix(session: Session, prefix: str) -> int:
    low, high = prefix_bounds(prefix)
    params = {"low": low, "high": high}
    numbers = session.execute(
        text("SELECT count(*) FROM contact_phone WHERE number >= :low AND number < :high"),
        params,
    ).scalar_one()
    doubles = session.execute(
        text(
            "SELECT count(*) FROM contact_phone AS p "
            f"{_indexed_by(session, 'ix_contact_phone_extra')} "
            "WHERE p.number >= :low AND p.number < :high AND p.position > 0 AND EXISTS ("
            "SELECT 1 FROM contact_phone AS q WHERE q.contact_id = p.contact_id "
            "AND q.position < p.position AND q.number >= :low AND q.number < :high)"
        ),
        params,
    ).scalar_one()
    return int(numbers) - int(doubles)


def phone_window(
    session: Session,
    prefix: str,
    total: int,
    sort: str,
    descending: bool,
    offset: int,
    limit: int,
) -> Sequence[Row[tuple[object, ...]]]:
    """A window of the contacts with a number starting with *prefix*, in the given order.

    Few matches: sort them. Many: walk the sort index and probe each contact's numbers,
    which stops after the window; the cross-over (measured on a million contacts) lies
    where sorting the matches costs what walking to the window's end does. When far more
    rows are walked than there are matches (SQLite), the matching ids are kept
    (``search_matches``) and probed instead of each walked contact's numbers. PostgreSQL:
    the window kept for a repeat while the server's data is unchanged (``server_kept_reads``).
    """
    key = ("phone window", prefix, total, sort, descending, offset, limit)
    return kept_read(
        session,
        key,
        lambda: tuple(_phone_window(session, prefix, total, sort, descending, offset, limit)),
    )


def _phone_window(
    session: Session,
    prefix: str,
    total: int,
    sort: str,
    descending: bool,
    offset: int,
    limit: int,
) -> Sequence[Row[tuple[object, ...]]]:
    low, high = prefix_bounds(prefix)
    population = int(session.execute(text("SELECT coalesce(max(id), 0) FROM contact")).scalar_one())
    walked = (offset + limit) * population / max(total, 1)
    params: dict[str, object] = {"low": low, "high": high}
    numbers = "SELECT contact_id FROM contact_phone WHERE number >= :low AND number < :high"
    sort_cost = total * _SORT_COST_PER_MATCH
    walk_cost = walked * _WALK_COST_PER_ROW
    # Far more rows walked than there are matches: their ids kept once (and for the next
    # windows) are probed faster than each walked contact's numbers.
    kept_cost = total * _KEEP_COST_PER_MATCH + walked * _KEPT_PROBE_COST_PER_ROW
    if kept_cost < min(sort_cost, walk_cost) and _is_postgresql(session):
        # The server: the matching ids read once (the number index's range) into a hash
        # the walk probes, as a search's (0475: 16,800 contacts walked each probing
        # their numbers took 167 ms at a million, in parallel workers).
        matches = numbers.replace("SELECT contact_id ", "SELECT contact_id AS rowid ", 1)
        return _walked_matches(
            session, _PG_PROBE, params, total, sort, descending, offset, limit, matches=matches
        )
    if (
        kept_cost < min(sort_cost, walk_cost)
        and kept_ids(session, ("phone", prefix), numbers, params) is not None
    ):
        condition = f"c.id IN ({KEPT_IDS})"
        return _walked_matches(session, condition, {}, total, sort, descending, offset, limit)
    if sort_cost <= walk_cost:
        return _sorted_matches(session, numbers, params, sort, descending, offset, limit)
    condition = (
        "EXISTS (SELECT 1 FROM contact_phone AS p WHERE p.contact_id = c.id "
        "AND p.number >= :low AND p.number < :high)"
    )
    return _walked_matches(session, condition, params, total, sort, descending, offset, limit)


# -- saved views (filters) ------------------------------------------------------------

#: The consent events that decide a state: none later for the same purpose and channel,
#: and no opt-out recorded at the same moment (the least permissive of a moment wins).
_DECIDING = (
    "NOT EXISTS (SELECT 1 FROM consent_event AS later WHERE later.contact_id = e.contact_id "
    "AND later.purpose_id = e.purpose_id AND later.channel = e.channel "
    "AND (later.recorded_at > e.recorded_at OR (later.recorded_at = e.recorded_at "
    "AND later.status = 'opt_out')))"
)


def consent_holders(statuses: Sequence[str]) -> str:
    """SQL selecting the contacts for whom a marketing purpose's deciding event on the
    channel ``:channel`` has one of *statuses* and has not expired by ``:today``.

    Read from the consent events (a few per contact, by their contact index), never by a
    scan of the contacts.
    """
    wanted = ", ".join(f"'{status}'" for status in statuses)
    return (
        "SELECT e.contact_id FROM consent_event AS e JOIN purpose AS p ON p.id = e.purpose_id "
        f"WHERE p.is_marketing AND e.channel = :channel AND e.status IN ({wanted}) "
        "AND e.contact_id IS NOT NULL AND (e.expires_on IS NULL OR e.expires_on >= :today) "
        f"AND {_DECIDING}"
    )


def count_outside(session: Session, ids_sql: str, params: dict[str, object]) -> int:
    """Number of contacts whose id *ids_sql* does not select (ids of existing contacts,
    never NULL): all of them minus those it does, counted over the few it selects rather
    than a scan of every contact probing them. One statement (one round trip to a server)."""
    selected = f"SELECT count(*) FROM (SELECT DISTINCT ids.contact_id FROM ({ids_sql}) AS ids) AS d"
    sql = f"SELECT ({_COUNT_ALL}) - ({selected})"
    return int(session.execute(text(sql), params).scalar_one())


def count_where(session: Session, condition: str, params: dict[str, object]) -> int:
    """Number of contacts ``c`` meeting *condition*."""
    sql = f"SELECT count(*) FROM contact AS c WHERE {condition}"
    return int(session.execute(text(sql), params).scalar_one())


def filtered_window(
    session: Session,
    condition: str,
    params: dict[str, object],
    total: int,
    sort: str,
    descending: bool,
    offset: int,
    limit: int,
    index: str = "",
) -> Sequence[Row[tuple[object, ...]]]:
    """A window of the contacts ``c`` meeting *condition* (*total* of them), in order.

    As for a search: a few matches are found first and sorted, many are found by walking
    the sort index (or *index*, one in the same order that also narrows the walk), which
    stops at the window's end.
    """
    if total <= SMALL_MATCH_SET:
        ids = f"SELECT c.id FROM contact AS c WHERE {condition}"
        return _sorted_matches(session, ids, params, sort, descending, offset, limit)
    return _walked_matches(
        session, condition, params, total, sort, descending, offset, limit, index
    )


def count_keep_until(session: Session, low: object, high: object) -> int:
    """Contacts kept until a day from *low* to *high* (None: open), from the per-day counts
    the triggers keep (migration 0004): a few thousand rows, not a third of the index."""
    conditions, params = [], {}
    if low is not None:
        conditions.append("day >= :low")
        params["low"] = low
    if high is not None:
        conditions.append("day <= :high")
        params["high"] = high
    where = " AND ".join(conditions) or "1 = 1"
    sql = f"SELECT coalesce(sum(n), 0) FROM keep_until_count WHERE {where}"
    return int(session.execute(text(sql), params).scalar_one())
