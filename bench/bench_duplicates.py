"""The duplicate finder over the whole database (issue 21): the default rules on the cached
demo database (bench/out/bench-<n>.db, built with the CLI ``init`` and ``demo``), through
the services as the review window calls them, with a progress hook; then how fast a
cancel stops it (the hook raising, as the window's Cancel does, a second into the run).

    .venv/bin/python bench/bench_duplicates.py [--count 1000000]

Target: under 30 s for 1,000,000 contacts; a cancel stops it within a second.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from common import count_argument, ensure_sqlite_database, open_services, result_line

TARGET_S = 30.0
CANCEL_TARGET_S = 1.0


class Stop(Exception):
    """The bench's cancel."""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    count_argument(parser)
    args = parser.parse_args()
    path = ensure_sqlite_database(args.count)
    _engine, services, actor = open_services(path)
    print(f"load average before: {os.getloadavg()}")
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
    print(f"load average after: {os.getloadavg()}")
    ok = elapsed < TARGET_S
    print(result_line("duplicates find (default rules)", f"{elapsed:.1f} s", "< 30 s", ok))
    cancel_ok = None if stopped_after < 0 else stopped_after <= CANCEL_TARGET_S
    print(result_line("duplicates cancel", f"{stopped_after:.2f} s", "<= 1 s", cancel_ok))
    return 0 if ok and cancel_ok is not False else 1


if __name__ == "__main__":
    raise SystemExit(main())
