"""Bulk insert: the demo's path (services.demo.insert_chunk) vs the raw driver, per engine.

Both write the SAME generated rows (services.demo.generate_chunks) into a fresh migrated
database: contact, contact_email, contact_phone and the contact_fts index, one transaction
per chunk, with the same pragmas (WAL, synchronous FULL, foreign keys, secure_delete).
Target: Core at most 3.0x the raw sqlite3 time.

On PostgreSQL (``--engine pg|both``) the same rows go into two fresh server databases
(``pcrm_bench_bulk_app`` and ``pcrm_bench_bulk_raw``, set up as on SQLite, dropped at the
end with their roles): the demo's path (one ``COPY`` a table through SQLAlchemy's
connection, the search index folded by the server in one ``INSERT ... SELECT`` from
arrays) against raw psycopg (the same ``COPY`` of the same rows and columns, the columns'
defaults filled in before the clock starts, and the same index statement), one
transaction per chunk; the same target. Also the load itself on each engine (the demo's
path, seconds) with its PostgreSQL / SQLite ratio.

    .venv/bin/python bench/bench_bulk.py [--rows N] [--engine E] [--pg-url URL]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from privacycrm_desktop.persistence.sqlite_driver import sqlite3

sys.path.insert(0, str(Path(__file__).parent))

from common import (
    PASSWORD,
    Figure,
    engine_arguments,
    engines,
    load_average,
    pg_admin,
    pg_drop_database,
    pg_fresh_database,
    report,
    result_line,
)

TARGET_RATIO = 3.0
FTS_INSERT = (
    "INSERT INTO contact_fts (rowid, name, organisation, emails, phones, place) "
    "VALUES (:id, :name, :org, :emails, :phones, :place)"
)


def fresh_database(database: str) -> list[int]:
    """A migrated, initialised database (a file or a URL) with a few sources; their ids."""
    from sqlalchemy import insert, select

    from privacycrm_desktop.persistence.database import create_engine_for
    from privacycrm_desktop.persistence.migrate import migrate
    from privacycrm_desktop.persistence.models import Source
    from privacycrm_desktop.services.registry import Services
    from privacycrm_desktop.services.setup import CompanyInput

    engine = create_engine_for(database)
    migrate(engine)
    Services.build(engine).setup.initialise(
        CompanyInput(name="Bench BV", address="Markt 1, 9000 Gent"), "owner", PASSWORD
    )
    now = dt.datetime.now()
    with engine.begin() as conn:
        conn.execute(
            insert(Source),
            [
                {"kind": "event", "description": f"Bench source {n}", "obtained_on": now.date(),
                 "entered_by": 1, "created_at": now}
                for n in range(12)
            ],
        )  # fmt: skip
        ids = list(conn.execute(select(Source.id).order_by(Source.id)).scalars())
    engine.dispose()
    return ids


def insert_sql(table: str, row: dict[str, Any]) -> str:
    columns = list(row)
    names = ", ".join(columns)
    params = ", ".join(f":{c}" for c in columns)
    return f"INSERT INTO {table} ({names}) VALUES ({params})"


def core_load(database: str, chunks: list[Any]) -> float:
    """The demo's path: ``insert_chunk`` in one transaction a chunk (Core executemany on
    SQLite, one COPY a table on PostgreSQL)."""
    from privacycrm_desktop.persistence.database import create_engine_for
    from privacycrm_desktop.services.demo import insert_chunk

    engine = create_engine_for(database)
    if engine.dialect.name == "sqlite":
        engine = engine.execution_options(sqlite_begin="IMMEDIATE")
    started = time.perf_counter()
    for chunk in chunks:
        with engine.begin() as conn:
            insert_chunk(conn, chunk)
    elapsed = time.perf_counter() - started
    engine.dispose()
    return elapsed


def raw_load(path: Path, chunks: list[Any]) -> float:
    from privacycrm_desktop.persistence.database import SQLITE_PRAGMAS

    # Store dates exactly as SQLAlchemy's SQLite types do, so both loads write the same text.
    sqlite3.register_adapter(dt.date, dt.date.isoformat)
    sqlite3.register_adapter(
        dt.datetime, lambda value: value.isoformat(sep=" ", timespec="microseconds")
    )

    conn = sqlite3.connect(path, isolation_level=None)
    for pragma in SQLITE_PRAGMAS:
        conn.execute(pragma)
    started = time.perf_counter()
    first = chunks[0]
    contact_sql = insert_sql("contact", first.contacts[0])
    email_sql = insert_sql("contact_email", first.emails[0])
    phone_sql = insert_sql("contact_phone", first.phones[0])
    for chunk in chunks:
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(contact_sql, chunk.contacts)
        conn.executemany(email_sql, chunk.emails)
        conn.executemany(phone_sql, chunk.phones)
        conn.executemany(FTS_INSERT, chunk.fts)
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed


def check_same(core: Path, raw: Path) -> None:
    """Both loads wrote the same rows (dates in the same text form)."""
    queries = (
        "SELECT count(*), sum(length(first_name || last_name || birth_date || created_at)) "
        "FROM contact",
        "SELECT count(*) FROM contact_email",
        "SELECT count(*) FROM contact_phone",
        "SELECT count(*) FROM contact_fts WHERE contact_fts MATCH 'peeters'",
    )
    with sqlite3.connect(core) as a, sqlite3.connect(raw) as b:
        for sql in queries:
            left, right = a.execute(sql).fetchone(), b.execute(sql).fetchone()
            assert left == right, (sql, left, right)


def _filled(table: str, rows: list[dict[str, Any]]) -> tuple[list[str], list[tuple[Any, ...]]]:
    """The columns and value tuples of *rows* with the table's Python-side scalar defaults
    filled in, as ``bulk_writes.copy_into`` does (PostgreSQL's raw load: not timed)."""
    from privacycrm_desktop.persistence.models import Base

    given = list(rows[0])
    defaults = {
        c.name: c.default.arg  # type: ignore[union-attr]
        for c in Base.metadata.tables[table].c
        if c.name not in given and c.default is not None and c.default.is_scalar
    }
    columns = [*given, *defaults]
    return columns, [tuple({**defaults, **row}[c] for c in columns) for row in rows]


def raw_load_pg(url: str, chunks: list[Any]) -> float:
    """Raw psycopg: the same COPY of the same rows a table, the same index statement."""
    import psycopg

    tables = ("contact", "contact_email", "contact_phone")
    prepared = [
        [
            (table, *_filled(table, rows))
            for table, rows in zip(tables, (c.contacts, c.emails, c.phones), strict=True)
            if rows
        ]
        for c in chunks
    ]
    keys = ("id", "name", "org", "emails", "phones", "place")
    index = (
        "INSERT INTO contact_fts (rowid, name, organisation, emails, phones, place) "
        "SELECT v.id, pcrm_fold(v.name), pcrm_fold(v.org), pcrm_fold(v.emails), "
        "pcrm_fold(v.phones), pcrm_fold(v.place) FROM unnest(%s::integer[], %s::text[], "
        "%s::text[], %s::text[], %s::text[], %s::text[]) AS v(id, name, org, emails, phones, place)"
    )
    with psycopg.connect(url) as conn:
        started = time.perf_counter()
        for chunk, copies in zip(chunks, prepared, strict=True):
            with conn.transaction(), conn.cursor() as cursor:
                for table, columns, values in copies:
                    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                        for row in values:
                            copy.write_row(row)
                if chunk.fts:
                    cursor.execute(index, [[r[k] for r in chunk.fts] for k in keys])
        elapsed = time.perf_counter() - started
    return elapsed


def check_same_pg(app: str, raw: str) -> None:
    """Both server loads wrote the same rows."""
    import psycopg

    queries = (
        "SELECT count(*), sum(length(first_name || last_name || birth_date::text || "
        "created_at::text)) FROM contact",
        "SELECT count(*) FROM contact_email",
        "SELECT count(*) FROM contact_phone",
        "SELECT count(*), sum(length(name || emails || place)) FROM contact_fts",
    )
    with psycopg.connect(app) as a, psycopg.connect(raw) as b:
        for sql in queries:
            left, right = a.execute(sql).fetchone(), b.execute(sql).fetchone()  # type: ignore[arg-type]
            assert left == right, (sql, left, right)


def measure(engine: str, rows: int, pg_url: str | None) -> list[Figure]:
    """Load the same generated rows by the demo's path and by the raw driver on *engine*."""
    from privacycrm_desktop.services.demo import generate_chunks

    with tempfile.TemporaryDirectory(prefix="privacycrm-bulk-") as folder:
        if engine == "pg":
            admin = pg_admin(pg_url)
            app_db = pg_fresh_database(admin, "pcrm_bench_bulk_app")
            raw_db = pg_fresh_database(admin, "pcrm_bench_bulk_raw")
        else:
            app_db, raw_db = str(Path(folder) / "core.db"), str(Path(folder) / "raw.db")
        try:
            sources = fresh_database(app_db)
            assert fresh_database(raw_db) == sources
            started = time.perf_counter()
            chunks = list(
                generate_chunks(rows, 1, 1, sources, 1, dt.datetime.now().replace(microsecond=0))
            )
            print(
                f"generated {rows:,} contacts in {len(chunks)} chunks "
                f"({time.perf_counter() - started:.1f} s, not timed below)"
            )
            if engine == "pg":
                raw_s = raw_load_pg(raw_db, chunks)
                app_s = core_load(app_db, chunks)
                check_same_pg(app_db, raw_db)
            else:
                raw_s = raw_load(Path(raw_db), chunks)
                app_s = core_load(app_db, chunks)
                check_same(Path(app_db), Path(raw_db))
        finally:
            if engine == "pg":
                pg_drop_database(app_db)
                pg_drop_database(raw_db)
    ratio = app_s / raw_s
    raw_name = "raw psycopg COPY" if engine == "pg" else "raw sqlite3 executemany"
    app_name = "the demo's COPY" if engine == "pg" else "SQLAlchemy Core insert"
    print(f"{raw_name}: {raw_s:.2f} s ({rows / raw_s:,.0f} contacts/s)")
    print(f"{app_name}: {app_s:.2f} s ({rows / app_s:,.0f} contacts/s)")
    print(f"ratio app / raw: {ratio:.2f} (target <= {TARGET_RATIO})")
    return [
        Figure("bulk insert app/raw", ratio, "x", TARGET_RATIO, 2),
        Figure(f"bulk load of {rows:,} contacts (the demo's path)", app_s, "s", None, 2),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    engine_arguments(parser)
    args = parser.parse_args()
    print(f"load average before: {load_average()}")
    figures: dict[str, list[Figure]] = {}
    for name in engines(args):
        print(f"--- {name} ---", flush=True)
        figures[name] = measure(name, args.rows, args.pg_url)
    print(f"load average after: {load_average()}")
    # The app/raw ratio has its own target on each engine: PostgreSQL / SQLite of two
    # ratios means nothing, so its line is printed apart; the load's seconds are compared.
    ratios = {name: measured.pop(0) for name, measured in figures.items()}
    sqlite, pg = ratios.get("sqlite"), ratios.get("pg")
    oks = [r.ok() for r in ratios.values()]
    print(
        result_line(
            "bulk insert app/raw (each engine)",
            sqlite.text() if sqlite else "-",
            f"<= {TARGET_RATIO}x",
            all(oks),
            pg=pg.text() if pg else "-",
        )
    )
    ok = report(figures)
    return 0 if ok and all(oks) else 1


if __name__ == "__main__":
    raise SystemExit(main())
