"""Shared helpers of the benchmarks: the cached databases, the services, timing figures.

The million-contact database is built once with the CLI (``init`` then ``demo``) and kept
at bench/out/bench-<n>.db; delete it to rebuild. On PostgreSQL the same two CLI calls
build database ``pcrm_bench_<n>`` on the server of ``--pg-url`` or
``PRIVACYCRM_TEST_PG_ADMIN`` (the demo writes each chunk with one COPY a table); drop it
to rebuild. Each benchmark runs on ``--engine sqlite|pg|both`` (both by default when a
server is given) and prints each figure with its PostgreSQL/SQLite ratio.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "bench" / "out"
OWNER = "owner"
PASSWORD = "bench-owner-password"
DEFAULT_COUNT = 1_000_000
CLI = [sys.executable, "-m", "privacycrm_desktop.cli"]
PG_ADMIN_ENV = "PRIVACYCRM_TEST_PG_ADMIN"
#: The issue's target: each PostgreSQL figure within 1.5x the SQLite one of the same run.
PG_RATIO_TARGET = 1.5
ENGINES = ("sqlite", "pg")


def db_path(count: int) -> Path:
    """Where the cached database with *count* demo contacts lives."""
    name = "bench-1m.db" if count == 1_000_000 else f"bench-{count}.db"
    return OUT / name


def cli_env() -> dict[str, str]:
    """The environment the CLI and the app run with: the bench owner's password."""
    return {**os.environ, "PRIVACYCRM_PASSWORD": PASSWORD, "LANG": "C.UTF-8"}


def init_database(path: Path | str) -> None:
    """An initialised, empty database (owner ``owner``) at *path* (a file or a URL)."""
    if isinstance(path, Path):
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


def ensure_database(count: int, engine: str = "sqlite", pg_url: str | None = None) -> str:
    """The cached database with *count* contacts (a file path or a server URL), built with
    the CLI when missing."""
    if engine == "pg":
        return ensure_pg_database(count, pg_url)
    return str(ensure_sqlite_database(count))


def ensure_sqlite_database(count: int) -> Path:
    """The cached SQLite file with *count* contacts, built with the CLI when missing."""
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


def pg_admin(pg_url: str | None = None) -> str:
    """The server's superuser URL (``--pg-url`` or the test server's variable)."""
    url = pg_url or os.environ.get(PG_ADMIN_ENV)
    if not url:
        raise SystemExit(f"PostgreSQL needs --pg-url or {PG_ADMIN_ENV}")
    return url


def pg_database_url(admin: str, name: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(admin).set(database=name).render_as_string(hide_password=False)


def pg_admin_execute(admin: str, *statements: str) -> None:
    import psycopg

    with psycopg.connect(admin, autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)  # type: ignore[arg-type]


def pg_database_ready(admin: str, name: str) -> bool:
    """Whether database *name* exists and was finished (its comment says so)."""
    import psycopg

    with psycopg.connect(admin, autocommit=True) as conn:
        row = conn.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
            (name,),
        ).fetchone()
    return row is not None and row[0] == "privacycrm bench: complete"


def ensure_pg_database(count: int, pg_url: str | None = None) -> str:
    """Database ``pcrm_bench_<count>`` on the server with *count* demo contacts, built with
    the CLI (``init``, ``demo``) when missing or unfinished, then analysed; its URL."""
    admin = pg_admin(pg_url)
    name = f"pcrm_bench_{count}"
    url = pg_database_url(admin, name)
    if pg_database_ready(admin, name):
        return url
    print(f"building {name} on the server with {count:,} demo contacts (once)...", flush=True)
    started = time.perf_counter()
    pg_admin_execute(
        admin, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", f"CREATE DATABASE {name}"
    )
    init_database(url)
    subprocess.run(
        [*CLI, "--db", url, "--user", OWNER, "demo", "--count", str(count), "--format", "json"],
        check=True,
        env=cli_env(),
        stdout=subprocess.DEVNULL,
    )
    # Twice: after the demo's keep-until UPDATE of every row, the first VACUUM leaves the
    # pages it cleaned in its second heap pass (about half of ``contact``) without their
    # visibility-map bit (PostgreSQL 15, checked with VACUUM VERBOSE); the second sets
    # them, as autovacuum would on a settled database, so index-only scans stay so.
    pg_admin_execute(url, "VACUUM", "VACUUM ANALYZE")
    pg_admin_execute(admin, f"COMMENT ON DATABASE {name} IS 'privacycrm bench: complete'")
    print(f"built in {time.perf_counter() - started:.0f} s", flush=True)
    return url


def pg_copy_database(source_url: str, name: str) -> str:
    """A fresh copy of the server database at *source_url* named *name*; its URL."""
    from sqlalchemy.engine import make_url

    source = make_url(source_url).database
    admin = make_url(source_url).set(database="postgres").render_as_string(hide_password=False)
    pg_admin_execute(
        admin,
        f"DROP DATABASE IF EXISTS {name} WITH (FORCE)",
        f"CREATE DATABASE {name} TEMPLATE {source}",
    )
    return pg_database_url(admin, name)


def pg_fresh_database(admin: str, name: str) -> str:
    """An empty database *name* on the server (dropped first if it was left); its URL."""
    pg_admin_execute(
        admin, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", f"CREATE DATABASE {name}"
    )
    return pg_database_url(admin, name)


