"""Start-up: launch to a painted contact list, against a bare Qt window's floor; and memory.

Runs, each ``--repeat`` times (medians reported):
- the shared floor ``bare_qt_paint.py`` (QMainWindow + 20-row QTableView), T_LAUNCH set;
- ``python -c "import sqlalchemy.orm"`` minus ``python -c "pass"``: what our ORM costs;
- the app, ``python -m privacycrm_desktop --db FILE`` with PRIVACYCRM_BENCH_PAINT=1, signed
  in through PRIVACYCRM_USER/PASSWORD; it prints ``first_paint <s>`` and ``rss_kb <n>``.
  Its modules are byte-compiled first (``compile_package``), as installed.
Targets: app <= 1.3 x (bare paint + sqlalchemy.orm import); RSS with a million contacts at
most 50 MB above RSS with an empty (initialised) database.

    .venv/bin/python bench/bench_startup.py [--count N] [--repeat R] [--engine E] [--pg-url URL]

On PostgreSQL the app opens ``--db postgresql://...`` (the cached ``pcrm_bench_<n>`` and an
initialised empty ``pcrm_bench_empty``); the floor is the same. Each figure is printed with
its PostgreSQL / SQLite ratio.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from common import (
    OUT,
    OWNER,
    REPO,
    Figure,
    cli_env,
    count_argument,
    engine_arguments,
    engines,
    ensure_database,
    init_database,
    median,
    pg_admin,
    pg_admin_execute,
    pg_database_ready,
    pg_database_url,
    report,
)

#: Issue 23: within 1.3x the floor at a million contacts.
TARGET_RATIO = 1.3
TARGET_RSS_MB = 50.0
TIMEOUT = 120


def shared_bench() -> Path:
    return Path(os.environ.get("PRIVACYCRM_SHARED_BENCH") or REPO.parent / "shared" / "bench")


def qt_env(scratch: Path) -> dict[str, str]:
    """Offscreen Qt, and settings/data in a scratch folder so runs do not touch the user's."""
    return {
        **cli_env(),
        "QT_QPA_PLATFORM": "offscreen",
        "XDG_CONFIG_HOME": str(scratch / "config"),
        "PRIVACYCRM_DATA_DIR": str(scratch / "data"),
    }


def compile_package() -> None:
    """Byte-compile the app's own modules, as an installed app has them (pip and the
    installer's build ship ``.pyc`` files; SQLAlchemy and PySide6 in the venv, which the
    floor imports, have theirs). Without it, a checkout run with PYTHONDONTWRITEBYTECODE
    (or from a read-only tree) compiles every module from source at each start."""
    import compileall

    package = REPO / "src" / "privacycrm_desktop"
    if not compileall.compile_dir(str(package), quiet=1):
        raise SystemExit(f"could not byte-compile {package}")


def wall(argv: list[str], env: dict[str, str]) -> float:
    """Seconds from launch to exit."""
    started = time.perf_counter()
    subprocess.run(argv, env=env, check=True, timeout=TIMEOUT, capture_output=True)
    return time.perf_counter() - started


def bare_paint(env: dict[str, str]) -> float:
    script = shared_bench() / "bare_qt_paint.py"
    done = subprocess.run(
        [sys.executable, str(script)],
        env={**env, "T_LAUNCH": repr(time.time())},
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=True,
    )
    return float(done.stdout.split()[-1])


