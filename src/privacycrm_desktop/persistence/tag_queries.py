"""Tags in SQL: the list filtered by a tag, and set-based changes of many links at once.

Every statement here works on a set of contacts given as SQL (``ids_sql``: a SELECT of
contact ids with its parameters: a list of ids, a search, a phone prefix, another tag,
the whole list), so tagging the hundred thousand contacts a search found is one INSERT,
never a loop in Python. The link table is named by ``LINKS`` (contacts now; companies get
a table of the same shape).

The filtered list follows ``contact_queries``: few matches are sorted directly; many are
found by walking the list's sort index and probing the link table's primary key
(contact, tag), which stops at the window's end. ``ix_contact_tag_tag`` (tag, contact)
counts a tag's contacts and lists them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from sqlalchemy import DateTime, Row, bindparam, text
from sqlalchemy.orm import Session

from privacycrm_desktop.domain.tags import Tagged
from privacycrm_desktop.persistence.contact_queries import (
    LIST_COLUMNS,
    SORTS,
    _plan,
    _sorted_matches,
    _walked_matches,
)

#: Per kind of record: its link table and the column naming the record. The link table
#: also holds the record's ``sort_name`` (kept equal by a trigger), so a tag's records
#: list by name from its index.
LINKS: dict[Tagged, tuple[str, str]] = {
    Tagged.CONTACT: ("contact_tag", "contact_id"),
    Tagged.COMPANY: ("company_tag", "company_id"),
}
#: Microseconds, measured on a million contacts (bench/bench_list.py --tags): sorting
#: one tagged contact, walking one row of the sort index with a probe.
_SORT_COST_PER_MATCH = 1.5
_WALK_COST_PER_ROW = 2.6

IdsSql = tuple[str, dict[str, object]]


def _tagged(ids: IdsSql | None) -> tuple[str, dict[str, object]]:
    """The contact ids carrying ``:tag`` (and in *ids*, when given)."""
    sql = "SELECT contact_id FROM contact_tag WHERE tag_id = :tag"
    if ids is None:
        return sql, {}
    return f"{sql} AND contact_id IN ({ids[0]})", dict(ids[1])


def count_tagged(session: Session, tag_id: int, ids: IdsSql | None = None) -> int:
    """How many contacts carry the tag (of those *ids* selects, when given)."""
    sql, params = _tagged(ids)
    return int(
        session.execute(
            text(f"SELECT count(*) FROM ({sql}) AS t"), {**params, "tag": tag_id}
        ).scalar_one()
    )


def tagged_window(
    session: Session,
    tag_id: int,
    total: int,
    sort: str,
    descending: bool,
    offset: int,
    limit: int,
    ids: IdsSql | None = None,
) -> Sequence[Row[tuple[object, ...]]]:
    """A window of the contacts carrying the tag (*total* of them), in the given order."""
    population = int(session.execute(text("SELECT coalesce(max(id), 0) FROM contact")).scalar_one())
    walked = (min(offset, max(total - offset - limit, 0)) + limit) * population / max(total, 1)
    sql, params = _tagged(ids)
    params["tag"] = tag_id
    if ids is None and sort in LINK_ORDERS:
        return _link_window(session, tag_id, total, sort, descending, offset, limit)
    if ids is not None or total * _SORT_COST_PER_MATCH <= walked * _WALK_COST_PER_ROW:
        return _sorted_matches(session, sql, params, sort, descending, offset, limit)
    condition = (
        "EXISTS (SELECT 1 FROM contact_tag AS t WHERE t.contact_id = c.id AND t.tag_id = :tag)"
    )
    return _walked_matches(session, condition, params, total, sort, descending, offset, limit)


#: The list's orders (contact_queries.SORTS) as the link table's columns give them.
LINK_ORDERS = {
    "name": ("sort_name", "contact_id"),
    "organisation": ("organisation", "sort_name", "contact_id"),
    "city": ("city", "sort_name", "contact_id"),
    "relationship": ("relationship", "sort_name", "contact_id"),
}
#: Every column a link row copies from its contact, for the orders above.
COPIED = ("sort_name", "organisation", "city", "relationship")


def _link_window(
    session: Session,
    tag_id: int,
    total: int,
    sort: str,
    descending: bool,
    offset: int,
    limit: int,
) -> Sequence[Row[tuple[object, ...]]]:
    """A window in the order *sort*, read from the link table's index for that order
    (tag, column, sort name, contact) alone; a window in the second half from the other
    end, as the whole list does."""
    query_offset, query_limit, query_descending = _plan(total, offset, limit, descending)
    way = " DESC" if query_descending else ""
    inner = ", ".join(f"{c}{way}" for c in LINK_ORDERS[sort])
    outer = ", ".join(f"{c.strip()}{way}" for c in SORTS[sort][0].split(","))
    sql = (
        f"SELECT {LIST_COLUMNS} FROM contact WHERE id IN ("
        "SELECT contact_id FROM contact_tag WHERE tag_id = :tag "
        f"ORDER BY {inner} LIMIT :limit OFFSET :offset) ORDER BY {outer}"
    )
    rows = session.execute(
        text(sql), {"tag": tag_id, "limit": query_limit, "offset": query_offset}
    ).all()
    return rows[::-1] if query_descending is not descending else rows


def link(
    session: Session,
    kind: Tagged,
    tag_id: int,
    ids: IdsSql,
    *,
    now: dt.datetime,
    user_id: int | None,
    source_id: int | None = None,
) -> int:
    """Put the tag on every record *ids* selects that does not carry it yet; how many."""
    table, column = LINKS[kind]
    record = kind.value
    copied = _copied(kind)
    statement = text(
        f"INSERT INTO {table} ({column}, tag_id, source_id, recorded_at, recorded_by"
        f"{''.join(f', {c}' for c in copied)}) "
        # Typed: PostgreSQL cannot tell a NULL parameter's type in a SELECT list.
        f"SELECT r.id, CAST(:tag AS INTEGER), CAST(:source AS INTEGER), "
        f"{_moment(session)}, CAST(:by AS INTEGER)"
        f"{''.join(f', r.{c}' for c in copied)} FROM {record} AS r "
        f"WHERE r.id IN ({ids[0]}) AND NOT EXISTS (SELECT 1 FROM {table} AS l "
        f"WHERE l.{column} = r.id AND l.tag_id = :tag)"
    ).bindparams(bindparam("now", type_=DateTime))
    result = session.execute(
        statement, {**ids[1], "tag": tag_id, "source": source_id, "now": now, "by": user_id}
    )
    added = int(getattr(result, "rowcount", 0) or 0)
    restat(session, table, added)
    return added


#: A statement adding at least this many links, and more than a tenth of the rows the
#: server last counted in the table, has the table's statistics taken again at once.
RESTAT_ROWS = 1_000


def restat(session: Session, table: str, added: int) -> None:
    """PostgreSQL: fresh statistics of link table *table* after *added* links, where they
    change what the planner should think of it (postgres/data_sql.ANALYSE_LINKS); in
    this transaction, so they count its own links. SQLite's planner needs none."""
    if added < RESTAT_ROWS or session.get_bind().dialect.name != "postgresql":
        return
    counted, by_server = session.execute(
        text(
            "SELECT reltuples, to_regprocedure('pcrm_analyse_links(text)') IS NOT NULL "
            "FROM pg_class WHERE oid = to_regclass(:t)"
        ),
        {"t": table},
    ).one()
    if counted is not None and added * 10 <= float(counted):
        return
    if by_server:
        session.execute(text("SELECT pcrm_analyse_links(:t)"), {"t": table})
    else:  # no server functions: the administrator's own tables
        session.execute(text(f"ANALYZE {table}"))


