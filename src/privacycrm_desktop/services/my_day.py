"""'My day': what the signed-in user has to do, overdue, today and this week.

Three kinds of line, grouped by ``domain.tasks.day_group``:

* the user's own open tasks (``task``, read by one range of ``ix_task_open``);
* the deadlines of open rights requests, for a role that handles requests (rule 21:
  one month); read from the register, never copied;
* the consents due for re-confirmation (the saved view "due for re-consent": keep-until
  reason ``consent_reconfirmation``), for a role that records consent; read from the
  contacts by one range of ``ix_contact_keep_reason``, never copied.

Each kind is capped (the counts say how many there are in all), so a user with ten
thousand overdue tasks still gets the overview at once (bench/bench_my_day.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from privacycrm_desktop.domain.access import FieldAccess, Permission, has_permission, require
from privacycrm_desktop.domain.requests import RequestKind, RequestStatus
from privacycrm_desktop.domain.retention import RECONFIRM_REASON
from privacycrm_desktop.domain.tasks import DayGroup, ItemKind, day_group, week_end
from privacycrm_desktop.persistence.models import Contact, RequestContact, RightsRequest
from privacycrm_desktop.persistence.task_models import Task
from privacycrm_desktop.persistence.unit_of_work import UnitOfWork
from privacycrm_desktop.services.access import AccessService
from privacycrm_desktop.services.clock import Clock
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.requests import request_reference
from privacycrm_desktop.services.tasks import name_of, task_infos

#: The most lines of each kind "My day" lists (the counts cover the rest).
TASK_CAP = 100
REQUEST_CAP = 100
RECONSENT_CAP = 50


@dataclass(frozen=True)
class DayItem:
    """One line of "My day". ``title`` is a task's (empty for the other kinds, whose line
    is written from the kind, the request's kind and reference, or the person)."""

    kind: ItemKind
    group: DayGroup
    due_on: dt.date
    due_time: dt.time | None = None
    title: str = ""
    task_id: int | None = None
    request_id: int | None = None
    request_kind: RequestKind | None = None
    reference: str = ""
    contact_id: int | None = None
    contact_name: str = ""
    company_name: str = ""
    hidden: bool = False


@dataclass(frozen=True)
class MyDay:
    """The overview at local time ``now``: its lines in due order, and how many lines of
    each kind and group there are in all (more than listed when a kind is capped)."""

    now: dt.datetime
    items: tuple[DayItem, ...]
    counts: Mapping[tuple[ItemKind, DayGroup], int] = field(default_factory=dict)

    def in_group(self, group: DayGroup) -> list[DayItem]:
        """The listed lines of one group, in due order."""
        return [i for i in self.items if i.group is group]

    def total(self, group: DayGroup) -> int:
        """How many lines the group has in all."""
        return sum(n for (_kind, g), n in self.counts.items() if g is group)

    def left_out(self, kind: ItemKind) -> int:
        """How many lines of *kind* are due but not listed (over its cap)."""
        listed = sum(1 for i in self.items if i.kind is kind)
        return sum(n for (k, _g), n in self.counts.items() if k is kind) - listed


class MyDayService:
    """Builds "My day" for the signed-in user."""

    def __init__(self, uow: UnitOfWork, clock: Clock, access: AccessService | None = None) -> None:
        self._uow = uow
        self._clock = clock
        self._access = access or AccessService(uow, clock)

    def my_day(self, actor: Actor) -> MyDay:
        """Overdue, today and this week for *actor*, in one read transaction."""
        require(actor.role, Permission.VIEW_CONTACTS)
        from privacycrm_desktop.services.tasks import local_now

        now = local_now(self._clock)
        access = self._access.access_for(actor.role)
        items: list[DayItem] = []
        counts: dict[tuple[ItemKind, DayGroup], int] = {}
        with self._uow() as uow:
            session = uow.session
            items += _tasks(session, actor, access, now, counts)
            if has_permission(actor.role, Permission.MANAGE_REQUESTS):
                items += _requests(session, access, now, counts)
            if has_permission(actor.role, Permission.RECORD_CONSENT):
                items += _reconsents(session, access, now, counts)
        order = list(DayGroup)
        items.sort(key=lambda i: (order.index(i.group), i.due_on, i.due_time or dt.time(0), i.kind))
        return MyDay(now, tuple(items), counts)


def _group_counts(
    session: Session,
    kind: ItemKind,
    date_column: Any,
    conditions: list[Any],
    now: dt.datetime,
    counts: dict[tuple[ItemKind, DayGroup], int],
    time_column: Any = None,
) -> None:
    """Count the rows of *conditions* per group in one pass over their index range."""
    today = now.date()
    late_today = (
        (date_column == today) & time_column.is_not(None) & (time_column < now.time())
        if time_column is not None
        else None
    )
    overdue = date_column < today
    if late_today is not None:
        overdue = overdue | late_today
    on_today = date_column == today
    if late_today is not None:
        on_today = on_today & ~late_today
    row = session.execute(
        select(
            func.count(case((overdue, 1))),
            func.count(case((on_today, 1))),
            func.count(case((date_column > today, 1))),
        ).where(*conditions)
    ).one()
    for group, number in zip(DayGroup, row, strict=True):
        if number:
            counts[(kind, group)] = int(number)


