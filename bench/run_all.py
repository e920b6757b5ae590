"""Run every benchmark in order and print a summary table (``make bench``).

Each benchmark prints its own figures and ``RESULT`` lines; this collects the latter into
one table with a column per engine and the PostgreSQL / SQLite ratio.

    .venv/bin/python bench/run_all.py [--count N] [--engine sqlite|pg|both] [--pg-url URL]
        [--only bench_a.py,bench_b.py]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

from common import load_average  # noqa: E402

BENCHES = (
    "bench_bulk.py",
    "bench_list.py",
    "bench_select_all.py",
    "bench_export.py",
    "bench_search.py",
    "bench_marketing.py",
    "bench_tags.py",
    "bench_duplicates.py",
    "bench_activities.py",
    "bench_my_day.py",
    "bench_startup.py",
    "bench_cleanup.py",
    "bench_access_report.py",
    "bench_import.py",
    "bench_companies_migration.py",
    "bench_soak.py",
)


#: Benchmarks that choose their own size.
OWN_SIZE = (
    "bench_access_report.py",
    "bench_activities.py",
    "bench_import.py",
    "bench_companies_migration.py",
    "bench_soak.py",
)
HEADER = ["benchmark", "SQLite", "PostgreSQL", "PG/SQLite", "target", "status"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1_000_000, help="contacts in the database")
    parser.add_argument("--bulk-rows", type=int, default=200_000)
    parser.add_argument("--engine", choices=("sqlite", "pg", "both"), default=None)
    parser.add_argument("--pg-url", default=None)
    parser.add_argument(
        "--only",
        default=None,
        help="comma-separated scripts to run (e.g. bench_my_day.py,bench_soak.py); default all",
    )
    args = parser.parse_args()
    chosen = BENCHES if args.only is None else tuple(args.only.split(","))
    unknown = [bench for bench in chosen if bench not in BENCHES]
    if unknown:
        parser.error(f"unknown benchmarks: {', '.join(unknown)}")
    started_load = load_average()
    print(f"load average at the start: {started_load}", flush=True)
    results: list[list[str]] = []
    failed = []
    for bench in chosen:
        extra = (
            ["--rows", str(args.bulk_rows)]
            if bench == "bench_bulk.py"
            else []
            # The import makes its own file; the upgrade to companies is of 100,000 contacts;
            # the timeline of 100,000; the access report and the soak build their own.
            if bench in OWN_SIZE
            else ["--count", str(args.count)]
        )
        extra += ["--engine", args.engine] if args.engine else []
        extra += ["--pg-url", args.pg_url] if args.pg_url else []
        if bench == "bench_marketing.py":
            extra += ["--people", "50000"]  # a list of 50,000 on the shared database
        print(f"\n=== {bench} ===", flush=True)
        process = subprocess.Popen(
            [sys.executable, str(HERE / bench), *extra], stdout=subprocess.PIPE, text=True
        )
        assert process.stdout is not None
        for line in process.stdout:
            print(line, end="", flush=True)
            if line.startswith("RESULT\t"):
                results.append([bench.removesuffix(".py"), *line.rstrip("\n").split("\t")[1:]])
        if process.wait() != 0:
            failed.append(bench)
    rows = [["script", *HEADER], *results]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    print("\n=== summary ===")
    print(f"load average at the start: {started_load}; at the end: {load_average()}")
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
    if failed:
        print("benchmarks that missed a target or did not finish: " + ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
