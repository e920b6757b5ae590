"""Shared helpers of the benchmarks: the cached database, the services, timing figures.

The million-contact database is built once with the CLI (``init`` then ``demo``) and kept
at bench/out/bench-<n>.db; delete it to rebuild.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "bench" / "out"
OWNER = "owner"
PASSWORD = "bench-owner-password"
DEFAULT_COUNT = 1_000_000
CLI = [sys.executable, "-m", "privacycrm_desktop.cli"]


def db_path(count: int) -> Path:
    """Where the cached database with *count* demo contacts lives."""
    name = "bench-1m.db" if count == 1_000_000 else f"bench-{count}.db"
    return OUT / name


def cli_env() -> dict[str, str]:
    """The environment the CLI and the app run with: the bench owner's password."""
    return {**os.environ, "PRIVACYCRM_PASSWORD": PASSWORD, "LANG": "C.UTF-8"}


def init_database(path: Path) -> None:
    """An initialised, empty database (owner ``owner``) at *path*."""
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            *CLI,
            "--db",
            str(path),
            "init",
            "--owner",
            OWNER,
            "--company",
            "Bench BV",
            "--address",
            "Markt 1, 9000 Gent",
        ],
        check=True,
        env=cli_env(),
        stdout=subprocess.DEVNULL,
    )


def ensure_database(count: int) -> Path:
    """The cached database with *count* contacts, built with the CLI when missing."""
    path = db_path(count)
    if path.exists():
        return path
    partial = path.with_suffix(".building")
    for leftover in partial.parent.glob(partial.name + "*"):
        leftover.unlink()
    print(f"building {path.name} with {count:,} demo contacts (once; cached)...", flush=True)
    started = time.perf_counter()
    init_database(partial)
    subprocess.run(
        [
            *CLI,
            "--db",
            str(partial),
            "--user",
            OWNER,
            "demo",
            "--count",
            str(count),
            "--format",
            "json",
        ],
        check=True,
        env=cli_env(),
        stdout=subprocess.DEVNULL,
    )
    checkpoint(partial)
    partial.rename(path)
    print(f"built in {time.perf_counter() - started:.0f} s", flush=True)
    return path


def checkpoint(path: Path) -> None:
    """Fold the WAL into the file so the cached database is one file."""
    from privacycrm_desktop.persistence.sqlite_driver import sqlite3

    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def open_services(path: Path):  # type: ignore[no-untyped-def]
    """Engine, services and the signed-in owner, built as the composition roots do."""
    from privacycrm_desktop.persistence.database import create_engine_for
    from privacycrm_desktop.persistence.migrate import migrate
    from privacycrm_desktop.services.registry import Services

    engine = create_engine_for(path)
    migrate(engine)
    services = Services.build(engine)
    actor = services.auth.login(OWNER, PASSWORD)
    return engine, services, actor


def timed_ms(action: Callable[[], object]) -> tuple[float, object]:
    """Run *action* once; return (milliseconds, its result)."""
    started = time.perf_counter()
    result = action()
    return (time.perf_counter() - started) * 1000, result


def verdict(value: float, target: float) -> str:
    """PASS when *value* is at most *target*."""
    return "PASS" if value <= target else "FAIL"


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def count_argument(parser: argparse.ArgumentParser, default: int = DEFAULT_COUNT) -> None:
    parser.add_argument(
        "--count",
        type=int,
        default=default,
        help=f"contacts in the benchmark database (default {default:,}; cached in bench/out)",
    )


def result_line(name: str, figure: str, target: str, ok: bool | None) -> str:
    """One machine-readable summary line that run_all.py collects."""
    status = "n/a" if ok is None else ("PASS" if ok else "FAIL")
    return f"RESULT\t{name}\t{figure}\t{target}\t{status}"