def pg_drop_database(url: str) -> None:
    """Drop the database at *url* and the cluster-wide roles its set-up made for it
    (``<database>_...``: group and login roles)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import DBAPIError

    from privacycrm_desktop.persistence.database import create_engine_for
    from privacycrm_desktop.persistence.postgres import roles

    name = make_url(url).database or ""
    admin = make_url(url).set(database="postgres").render_as_string(hide_password=False)
    pg_admin_execute(admin, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    engine = create_engine_for(admin)
    try:
        with engine.begin() as conn:
            roles.drop_roles(conn, name)
    except DBAPIError as exc:  # e.g. a TEMPLATE copy still holds grants to them
        print(f"the roles of {name} were kept: {str(exc.orig).splitlines()[0]}")
    finally:
        engine.dispose()


def engine_database(engine: str, count: int, pg_url: str | None, copy: str | None) -> str:
    """The cached database of *count* contacts on *engine*, or on PostgreSQL with *copy*
    given a fresh ``CREATE DATABASE copy TEMPLATE`` of it (for a benchmark that writes:
    the cached server database is shared; drop the copy with ``pg_drop_database``)."""
    source = ensure_database(count, engine, pg_url)
    if engine == "pg" and copy is not None:
        return pg_copy_database(source, copy)
    return source


def load_average() -> str:
    """The 1, 5 and 15 minute load averages (Linux), as ``/proc/loadavg`` prints them."""
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def engine_arguments(parser: argparse.ArgumentParser) -> None:
    """``--engine`` and ``--pg-url``: which engines the benchmark runs on."""
    parser.add_argument(
        "--engine",
        choices=("sqlite", "pg", "both"),
        default=None,
        help="sqlite, pg (the server) or both (default both when a server is given)",
    )
    parser.add_argument(
        "--pg-url",
        default=None,
        help=f"superuser URL of the PostgreSQL server (default ${PG_ADMIN_ENV})",
    )


def engines(args: argparse.Namespace) -> list[str]:
    """The engines to run on, SQLite first (the PostgreSQL figures are compared to it)."""
    choice = args.engine
    if choice is None:
        choice = "both" if (args.pg_url or os.environ.get(PG_ADMIN_ENV)) else "sqlite"
    return list(ENGINES) if choice == "both" else [choice]


@dataclass
class Figure:
    """One measured figure: the lower the better, with its target."""

    name: str
    value: float
    unit: str
    target: float | None
    digits: int = 1

    def text(self) -> str:
        return f"{self.value:.{self.digits}f}{'' if self.unit == 'x' else ' '}{self.unit}"

    def ok(self) -> bool | None:
        return None if self.target is None else self.value <= self.target


def report(figures: dict[str, list[Figure]]) -> bool:
    """Print a RESULT line per figure: its value on each engine, PostgreSQL / SQLite, the
    target; return whether every target (and the ratio's) was met."""
    names: list[str] = []
    for measured in figures.values():
        names += [f.name for f in measured if f.name not in names]
    all_ok = True
    for name in names:
        by_engine = {
            engine: next((f for f in measured if f.name == name), None)
            for engine, measured in figures.items()
        }
        some = next(f for f in by_engine.values() if f is not None)
        oks = [f.ok() for f in by_engine.values() if f is not None]
        sqlite, pg = by_engine.get("sqlite"), by_engine.get("pg")
        ratio = None
        if sqlite is not None and pg is not None and sqlite.value > 0:
            ratio = pg.value / sqlite.value
            oks.append(ratio <= PG_RATIO_TARGET)
        target = (
            "info"
            if some.target is None
            else f"<= {some.target:g}{' ' if some.unit != 'x' else ''}{some.unit}"
        )
        decided = [o for o in oks if o is not None]
        ok = None if not decided else all(decided)
        all_ok = all_ok and ok is not False
        print(
            result_line(
                name,
                sqlite.text() if sqlite else "-",
                target,
                ok,
                pg=pg.text() if pg else "-",
                ratio="-" if ratio is None else f"{ratio:.2f}x",
            )
        )
    return all_ok


def checkpoint(path: Path) -> None:
    """Fold the WAL into the file so the cached database is one file."""
    from privacycrm_desktop.persistence.sqlite_driver import sqlite3

    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def open_services(path: Path | str):  # type: ignore[no-untyped-def]
    """Engine, services and the signed-in owner, built as the composition roots do."""
    from privacycrm_desktop.persistence.database import create_engine_for
    from privacycrm_desktop.persistence.migrate import migrate
    from privacycrm_desktop.services.registry import Services

    engine = create_engine_for(path)
    migrate(engine)
    services = Services.build(engine)
    actor = services.auth.login(OWNER, PASSWORD)
    return engine, services, actor


def collect_between_reads() -> None:
    """Collect cycles as the app does: its collector runs from a UI-thread timer between
    reads (``ui/common/main_thread_gc.py``), never inside one. A bench left to Python's
    automatic collection times a full collection (36 ms seen) inside whichever read
    crossed the threshold. Call between timed reads: switches automatic collection off
    and collects what is due, untimed."""
    gc.disable()
    gc.collect()


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


def result_line(
    name: str, figure: str, target: str, ok: bool | None, pg: str = "-", ratio: str = "-"
) -> str:
    """One machine-readable summary line that run_all.py collects: name, the SQLite figure,
    the PostgreSQL figure, PostgreSQL / SQLite, target, status."""
    status = "n/a" if ok is None else ("PASS" if ok else "FAIL")
    return f"RESULT\t{name}\t{figure}\t{pg}\t{ratio}\t{target}\t{status}"
