"""The contact list filtered by a tag on a million contacts, via the services.

The list's database (``bench_list.py``'s, built once by ``common.ensure_database``) gets
tags on 1,000, 10,000 and 100,000 contacts (every n-th contact), each put on in one
statement through ``TagService.assign_matching`` (timed: the set-based insert). Then, per
tag, what the table model does when the list is filtered by it: ``ContactService.count``
with the tag, the first page, jumps to the middle, the last page and 20 random offsets,
sorted by name and by city, and 20 pages scrolled from the top.

Targets: the list's own (``bench_list.py``: every window <= 50 ms) and the search's for
what a filter shows first (``bench_search.py``: count + first page, worst <= 100 ms).
Then, as the table model reads them after its first window away from the top, the tag's
bookmarks in the name and the city order and the same windows by key (issue 23: one
frame, 16 ms; ``persistence/tag_keyset.py``).

    .venv/bin/python bench/bench_tags.py [--count N] [--engine sqlite|pg|both] [--pg-url URL]
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

WINDOW_TARGET_MS = 50.0
#: Issue 23: every window within one frame once read by key (bookmarks).
FRAME_MS = 16.0
FIRST_TARGET_MS = 100.0
PAGE = 200
SIZES = (1_000, 10_000, 100_000)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    count_argument(parser)
    engine_arguments(parser)
    args = parser.parse_args()
    figures = {}
    for name in engines(args):
        print(f"--- {name} ---", flush=True)
        figures[name] = measure(ensure_database(args.count, name, args.pg_url))
    return 0 if report(figures) else 1


def measure(database: str) -> list[Figure]:
    """The tag filter's figures on one database."""
    figures = []
    engine, services, actor = open_services(database)
    from privacycrm_desktop.domain.errors import NotFound
    from privacycrm_desktop.services.dto import ContactSort

    contacts, tags = services.contacts, services.tags
    population = contacts.count(actor)
    # As in the app: the whole list is on screen before a tag is chosen (not timed).
    contacts.page(actor, limit=PAGE, total=population)
    print(f"contacts: {population:,}")
    worst_window = worst_first = worst_keyed = 0.0
    for size in SIZES:
        name = f"bench-{size}"
        try:
            tag_id = tags.find(actor, name).id
        except NotFound:
            tag_id = tags.create(actor, name)
            step = max(1, population // size)
            every_nth = (f"SELECT id FROM contact WHERE id % {step} = 0 LIMIT {size}", {})
            ms, added = timed_ms(lambda t=tag_id, s=every_nth: tags.assign_matching(actor, t, s))
            print(f"{name}: tagged {added:,} contacts in one statement in {ms:.0f} ms")
        collect_between_reads()  # untimed, as the app's collector between reads
        count_ms, total = timed_ms(lambda t=tag_id: contacts.count(actor, tag=t))
        assert isinstance(total, int)
        first_ms, _rows = timed_ms(
            lambda t=tag_id, n=total: contacts.page(actor, tag=t, limit=PAGE, total=n)
        )
        first = count_ms + first_ms
        worst_first = max(worst_first, first)
        print(f"{name}: {total:,} tagged; count {count_ms:.1f} ms, first page {first_ms:.1f} ms")
        last = max(0, total - PAGE)
        rng = random.Random(size)
        jumps = [0, total // 2, last] + [rng.randrange(0, last + 1) for _ in range(20)]
        windows = [count_ms]
        for sort in (ContactSort.NAME, ContactSort.CITY):
            jump_ms = []
            for offset in jumps:
                ms, rows = timed_ms(
                    lambda o=offset, s=sort, t=tag_id, n=total: contacts.page(
                        actor, sort=s, offset=o, limit=PAGE, total=n, tag=t
                    )
                )
                assert isinstance(rows, list)
                assert len(rows) == min(PAGE, total - offset)
                jump_ms.append(ms)
            print(
                f"  jump ({sort.value}): offset 0 {jump_ms[0]:.1f} ms, middle {jump_ms[1]:.1f} "
                f"ms, last {jump_ms[2]:.1f} ms; 20 random: median {median(jump_ms[3:]):.1f} "
                f"ms, max {max(jump_ms[3:]):.1f} ms"
            )
            windows += jump_ms
        for sort in (ContactSort.NAME, ContactSort.CITY):
            # As the table model does after its first window away from the top: the tag's
            # bookmarks read once (off the UI thread), then every window by key.
            marks_ms, marks = timed_ms(lambda s=sort, t=tag_id: contacts.bookmarks(actor, s, tag=t))
            key_ms = []
            for offset in jumps:
                ms, rows = timed_ms(
                    lambda o=offset, s=sort, t=tag_id, n=total, m=marks: contacts.page(
                        actor, sort=s, offset=o, limit=PAGE, total=n, tag=t, bookmarks=m
                    )
                )
                assert isinstance(rows, list)
                assert len(rows) == min(PAGE, total - offset)
                key_ms.append(ms)
            print(
                f"  by key ({sort.value}): bookmarks {marks_ms:.0f} ms once; offset 0 "
                f"{key_ms[0]:.1f} ms, middle {key_ms[1]:.1f} ms, last {key_ms[2]:.1f} ms; "
                f"20 random: median {median(key_ms[3:]):.1f} ms, max {max(key_ms[3:]):.1f} ms"
            )
            worst_keyed = max(worst_keyed, *key_ms)
        scroll_ms = []
        for page in range(20):
            offset = min(page * PAGE, last)
            ms, _rows = timed_ms(
                lambda o=offset, t=tag_id, n=total: contacts.page(
                    actor, offset=o, limit=PAGE, total=n, tag=t
                )
            )
            scroll_ms.append(ms)
        print(f"  scroll 20 pages: median {median(scroll_ms):.1f} ms, max {max(scroll_ms):.1f} ms")
        windows += scroll_ms
        worst = max(windows)
        worst_window = max(worst_window, worst)
        figures.append(Figure(f"tag filter {size:,} (max window)", worst, "ms", WINDOW_TARGET_MS))
    engine.dispose()
    return [
        *figures,
        Figure("tag filter count + first page (max)", worst_first, "ms", FIRST_TARGET_MS),
        Figure("tag filter window (max)", worst_window, "ms", WINDOW_TARGET_MS),
        Figure("tag filter window by key (max)", worst_keyed, "ms", FRAME_MS),
    ]


if __name__ == "__main__":
    raise SystemExit(main())
