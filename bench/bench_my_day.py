"""'My day' on a million contacts and 100,000 open tasks, via the services.

The list's database (``bench_list.py``'s, built once by ``common.ensure_database``) gets
ten users (the owner and nine sales and office users) and 100,000 open tasks spread over
them (10,000 each), once: due from 45 days ago to 180 days ahead, a third at a time of
day, 40 % about a contact, plus 5,000 done ones (bulk insert, not timed). Then, for the
owner (tasks, the open requests' deadlines and the consents to re-confirm: the most work)
and for a sales user (tasks and re-consents), ``MyDayService.my_day`` is timed: the first
run, then the median and max of ``--runs``; also ``TaskService.due_reminders`` (what the
app reads once a minute: the tasks due now and those due within ten minutes) and the
user's task list (``list_tasks(mine=True)``).

Target (issue 22): "My day" at 1,000,000 contacts and 100,000 open tasks < 100 ms.

    .venv/bin/python bench/bench_my_day.py [--count N] [--runs 20] [--engine E] [--pg-url URL]

On PostgreSQL the users and tasks go into a copy of the cached server database
(``CREATE DATABASE pcrm_bench_my_day_<n> TEMPLATE pcrm_bench_<n>``, dropped at the end;
the tasks with one ``COPY``, the re-consents with one ``UPDATE ... FROM unnest``); each
figure is printed with its PostgreSQL / SQLite ratio.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import random
import sys
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from common import (
    Figure,
    count_argument,
    engine_arguments,
    engine_database,
    engines,
    load_average,
    median,
    open_services,
    pg_drop_database,
    report,
    timed_ms,
)

TARGET_MS = 100.0
TASKS = 100_000
DONE = 5_000
USERS = 10
USER_PASSWORD = "bench-user-password"


def _users(services, owner) -> list[int]:  # type: ignore[no-untyped-def]
    from privacycrm_desktop.domain.access import Role

    names = {c.username: c.id for c in services.tasks.users(owner)}
    for n in range(1, USERS):
        name = f"bench-user-{n}"
        if name not in names:
            role = Role.SALES if n % 2 else Role.OFFICE
            services.auth.add_user(owner, name, USER_PASSWORD, role)
    names = {c.username: c.id for c in services.tasks.users(owner)}
    return [names["owner"], *(names[f"bench-user-{n}"] for n in range(1, USERS))]


def _plant_tasks(engine, user_ids: list[int], population: int) -> float:  # type: ignore[no-untyped-def]
    """100,000 open and 5,000 done tasks, in one transaction (Core executemany)."""
    from sqlalchemy import func, insert, select

    from privacycrm_desktop.persistence.bulk_writes import copy_into, is_postgresql
    from privacycrm_desktop.persistence.task_models import Task

    with engine.begin() as conn:
        if conn.execute(select(func.count()).select_from(Task)).scalar():
            return 0.0
        rng = random.Random(22)
        today = dt.date.today()
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        max_id = conn.execute(select(func.max(Task.__table__.c.id))).scalar() or 0
        rows = []
        for n in range(TASKS + DONE):
            due = today + dt.timedelta(days=rng.randint(-45, 180))
            about = rng.random() < 0.4
            rows.append(
                {
                    "title": f"Follow-up {max_id + n}",
                    "details": "",
                    "due_on": due,
                    "due_time": dt.time(rng.randint(8, 17), 15 * rng.randint(0, 3))
                    if rng.random() < 0.33
                    else None,
                    "assignee_id": user_ids[n % len(user_ids)],
                    "contact_id": rng.randint(1, population) if about else None,
                    "company_id": None,
                    "origin": "manual",
                    "created_by": user_ids[0],
                    "created_at": now,
                    "done_at": now if n >= TASKS else None,
                    "done_by": user_ids[0] if n >= TASKS else None,
                }
            )
        if is_postgresql(conn):  # one COPY: an executemany is a statement a row there
            ms, _ = timed_ms(lambda: copy_into(conn, Task.__table__, rows))
        else:
            ms, _ = timed_ms(lambda: conn.execute(insert(Task), rows))
    return ms


RECONSENTS = 20_000
REQUESTS = 200


@contextlib.contextmanager
def _derived(engine, population: int) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """For the timing only: 20,000 contacts due for re-confirmation (keep-until from 30
    days ago to 60 days ahead) and 200 open requests; put back as they were afterwards
    (the other benchmarks read the same database)."""
    from sqlalchemy import insert, text

    from privacycrm_desktop.domain.retention import RECONFIRM_REASON
    from privacycrm_desktop.persistence.bulk_writes import vacuum_analyze
    from privacycrm_desktop.persistence.models import RequestContact, RightsRequest

    today = dt.date.today()
    step = max(1, population // RECONSENTS)
    with engine.begin() as conn:
        saved = conn.execute(
            text("SELECT id, keep_reason, keep_until FROM contact WHERE id % :s = 0 LIMIT :n"),
            {"s": step, "n": RECONSENTS},
        ).all()
        _set_keep(
            conn,
            [
                {
                    "id": i,
                    "keep_reason": RECONFIRM_REASON,
                    "keep_until": today + dt.timedelta(days=n % 91 - 30),
                }
                for n, (i, _r, _d) in enumerate(saved)
            ],
        )
        first = conn.execute(text("SELECT coalesce(max(id), 0) FROM rights_request")).scalar()
        requests, links = [], []
        for n in range(REQUESTS):
            received = today - dt.timedelta(days=40 - n % 45)
            requests.append(
                {
                    "id": first + n + 1,
                    "kind": "access",
                    "received_on": received,
                    "due_on": received + dt.timedelta(days=30),
                    "status": "open",
                    "created_at": dt.datetime.combine(received, dt.time()),
                }
            )
            links.append({"request_id": first + n + 1, "contact_id": saved[n][0]})
        conn.execute(insert(RightsRequest), requests)
        conn.execute(insert(RequestContact), links)
    # PostgreSQL: as after the app's own bulk rewrites (and as autovacuum would), so the
    # count of re-consents is an index-only scan, not a read of every rewritten row.
    vacuum_analyze(engine, "contact")
    try:
        yield
    finally:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM request_contact WHERE request_id > :f"), {"f": first})
            conn.execute(text("DELETE FROM rights_request WHERE id > :f"), {"f": first})
            _set_keep(conn, [{"id": i, "keep_reason": r, "keep_until": d} for i, r, d in saved])


def _set_keep(conn, rows: list[dict[str, object]]) -> None:  # type: ignore[no-untyped-def]
    """Set the keep reason and date of each contact of *rows*: an executemany on SQLite,
    one ``UPDATE ... FROM unnest`` on PostgreSQL (the write log's triggers run once)."""
    from sqlalchemy import text

    from privacycrm_desktop.persistence.bulk_writes import is_postgresql, update_from_arrays

    if is_postgresql(conn):
        columns = {"id": "bigint", "keep_reason": "text", "keep_until": "date"}
        update_from_arrays(conn, "contact", "id", columns, rows)
        return
    conn.execute(
        text("UPDATE contact SET keep_reason = :keep_reason, keep_until = :keep_until "
             "WHERE id = :id"),
        rows,
    )  # fmt: skip


def _time(label: str, action, runs: int) -> tuple[float, float, float]:  # type: ignore[no-untyped-def]
    first, _result = timed_ms(action)
    times = [timed_ms(action)[0] for _ in range(runs)]
    print(
        f"{label}: first {first:.1f} ms; {runs} runs: median {median(times):.1f} ms, "
        f"max {max(times):.1f} ms"
    )
    return first, median(times), max(times)


def _measure(services, owner, sales, population: int, runs: int) -> list[Figure]:  # type: ignore[no-untyped-def]
    """Time My day, the reminders and the task list for the owner and a sales user."""
    from privacycrm_desktop.domain.tasks import ItemKind

    figures: list[Figure] = []
    worst = 0.0
    for who, actor in (("owner", owner), ("sales user", sales)):
        day = services.my_day.my_day(actor)
        kinds = {k.value: sum(n for (kk, _g), n in day.counts.items() if kk is k) for k in ItemKind}
        print(f"{who}: {population:,} contacts; My day lists {len(day.items)} lines of {kinds}")
        _first, middle, top = _time(
            f"{who} My day", lambda a=actor: services.my_day.my_day(a), runs
        )
        worst = max(worst, top)
        figures.append(Figure(f"My day ({who}) median", middle, "ms", TARGET_MS))
        _f, reminders, _m = _time(
            f"{who} reminders (due now, and within 10 minutes: the app's check)",
            lambda a=actor: (
                services.tasks.due_reminders(a),
                services.tasks.due_reminders(a, dt.timedelta(minutes=10)),
            ),
            runs,
        )
        figures.append(Figure(f"task reminders ({who}) median", reminders, "ms", None))
        _f, listed, _m = _time(
            f"{who} task list (mine)",
            lambda a=actor: services.tasks.list_tasks(a, mine=True),
            max(3, runs // 4),
        )
        figures.append(Figure(f"task list, mine ({who}) median", listed, "ms", None))
    figures.append(Figure("My day (max)", worst, "ms", TARGET_MS))
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    count_argument(parser)
    parser.add_argument("--runs", type=int, default=20, help="timed runs after the first")
    engine_arguments(parser)
    args = parser.parse_args()
    print(f"load average before: {load_average()}")
    figures = {}
    for name in engines(args):
        print(f"--- {name} ---", flush=True)
        database = engine_database(name, args.count, args.pg_url, f"pcrm_bench_my_day_{args.count}")
        try:
            figures[name] = measure(database, args)
        finally:
            if name == "pg":
                pg_drop_database(database)
    print(f"load average after: {load_average()}")
    report(figures)
    return 0


def measure(database: str, args: argparse.Namespace) -> list[Figure]:
    """My day's figures on one database (users and tasks planted once)."""
    engine, services, owner = open_services(database)
    population = services.contacts.count(owner)
    user_ids = _users(services, owner)
    planted = _plant_tasks(engine, user_ids, population)
    if planted:
        print(f"planted {TASKS:,} open and {DONE:,} done tasks in {planted:.0f} ms")
        from privacycrm_desktop.persistence.bulk_writes import vacuum_analyze

        vacuum_analyze(engine, "task")  # PostgreSQL: the visibility map of the new rows
    sales = services.auth.login("bench-user-1", USER_PASSWORD)
    with _derived(engine, population):
        figures = _measure(services, owner, sales, population, args.runs)
    engine.dispose()
    return figures


if __name__ == "__main__":
    raise SystemExit(main())
