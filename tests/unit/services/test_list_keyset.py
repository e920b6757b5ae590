"""The whole list read by key (bookmarks) rather than OFFSET: the same rows, exact index ranges."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import Engine, event, text

from privacycrm_desktop.persistence import list_keyset
from privacycrm_desktop.services.dto import Actor, ContactSort
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