#: The order of a user's open tasks: the order of ``ix_task_open`` after its equalities.
DUE_ORDER = (Task.due_on, Task.due_time, Task.id)


def open_tasks_until(user_id: int, until: dt.date) -> list[Any]:
    """The conditions of a user's open tasks due by *until*: one range of ``ix_task_open``
    (assignee, done_at IS NULL, due date), read in ``DUE_ORDER`` without sorting."""
    return [Task.assignee_id == user_id, Task.done_at.is_(None), Task.due_on <= until]


def _count(
    session: Session,
    items: list[DayItem],
    cap: int,
    date_column: Any,
    conditions: list[Any],
    now: dt.datetime,
    counts: dict[tuple[ItemKind, DayGroup], int],
    time_column: Any = None,
) -> None:
    """Count the lines of one kind per group: those listed when under the cap, else by
    one query over the index range."""
    if items and len(items) >= cap:
        _group_counts(session, items[0].kind, date_column, conditions, now, counts, time_column)
        return
    for item in items:
        key = (item.kind, item.group)
        counts[key] = counts.get(key, 0) + 1


def _tasks(
    session: Session,
    actor: Actor,
    access: dict[str, FieldAccess],
    now: dt.datetime,
    counts: dict[tuple[ItemKind, DayGroup], int],
) -> list[DayItem]:
    conditions = open_tasks_until(actor.user_id, week_end(now.date()))
    query = select(Task).where(*conditions).order_by(*DUE_ORDER).limit(TASK_CAP)
    items = []
    for info in task_infos(session, access, query):
        assert info.due_on is not None
        group = day_group(info.due_on, info.due_time, now)
        assert group is not None
        items.append(
            DayItem(
                ItemKind.TASK,
                group,
                info.due_on,
                info.due_time,
                info.title,
                task_id=info.id,
                contact_id=info.contact_id,
                contact_name=info.contact_name,
                company_name=info.company_name,
                hidden=info.hidden,
            )
        )
    _count(session, items, TASK_CAP, Task.due_on, conditions, now, counts, Task.due_time)
    return items


def _requests(
    session: Session,
    access: dict[str, FieldAccess],
    now: dt.datetime,
    counts: dict[tuple[ItemKind, DayGroup], int],
) -> list[DayItem]:
    conditions = [
        RightsRequest.status.in_([RequestStatus.OPEN.value, RequestStatus.EXTENDED.value]),
        RightsRequest.due_on <= week_end(now.date()),
    ]
    rows = session.execute(
        select(
            RightsRequest.id, RightsRequest.kind, RightsRequest.received_on, RightsRequest.due_on
        )
        .where(*conditions)
        .order_by(RightsRequest.due_on, RightsRequest.id)
        .limit(REQUEST_CAP)
    ).all()
    people: dict[int, tuple[int, str]] = {}
    if not rows:
        return []
    for request_id, cid, first, last, organisation in session.execute(
        select(
            RequestContact.request_id,
            Contact.id,
            Contact.first_name,
            Contact.last_name,
            Contact.organisation,
        )
        .join(Contact, Contact.id == RequestContact.contact_id)
        .where(RequestContact.request_id.in_([r[0] for r in rows]))
        .order_by(RequestContact.request_id, Contact.id)
    ):
        people.setdefault(request_id, (cid, name_of(access, first, last, organisation)))
    items = []
    for request_id, kind, received, due in rows:
        group = day_group(due, None, now)
        assert group is not None
        cid, name = people.get(request_id, (None, ""))
        items.append(
            DayItem(
                ItemKind.REQUEST_DEADLINE,
                group,
                due,
                request_id=request_id,
                request_kind=RequestKind(kind),
                reference=request_reference(request_id, received),
                contact_id=cid,
                contact_name=name,
            )
        )
    _count(session, items, REQUEST_CAP, RightsRequest.due_on, conditions, now, counts)
    return items


def _reconsents(
    session: Session,
    access: dict[str, FieldAccess],
    now: dt.datetime,
    counts: dict[tuple[ItemKind, DayGroup], int],
) -> list[DayItem]:
    conditions = [
        Contact.keep_reason == RECONFIRM_REASON,
        Contact.keep_until <= week_end(now.date()),
    ]
    rows = session.execute(
        select(
            Contact.id,
            Contact.first_name,
            Contact.last_name,
            Contact.organisation,
            Contact.keep_until,
        )
        .where(*conditions)
        .order_by(Contact.keep_until, Contact.id)
        .limit(RECONSENT_CAP)
    ).all()
    items = []
    for cid, first, last, organisation, until in rows:
        group = day_group(until, None, now)
        assert group is not None
        items.append(
            DayItem(
                ItemKind.RECONSENT,
                group,
                until,
                contact_id=cid,
                contact_name=name_of(access, first, last, organisation),
            )
        )
    _count(session, items, RECONSENT_CAP, Contact.keep_until, conditions, now, counts)
    return items
