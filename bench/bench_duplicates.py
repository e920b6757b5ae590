"""The duplicate finder over the whole database (issue 21): the default rules on the cached
demo database (bench/out/bench-<n>.db, built with the CLI ``init`` and ``demo``), through
the services as the review window calls them, with a progress hook; then how fast a
cancel stops it (the hook raising, as the window's Cancel does, a second into the run).

    .venv/bin/python bench/bench_duplicates.py [--count 1000000] [--engine E] [--pg-url URL]

On PostgreSQL the same finder runs on the cached server database (``pcrm_bench_<n>``,
read only); each figure is printed with its PostgreSQL / SQLite ratio.

Target: under 30 s for 1,000,000 contacts; a cancel stops it within a second.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from common import (
    Figure,
    count_argument,
    engine_arguments,
    engines,
    ensure_database,
    load_average,
    open_services,
    report,
)

TARGET_S = 30.0
CANCEL_TARGET_S = 1.0


class Stop(Exception):
    """The bench's cancel."""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    count_argument(parser)
    engine_arguments(parser)
    args = parser.parse_args()
    print(f"load average before: {load_average()}")
    figures = {}
    for name in engines(args):
        print(f"--- {name} ---", flush=True)
        figures[name] = measure(ensure_database(args.count, name, args.pg_url), args)
    print(f"load average after: {load_average()}")
    return 0 if report(figures) else 1


def measure(database: str, args: argparse.Namespace) -> list[Figure]:
    """The finder's run and its cancel on one database (read only)."""
    engine, services, actor = open_services(database)
    steps: list[tuple[float, int, int]] = []
    started = time.perf_counter()

    def progress(done: int, total: int) -> None:
        if not steps or steps[-1][1:] != (done, total):
            steps.append((time.perf_counter() - started, done, total))

    groups = services.duplicates.find(actor, progress=progress)
    elapsed = time.perf_counter() - started
    sizes = [len(g.contact_ids) for g in groups]
    found = f"{len(groups):,} groups ({sum(sizes):,} contacts)"
    print(f"{args.count:,} contacts: {found} in {elapsed:.1f} s")
    previous = 0.0
    for at, done, total in steps:
        print(f"  step {done}/{total} at {at:.1f} s (+{at - previous:.1f} s)")
        previous = at
    by_rule: dict[str, int] = {}
    for g in groups:
        for r in g.rules:
            by_rule[r.value] = by_rule.get(r.value, 0) + 1
    print(f"  groups per rule: {by_rule}")

    cancel_at = threading.Event()
    threading.Timer(1.0, cancel_at.set).start()
    stopped_after = 0.0

    def cancel(_done: int, _total: int) -> None:
        if cancel_at.is_set():
            raise Stop

    started = time.perf_counter()
    try:
        services.duplicates.find(actor, progress=cancel)
    except Stop:
        stopped_after = time.perf_counter() - started - 1.0
    else:
        stopped_after = -1.0
    if stopped_after < 0:
        print("cancel one second in: the search had ended before (a small database)")
    else:
        print(f"cancel one second in: stopped {stopped_after:.2f} s after the cancel")
    engine.dispose()
    figures = [Figure("duplicates find (default rules)", elapsed, "s", TARGET_S, 2)]
    if stopped_after >= 0:  # a run shorter than a second has nothing to cancel
        figures.append(Figure("duplicates cancel", stopped_after, "s", CANCEL_TARGET_S, 2))
    return figures


if __name__ == "__main__":
    raise SystemExit(main())