def app_paint(database: str, env: dict[str, str]) -> tuple[float, int, float] | str:
    """(first_paint seconds, rss kB, CPU seconds at the paint), or why the app did not
    report them."""
    run_env = {
        **env,
        "T_LAUNCH": repr(time.time()),
        "PRIVACYCRM_BENCH_PAINT": "1",
        "PRIVACYCRM_USER": OWNER,
    }
    try:
        done = subprocess.run(
            [sys.executable, "-m", "privacycrm_desktop", "--db", str(database)],
            env=run_env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return f"the app did not report a paint within {TIMEOUT} s"
    figures = dict(
        line.split(maxsplit=1) for line in done.stdout.splitlines() if len(line.split()) == 2
    )
    if "first_paint" not in figures:
        tail = " | ".join(done.stderr.strip().splitlines()[-3:])
        return f"no first_paint line (exit {done.returncode}): {tail or 'no output'}"
    return (
        float(figures["first_paint"]),
        int(figures.get("rss_kb", "0")),
        float(figures.get("cpu_s", "nan")),
    )


def empty_database(engine: str, pg_url: str | None) -> str:
    """An initialised database without contacts on *engine*."""
    if engine == "pg":
        admin = pg_admin(pg_url)
        name = "pcrm_bench_empty"
        url = pg_database_url(admin, name)
        if not pg_database_ready(admin, name):
            pg_admin_execute(
                admin, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", f"CREATE DATABASE {name}"
            )
            init_database(url)
            pg_admin_execute(admin, f"COMMENT ON DATABASE {name} IS 'privacycrm bench: complete'")
        return url
    empty = OUT / "bench-empty.db"
    if not empty.exists():
        init_database(empty)
    return str(empty)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    count_argument(parser)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--no-empty", action="store_true", help="skip the empty database (and the RSS figure)"
    )
    engine_arguments(parser)
    args = parser.parse_args()
    chosen = engines(args)
    databases = {
        name: (
            ensure_database(args.count, name, args.pg_url),
            None if args.no_empty else empty_database(name, args.pg_url),
        )
        for name in chosen
    }
    compile_package()
    with tempfile.TemporaryDirectory(prefix="privacycrm-startup-") as scratch:
        env = qt_env(Path(scratch))
        bare, orm, nothing = [], [], []
        app_big: dict[str, list[tuple[float, int, float]]] = {name: [] for name in chosen}
        app_empty: dict[str, list[tuple[float, int, float]]] = {name: [] for name in chosen}
        problem = ""
        for _ in range(args.repeat):
            bare.append(bare_paint(env))
            nothing.append(wall([sys.executable, "-c", "pass"], env))
            orm.append(wall([sys.executable, "-c", "import sqlalchemy.orm"], env))
            for name in chosen:
                big, empty = databases[name]
                for database, into in ((big, app_big[name]), (empty, app_empty[name])):
                    if database is None:
                        continue
                    result = app_paint(database, env)
                    if isinstance(result, str):
                        problem = result
                    else:
                        into.append(result)

    bare_s, orm_wall, empty_wall = median(bare), median(orm), median(nothing)
    orm_import = max(0.0, orm_wall - empty_wall)
    floor = bare_s + orm_import
    print(f"bare Qt paint (shared floor):      {bare_s * 1000:7.0f} ms (median of {len(bare)})")
    print(
        f"python -c 'import sqlalchemy.orm': {orm_wall * 1000:7.0f} ms launch to exit; "
        f"interpreter alone {empty_wall * 1000:.0f} ms; import cost {orm_import * 1000:.0f} ms"
    )
    print(f"floor = bare paint + import cost:  {floor * 1000:7.0f} ms")
    if problem:
        print(f"note: some app runs failed: {problem}")
    figures = {}
    for name in chosen:
        print(f"--- {name} ---")
        figures[name] = engine_figures(
            args.count, app_big[name], app_empty[name], floor, bare_s + orm_wall
        )
    ok = report(figures)
    return 0 if ok and not problem else 1


def engine_figures(
    count: int,
    app_big: list[tuple[float, int, float]],
    app_empty: list[tuple[float, int, float]],
    floor: float,
    lenient_floor: float,
) -> list[Figure]:
    """The start-up figures of one engine's runs."""
    if not app_big:
        print("APP HOOK MISSING OR FAILING")
        return []
    app_s = median([p for p, _, _ in app_big])
    ratio = app_s / floor
    print(
        f"app first paint, {count:,} contacts: {app_s * 1000:7.0f} ms "
        f"(median of {len(app_big)}; runs: {', '.join(f'{p * 1000:.0f}' for p, _, _ in app_big)})"
    )
    print(
        f"app CPU at first paint (its own cpu_s, interpreter start included; hardly "
        f"changed by load): {median([c for _, _, c in app_big]) * 1000:.0f} ms"
    )
    print(
        f"ratio app / floor: {ratio:.2f} (target <= {TARGET_RATIO}); "
        f"against bare + whole 'python -c import' run: {app_s / lenient_floor:.2f}"
    )
    figures = [
        Figure("first paint", app_s * 1000, "ms", None, 0),
        Figure("start-up ratio (app / floor)", ratio, "x", TARGET_RATIO, 2),
    ]
    if app_empty:
        rss_big = median([float(r) for _, r, _ in app_big]) / 1024
        rss_empty = median([float(r) for _, r, _ in app_empty]) / 1024
        empty_s = median([p for p, _, _ in app_empty])
        diff = rss_big - rss_empty
        print(f"app first paint, empty database:  {empty_s * 1000:7.0f} ms")
        print(
            f"RSS at first paint: {rss_big:.1f} MB with {count:,} contacts, "
            f"{rss_empty:.1f} MB empty; difference {diff:.1f} MB (target <= {TARGET_RSS_MB:.0f} MB)"
        )
        figures.append(Figure("RSS big - empty", max(diff, 0.0), "MB", TARGET_RSS_MB))
    return figures


if __name__ == "__main__":
    raise SystemExit(main())
