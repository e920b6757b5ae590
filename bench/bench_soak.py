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
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from common import OWNER, PASSWORD, init_database, result_line
from soak import run_soak


def _services(path: Path):  # type: ignore[no-untyped-def]
    from privacycrm_desktop.persistence.database import create_engine_for
    from privacycrm_desktop.persistence.migrate import migrate
    from privacycrm_desktop.services.registry import Services

    engine = create_engine_for(path)
    migrate(engine)
    services = Services.build(engine)
    return services, services.auth.login(OWNER, PASSWORD)


def soak(folder: Path, actions: int, erasures: int) -> bool:
    path = folder / "soak.db"
    init_database(path)
    services, actor = _services(path)
    started = time.perf_counter()
    result = run_soak(services, actor, actions=actions, erasures=erasures, progress=True)
    elapsed = time.perf_counter() - started
    services.uow.engine.dispose()
    print(
        f"soak: {result.actions:,} actions, {result.erasures:,} erasures, "
        f"{result.index_checks:,} index checks in {elapsed:.0f} s"
    )
    for kind in ("create", "edit", "consent", "search", "page", "erase", "index check"):
        print(f"  {kind:<12} median {result.median_ms(kind):7.1f} ms")
    for problem in result.problems[:5]:
        print(f"  PROBLEM: {problem}")
    ok = not result.problems and result.erasures == erasures
    print(result_line("soak problems", str(len(result.problems)), "0", ok))
    return ok


def erasure_cost(folder: Path, count: int, sample: int) -> bool:
    from sqlalchemy import text

    from privacycrm_desktop.domain.erasure import ErasureReason
    from privacycrm_desktop.persistence import search

    path = folder / f"erase-{count}.db"
    init_database(path)
    services, actor = _services(path)
    services.demo.generate(actor, count, seed=1)
    ids = [row.id for row in services.contacts.page(actor, limit=2 * sample)]
    engine = services.uow.engine

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

    now = erase_all(ids[:sample], rewrite=False)
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO contact_fts(contact_fts, rank) VALUES ('secure-delete', 0)"
        )
    before = erase_all(ids[sample : 2 * sample], rewrite=True)
    engine.dispose()
    now_ms, before_ms = statistics.median(now), statistics.median(before)
    print(
        f"one erasure on {count:,} contacts (median of {sample}): "
        f"secure-delete {now_ms:.1f} ms, optimize after each {before_ms:.1f} ms"
    )
    ok = now_ms <= before_ms
    print(result_line("erasure, secure-delete", f"{now_ms:.1f} ms", "<= optimize", ok))
    print(result_line("erasure, optimize (before)", f"{before_ms:.1f} ms", "-", None))
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--actions", type=int, default=20_000)
    parser.add_argument("--erasures", type=int, default=2_000)
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--sample", type=int, default=100)
    parser.add_argument("--skip-soak", action="store_true", help="only the erasure cost")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-soak-") as tmp:
        folder = Path(tmp)
        ok = erasure_cost(folder, args.count, args.sample)
        if not args.skip_soak:
            ok = soak(folder, args.actions, args.erasures) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
