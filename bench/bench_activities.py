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
        [--engine E] [--pg-url URL]

On PostgreSQL the interactions go, once, into a copy of the cached server database
(``CREATE DATABASE pcrm_bench_activities_<n>_<i>_<o> TEMPLATE pcrm_bench_<n>``, the same
rows written with one ``COPY``; kept like ``pcrm_bench_<n>``, drop it to rebuild); then
the same calls, each figure printed with its PostgreSQL / SQLite ratio.
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
    Figure,
    checkpoint,
    count_argument,
    engine_arguments,
    engines,
    ensure_database,
    load_average,
    median,
    open_services,
    pg_admin,
    pg_admin_execute,
    pg_copy_database,
    pg_database_ready,
    report,
    timed_ms,
)

WINDOW_TARGET_MS = 50.0
CARD_TARGET_MS = 100.0
KINDS = ("call", "meeting", "email", "letter", "note")  # "visit": the rare kind, below


def _rows(contact: int, n: int, rng: random.Random) -> list[tuple[object, ...]]:
    """*n* interactions of *contact* over six years from 2020 (one in 100 a visit)."""
    start = dt.datetime(2020, 1, 1, 8, 0)
    spread = 6 * 365 * 24 * 60
    made = []
    for i in range(n):
        at = start + dt.timedelta(minutes=rng.randrange(spread))
        kind = "visit" if i % 100 == 0 else KINDS[i % len(KINDS)]
        made.append((contact, kind, at, f"Interaction {i} with {contact}", "Details " * 8, at))
    return made


def _planned(
    ids: list[int], interactions: int, others: int
) -> tuple[int, list[tuple[object, ...]]]:
    """The busy contact (the middle one) and every interaction row to write."""
    busy = ids[len(ids) // 2]
    rng = random.Random(22)
    rows = _rows(busy, interactions, rng)
    per = max(1, others // max(1, len(ids) - 1))
    batch: list[tuple[object, ...]] = []
    for contact in ids:
        if contact != busy and len(batch) < others:
            batch += _rows(contact, per, rng)
    return busy, rows + batch[:others]


def _prepare_pg(source: str, interactions: int, others: int) -> tuple[str, int]:
    """The server's counterpart of ``_prepare``: a copy of *source* with the same rows
    written once with one COPY (cached as ``pcrm_bench_activities_...``); the busy contact."""
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from privacycrm_desktop.persistence.bulk_writes import copy_rows

    name = f"pcrm_bench_activities_{make_url(source).database}_{interactions}_{others}"
    name = name.replace("pcrm_bench_activities_pcrm_bench_", "pcrm_bench_activities_")
    admin = pg_admin(make_url(source).set(database="postgres").render_as_string(False))
    if not pg_database_ready(admin, name):
        print(f"writing {interactions:,} + {others:,} interactions into {name} (once)...")
        url = pg_copy_database(source, name)
        engine, _services, _actor = open_services(url)
        with engine.begin() as conn:
            ids = list(conn.execute(text("SELECT id FROM contact ORDER BY id")).scalars())
            busy, rows = _planned(ids, interactions, others)
            columns = ("contact_id", "kind", "occurred_at", "summary", "details",
                       "attachment_name", "recorded_at")  # fmt: skip
            copy_rows(
                conn,
                "activity",
                columns,
                [dict(zip(columns, (*row[:5], "", row[5]), strict=True)) for row in rows],
            )
            conn.execute(text("DELETE FROM setting WHERE key = 'bench.busy'"))
            conn.execute(
                text("INSERT INTO setting (key, value) VALUES ('bench.busy', :b)"), {"b": str(busy)}
            )
        engine.dispose()
        pg_admin_execute(url, "VACUUM ANALYZE")
        pg_admin_execute(admin, f"COMMENT ON DATABASE {name} IS 'privacycrm bench: complete'")
    url = make_url(source).set(database=name).render_as_string(hide_password=False)
    import psycopg

    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT value FROM setting WHERE key = 'bench.busy'").fetchone()
    assert row is not None
    return url, int(row[0])


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
            busy, rows = _planned(ids, interactions, others)
            insert = (
                "INSERT INTO activity (contact_id, kind, occurred_at, summary, details, "
                "attachment_name, recorded_at) VALUES (?, ?, ?, ?, ?, '', ?)"
            )
            # The dates as text, as SQLAlchemy's SQLite DateTime stores them.
            conn.executemany(
                insert,
                [(c, k, at.isoformat(sep=" "), m, d, rec.isoformat(sep=" "))  # type: ignore[attr-defined]
                 for c, k, at, m, d, rec in rows],
            )  # fmt: skip
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
    engine_arguments(parser)
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    print(f"load average before: {load_average()}")
    figures = {}
    for name in engines(args):
        print(f"--- {name} ---", flush=True)
        source = ensure_database(args.count, name, args.pg_url)
        if name == "pg":
            database, busy = _prepare_pg(source, args.interactions, args.others)
        else:
            path, busy = _prepare(Path(source), args.interactions, args.others)
            database = str(path)
        figures[name] = measure(database, busy, args)
    print(f"load average after: {load_average()}")
    return 0 if report(figures) else 1


def measure(database: str, busy: int, args: argparse.Namespace) -> list[Figure]:
    """The card and timeline figures on one database holding the interactions."""
    engine, services, actor = open_services(database)
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
    worst_window = max([*page_ms, *scroll, *rare])
    return [
        Figure(
            f"timeline window, {total:,} interactions (max)", worst_window, "ms", WINDOW_TARGET_MS
        ),
        Figure("card + first timeline page + count (max)", max(card_ms), "ms", WINDOW_TARGET_MS),
        Figure("card + first timeline page + count (median)", median(card_ms), "ms", None),
        Figure("card widget with timeline, painted (max)", max(widget_ms), "ms", CARD_TARGET_MS),
        Figure("logging one interaction", add_ms, "ms", None),
    ]


if __name__ == "__main__":
    raise SystemExit(main())
