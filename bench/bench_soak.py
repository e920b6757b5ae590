"""Search-index soak and the cost of one erasure (issue 17).

1. The soak, full size: ``--actions`` (20,000) mixed actions through the services on one
   fresh database, ``--erasures`` (2,000) of them erasures, with FTS5's integrity-check
   after every erasure (bench/soak.py); prints the median time of each kind of action.
   Target: no problem at all.
2. One erasure on a database of ``--count`` (10,000) demo contacts, ``--sample`` (100)
   times each way: as now (FTS5 secure-delete, WAL checkpoint) and as before issue 17
   (secure-delete off, the whole index rewritten by ``optimize`` after each erasure, then
   the checkpoint). Target: now <= before.

    .venv/bin/python bench/bench_soak.py [--actions 20000] [--erasures 2000]
                                         [--count 10000] [--sample 100]
                                         [--engine E] [--pg-url URL]

On PostgreSQL the same steps run on fresh server databases (``pcrm_bench_soak`` and
``pcrm_bench_soak_erase``, initialised with the CLI, dropped at the end with their roles).
The server's search index is a plain table (no FTS5): one erasure is measured as now only
(the ``optimize`` of before is SQLite's), and the check after each erasure is that the
contact's row left ``contact_fts`` (the server checks its own storage). Each figure is
printed with its PostgreSQL / SQLite ratio.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from common import (
    OWNER,
    PASSWORD,
    Figure,
    engine_arguments,
    engines,
    init_database,
    load_average,
    pg_admin,
    pg_drop_database,
    pg_fresh_database,
    report,
    result_line,
)
from soak import run_soak


def _services(path: str):  # type: ignore[no-untyped-def]
    from privacycrm_desktop.persistence.database import create_engine_for
    from privacycrm_desktop.persistence.migrate import migrate
    from privacycrm_desktop.services.registry import Services

    engine = create_engine_for(path)
    migrate(engine)
    services = Services.build(engine)
    return services, services.auth.login(OWNER, PASSWORD)


def _database(engine: str, folder: Path, name: str, pg_url: str | None) -> str:
    """A fresh initialised database: a file in *folder* or a server database *name*."""
    if engine == "pg":
        database = pg_fresh_database(pg_admin(pg_url), f"pcrm_bench_{name}")
    else:
        database = str(folder / f"{name}.db")
    init_database(database if engine == "pg" else Path(database))
    return database


def soak(database: str, actions: int, erasures: int) -> tuple[list[Figure], list[str]]:
    """The soak's medians per kind of action, and its problems (must be none)."""
    services, actor = _services(database)
    started = time.perf_counter()
    result = run_soak(services, actor, actions=actions, erasures=erasures, progress=True)
    elapsed = time.perf_counter() - started
    services.uow.engine.dispose()
    print(
        f"soak: {result.actions:,} actions, {result.erasures:,} erasures, "
        f"{result.index_checks:,} index checks in {elapsed:.0f} s"
    )
    figures = []
    for kind in ("create", "edit", "consent", "search", "page", "erase", "index check"):
        print(f"  {kind:<12} median {result.median_ms(kind):7.1f} ms")
        figures.append(Figure(f"soak: {kind} median", result.median_ms(kind), "ms", None))
    for problem in result.problems[:5]:
        print(f"  PROBLEM: {problem}")
    problems = list(result.problems)
    if result.erasures != erasures:
        problems.append(f"{result.erasures} erasures of {erasures}")
    return figures, problems


def erasure_cost(database: str, count: int, sample: int) -> list[Figure]:
    from sqlalchemy import text

    from privacycrm_desktop.domain.erasure import ErasureReason
    from privacycrm_desktop.persistence import search

    services, actor = _services(database)
    services.demo.generate(actor, count, seed=1)
    ids = [row.id for row in services.contacts.page(actor, limit=2 * sample)]
    engine = services.uow.engine
    sqlite = engine.dialect.name == "sqlite"

    def erase_all(chosen: list[int], *, rewrite: bool) -> list[float]:
        times = []
        for cid in chosen:
            started = time.perf_counter()
            services.erasure.erase(actor, cid, ErasureReason.ERASURE_REQUEST)
            if rewrite:  # what finish_erasure did before issue 17
                with services.uow(write=True) as work:
                    work.session.execute(
                        text(
                            f"INSERT INTO {search.FTS_TABLE}({search.FTS_TABLE}) "
                            "VALUES ('optimize')"
                        )
                    )
            times.append((time.perf_counter() - started) * 1000)
        return times

    now_ms = statistics.median(erase_all(ids[:sample], rewrite=False))
    figures = [Figure("one erasure (now)", now_ms, "ms", None)]
    if sqlite:  # FTS5's secure-delete against the optimize of before: SQLite's own
        with engine.begin() as conn:
            conn.exec_driver_sql(
                "INSERT INTO contact_fts(contact_fts, rank) VALUES ('secure-delete', 0)"
            )
        before_ms = statistics.median(erase_all(ids[sample : 2 * sample], rewrite=True))
        print(
            f"one erasure on {count:,} contacts (median of {sample}): "
            f"secure-delete {now_ms:.1f} ms, optimize after each {before_ms:.1f} ms"
        )
        figures.append(Figure("one erasure, optimize after each (before)", before_ms, "ms", None))
        ok = now_ms <= before_ms
        print(
            result_line(
                "erasure, secure-delete <= optimize",
                f"{now_ms:.1f} <= {before_ms:.1f} ms",
                "<= optimize",
                ok,
            )
        )
    else:
        print(f"one erasure on {count:,} contacts (median of {sample}): {now_ms:.1f} ms")
    engine.dispose()
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--actions", type=int, default=20_000)
    parser.add_argument("--erasures", type=int, default=2_000)
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--sample", type=int, default=100)
    parser.add_argument("--skip-soak", action="store_true", help="only the erasure cost")
    engine_arguments(parser)
    args = parser.parse_args()
    print(f"load average before: {load_average()}")
    figures: dict[str, list[Figure]] = {}
    problems: dict[str, list[str]] = {}
    for name in engines(args):
        print(f"--- {name} ---", flush=True)
        with tempfile.TemporaryDirectory(prefix="bench-soak-") as tmp:
            folder = Path(tmp)
            database = _database(name, folder, f"soak_erase_{args.count}", args.pg_url)
            try:
                figures[name] = erasure_cost(database, args.count, args.sample)
            finally:
                if name == "pg":
                    pg_drop_database(database)
            if not args.skip_soak:
                database = _database(name, folder, "soak", args.pg_url)
                try:
                    measured, problems[name] = soak(database, args.actions, args.erasures)
                finally:
                    if name == "pg":
                        pg_drop_database(database)
                figures[name] += measured
    print(f"load average after: {load_average()}")
    ok = report(figures)
    if problems:
        counts = {name: str(len(found)) for name, found in problems.items()}
        clean = not any(problems.values())
        print(
            result_line(
                "soak problems",
                counts.get("sqlite", "-"),
                "0",
                clean,
                pg=counts.get("pg", "-"),
            )
        )
        ok = ok and clean
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
