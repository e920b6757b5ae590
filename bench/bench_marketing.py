"""A marketing list of 50,000 people, on the cached demo database, through the services.

The demo contacts have no consents: ``--people`` of them (every n-th, at most half the
database) get an e-mail opt-in for the newsletter purpose, planted by one bulk insert (not
timed) and removed again at the end (the other scripts read the same database). Then
``MarketingService.build`` for that purpose on e-mail, as the marketing dialog calls it:
the facts of every contact (consents, suppressions, sale sources), the decision per
contact, the list's values under the role's field rules. Median of ``--runs`` after the
first. Target (issue 23): a list of 50,000 within 0.5 s.

    .venv/bin/python bench/bench_marketing.py [--count N] [--people 50000] [--runs 3]
        [--engine sqlite|pg|both] [--pg-url URL]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from common import (
    Figure,
    count_argument,
    engine_arguments,
    engines,
    ensure_database,
    median,
    open_services,
    report,
    timed_ms,
)

TARGET_S = 0.5
PURPOSE = "direct_marketing_consent"
MARK = "bench: planted opt-in"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    count_argument(parser)
    parser.add_argument("--people", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=3)
    engine_arguments(parser)
    args = parser.parse_args()
    figures = {}
    for name in engines(args):
        print(f"--- {name} ---", flush=True)
        figures[name] = measure(ensure_database(args.count, name, args.pg_url), args)
    return 0 if report(figures) else 1


def plant(services, people: int) -> int:  # type: ignore[no-untyped-def]
    """Give *people* contacts (every n-th by id) an e-mail opt-in; how many got one."""
    from sqlalchemy import func, select, text

    from privacycrm_desktop.persistence.bulk_writes import copy_rows, is_postgresql
    from privacycrm_desktop.persistence.models import ConsentEvent, Contact, Purpose

    with services.uow(write=True) as uow:
        session = uow.session
        session.execute(text("DELETE FROM consent_event WHERE evidence = :m"), {"m": MARK})
        total = session.scalar(select(func.count()).select_from(Contact)) or 0
        step = max(2, total // max(people, 1))
        purpose = session.scalar(select(Purpose.id).where(Purpose.code == PURPOSE))
        ids = session.scalars(select(Contact.id).order_by(Contact.id)).all()[::step][:people]
        now = dt.datetime.now()
        rows = [
            {
                "contact_id": cid,
                "purpose_id": purpose,
                "channel": "email",
                "status": "opt_in",
                "method": "form_box_ticked",
                "evidence": MARK,
                "evidence_file_name": "",
                "product_category": "",
                "contact_point_hash": "",
                "recorded_at": now,
            }
            for cid in ids
        ]
        if is_postgresql(session):
            copy_rows(session, "consent_event", list(rows[0]), rows)
        else:
            session.execute(ConsentEvent.__table__.insert(), rows)
    return len(ids)


def unplant(services) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import text

    with services.uow(write=True) as uow:
        uow.session.execute(text("DELETE FROM consent_event WHERE evidence = :m"), {"m": MARK})


def measure(database: str, args: argparse.Namespace) -> list[Figure]:
    """The marketing list's figures on one database."""
    from privacycrm_desktop.domain.consent import Channel

    engine, services, actor = open_services(database)
    planted = plant(services, min(args.people, args.count // 2))
    try:
        first_ms, built = timed_ms(lambda: services.marketing.build(actor, PURPOSE, Channel.EMAIL))
        times = [
            timed_ms(lambda: services.marketing.build(actor, PURPOSE, Channel.EMAIL))[0]
            for _ in range(args.runs)
        ]
    finally:
        unplant(services)
        engine.dispose()
    listed = len(built.entries)  # type: ignore[attr-defined]
    print(
        f"{planted:,} opt-ins planted; list of {listed:,} people: first {first_ms:.0f} ms, "
        f"median of {len(times)} {median(times):.0f} ms"
    )
    return [Figure("marketing list (median)", median(times) / 1000, "s", TARGET_S, 2)]


if __name__ == "__main__":
    raise SystemExit(main())
