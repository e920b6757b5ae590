"""A person with 10,000 interactions: the card and the first page of the timeline.

On a copy of the cached demo database (``common.ensure_database``; default 100,000
contacts, ``--count 1000000`` for the million) that gets, once, ``--interactions`` logged
interactions on one contact and ``--others`` on other contacts (spread over them), written
with Core executemany as a bulk load would. Then, through the services as the card does:
``ContactService.card`` + ``ActivityService.timeline`` (first page) + ``count``, 20 times;
the first page filtered by the rarest kind; 20 pages scrolled by cursor from the top and
from the middle; logging one more interaction (with its keep-until recompute); and, in
the real widget (Qt offscreen), ``ContactCardWidget.show_contact`` with its timeline.

Target: the list's windows (``bench_list.py``): every window, and the card's data with
the first page, <= 50 ms; the card widget painted with its timeline as the card itself
(``bench_select_all.py``): <= 100 ms.

    .venv/bin/python bench/bench_activities.py [--count N] [--interactions 10000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from common import (
    OUT,
    checkpoint,
    count_argument,
    ensure_sqlite_database,
    median,
    open_services,
    result_line,
    timed_ms,
)

WINDOW_TARGET_MS = 50.0
CARD_TARGET_MS = 100.0
KINDS = ("call", "meeting", "email", "letter", "note")  # "visit": the rare kind, below


def _prepare(source: Path, interactions: int, others: int) -> tuple[Path, int]:
    """A copy of *source* with the interactions written once (cached); the busy contact."""
    target = OUT / f"bench-activities-{source.stem}-{interactions}-{others}.db"
    from privacycrm_desktop.persistence.sqlite_driver import sqlite3

    if not target.exists():
        print(f"writing {interactions:,} + {others:,} interactions into a copy (once)...")
        partial = target.with_suffix(".building")
        shutil.copyfile(source, partial)
        engine, _services, _actor = open_services(partial)  # migrates to 0016
        engine.dispose()
        with sqlite3.connect(partial) as conn:
            ids = [row[0] for row in conn.execute("SELECT id FROM contact ORDER BY id")]
            busy = ids[len(ids) // 2]
            start = dt.datetime(2020, 1, 1, 8, 0)
            rng = random.Random(22)

            def rows(contact: int, n: int, spread: int) -> list[tuple[object, ...]]:
                made = []
                for i in range(n):
                    at = start + dt.timedelta(minutes=rng.randrange(spread))
                    kind = "visit" if i % 100 == 0 else KINDS[i % len(KINDS)]
                    made.append(
                        (contact, kind, at.isoformat(sep=" "), f"Interaction {i} with {contact}",
                         "Details " * 8, at.isoformat(sep=" "))
                    )  # fmt: skip
                return made

            insert = (
                "INSERT INTO activity (contact_id, kind, occurred_at, summary, details, "
                "attachment_name, recorded_at) VALUES (?, ?, ?, ?, ?, '', ?)"
            )
            conn.executemany(insert, rows(busy, interactions, 6 * 365 * 24 * 60))
            per = max(1, others // max(1, len(ids) - 1))
            batch: list[tuple[object, ...]] = []
            for contact in ids:
                if contact != busy and len(batch) < others:
                    batch += rows(contact, per, 6 * 365 * 24 * 60)
            conn.executemany(insert, batch[:others])
            conn.execute(
                "INSERT OR REPLACE INTO setting (key, value) VALUES ('bench.busy', ?)", (busy,)
            )
        checkpoint(partial)
        partial.rename(target)
    with sqlite3.connect(target) as conn:
        busy = int(conn.execute("SELECT value FROM setting WHERE key = 'bench.busy'").fetchone()[0])
    return target, busy


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    count_argument(parser, default=100_000)
    parser.add_argument("--interactions", type=int, default=10_000)
    parser.add_argument("--others", type=int, default=200_000)
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    print(f"load average before: {os.getloadavg()}")
    path, busy = _prepare(ensure_sqlite_database(args.count), args.interactions, args.others)
    engine, services, actor = open_services(path)
    from privacycrm_desktop.domain.activities import ActivityInput, ActivityKind

    activities, contacts = services.activities, services.contacts
    total = activities.count(actor, busy)
    print(f"contact {busy}: {total:,} interactions")
    assert total == args.interactions

    def page(**options: object) -> list[object]:
        # As the card's list reads them: no details (the chosen one's come with ``one``).
        return list(activities.timeline(actor, busy, with_details=False, **options))

    def open_card() -> object:
        card = contacts.card(actor, busy)
        first = page()
        activities.count(actor, busy)
        return card, first

    open_card()  # warm-up, as the app has read the list first
    card_ms = [timed_ms(open_card)[0] for _ in range(20)]
    alone_ms = [timed_ms(lambda: contacts.card(actor, busy))[0] for _ in range(20)]
    page_ms = [timed_ms(page)[0] for _ in range(20)]
    print(
        f"card + first page + count: median {median(card_ms):.1f} ms, max {max(card_ms):.1f} ms;"
        f" the card's data alone (before issue 22): median {median(alone_ms):.1f} ms, "
        f"max {max(alone_ms):.1f} ms; first page alone: median {median(page_ms):.1f} ms, "
        f"max {max(page_ms):.1f} ms"
    )
    audited = [timed_ms(lambda: activities.timeline(actor, busy))[0] for _ in range(5)]
    chosen = page()[0]
    one_ms = [timed_ms(lambda: activities.one(actor, chosen.id))[0] for _ in range(5)]
    print(
        f"with details (CLI, report; their reading audited, a write): median "
        f"{median(audited):.1f} ms; one interaction in full: median {median(one_ms):.1f} ms"
    )
    rare = [timed_ms(lambda: page(kinds={ActivityKind.VISIT}))[0] for _ in range(5)]
    print(f"first page of the rarest kind (1 %): max {max(rare):.1f} ms")
    scroll: list[float] = []
    for start_at in (None, "middle"):
        after = None
        if start_at == "middle":
            middle = activities.timeline(actor, busy, limit=total // 2)
            after = middle[-1].cursor
        for _ in range(20):
            ms, rows = timed_ms(lambda a=after: page(after=a))
            assert isinstance(rows, list)
            assert rows
            after = rows[-1].cursor
            scroll.append(ms)
    print(f"40 pages scrolled by cursor: median {median(scroll):.1f} ms, max {max(scroll):.1f} ms")
    add_ms, new_id = timed_ms(
        lambda: activities.add(actor, busy, ActivityInput(ActivityKind.CALL, "Bench call"))
    )
    print(f"logging one interaction (audit and keep-until included): {add_ms:.1f} ms")
    assert isinstance(new_id, int)
    activities.delete(actor, new_id)  # the cached database stays as built

    from PySide6.QtWidgets import QApplication

    from privacycrm_desktop.ui.contacts.contact_card import ContactCardWidget

    app = QApplication.instance() or QApplication([])
    widget = ContactCardWidget(contacts, actor, activities=activities)
    widget.resize(500, 700)
    widget.show()
    app.processEvents()
    widget.show_contact(busy)  # warm-up: the first layout and fonts, once per process
    app.processEvents()
    widget_ms = []
    for _ in range(10):
        widget.show_contact(None)
        app.processEvents()
        started = time.perf_counter()
        widget.show_contact(busy)
        app.processEvents()  # painted
        widget_ms.append((time.perf_counter() - started) * 1000)
    assert widget.timeline is not None
    assert widget.timeline.model.rowCount() > 0
    print(f"card widget with its timeline, painted: median {median(widget_ms):.1f} ms, "
          f"max {max(widget_ms):.1f} ms")  # fmt: skip
    widget.close()
    engine.dispose()
    print(f"load average after: {os.getloadavg()}")
    worst_window = max([*page_ms, *scroll, *rare])
    print(
        result_line(
            f"timeline window, {total:,} interactions (max)",
            f"{worst_window:.1f} ms",
            f"<= {WINDOW_TARGET_MS:.0f} ms",
            worst_window <= WINDOW_TARGET_MS,
        )
    )
    worst_card = max(card_ms)
    print(
        result_line(
            "card + first timeline page + count (max)",
            f"{worst_card:.1f} ms",
            f"<= {WINDOW_TARGET_MS:.0f} ms",
            worst_card <= WINDOW_TARGET_MS,
        )
    )
    worst_widget = max(widget_ms)
    print(
        result_line(
            "card widget with timeline, painted (max)",
            f"{worst_widget:.1f} ms",
            f"<= {CARD_TARGET_MS:.0f} ms",
            worst_widget <= CARD_TARGET_MS,
        )
    )
    passed = max(worst_window, worst_card) <= WINDOW_TARGET_MS and worst_widget <= CARD_TARGET_MS
    return 0 if passed else 1


if __name__ == "__main__":
    raise SystemExit(main())
