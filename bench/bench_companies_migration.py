"""The migration that turns every contact's organisation text into a linked company.

Works on a copy of the cached demo database (bench/out/bench-<n>.db, built with the CLI
``init`` and ``demo``), taken back to the schema before companies (revision
``0011_list_view_index``, Alembic's downgrade), so it is what a user of today's version
has. Then times ``migrate`` to the current schema (target: under 60 s for 100,000
contacts), checks that every distinct organisation text (folded, trimmed) became one
company with each of its contacts linked, and that the app's services open it.

    .venv/bin/python bench/bench_companies_migration.py [--count 100000] [--engine E]
        [--pg-url URL]

On PostgreSQL the same: a copy of the cached server database
(``CREATE DATABASE pcrm_bench_companies_<n> TEMPLATE pcrm_bench_<n>``, dropped at the
end) taken back to ``0011_list_view_index`` by the same Alembic downgrade, then
``migrate``; each figure is printed with its PostgreSQL / SQLite ratio.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from common import (
    OUT,
    OWNER,
    PASSWORD,
    Figure,
    checkpoint,
    count_argument,
    engine_arguments,
    engines,
    ensure_database,
    load_average,
    pg_copy_database,
    pg_drop_database,
    report,
    result_line,
)

TARGET_S = 60.0
BEFORE = "0011_list_view_index"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    count_argument(parser, default=100_000)
    engine_arguments(parser)
    args = parser.parse_args()
    print(f"load average before: {load_average()}")
    figures: dict[str, list[Figure]] = {}
    checks: dict[str, bool] = {}
    for name in engines(args):
        print(f"--- {name} ---", flush=True)
        source = ensure_database(args.count, name, args.pg_url)
        if name == "pg":
            copy = pg_copy_database(source, f"pcrm_bench_companies_{args.count}")
        else:
            checkpoint(Path(source))
            copy_file = OUT / f"bench-companies-{args.count}.db"
            for leftover in OUT.glob(copy_file.name + "*"):
                leftover.unlink()
            shutil.copyfile(source, copy_file)
            copy = str(copy_file)
        try:
            seconds, checks[name] = measure(copy)
        finally:
            if name == "pg":
                pg_drop_database(copy)
        figures[name] = [
            Figure(f"companies migration ({args.count:,} contacts)", seconds, "s", TARGET_S)
        ]
    print(f"load average after: {load_average()}")
    ok = report(figures)
    checked = all(checks.values())
    print(
        result_line(
            "companies migration: counts and services",
            "ok" if checks.get("sqlite", True) else "wrong",
            "every text one company",
            checked,
            pg="-" if "pg" not in checks else ("ok" if checks["pg"] else "wrong"),
        )
    )
    return 0 if ok and checked else 1


def measure(copy: str) -> tuple[float, bool]:
    """Take *copy* back to ``BEFORE``, time ``migrate`` to the current schema; and whether
    every organisation text became one company linked to its contacts."""
    from alembic import command
    from sqlalchemy import text

    from privacycrm_desktop.domain.normalize import fold
    from privacycrm_desktop.persistence.database import create_engine_for
    from privacycrm_desktop.persistence.migrate import alembic_config, current_revision, migrate
    from privacycrm_desktop.services.registry import Services

    engine = create_engine_for(copy)
    if current_revision(engine) != BEFORE:
        with engine.begin() as conn:
            command.downgrade(alembic_config(conn), BEFORE)  # type: ignore[arg-type]
    with engine.connect() as conn:
        texts = conn.execute(text("SELECT organisation FROM contact")).scalars().all()
    engine.dispose()
    with_text = [t for t in texts if t.strip()]
    distinct = {fold(" ".join(t.split())) for t in with_text}
    print(
        f"{len(texts):,} contacts at {BEFORE}; {len(with_text):,} with an organisation text, "
        f"{len(distinct):,} distinct"
    )

    engine = create_engine_for(copy)
    started = time.perf_counter()
    migrate(engine)
    seconds = time.perf_counter() - started
    with engine.connect() as conn:
        companies = conn.execute(text("SELECT count(*) FROM company")).scalar_one()
        links = conn.execute(text("SELECT count(*) FROM company_link")).scalar_one()
        unlinked = conn.execute(
            text(
                "SELECT count(*) FROM contact c WHERE trim(c.organisation) <> '' AND NOT EXISTS "
                "(SELECT 1 FROM company_link l WHERE l.contact_id = c.id)"
            )
        ).scalar_one()
    services = Services.build(engine)
    actor = services.auth.login(OWNER, PASSWORD)
    listed = services.companies.count(actor)
    opened = services.contacts.count(actor)
    engine.dispose()
    ok = (
        companies == len(distinct) == listed
        and links == len(with_text)
        and unlinked == 0
        and opened == len(texts)
    )
    print(
        f"migrated in {seconds:.1f} s: {companies:,} companies, {links:,} links, "
        f"{unlinked} contacts with a text but no link; the services list {listed:,} "
        f"companies and {opened:,} contacts"
    )
    return seconds, ok


if __name__ == "__main__":
    raise SystemExit(main())
