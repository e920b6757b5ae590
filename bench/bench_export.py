"""Select all and export (issue 23): the whole list to CSV without holding it in memory.

On the cached demo database (``--count``, default 1,000,000): ``ExportService.export`` of
every contact (``contact_ids`` None: what the export dialog sends after Ctrl+A on the whole
list) to a CSV file in a temporary folder, internal (no disclosures: the cached database is
shared by the other scripts). The process's peak resident size (``VmHWM`` of
/proc/self/status) is read after the services are open and warmed up (one export of 1,000
contacts) and again after the export; the growth is the figure. ``RssAnon`` (the process's
own memory, not pages of the database file mapped in) is printed beside it.
Target: growth <= 100 MB.

    .venv/bin/python bench/bench_export.py [--count N] [--engine E] [--pg-url URL]

On PostgreSQL the export reads a copy of the cached server database
(``pcrm_bench_export_<n>``, made with ``CREATE DATABASE ... TEMPLATE`` and dropped at the
end: the export writes its audit event); the peak is reset before each engine's run
(``5`` written to /proc/self/clear_refs), so each growth is its own. Each figure is
printed with its PostgreSQL / SQLite ratio.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from common import (
    Figure,
    count_argument,
    engine_arguments,
    engine_database,
    engines,
    load_average,
    open_services,
    pg_drop_database,
    report,
    timed_ms,
)

TARGET_MB = 100.0


def status_kb(field: str) -> int:
    """A figure of /proc/self/status in KiB (VmHWM, VmRSS, RssAnon...)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    count_argument(parser)
    engine_arguments(parser)
    args = parser.parse_args()
    print(f"load average before: {load_average()}")
    figures = {}
    for name in engines(args):
        print(f"--- {name} ---", flush=True)
        database = engine_database(name, args.count, args.pg_url, f"pcrm_bench_export_{args.count}")
        try:
            figures[name] = measure(database)
        finally:
            if name == "pg":
                pg_drop_database(database)
    print(f"load average after: {load_average()}")
    report(figures)
    return 0


def measure(database: str) -> list[Figure]:
    """The export's time and peak RSS growth on one database."""
    engine, services, actor = open_services(database)
    from privacycrm_desktop.domain.export_formats import ExportFormat
    from privacycrm_desktop.services.exports import ExportRequest

    request = ExportRequest(
        ExportFormat.CSV, "customer_relationship", "Bench BV", None, recipient_kind=None
    )
    with tempfile.TemporaryDirectory() as folder:
        ids = tuple(r.id for r in services.contacts.page(actor, limit=200))
        warm = ExportRequest(
            ExportFormat.CSV, "customer_relationship", "Bench BV", ids, recipient_kind=None
        )
        services.exports.export(actor, warm, Path(folder) / "warm.csv")
        Path("/proc/self/clear_refs").write_text("5")  # the peak from here (Linux)
        before_hwm, before_anon = status_kb("VmHWM"), status_kb("RssAnon")
        out = Path(folder) / "all.csv"
        ms, result = timed_ms(lambda: services.exports.export(actor, request, out))
        after_hwm, after_anon = status_kb("VmHWM"), status_kb("RssAnon")
        size = out.stat().st_size
    growth = (after_hwm - before_hwm) / 1024
    print(
        f"exported {result.count:,} contacts, {size / 1e6:.0f} MB of CSV in {ms / 1000:.1f} s; "  # type: ignore[attr-defined]
        f"peak RSS {before_hwm / 1024:.0f} -> {after_hwm / 1024:.0f} MB (+{growth:.0f} MB); "
        f"RssAnon {before_anon / 1024:.0f} -> {after_anon / 1024:.0f} MB"
    )
    engine.dispose()
    return [
        Figure("export of every contact, peak RSS growth", growth, "MB", TARGET_MB, 0),
        Figure("export of every contact, time", ms / 1000, "s", None),
    ]


if __name__ == "__main__":
    raise SystemExit(main())
