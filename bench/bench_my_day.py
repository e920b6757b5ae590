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

    .venv/bin/python bench/bench_my_day.py [--count N] [--runs 20]
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

from common import count_argument, ensure_database, median, open_services, result_line, timed_ms

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
        ms, _ = timed_ms(lambda: conn.execute(insert(Task), rows))
    return ms


RECONSENTS = 20_000
REQUESTS = 200


@contextlib.contextmanager
def _derived(engine, population: int) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """For the timing only: 20,000 contacts due for re-confirmation (keep-until from 30
    days ago to 60 days ahead) and 200 open requests; put back as they were afterwards
    (the other benchmarks read the same database)."""
    from sqlalchemy import text

    from privacycrm_desktop.domain.retention import RECONFIRM_REASON

    today = dt.date.today()
    step = max(1, population // RECONSENTS)
    with engine.begin() as conn:
        saved = conn.execute(
            text("SELECT id, keep_reason, keep_until FROM contact WHERE id % :s = 0 LIMIT :n"),
            {"s": step, "n": RECONSENTS},
        ).all()
        conn.execute(
            text("UPDATE contact SET keep_reason = :r, keep_until = :d WHERE id = :i"),
            [
                {"r": RECONFIRM_REASON, "d": today + dt.timedelta(days=n % 91 - 30), "i": i}
                for n, (i, _r, _d) in enumerate(saved)
            ],
        )
        first = conn.execute(text("SELECT coalesce(max(id), 0) FROM rights_request")).scalar()
        for n in range(REQUESTS):
            received = today - dt.timedelta(days=40 - n % 45)
            conn.execute(
                text(
                    "INSERT INTO rights_request (id, kind, received_on, channel, requester, "
                    "identity_verified, identity_method, due_on, extension_months, "
                    "extension_reason, status, outcome, created_at) VALUES (:id, 'access', "
                    ":r, '', '', 0, '', :due, 0, '', 'open', '', :r)"
                ),
                {"id": first + n + 1, "r": received, "due": received + dt.timedelta(days=30)},
            )
            conn.execute(
                text("INSERT INTO request_contact (request_id, contact_id) VALUES (:r, :c)"),
                {"r": first + n + 1, "c": saved[n][0]},
            )
    try:
        yield
    finally:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM request_contact WHERE request_id > :f"), {"f": first})
            conn.execute(text("DELETE FROM rights_request WHERE id > :f"), {"f": first})
            conn.execute(
                text("UPDATE contact SET keep_reason = :r, keep_until = :d WHERE id = :i"),
                [{"r": r, "d": d, "i": i} for i, r, d in saved],
            )


def _time(label: str, action, runs: int) -> tuple[float, float, float]:  # type: ignore[no-untyped-def]
    first, _result = timed_ms(action)
    times = [timed_ms(action)[0] for _ in range(runs)]
    print(
        f"{label}: first {first:.1f} ms; {runs} runs: median {median(times):.1f} ms, "
        f"max {max(times):.1f} ms"
    )
    return first, median(times), max(times)


def _measure(services, owner, sales, population: int, runs: int) -> float:  # type: ignore[no-untyped-def]
    """Time My day, the reminders and the task list for the owner and a sales user."""
    from privacycrm_desktop.domain.tasks import ItemKind

    worst = 0.0
    for who, actor in (("owner", owner), ("sales user", sales)):
        day = services.my_day.my_day(actor)
        kinds = {k.value: sum(n for (kk, _g), n in day.counts.items() if kk is k) for k in ItemKind}
        print(f"{who}: {population:,} contacts; My day lists {len(day.items)} lines of {kinds}")
        _first, middle, top = _time(
            f"{who} My day", lambda a=actor: services.my_day.my_day(a), runs
        )
        worst = max(worst, top)
        print(
            result_line(
                f"My day ({who}) median / max",
                f"{middle:.1f} / {top:.1f} ms",
                f"< {TARGET_MS:.0f} ms",
                top < TARGET_MS,
            )
        )
        _time(
            f"{who} reminders (due now, and within 10 minutes: the app's check)",
            lambda a=actor: (
                services.tasks.due_reminders(a),
                services.tasks.due_reminders(a, dt.timedelta(minutes=10)),
            ),
            runs,
        )
        _time(
            f"{who} task list (mine)",
            lambda a=actor: services.tasks.list_tasks(a, mine=True),
            max(3, runs // 4),
        )
    return worst


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    count_argument(parser)
    parser.add_argument("--runs", type=int, default=20, help="timed runs after the first")
    args = parser.parse_args()
    engine, services, owner = open_services(ensure_database(args.count))
    population = services.contacts.count(owner)
    user_ids = _users(services, owner)
    planted = _plant_tasks(engine, user_ids, population)
    if planted:
        print(f"planted {TASKS:,} open and {DONE:,} done tasks in {planted:.0f} ms")
    sales = services.auth.login("bench-user-1", USER_PASSWORD)
    with _derived(engine, population):
        worst = _measure(services, owner, sales, population, args.runs)
    print(
        result_line("My day (max)", f"{worst:.1f} ms", f"< {TARGET_MS:.0f} ms", worst < TARGET_MS)
    )
    engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
