"""A marketing list of 50,000 people (issue 23): ``MarketingService.build`` end to end.

Two modes, on one engine or both (``--engine``):

* without ``--people``: on a copy of the cached demo database of ``--count`` contacts
  (default 50,000; SQLite: bench/out/bench-marketing-<n>.db, kept; the server: database
  ``pcrm_marketing_<n>``, dropped at the end), every contact with an e-mail address is
  given an opt-in for the consent purpose on e-mail (one INSERT ... SELECT; the demo
  records no consent) and ``--unsubscribed`` contacts (default 200) unsubscribe through
  the services, so that opt-outs keyed by a contact point and suppression digests are
  there as in a real database. Then ``build`` for that purpose on e-mail (the list holds
  nearly every contact) and the soft opt-in purpose on post: the first run, then the
  median and max of ``--runs``; ``--profile`` prints where the time of one e-mail list
  goes (cProfile).
* with ``--people``: on a copy of the cached demo database (SQLite: a file in the temp
  folder; the server: database ``pcrm_bench_planted_<n>``; both removed at the end),
  ``--people`` contacts (every n-th, at most half) get an e-mail opt-in for the consent
  purpose, planted by one bulk insert (not timed), and ``--unsubscribed`` of them
  unsubscribe; then ``build`` for that purpose on e-mail, median of ``--runs`` after the
  first.

Both engines have a suppression key before anything is measured (``ensure_key``: the
SQLite demo has none, the server's set-up makes one): without it a list checks nothing
against the suppression list nor looks for stale digests, and the engines would not do
the same work. The first list after the key was made stores every contact's digests
(untimed: ``ensure_key`` builds it); the figures are of the lists after it.

Target: a list of 50,000 within 0.5 s; PostgreSQL within 1.5x of SQLite.

    .venv/bin/python bench/bench_marketing.py [--count 50000] [--runs 5] [--profile]
        [--engine sqlite|pg|both] [--pg-url URL]
    .venv/bin/python bench/bench_marketing.py [--count 1000000] --people 50000 [--runs 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import os
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from common import (
    OUT,
    Figure,
    count_argument,
    engine_arguments,
    engines,
    ensure_database,
    median,
    open_services,
    pg_copy_database,
    pg_drop_database,
    report,
    timed_ms,
)

TARGET_S = 0.5
PURPOSE = "direct_marketing_consent"
SOFT = "direct_marketing_soft_opt_in"
MARK = "bench: planted opt-in"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    count_argument(parser, default=50_000)
    parser.add_argument("--people", type=int, default=None)
    parser.add_argument("--runs", type=int, default=None)
    parser.add_argument("--unsubscribed", type=int, default=200)
    parser.add_argument("--profile", action="store_true", help="cProfile one e-mail list")
    engine_arguments(parser)
    args = parser.parse_args()
    figures = {}
    print(f"load average before: {os.getloadavg()}", flush=True)
    for name in engines(args):
        print(f"--- {name} ---", flush=True)
        database = ensure_database(args.count, name, args.pg_url)
        if args.people is None:
            figures[name] = measure_copy(database, name, args)
        else:
            figures[name] = measure_planted(database, name, args)
    print(f"load average after: {os.getloadavg()}")
    return 0 if report(figures) else 1


def ensure_key(services, actor) -> None:  # type: ignore[no-untyped-def]
    """The database's suppression key, made if missing (the first consent would), and the
    digests it makes due stored by one list (untimed), so both engines measure the same
    work: the suppression check and the look for stale digests."""
    from privacycrm_desktop.domain.consent import Channel
    from privacycrm_desktop.services.marketing_facts import ensure_salt

    with services.uow(write=True) as uow:
        ensure_salt(uow.session)
    started = time.perf_counter()
    services.marketing.build(actor, PURPOSE, Channel.EMAIL)
    print(f"key there; the digests stored in {time.perf_counter() - started:.1f} s", flush=True)


def unsubscribe(services, actor, ids: list[int], count: int) -> None:  # type: ignore[no-untyped-def]
    """*count* of *ids* (evenly spread) unsubscribe through the services."""
    for cid in ids[:: max(1, len(ids) // max(count, 1))][:count]:
        services.consent.unsubscribe(actor, cid)


def plant(services, people: int) -> list[int]:  # type: ignore[no-untyped-def]
    """Give *people* contacts (every n-th by id) an e-mail opt-in; the ones given one."""
    from sqlalchemy import func, insert, select, text

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
            session.execute(insert(ConsentEvent), rows)
    return ids


def unplant(services) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import text

    with services.uow(write=True) as uow:
        uow.session.execute(text("DELETE FROM consent_event WHERE evidence = :m"), {"m": MARK})


def measure_planted(database: str, engine_name: str, args: argparse.Namespace) -> list[Figure]:
    """The marketing list's figures on a copy of the cached database, with planted
    opt-ins and unsubscriptions, and a suppression key (``ensure_key``)."""
    import hashlib
    import tempfile

    from privacycrm_desktop.domain.consent import Channel

    runs = args.runs or 3
    if engine_name == "sqlite":
        folder = tempfile.mkdtemp(prefix="pcrm-bench-marketing-")
        copy = str(Path(folder) / "planted.db")
        shutil.copyfile(database, copy)
    else:
        copy = pg_copy_database(database, f"pcrm_bench_planted_{args.count}")
    engine, services, actor = open_services(copy)
    try:
        planted = plant(services, min(args.people, args.count // 2))
        ensure_key(services, actor)
        unsubscribe(services, actor, planted, args.unsubscribed)
        build = functools.partial(services.marketing.build, actor, PURPOSE, Channel.EMAIL)
        first_ms, built = timed_ms(build)
        times, cpu = [], []
        for _ in range(runs):
            started = time.process_time()
            times.append(timed_ms(build)[0])
            cpu.append((time.process_time() - started) * 1000)
    finally:
        engine.dispose()
        if engine_name == "sqlite":
            shutil.rmtree(Path(copy).parent, ignore_errors=True)
        else:
            pg_drop_database(copy)
    entries = built.entries  # type: ignore[attr-defined]
    listed = len(entries)
    # The list as it came out (ids, rows, reasons left out): the same before and after a
    # change that must not change it.
    shape = repr(
        ([(e.contact_id, e.values) for e in entries], sorted(built.excluded.items()))  # type: ignore[attr-defined]
    )
    print(
        f"{len(planted):,} opt-ins planted; list of {listed:,} people "
        f"(sha256 {hashlib.sha256(shape.encode()).hexdigest()[:16]}): first {first_ms:.0f} ms, "
        f"median of {len(times)} {median(times):.0f} ms (this process's CPU: median "
        f"{median(cpu):.0f} ms); load {os.getloadavg()[0]:.1f}"
    )
    return [Figure("marketing list (median)", median(times) / 1000, "s", TARGET_S, 2)]


def prepare_copy(database: str, engine_name: str, count: int, unsubscribed: int) -> str:
    """A copy of the demo database with the opt-ins and the unsubscriptions planted."""
    if engine_name == "sqlite":
        path = OUT / f"bench-marketing-{count}.db"
        if path.exists():
            return str(path)
        partial = path.with_suffix(".building")
        shutil.copyfile(database, partial)
        target = str(partial)
    else:
        target = pg_copy_database(database, f"pcrm_marketing_{count}")
    engine, services, actor = open_services(target)
    from sqlalchemy import text

    from privacycrm_desktop.domain.consent import ConsentMethod

    with engine.begin() as conn:
        purpose = conn.execute(
            text("SELECT id FROM purpose WHERE code = :c"), {"c": PURPOSE}
        ).scalar_one()
        conn.execute(
            text(
                "INSERT INTO consent_event (contact_id, purpose_id, channel, status, method, "
                "evidence, evidence_file_name, product_category, contact_point_hash, "
                "recorded_by, recorded_at) SELECT id, :p, 'email', 'opt_in', :m, 'bench', '', "
                "'', '', NULL, '2026-01-05 10:00:00' FROM contact WHERE primary_email != ''"
            ),
            {"p": purpose, "m": ConsentMethod.FORM_BOX_TICKED.value},
        )
    step = max(1, count // max(unsubscribed, 1))
    for n in range(unsubscribed):
        row = services.contacts.page(actor, offset=n * step, limit=1)
        if row:
            services.consent.unsubscribe(actor, row[0].id)
    if engine_name == "pg":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE")
    engine.dispose()
    if engine_name == "sqlite":
        partial.rename(path)
        return str(path)
    return target


def measure_copy(database: str, engine_name: str, args: argparse.Namespace) -> list[Figure]:
    """The e-mail and post lists on a copy with opt-ins and unsubscriptions."""
    from privacycrm_desktop.domain.consent import Channel

    runs = args.runs or 5
    copy = prepare_copy(database, engine_name, args.count, args.unsubscribed)
    engine, services, actor = open_services(copy)
    ensure_key(services, actor)
    marketing = services.marketing
    figures = []
    try:
        for purpose, channel, category in (
            (PURPOSE, Channel.EMAIL, None),
            (SOFT, Channel.POST, "x"),
        ):
            build = functools.partial(marketing.build, actor, purpose, channel, category)
            first_ms, result = timed_ms(build)
            times, cpu = [], []
            for _ in range(runs):
                started = time.process_time()
                times.append(timed_ms(build)[0])
                cpu.append((time.process_time() - started) * 1000)
            print(
                f"{purpose} on {channel.value}: {len(result.entries):,} people, "  # type: ignore[attr-defined]
                f"{sum(result.excluded.values()):,} left out; first {first_ms:.0f} ms, "  # type: ignore[attr-defined]
                f"median {median(times):.0f} ms, max {max(times):.0f} ms "
                f"(this process's CPU: median {median(cpu):.0f} ms); "
                f"load {os.getloadavg()[0]:.1f}",
                flush=True,
            )
            target = TARGET_S if channel is Channel.EMAIL else None
            figures.append(
                Figure(
                    f"marketing list, {channel.value} (median)",
                    median(times) / 1000,
                    "s",
                    target,
                    2,
                )
            )
        if args.profile:
            import cProfile
            import pstats

            profile = cProfile.Profile()
            profile.runcall(marketing.build, actor, PURPOSE, Channel.EMAIL)
            pstats.Stats(profile).sort_stats("cumulative").print_stats(25)
    finally:
        engine.dispose()
        if engine_name == "pg":
            pg_drop_database(copy)
    return figures


if __name__ == "__main__":
    raise SystemExit(main())
