"""What each search of ``bench_search.py`` reads on the server: pages, not milliseconds.

For every query of ``bench_search.QUERIES``, the statements the services send for its first
run (``ContactService.count`` then ``page``, as the list does) are each explained first with
``EXPLAIN (ANALYZE, BUFFERS, TIMING OFF)`` on the same connection and with the same
settings, and one line is printed per query: the matches, the heap pages of the search
table ``contact_fts`` the statements visit (one per page holding a match: no GIN scan is
index-only), the shared buffers read and hit, the planning and execution times. The pages
are what a loaded two-core machine does not blur; the times are printed for reference.

Read-only: nobody signs in (the owner's row is read to act as the owner, nothing is
written), so it may run on the cached bench database or, better, on a copy (``CREATE
DATABASE x TEMPLATE pcrm_bench_1000000``: a fresh copy has none of its pages in the
server's shared buffers, which is what a first run meets).

    .venv/bin/python bench/search_plan_figures.py [--count N] [--pg-url URL] [--database NAME]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from bench_search import QUERIES
from common import OWNER, count_argument, pg_admin, pg_database_url

#: The statements whose plans are read: the list's reads of contacts (not the look at the
#: server's snapshot that ``server_kept_reads`` sends on its own).
_SNAPSHOT_LOOK = "SELECT pg_current_snapshot()::text, pg_current_xact_id_if_assigned() IS NULL"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    count_argument(parser)
    parser.add_argument("--pg-url", default=None, help="superuser URL of the server")
    parser.add_argument(
        "--database", default=None, help="database to read (default pcrm_bench_<count>)"
    )
    args = parser.parse_args()
    name = args.database or f"pcrm_bench_{args.count}"
    for line in figures(pg_database_url(pg_admin(args.pg_url), name)):
        print(line, flush=True)
    return 0


def figures(url: str) -> Iterator[str]:
    """One line per bench query: what its first run's statements read."""
    from sqlalchemy import event, select

    from privacycrm_desktop.domain.access import Role
    from privacycrm_desktop.persistence.database import create_engine_for
    from privacycrm_desktop.persistence.models import User
    from privacycrm_desktop.services.dto import Actor, ContactSort
    from privacycrm_desktop.services.registry import Services

    engine = create_engine_for(url)
    services = Services.build(engine)
    with engine.connect() as conn:
        user = conn.execute(select(User).where(User.username == OWNER)).one()
    owner = Actor(user.id, user.username, Role(user.role), user.language)
    plans: list[dict[str, Any]] = []

    def explain(conn: Any, cursor: Any, statement: str, params: Any, *rest: Any) -> None:
        head = statement.lstrip().upper()
        if " contact" not in statement or not head.startswith(("SELECT", "WITH")):
            return
        if statement.strip() == _SNAPSHOT_LOOK:
            return
        raw = conn.connection.driver_connection
        found = raw.execute(
            "EXPLAIN (ANALYZE, BUFFERS, TIMING OFF, FORMAT JSON) " + statement, params
        ).fetchone()
        plans.append(found[0][0])

    print(
        f"{'query':<14}{'matches':>9}{'fts pages':>11}{'read':>8}{'hit':>8}{'plan ms':>9}"
        f"{'exec ms':>9}"
    )
    event.listen(engine, "before_cursor_execute", explain)
    try:
        for query in QUERIES:
            plans.clear()
            total = services.contacts.count(owner, query)
            services.contacts.page(
                owner, query=query, sort=ContactSort.NAME, limit=200, total=total
            )
            pages = sum(
                node.get("Exact Heap Blocks", 0) + node.get("Lossy Heap Blocks", 0)
                for plan in plans
                for node in _nodes(plan["Plan"])
                if node.get("Relation Name") == "contact_fts"
            )
            read = sum(plan["Plan"].get("Shared Read Blocks", 0) for plan in plans)
            hit = sum(plan["Plan"].get("Shared Hit Blocks", 0) for plan in plans)
            planning = sum(plan["Planning Time"] for plan in plans)
            execution = sum(plan["Execution Time"] for plan in plans)
            yield (
                f"{query:<14}{total:>9,}{pages:>11,}{read:>8,}{hit:>8,}{planning:>9.1f}"
                f"{execution:>9.1f}"
            )
    finally:
        event.remove(engine, "before_cursor_execute", explain)
        engine.dispose()


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", ()):
        yield from _nodes(child)


if __name__ == "__main__":
    raise SystemExit(main())
