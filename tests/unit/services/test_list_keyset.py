"""The whole list read by key (bookmarks) rather than OFFSET: the same rows, exact index ranges."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import Engine, event, text

from privacycrm_desktop.domain.contacts import Relationship
from privacycrm_desktop.persistence import contact_queries, list_keyset, tag_keyset
from privacycrm_desktop.services import keyed_list
from privacycrm_desktop.services.clock import FixedClock
from privacycrm_desktop.services.dto import Actor, ContactFilter, ContactSort, ListFilter
from privacycrm_desktop.services.registry import Services

STRIDE = 7


@contextmanager
def statements(engine: Engine) -> Iterator[list[tuple[str, object]]]:
    """The SQL (with its parameters) the engine runs inside the block."""
    seen: list[tuple[str, object]] = []

    def record(*args: object) -> None:
        seen.append((str(args[2]), args[3]))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


@pytest.fixture
def listed(svc: Services, owner: Actor, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(list_keyset, "STRIDE", STRIDE)
    svc.demo.generate(owner, 150, seed=11)
    return svc.contacts.count(owner)


@pytest.mark.parametrize("sort", list(ContactSort))
@pytest.mark.parametrize("descending", [False, True])
def test_keyed_windows_are_the_offset_windows(
    svc: Services, owner: Actor, listed: int, sort: ContactSort, descending: bool
) -> None:
    marks = svc.contacts.bookmarks(owner, sort)
    assert marks.total == listed
    assert len(marks.keys) == -(-listed // STRIDE)
    for offset in [*range(0, listed, STRIDE), 3, listed // 2 + 1, listed - 5]:
        for limit in (STRIDE, 10, 1):
            by_offset = svc.contacts.page(
                owner, sort=sort, descending=descending, offset=offset, limit=limit, total=listed
            )
            by_key = svc.contacts.page(
                owner,
                sort=sort,
                descending=descending,
                offset=offset,
                limit=limit,
                total=listed,
                bookmarks=marks,
            )
            assert [r.id for r in by_key] == [r.id for r in by_offset], (offset, limit)


@pytest.mark.parametrize("sort", list(ContactSort))
def test_a_deep_window_is_read_by_index_ranges_without_offset(
    svc: Services, owner: Actor, engine: Engine, listed: int, sort: ContactSort
) -> None:
    marks = svc.contacts.bookmarks(owner, sort)
    deep = (listed // STRIDE // 2) * STRIDE
    with statements(engine) as seen:
        rows = svc.contacts.page(
            owner, sort=sort, offset=deep, limit=STRIDE, total=listed, bookmarks=marks
        )
    assert len(rows) == STRIDE
    windows = [(s, p) for s, p in seen if "ORDER BY" in s and "FROM contact" in s]
    sqlite = engine.dialect.name == "sqlite"
    # SQLite: at most one range per column of the order (the rest of the key's run of
    # equal values, ..., everything after); PostgreSQL: one row-value range.
    assert 1 <= len(windows) <= (len(list_keyset.key_columns(sort.value)) if sqlite else 1)
    for sql, params in windows:
        assert "OFFSET" not in sql.upper()
        with engine.connect() as conn:
            if not sqlite:
                # 150 rows: the planner would rather scan; as on a big table, it must not.
                conn.exec_driver_sql("SET enable_seqscan = off")
                conn.exec_driver_sql("SET enable_bitmapscan = off")
            explain = "EXPLAIN QUERY PLAN" if sqlite else "EXPLAIN"
            plan = " ".join(str(r[-1]) for r in conn.exec_driver_sql(f"{explain} {sql}", params))
        # One range of the order's index: no sort of the rows, no scan of the table.
        assert "TEMP B-TREE" not in plan
        assert "Sort" not in plan
        assert "SEARCH" in plan if sqlite else "Index" in plan


@contextmanager
def vm_steps(engine: Engine) -> Iterator[list[int]]:
    """SQLite: the virtual machine steps of the statements run inside the block (a count
    of the work done that does not depend on the machine's load)."""
    steps = [0]

    def step() -> int:
        steps[0] += 1
        return 0

    def watch(conn: object, *args: object) -> None:
        conn.connection.driver_connection.set_progress_handler(step, 1)

    event.listen(engine, "before_cursor_execute", watch)
    try:
        yield steps
    finally:
        event.remove(engine, "before_cursor_execute", watch)
        with engine.connect() as conn:
            conn.connection.driver_connection.set_progress_handler(None, 1)


def test_a_window_inside_a_long_run_of_equal_keys_reads_only_its_rows(
    svc: Services, owner: Actor, engine: Engine, listed: int
) -> None:
    """Every contact kept until the same day for the same reason: a window deep in that
    run must not walk the run from its start (SQLite bounds a row value on its leading
    columns only, not on the id)."""
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite's virtual machine steps")
    with engine.begin() as conn:
        conn.execute(text("UPDATE contact SET keep_until = '2030-01-01', keep_reason = 'x'"))
    sort = ContactSort.KEEP_UNTIL
    marks = svc.contacts.bookmarks(owner, sort)
    deep = (listed // STRIDE - 1) * STRIDE
    counted = {}
    for offset in (0, deep):
        with vm_steps(engine) as steps:
            rows = svc.contacts.page(
                owner, sort=sort, offset=offset, limit=STRIDE, total=listed, bookmarks=marks
            )
        assert [r.id for r in rows] == [
            r.id
            for r in svc.contacts.page(owner, sort=sort, offset=offset, limit=STRIDE, total=listed)
        ]
        counted[offset] = steps[0]
    # Walking the run from its start (about 140 entries) took seven times the steps.
    assert counted[deep] < 2 * counted[0], counted


@pytest.mark.parametrize("descending", [False, True])
def test_contacts_without_keep_until_date_are_read_by_key_too(
    svc: Services, owner: Actor, engine: Engine, listed: int, descending: bool
) -> None:
    """A third of the contacts have no keep-until date: windows around and inside their
    run (first on SQLite, last on PostgreSQL) are the OFFSET windows, read as exact
    ranges of the order's index, never by OFFSET."""
    with engine.begin() as conn:
        conn.execute(text("UPDATE contact SET keep_until = NULL WHERE id % 3 = 0"))
    sort = ContactSort.KEEP_UNTIL
    marks = svc.contacts.bookmarks(owner, sort)
    assert any(None in key for key in marks.keys)
    sqlite = engine.dialect.name == "sqlite"
    planned = 0
    for offset in range(0, listed, 5):
        by_offset = svc.contacts.page(
            owner, sort=sort, descending=descending, offset=offset, limit=9, total=listed
        )
        with statements(engine) as seen:
            by_key = svc.contacts.page(
                owner,
                sort=sort,
                descending=descending,
                offset=offset,
                limit=9,
                total=listed,
                bookmarks=marks,
            )
        assert [r.id for r in by_key] == [r.id for r in by_offset], offset
        # NULL is a bound too (IS NULL, IS NOT NULL): no OFFSET walk from the top.
        windows = [(s, p) for s, p in seen if "ORDER BY" in s and "FROM contact" in s]
        assert windows, offset
        assert not any("OFFSET" in s.upper() for s, _p in windows), offset
        if sqlite:
            continue
        for sql, params in windows:
            if "IS NULL" not in sql:
                continue
            planned += 1
            with engine.connect() as conn:
                # 150 rows: the planner would rather scan; as on a big table, it must not.
                conn.exec_driver_sql("SET enable_seqscan = off")
                conn.exec_driver_sql("SET enable_bitmapscan = off")
                # Nor sort a handful of rows found through another index (at a million
                # it reads ix_contact_keep_until: EXPLAIN ANALYZE on the bench database).
                conn.exec_driver_sql("SET enable_sort = off")
                plan = "\n".join(str(r[0]) for r in conn.exec_driver_sql(f"EXPLAIN {sql}", params))
            # One range of the keep-until index: no sort, no filter walk.
            assert "Index Scan using ix_contact_keep_until" in plan, plan
            assert "Sort" not in plan, plan
            assert "Filter" not in plan, plan
            assert "Index Cond: (keep_until IS NULL" in plan.replace("((", "("), plan
    assert sqlite or planned


def test_bookmarks_of_another_count_are_not_used(svc: Services, owner: Actor, listed: int) -> None:
    marks = svc.contacts.bookmarks(owner, ContactSort.NAME)
    svc.demo.generate(owner, 3, seed=12)
    total = svc.contacts.count(owner)
    assert total == listed + 3
    with_marks = svc.contacts.page(owner, offset=70, limit=20, total=total, bookmarks=marks)
    assert with_marks == svc.contacts.page(owner, offset=70, limit=20, total=total)


@pytest.mark.parametrize("descending", [False, True])
def test_a_window_starting_among_the_nulls_after_a_bookmark_with_a_date_skips_among_them(
    svc: Services, owner: Actor, engine: Engine, listed: int, descending: bool
) -> None:
    """PostgreSQL sorts NULL last: a window whose bookmark has a date but which starts
    among the NULLs after it (the dates end one row after a bookmark) skips rows among the
    NULLs. They were skipped from the dates before the NULLs were read, and the window
    came out from the first NULL: the right length, the wrong rows."""
    with engine.begin() as conn:
        conn.execute(text("UPDATE contact SET keep_until = NULL WHERE id % 3 = 0"))
        dated = conn.execute(
            text("SELECT id FROM contact WHERE keep_until IS NOT NULL ORDER BY keep_until DESC")
        ).all()
        # The dates end one row after a bookmark (and before one on SQLite, NULL first).
        extra = (len(dated) - 1) % STRIDE
        for (contact_id,) in dated[:extra]:
            conn.execute(
                text("UPDATE contact SET keep_until = NULL WHERE id = :id"), {"id": contact_id}
            )
    sort = ContactSort.KEEP_UNTIL
    marks = svc.contacts.bookmarks(owner, sort)
    for offset in range(listed):
        kwargs = {"sort": sort, "descending": descending, "offset": offset, "limit": 5}
        by_offset = svc.contacts.page(owner, total=listed, **kwargs)
        by_key = svc.contacts.page(owner, total=listed, bookmarks=marks, **kwargs)
        assert [r.id for r in by_key] == [r.id for r in by_offset], offset


# -- the saved views read by key ---------------------------------------------------------

#: Views with rows once ``spread`` has run, each bigger than the patched threshold.
VIEWS = [
    ListFilter(ContactFilter.EXPIRED),
    ListFilter(ContactFilter.EXPIRING),
    ListFilter(ContactFilter.NO_CONSENT),
    ListFilter(ContactFilter.RELATIONSHIP, relationship=Relationship.CUSTOMER),
]


@pytest.fixture
def spread(
    svc: Services, engine: Engine, listed: int, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> int:
    """Keep-until dates passed, passing within 30 days, later and none, and every third
    contact a customer: each view holds a share of the list spread over every order."""
    monkeypatch.setattr(keyed_list, "KEYED_VIEW_FROM_ROWS", 3)
    today = clock.today()
    with engine.begin() as conn:
        for rest, days in ((0, -40), (1, 5), (2, 400), (3, -1), (4, 20)):
            conn.execute(
                text("UPDATE contact SET keep_until = :day WHERE id % 6 = :rest"),
                {"day": today + dt.timedelta(days=days), "rest": rest},
            )
        conn.execute(text("UPDATE contact SET keep_until = NULL WHERE id % 6 = 5"))
        conn.execute(
            text("UPDATE contact SET relationship = 'customer' WHERE id % 3 = 0"),
        )
    return listed


@pytest.mark.parametrize("view", VIEWS, ids=lambda v: v.kind.value)
@pytest.mark.parametrize("sort", list(ContactSort))
def test_keyed_view_windows_are_the_offset_windows(
    svc: Services, owner: Actor, spread: int, view: ListFilter, sort: ContactSort
) -> None:
    total = svc.contacts.count(owner, "", view)
    assert total > 3
    marks = svc.contacts.bookmarks(owner, sort, view)
    assert (marks.total, marks.view) == (total, view)
    assert len(marks.keys) == -(-total // STRIDE)
    for descending in (False, True):
        for offset in [*range(0, total, STRIDE), 3, total // 2 + 1, max(0, total - 5)]:
            for limit in (STRIDE, 10):
                kwargs = {"sort": sort, "descending": descending, "view": view}
                by_offset = svc.contacts.page(
                    owner, offset=offset, limit=limit, total=total, **kwargs
                )
                by_key = svc.contacts.page(
                    owner, offset=offset, limit=limit, total=total, bookmarks=marks, **kwargs
                )
                assert [r.id for r in by_key] == [r.id for r in by_offset], (offset, limit)


def test_another_views_or_the_whole_lists_bookmarks_are_not_used_for_a_view(
    svc: Services, owner: Actor, spread: int
) -> None:
    expired, expiring = ListFilter(ContactFilter.EXPIRED), ListFilter(ContactFilter.EXPIRING)
    total = svc.contacts.count(owner, "", expired)
    for marks in (svc.contacts.bookmarks(owner), svc.contacts.bookmarks(owner, view=expiring)):
        forged = dataclasses.replace(marks, total=total)
        rows = svc.contacts.page(
            owner, view=expired, offset=STRIDE, limit=STRIDE, total=total, bookmarks=forged
        )
        plain = svc.contacts.page(owner, view=expired, offset=STRIDE, limit=STRIDE, total=total)
        assert [r.id for r in rows] == [r.id for r in plain]


@pytest.mark.parametrize("view", VIEWS, ids=lambda v: v.kind.value)
@pytest.mark.parametrize("sort", list(ContactSort))
def test_a_deep_view_window_walks_its_orders_index_from_a_bookmark_reading_no_rows(
    svc: Services, owner: Actor, engine: Engine, spread: int, view: ListFilter, sort: ContactSort
) -> None:
    """A window of a view read by key: ranges of the order's index from the bookmark
    before it (never OFFSET), the view's condition tested on the index's entries (every
    order's index holds the columns the views test, migration 0031: no table row read for
    an entry the view leaves out) and, on PostgreSQL, as a filter of the walk, never as its
    start (an equality on the order's leading column started the walk at the view's first
    row)."""
    total = svc.contacts.count(owner, "", view)
    marks = svc.contacts.bookmarks(owner, sort, view)
    deep = (total // STRIDE // 2) * STRIDE
    with statements(engine) as seen:
        rows = svc.contacts.page(
            owner, sort=sort, view=view, offset=deep, limit=STRIDE, total=total, bookmarks=marks
        )
    assert len(rows) == STRIDE
    windows = [(s, p) for s, p in seen if "ORDER BY" in s and "FROM contact" in s]
    sqlite = engine.dialect.name == "sqlite"
    assert 1 <= len(windows) <= (len(list_keyset.key_columns(sort.value)) if sqlite else 2)
    index = keyed_list.view_index(view, sort.value) or contact_queries.SORTS[sort.value][1]
    for sql, params in windows:
        assert "OFFSET" not in sql.upper()
        with engine.connect() as conn:
            if sqlite:
                plan = [
                    str(r[-1]) for r in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params)
                ]
                if index:
                    assert any(f"USING COVERING INDEX {index}" in p for p in plan), plan
                walks = [p for p in plan if p.startswith(("SCAN c", "SEARCH c", "SCAN contact"))]
                assert all("COVERING INDEX" in p or "PRIMARY KEY" in p for p in walks), plan
                continue
            conn.exec_driver_sql("SET enable_seqscan = off")
            conn.exec_driver_sql("SET enable_bitmapscan = off")
            conn.exec_driver_sql("SET enable_sort = off")
            plan = "\n".join(str(r[0]) for r in conn.exec_driver_sql(f"EXPLAIN {sql}", params))
        walk = plan.split("Index Only Scan using ", 1)
        assert len(walk) == 2, plan
        # The order's index, or one in the same order narrowed to the view (its choice).
        own = contact_queries.SORTS[sort.value][1] or "pk_contact"
        assert walk[1].startswith((index or "pk_contact", own)), plan
        start = walk[1].split("Index Cond: ", 1)[1].split("\n", 1)[0]
        # The walk starts at the bookmark (a row value, or the ranges of a NULL key).
        assert "ROW(" in start or "IS NULL" in start or "IS NOT NULL" in start, plan
        if not keyed_list.view_index(view, sort.value):
            # The view's condition is the walk's filter, not its start.
            assert "'customer'" not in start.split(">=")[0], plan


def test_a_view_window_deep_in_the_list_costs_what_its_first_does(
    svc: Services, owner: Actor, engine: Engine, spread: int
) -> None:
    """SQLite's virtual machine steps: a window of a view read by key at its end costs
    about what its first window does; by OFFSET, the walk to it grows with its place."""
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite's virtual machine steps")
    view = ListFilter(ContactFilter.EXPIRING)
    total = svc.contacts.count(owner, "", view)
    marks = svc.contacts.bookmarks(owner, ContactSort.CITY, view)
    deep = (total // STRIDE - 1) * STRIDE
    counted = {}
    for offset in (0, deep):
        with vm_steps(engine) as steps:
            svc.contacts.page(
                owner,
                sort=ContactSort.CITY,
                view=view,
                offset=offset,
                limit=STRIDE,
                total=total,
                bookmarks=marks,
            )
        counted[offset] = steps[0]
    assert counted[deep] < 2 * counted[0], counted


# -- a tag's contacts read by key ------------------------------------------------------------


@pytest.fixture
def tagged(svc: Services, owner: Actor, listed: int) -> tuple[int, int]:
    """A tag on two contacts of every three; its id and how many carry it."""
    tag_id = svc.tags.create(owner, "keyed")
    added = svc.tags.assign_matching(owner, tag_id, ("SELECT id FROM contact WHERE id % 3 > 0", {}))
    return tag_id, added


@pytest.mark.parametrize("sort", list(ContactSort))
def test_keyed_tag_windows_are_the_offset_windows(
    svc: Services, owner: Actor, tagged: tuple[int, int], sort: ContactSort
) -> None:
    tag_id, total = tagged
    marks = svc.contacts.bookmarks(owner, sort, tag=tag_id)
    assert (marks.total, marks.tag) == (total, tag_id)
    linked = tag_keyset.keyed(sort.value)
    assert len(marks.keys) == (-(-total // STRIDE) if linked else 0)
    for descending in (False, True):
        for offset in [*range(0, total, STRIDE), 3, total // 2 + 1, total - 5]:
            kwargs = {"sort": sort, "descending": descending, "tag": tag_id, "offset": offset}
            by_offset = svc.contacts.page(owner, limit=STRIDE, total=total, **kwargs)
            by_key = svc.contacts.page(owner, limit=STRIDE, total=total, bookmarks=marks, **kwargs)
            assert [r.id for r in by_key] == [r.id for r in by_offset], offset


@pytest.mark.parametrize("sort", [s for s in ContactSort if tag_keyset.keyed(s.value)])
def test_a_deep_tag_window_is_a_range_of_the_link_tables_order_index(
    svc: Services, owner: Actor, engine: Engine, tagged: tuple[int, int], sort: ContactSort
) -> None:
    """By key, a window of a tag's contacts is read from the bookmark before it as ranges
    of the link table's index for the order (tag, column, sort name, contact), never by an
    OFFSET walk of that index from the tag's first link."""
    tag_id, total = tagged
    marks = svc.contacts.bookmarks(owner, sort, tag=tag_id)
    deep = (total // STRIDE // 2) * STRIDE
    with statements(engine) as seen:
        rows = svc.contacts.page(
            owner, sort=sort, tag=tag_id, offset=deep, limit=STRIDE, total=total, bookmarks=marks
        )
    assert len(rows) == STRIDE
    links = [(s, p) for s, p in seen if "contact_tag" in s]
    sqlite = engine.dialect.name == "sqlite"
    assert 1 <= len(links) <= (len(list_keyset.key_columns(sort.value)) if sqlite else 1)
    index = tag_keyset._index(sort.value)
    for sql, params in links:
        assert "OFFSET" not in sql.upper()
        with engine.connect() as conn:
            if sqlite:
                plan = [
                    str(r[-1]) for r in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params)
                ]
                walks = [p for p in plan if "contact_tag" in p]
                assert len(walks) == 1, plan
                assert walks[0].startswith(f"SEARCH contact_tag USING COVERING INDEX {index} ")
                assert "tag_id=?" in walks[0], plan
                continue
            conn.exec_driver_sql("SET enable_seqscan = off")
            conn.exec_driver_sql("SET enable_bitmapscan = off")
            conn.exec_driver_sql("SET enable_sort = off")
            plan = "\n".join(str(r[0]) for r in conn.exec_driver_sql(f"EXPLAIN {sql}", params))
        assert f"Index Only Scan using {index} on contact_tag" in plan, plan
        assert "ROW(" in plan.split(f"using {index}", 1)[1].split("Index Cond: ", 1)[1], plan
        # No sort of the links: only of the window's rows, after their range.
        assert "Sort" not in plan.split("Limit", 1)[1], plan
