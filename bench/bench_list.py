"""The contact list on a million contacts: jumps to far rows and scrolling, via the services.

What the table model does when the user drags the scroll bar or pages down: one
``ContactService.count`` for the total, then ``ContactService.page(offset, limit=200)``.
Target: every window within 50 ms.

Then the saved views (expired, expiring, due for re-consent, no consent / opted in by
e-mail, by relationship): the count and windows at the start, the middle and the end of
each view, in name order. Target: every view window within 150 ms at a million (a jump to
the middle of 300,000 expired contacts walks half of them in the name index).

    .venv/bin/python bench/bench_list.py [--count N] [--engine sqlite|pg|both] [--pg-url URL]

On each engine (``common.engines``): the same figures, then each with its PostgreSQL /
SQLite ratio.
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from common import (
    Figure,
    collect_between_reads,
    count_argument,
    engine_arguments,
    engines,
    ensure_database,
    median,
    open_services,
    report,
    timed_ms,
)

TARGET_MS = 50.0
#: Issue 23: every window within one frame, read by key (bookmarks), for every order.
FRAME_MS = 16.0
VIEW_TARGET_MS = 150.0
PAGE = 200


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    count_argument(parser)
    parser.add_argument("--scroll-pages", type=int, default=50)
    engine_arguments(parser)
    args = parser.parse_args()
    figures = {}
    for name in engines(args):
        print(f"--- {name} ---", flush=True)
        figures[name] = measure(ensure_database(args.count, name, args.pg_url), args)
    report(figures)
    return 0


def measure(database: str, args: argparse.Namespace) -> list[Figure]:
    """The list's figures on one database."""
    engine, services, actor = open_services(database)
    contacts = services.contacts
    from privacycrm_desktop.services.dto import ContactSort

    count_ms, total = timed_ms(lambda: contacts.count(actor))
    assert isinstance(total, int)
    print(f"contacts: {total:,}; count(*) took {count_ms:.1f} ms")
    last = max(0, total - PAGE)
    rng = random.Random(7)
    jumps = [0, total // 2, last] + [rng.randrange(0, last + 1) for _ in range(20)]
    results: dict[str, list[float]] = {}
    for sort in (ContactSort.NAME, ContactSort.CITY):
        collect_between_reads()
        jump_ms = []
        for offset in jumps:
            ms, rows = timed_ms(
                lambda o=offset, s=sort: contacts.page(
                    actor, sort=s, offset=o, limit=PAGE, total=total
                )
            )
            assert isinstance(rows, list)
            assert len(rows) == min(PAGE, total - offset)
            jump_ms.append(ms)
        print(
            f"jump ({sort.value}): offset 0 {jump_ms[0]:.1f} ms, middle {jump_ms[1]:.1f} ms, "
            f"last page {jump_ms[2]:.1f} ms; 20 random: median {median(jump_ms[3:]):.1f} ms, "
            f"max {max(jump_ms[3:]):.1f} ms"
        )
        results[f"jump {sort.value}"] = jump_ms
    for start in (0, total // 2):
        collect_between_reads()
        scroll_ms = []
        for page in range(args.scroll_pages):
            offset = min(start + page * PAGE, last)
            ms, _rows = timed_ms(
                lambda o=offset: contacts.page(actor, offset=o, limit=PAGE, total=total)
            )
            scroll_ms.append(ms)
        print(
            f"scroll {args.scroll_pages} pages from {start:,}: median {median(scroll_ms):.1f} ms, "
            f"max {max(scroll_ms):.1f} ms"
        )
        results[f"scroll from {start}"] = scroll_ms
    desc_ms, _rows = timed_ms(
        lambda: contacts.page(actor, descending=True, offset=last, limit=PAGE, total=total)
    )
    print(f"last page sorted descending: {desc_ms:.1f} ms")
    every = [ms for values in results.values() for ms in values] + [desc_ms]
    worst = max(every)
    print(
        f"all windows: median {median(every):.1f} ms, max {worst:.1f} ms "
        f"(target <= {TARGET_MS:.0f} ms)"
    )
    keyed_worst = bench_keyset(contacts, actor, total)
    view_worst = bench_views(contacts, actor)
    view_keyed_worst = bench_views_by_key(contacts, actor)
    engine.dispose()
    return [
        Figure("list window (median)", median(every), "ms", None),
        Figure("list window (max)", worst, "ms", TARGET_MS),
        Figure("list window by key, every order (max)", keyed_worst, "ms", FRAME_MS),
        Figure("list view window (max)", view_worst, "ms", VIEW_TARGET_MS),
        Figure("list view window by key, every order (max)", view_keyed_worst, "ms", FRAME_MS),
    ]


def bench_keyset(contacts, actor, total: int) -> float:  # type: ignore[no-untyped-def]
    """For every sortable order: the bookmarks read once, then windows at the start, the
    middle, the end and 20 random blocks, ascending and descending, by key (as the table
    model reads them) and, for comparison, by OFFSET. Returns the slowest keyed window."""
    from privacycrm_desktop.services.dto import ContactSort

    rng = random.Random(23)
    last = max(0, total - PAGE)
    middle = (total // 2) // PAGE * PAGE
    blocks = [0, middle, last] + [rng.randrange(0, last // PAGE + 1) * PAGE for _ in range(20)]
    worst = 0.0
    for sort in ContactSort:
        collect_between_reads()
        marks_ms, marks = timed_ms(lambda s=sort: contacts.bookmarks(actor, s))
        collect_between_reads()
        figures: dict[str, list[float]] = {"key": [], "offset": []}
        for descending in (False, True):
            for offset in blocks:
                for how, kwargs in (("offset", {}), ("key", {"bookmarks": marks})):
                    ms, rows = timed_ms(
                        lambda o=offset, s=sort, d=descending, k=kwargs: contacts.page(
                            actor, sort=s, descending=d, offset=o, limit=PAGE, total=total, **k
                        )
                    )
                    assert isinstance(rows, list)
                    assert len(rows) == min(PAGE, total - offset)
                    figures[how].append(ms)
        key, offset_ms = figures["key"], figures["offset"]
        # The middle ascending is the third figure pair's first: index 1 of each list.
        print(
            f"{sort.value}: bookmarks {marks_ms:.0f} ms once; middle by key {key[1]:.1f} ms "
            f"(by OFFSET {offset_ms[1]:.1f} ms); every window by key median "
            f"{median(key):.1f} ms, max {max(key):.1f} ms (by OFFSET median "
            f"{median(offset_ms):.1f} ms, max {max(offset_ms):.1f} ms)"
        )
        worst = max(worst, *key)
    return worst


def bench_views(contacts, actor) -> float:  # type: ignore[no-untyped-def]
    """Count and windows of each saved view; returns the slowest window or count."""
    from privacycrm_desktop.services.dto import ContactFilter, ListFilter

    worst = 0.0
    for kind in ContactFilter:
        if kind is ContactFilter.ALL:
            continue
        view = ListFilter(kind)
        collect_between_reads()
        count_ms, total = timed_ms(lambda v=view: contacts.count(actor, "", v))
        assert isinstance(total, int)
        windows = []
        for offset in (0, total // 2, max(0, total - PAGE)):
            ms, _rows = timed_ms(
                lambda o=offset, v=view, t=total: contacts.page(
                    actor, view=v, offset=o, limit=PAGE, total=t
                )
            )
            windows.append(ms)
        print(
            f"view {kind.value} ({total:,} contacts): count {count_ms:.1f} ms; windows at "
            f"start {windows[0]:.1f} ms, middle {windows[1]:.1f} ms, end {windows[2]:.1f} ms"
        )
        worst = max(worst, count_ms, *windows)
    return worst


def bench_views_by_key(contacts, actor) -> float:  # type: ignore[no-untyped-def]
    """Each saved view of more contacts than are sorted directly, in every sortable order:
    its bookmarks read once (as the table model does off the UI thread), then windows at
    the start, the middle, the end and 10 random blocks, ascending and descending, by key
    (``page(..., view=..., bookmarks=...)``). Returns the slowest window."""
    from privacycrm_desktop.services.dto import ContactFilter, ContactSort, ListFilter
    from privacycrm_desktop.services.keyed_list import KEYED_VIEW_FROM_ROWS

    worst = 0.0
    for kind in ContactFilter:
        view = ListFilter(kind)
        if not view.active:
            continue
        total = contacts.count(actor, "", view)
        if total <= KEYED_VIEW_FROM_ROWS:
            print(f"view {kind.value} ({total:,} contacts): sorted directly, not by key")
            continue
        rng = random.Random(31)
        last = max(0, total - PAGE)
        blocks = [0, total // 2 // PAGE * PAGE, last]
        blocks += [rng.randrange(0, last // PAGE + 1) * PAGE for _ in range(10)]
        for sort in ContactSort:
            collect_between_reads()
            marks_ms, marks = timed_ms(lambda s=sort, v=view: contacts.bookmarks(actor, s, v))
            collect_between_reads()
            key_ms = []
            for descending in (False, True):
                for offset in blocks:
                    shape = {"sort": sort, "descending": descending, "view": view}
                    ms, rows = timed_ms(
                        lambda o=offset, k=shape, t=total, m=marks: contacts.page(
                            actor, offset=o, limit=PAGE, total=t, bookmarks=m, **k
                        )
                    )
                    assert isinstance(rows, list)
                    assert len(rows) == min(PAGE, total - offset)
                    key_ms.append(ms)
            print(
                f"view {kind.value} ({total:,}) by {sort.value}: bookmarks {marks_ms:.0f} ms "
                f"once; by key start {key_ms[0]:.1f} ms, middle {key_ms[1]:.1f} ms, end "
                f"{key_ms[2]:.1f} ms; every window median {median(key_ms):.1f} ms, max "
                f"{max(key_ms):.1f} ms"
            )
            worst = max(worst, *key_ms)
    return worst


if __name__ == "__main__":
    raise SystemExit(main())