def _copied(kind: Tagged) -> tuple[str, ...]:
    """The record's columns its link table copies (a contact's sort columns; none for a
    company: its tags are few and listed by name)."""
    return COPIED if kind is Tagged.CONTACT else ()


def _moment(session: Session) -> str:
    """The ``:now`` parameter as a value of the column's type (SQLite stores the text
    SQLAlchemy writes; PostgreSQL needs the type named in a SELECT list)."""
    return "CAST(:now AS TIMESTAMP)" if session.get_bind().dialect.name == "postgresql" else ":now"


def unlink(session: Session, kind: Tagged, tag_id: int, ids: IdsSql) -> int:
    """Take the tag off every record *ids* selects; how many carried it."""
    table, column = LINKS[kind]
    result = session.execute(
        text(f"DELETE FROM {table} WHERE tag_id = :tag AND {column} IN ({ids[0]})"),
        {**ids[1], "tag": tag_id},
    )
    return int(getattr(result, "rowcount", 0) or 0)


def drop_links(session: Session, kind: Tagged, tag_id: int) -> int:
    """Take the tag off every record carrying it; how many did."""
    table, _column = LINKS[kind]
    result = session.execute(text(f"DELETE FROM {table} WHERE tag_id = :tag"), {"tag": tag_id})
    return int(getattr(result, "rowcount", 0) or 0)


def move_links(session: Session, kind: Tagged, from_id: int, into_id: int) -> int:
    """Give every record carrying tag *from_id* tag *into_id* (keeping who put it there
    and when), then drop *from_id*'s links; how many records gained *into_id*."""
    table, column = LINKS[kind]
    copied = _copied(kind)
    result = session.execute(
        text(
            f"INSERT INTO {table} ({column}, tag_id, source_id, recorded_at, recorded_by"
            f"{''.join(f', {c}' for c in copied)}) "
            f"SELECT l.{column}, CAST(:into AS INTEGER), l.source_id, l.recorded_at, "
            f"l.recorded_by{''.join(f', l.{c}' for c in copied)} "
            f"FROM {table} AS l WHERE l.tag_id = :from AND NOT EXISTS (SELECT 1 FROM {table} "
            f"AS o WHERE o.{column} = l.{column} AND o.tag_id = :into)"
        ),
        {"from": from_id, "into": into_id},
    )
    session.execute(text(f"DELETE FROM {table} WHERE tag_id = :from"), {"from": from_id})
    return int(getattr(result, "rowcount", 0) or 0)


def count_links(
    session: Session, kind: Tagged, tag_ids: Iterable[int] | None = None
) -> dict[int, int]:
    """How many records carry each tag (every tag when *tag_ids* is None)."""
    table, _column = LINKS[kind]
    rows = session.execute(text(f"SELECT tag_id, count(*) FROM {table} GROUP BY tag_id")).all()
    wanted = None if tag_ids is None else set(tag_ids)
    return {int(t): int(n) for t, n in rows if wanted is None or t in wanted}


#: The most ids one selection binds (SQLite allows 32,766 parameters a statement).
MAX_IDS = 10_000


def id_list(kind: Tagged, ids: Sequence[int]) -> IdsSql:
    """*ids* as a selection (bound parameters, one each; at most ``MAX_IDS``)."""
    if len(ids) > MAX_IDS:
        raise ValueError("too many ids for one statement")
    if not ids:
        return "SELECT NULL WHERE 1 = 0", {}
    names = [f"i{n}" for n in range(len(ids))]
    return (
        f"SELECT id FROM {kind.value} WHERE id IN (" + ", ".join(f":{n}" for n in names) + ")",
        dict(zip(names, (int(i) for i in ids), strict=True)),
    )
