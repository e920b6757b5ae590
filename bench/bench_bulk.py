"""Bulk insert: SQLAlchemy Core executemany (services.demo.insert_chunk) vs raw sqlite3.

Both write the SAME generated rows (services.demo.generate_chunks) into a fresh migrated
database: contact, contact_email, contact_phone and the contact_fts index, one transaction
per chunk, with the same pragmas (WAL, synchronous FULL, foreign keys, secure_delete).
Target: Core at most 3.0x the raw sqlite3 time.

    .venv/bin/python bench/bench_bulk.py [--rows N]
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

from common import PASSWORD, result_line

TARGET_RATIO = 3.0
FTS_INSERT = (
    "INSERT INTO contact_fts (rowid, name, organisation, emails, phones, place) "
    "VALUES (:id, :name, :org, :emails, :phones, :place)"
)


def fresh_database(path: Path) -> list[int]:
    """A migrated, initialised database with a few sources; return the source ids."""
    from privacycrm_desktop.persistence.database import create_engine_for
    from privacycrm_desktop.persistence.migrate import migrate
    from privacycrm_desktop.services.registry import Services
    from privacycrm_desktop.services.setup import CompanyInput

    engine = create_engine_for(path)
    migrate(engine)
    Services.build(engine).setup.initialise(
        CompanyInput(name="Bench BV", address="Markt 1, 9000 Gent"), "owner", PASSWORD
    )
    engine.dispose()
    with sqlite3.connect(path) as conn:
        today = dt.date.today().isoformat()
        for n in range(12):
            conn.execute(
                "INSERT INTO source (kind, description, obtained_on, entered_by, created_at) "
                "VALUES ('event', ?, ?, 1, ?)",
                (f"Bench source {n}", today, dt.datetime.now().isoformat(sep=" ")),
            )
        return [r[0] for r in conn.execute("SELECT id FROM source ORDER BY id")]


def insert_sql(table: str, row: dict[str, Any]) -> str:
    columns = list(row)
    names = ", ".join(columns)
    params = ", ".join(f":{c}" for c in columns)
    return f"INSERT INTO {table} ({names}) VALUES ({params})"


def core_load(path: Path, chunks: list[Any]) -> float:
    from privacycrm_desktop.persistence.database import create_engine_for
    from privacycrm_desktop.services.demo import insert_chunk

    engine = create_engine_for(path).execution_options(sqlite_begin="IMMEDIATE")
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    args = parser.parse_args()
    from privacycrm_desktop.services.demo import generate_chunks

    with tempfile.TemporaryDirectory(prefix="privacycrm-bulk-") as folder:
        core_db, raw_db = Path(folder) / "core.db", Path(folder) / "raw.db"
        sources = fresh_database(core_db)
        assert fresh_database(raw_db) == sources
        started = time.perf_counter()
        chunks = list(
            generate_chunks(args.rows, 1, 1, sources, 1, dt.datetime.now().replace(microsecond=0))
        )
        print(
            f"generated {args.rows:,} contacts in {len(chunks)} chunks "
            f"({time.perf_counter() - started:.1f} s, not timed below)"
        )
        raw_s = raw_load(raw_db, chunks)
        core_s = core_load(core_db, chunks)
        check_same(core_db, raw_db)
    ratio = core_s / raw_s
    print(f"raw sqlite3 executemany: {raw_s:.2f} s ({args.rows / raw_s:,.0f} contacts/s)")
    print(f"SQLAlchemy Core insert:  {core_s:.2f} s ({args.rows / core_s:,.0f} contacts/s)")
    print(f"ratio Core / raw: {ratio:.2f} (target <= {TARGET_RATIO})")
    print(
        result_line(
            "bulk insert Core/raw", f"{ratio:.2f}x", f"<= {TARGET_RATIO}x", ratio <= TARGET_RATIO
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
