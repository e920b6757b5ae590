"""Run every benchmark in order and print a summary table (``make bench``).

Each benchmark prints its own figures and ``RESULT`` lines; this collects the latter into
one table with a column per engine and the PostgreSQL / SQLite ratio.

    .venv/bin/python bench/run_all.py [--count N] [--engine sqlite|pg|both] [--pg-url URL]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent
BENCHES = (
    "bench_bulk.py",
    "bench_list.py",
    "bench_select_all.py",
    "bench_export.py",
    "bench_search.py",
    "bench_marketing.py",
    "bench_tags.py",
    "bench_duplicates.py",
    "bench_my_day.py",
    "bench_startup.py",
    "bench_cleanup.py",
    "bench_import.py",
    "bench_companies_migration.py",
)


#: Benchmarks that choose their own size.
OWN_SIZE = ("bench_access_report.py", "bench_import.py", "bench_companies_migration.py")
#: Benchmarks of SQLite itself (raw sqlite3 against Core, an Alembic upgrade of a cached
#: file): they take no ``--engine``.
SQLITE_ONLY = ("bench_bulk.py", "bench_companies_migration.py", "bench_export.py")
HEADER = ["benchmark", "SQLite", "PostgreSQL", "PG/SQLite", "target", "status"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1_000_000, help="contacts in the database")
    parser.add_argument("--bulk-rows", type=int, default=200_000)
    parser.add_argument("--engine", choices=("sqlite", "pg", "both"), default=None)
    parser.add_argument("--pg-url", default=None)
    args = parser.parse_args()
    results: list[list[str]] = []
    failed = []
    for bench in BENCHES:
        extra = (
            ["--rows", str(args.bulk_rows)]
            if bench == "bench_bulk.py"
            else []
            # The import makes its own file; the upgrade to companies is of 100,000 contacts.
            # The marketing list is of 50,000 people.
            if bench in OWN_SIZE
            else ["--count", str(args.count)]
        )
        if bench == "bench_marketing.py":
            extra += ["--people", "50000"]  # a list of 50,000 on the shared database
        if bench not in SQLITE_ONLY:
            extra += ["--engine", args.engine] if args.engine else []
            extra += ["--pg-url", args.pg_url] if args.pg_url else []
        print(f"\n=== {bench} ===", flush=True)
        process = subprocess.Popen(
            [sys.executable, str(HERE / bench), *extra], stdout=subprocess.PIPE, text=True
        )
        assert process.stdout is not None
        for line in process.stdout:
            print(line, end="", flush=True)
            if line.startswith("RESULT\t"):
                results.append(line.rstrip("\n").split("\t")[1:])
        if process.wait() != 0:
            failed.append(bench)
    rows = [HEADER, *results]
    widths = [max(len(r[i]) for r in rows) for i in range(len(HEADER))]
    print("\n=== summary ===")
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
    if failed:
        print("benchmarks that did not finish: " + ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
