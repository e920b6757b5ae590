"""Tasks and follow-ups: add, list, tick off, reopen and hand on; reminders.

Whoever edits contacts works with tasks (``Permission.EDIT_CONTACTS``); everybody who sees
contacts sees them. A task linked to a person is the person's data (catalogue field
``tasks``): its title and details follow the field matrix (hidden: left out and said so;
masked: masked), and adding or changing one needs write access to the field. A task
linked to a company follows the company's row (the organisation's). Each change is one
transaction with its audit event, which names the task by its id and never its text.

"My day" (overdue, today, this week, with the requests' deadlines and the consents to
re-confirm) is in services/my_day.py.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from privacycrm_desktop.domain.access import FieldAccess, Permission, mask, require
from privacycrm_desktop.domain.contacts import display_name
from privacycrm_desktop.domain.errors import (
    FieldProblem,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from privacycrm_desktop.domain.tasks import TaskDraft, TaskOrigin, check_draft, may_add_tasks
from privacycrm_desktop.domain.text import N_
from privacycrm_desktop.i18n import local_moment
from privacycrm_desktop.persistence.company_models import Company
from privacycrm_desktop.persistence.models import Contact, User
from privacycrm_desktop.persistence.task_models import Task
from privacycrm_desktop.persistence.unit_of_work import UnitOfWork
from privacycrm_desktop.services.access import AccessService
from privacycrm_desktop.services.audit import record_event
from privacycrm_desktop.services.clock import Clock
from privacycrm_desktop.services.dto import Actor

#: The catalogue field a task about a person follows.
TASK_FIELD = "tasks"
#: The most rows a list returns (the newest due first beyond it are left out).
LIST_LIMIT = 2000
READABLE = (FieldAccess.READ, FieldAccess.WRITE)


@dataclass(frozen=True)
class TaskInfo:
    """A task as lists and the card show it. ``hidden``: the field matrix withholds the
    title and details from this role (both are then empty, and not to be shown as such)."""

    id: int
    title: str
    details: str
    due_on: dt.date | None
    due_time: dt.time | None
    assignee_id: int
    assignee: str
    contact_id: int | None
    contact_name: str
    company_id: int | None
    company_name: str
    origin: TaskOrigin
    created_by: str
    created_at: dt.datetime
    done_at: dt.datetime | None
    done_by: str
    hidden: bool = False

    @property
    def done(self) -> bool:
        """Ticked off."""
        return self.done_at is not None


@dataclass(frozen=True)
class UserChoice:
    """An active user a task may be given to."""

    id: int
    username: str


def local_now(clock: Clock) -> dt.datetime:
    """The clock's time as this computer's wall-clock time (due times are local)."""
    return local_moment(clock.now()).replace(tzinfo=None)


def name_of(access: dict[str, FieldAccess], first: str, last: str, organisation: str) -> str:
    """A person's name as *access* lets a role read it (masked parts masked)."""

    def part(field: str, value: str) -> str:
        level = access.get(field, FieldAccess.HIDDEN)
        if level is FieldAccess.HIDDEN:
            return ""
        return mask(value) if level is FieldAccess.MASKED and value else value

    return display_name(
        part("first_name", first), part("last_name", last), part("organisation", organisation)
    )


class TaskService:
    """Tasks of every user, as the actor's role and the field matrix allow."""

    def __init__(self, uow: UnitOfWork, clock: Clock, access: AccessService | None = None) -> None:
        self._uow = uow
        self._clock = clock
        self._access = access or AccessService(uow, clock)

    def now(self) -> dt.datetime:
        """Local wall-clock time now (what due times are compared with)."""
        return local_now(self._clock)

    def task_access(self, actor: Actor) -> FieldAccess:
        """The role's access to tasks about a person."""
        return self._access.access_for(actor.role).get(TASK_FIELD, FieldAccess.HIDDEN)

    def may_add(self, actor: Actor, *, about_person: bool = False) -> bool:
        """May *actor* add a task (one about a person, when said)?"""
        if not may_add_tasks(actor.role):
            return False
        return not about_person or self.task_access(actor) is FieldAccess.WRITE

    # -- changes ----------------------------------------------------------------------

    def add(self, actor: Actor, draft: TaskDraft) -> int:
        """A new task (for the actor when no assignee is given); returns its id.

        Raises:
            PermissionDenied: the role may not edit contacts, or not write tasks about a
                person when one is linked.
            ValidationFailed: a bad title, details or due date.
            NotFound: no such person, company or active user.
        """
        require(actor.role, Permission.EDIT_CONTACTS)
        clean = check_draft(draft)
        if clean.contact_id is not None and self.task_access(actor) is not FieldAccess.WRITE:
            raise PermissionDenied
        if clean.company_id is not None and self._company_level(actor) is not FieldAccess.WRITE:
            raise PermissionDenied
        now = self._clock.now()
        with self._uow(write=True) as uow:
            session = uow.session
            assignee = self._active_user(session, clean.assignee_id or actor.user_id)
            if clean.contact_id is not None and session.get(Contact, clean.contact_id) is None:
                raise NotFound
            if clean.company_id is not None and session.get(Company, clean.company_id) is None:
                raise NotFound
            row = Task(
                title=clean.title,
                details=clean.details,
                due_on=clean.due_on,
                due_time=clean.due_time,
                assignee_id=assignee,
                contact_id=clean.contact_id,
                company_id=clean.company_id,
                origin=clean.origin.value,
                created_by=actor.user_id,
                created_at=now,
            )
            session.add(row)
            session.flush()
            linked = "contact" if clean.contact_id else "company" if clean.company_id else "none"
            self._audit(
                session, actor, "task.add", row.id, f"origin={clean.origin.value};linked={linked}"
            )
            return row.id

    def set_done(self, actor: Actor, task_id: int, done: bool = True) -> TaskInfo:
        """Tick a task off (or, with *done* False, open it again); returns it as it is now.

        Raises:
            PermissionDenied: the role may not change this task.
            NotFound: no such task.
        """
        require(actor.role, Permission.EDIT_CONTACTS)
        now = self._clock.now()
        with self._uow(write=True) as uow:
            session = uow.session
            row = self._writable(session, actor, task_id)
            if (row.done_at is not None) != done:
                row.done_at, row.done_by = (now, actor.user_id) if done else (None, None)
                self._audit(session, actor, "task.done" if done else "task.reopen", task_id)
            return self._infos(session, actor, select(Task).where(Task.id == task_id))[0]

    def reassign(self, actor: Actor, task_id: int, user_id: int) -> None:
        """Hand a task to another active user.

        Raises:
            PermissionDenied: the role may not change this task.
            NotFound: no such task or active user.
        """
        require(actor.role, Permission.EDIT_CONTACTS)
        with self._uow(write=True) as uow:
            session = uow.session
            row = self._writable(session, actor, task_id)
            assignee = self._active_user(session, user_id)
            if row.assignee_id != assignee:
                row.assignee_id = assignee
                self._audit(session, actor, "task.reassign", task_id)

    # -- reading ----------------------------------------------------------------------

    def get(self, actor: Actor, task_id: int) -> TaskInfo:
        """One task.

        Raises:
            NotFound: no such task.
        """
        require(actor.role, Permission.VIEW_CONTACTS)
        with self._uow() as uow:
            found = self._infos(uow.session, actor, select(Task).where(Task.id == task_id))
        if not found:
            raise NotFound
        return found[0]

    def list_tasks(
        self,
        actor: Actor,
        *,
        mine: bool = False,
        overdue: bool = False,
        include_done: bool = False,
        contact_id: int | None = None,
    ) -> list[TaskInfo]:
        """Tasks, open ones first by due date and time (undated last), then done ones,
        most recently done first. *mine*: the actor's only; *overdue*: open tasks whose
        date (and time) has passed; *contact_id*: the tasks about one person."""
        require(actor.role, Permission.VIEW_CONTACTS)
        query = select(Task)
        if mine:
            query = query.where(Task.assignee_id == actor.user_id)
        if contact_id is not None:
            if self.task_access(actor) is FieldAccess.HIDDEN:
                return []
            query = query.where(Task.contact_id == contact_id)
        if overdue or not include_done:
            query = query.where(Task.done_at.is_(None))
        now = self.now()
        if overdue:
            query = query.where(Task.due_on <= now.date())
        query = query.order_by(
            Task.done_at.is_not(None),
            Task.done_at.desc(),
            Task.due_on.is_(None),
            Task.due_on,
            Task.due_time.is_(None),
            Task.due_time,
            Task.id,
        ).limit(LIST_LIMIT)
        with self._uow() as uow:
            infos = self._infos(uow.session, actor, query)
        if overdue:
            infos = [
                i
                for i in infos
                if i.due_on is not None
                and (i.due_on < now.date() or (i.due_time is not None and i.due_time < now.time()))
            ]
        return infos

    def due_reminders(self, actor: Actor, ahead: dt.timedelta = dt.timedelta(0)) -> list[int]:
        """The ids of the actor's open tasks whose date and time have come, or come within
        *ahead* (a task with a date alone: from its day's start), in due order: what a
        running app reminds of (it remembers which it showed). One range of
        ``ix_task_open``; no text is read."""
        require(actor.role, Permission.VIEW_CONTACTS)
        soon = self.now() + ahead
        day = soon.date()
        query = (
            select(Task.id)
            .where(
                Task.assignee_id == actor.user_id,
                Task.done_at.is_(None),
                Task.due_on <= day,
                or_(
                    Task.due_on < day,
                    Task.due_time.is_(None),
                    Task.due_time <= soon.time(),
                ),
            )
            .order_by(Task.due_on, Task.due_time, Task.id)
            .limit(LIST_LIMIT)
        )
        with self._uow() as uow:
            return list(uow.session.scalars(query))

    def users(self, actor: Actor) -> list[UserChoice]:
        """The active users a task may be given to, by name."""
        require(actor.role, Permission.VIEW_CONTACTS)
        with self._uow() as uow:
            return [
                UserChoice(i, n)
                for i, n in uow.session.execute(
                    select(User.id, User.username)
                    .where(User.active.is_(True))
                    .order_by(User.username)
                )
            ]

    def user_id(self, actor: Actor, username: str) -> int:
        """The id of the active user of that name.

        Raises:
            NotFound: no active user has it.
        """
        for choice in self.users(actor):
            if choice.username == username.strip():
                return choice.id
        raise NotFound(N_("There is no active user named {name}."), name=username.strip())

    # -- helpers ----------------------------------------------------------------------

    def _company_level(self, actor: Actor) -> FieldAccess:
        return self._access.access_for(actor.role).get("organisation", FieldAccess.HIDDEN)

    def _writable(self, session: Session, actor: Actor, task_id: int) -> Task:
        row = session.get(Task, task_id)
        if row is None:
            raise NotFound
        if row.contact_id is not None and self.task_access(actor) is not FieldAccess.WRITE:
            raise PermissionDenied
        return row

    @staticmethod
    def _active_user(session: Session, user_id: int) -> int:
        user = session.get(User, user_id)
        if user is None or not user.active:
            raise ValidationFailed([FieldProblem("assignee", N_("Choose an active user."))])
        return user.id

    def _audit(
        self, session: Session, actor: Actor, action: str, task_id: int, detail: str = ""
    ) -> None:
        record_event(
            session,
            actor=actor.username,
            action=action,
            entity="task",
            entity_id=task_id,
            at=self._clock.now(),
            detail=detail,
        )

    def _infos(self, session: Session, actor: Actor, query: Select[Any]) -> list[TaskInfo]:
        access = self._access.access_for(actor.role)
        return task_infos(session, access, query)


#: What a task's line needs, read as plain rows (no ORM objects: "My day" reads hundreds).
_COLUMNS = (
    Task.id,
    Task.title,
    Task.details,
    Task.due_on,
    Task.due_time,
    Task.assignee_id,
    Task.contact_id,
    Task.company_id,
    Task.origin,
    Task.created_by,
    Task.created_at,
    Task.done_at,
    Task.done_by,
)


def task_infos(
    session: Session, access: dict[str, FieldAccess], query: Select[Any]
) -> list[TaskInfo]:
    """The tasks *query* selects, in its order, with their people's and companies' names,
    as *access* lets a role read them."""
    rows = session.execute(query.with_only_columns(*_COLUMNS)).all()
    users = dict(session.execute(select(User.id, User.username)).tuples().all())
    # Each look-up only when a task names one (an empty IN list is a round trip for nothing).
    contact_ids = {r.contact_id for r in rows if r.contact_id is not None}
    company_ids = {r.company_id for r in rows if r.company_id is not None}
    people = {
        cid: name_of(access, first or "", last or "", organisation or "")
        for cid, first, last, organisation in (
            session.execute(
                select(
                    Contact.id, Contact.first_name, Contact.last_name, Contact.organisation
                ).where(Contact.id.in_(contact_ids))
            )
            if contact_ids
            else ()
        )
    }
    company_level = access.get("organisation", FieldAccess.HIDDEN)
    companies = {
        cid: ""
        if company_level is FieldAccess.HIDDEN
        else mask(name)
        if company_level is FieldAccess.MASKED
        else name
        for cid, name in (
            session.execute(select(Company.id, Company.name).where(Company.id.in_(company_ids)))
            if company_ids
            else ()
        )
    }
    level = access.get(TASK_FIELD, FieldAccess.HIDDEN)
    infos = []
    for row in rows:
        about_person = row.contact_id is not None
        hidden = about_person and level is FieldAccess.HIDDEN
        title, details = ("", "") if hidden else (row.title, row.details)
        if about_person and level is FieldAccess.MASKED:
            title, details = mask(title), mask(details) if details else ""
        infos.append(
            TaskInfo(
                id=row.id,
                title=title,
                details=details,
                due_on=row.due_on,
                due_time=row.due_time,
                assignee_id=row.assignee_id,
                assignee=users.get(row.assignee_id, ""),
                contact_id=row.contact_id,
                contact_name=people.get(row.contact_id, "") if about_person else "",
                company_id=row.company_id,
                company_name=companies.get(row.company_id, "") if row.company_id else "",
                origin=TaskOrigin(row.origin),
                created_by=users.get(row.created_by, "") if row.created_by else "",
                created_at=row.created_at,
                done_at=row.done_at,
                done_by=users.get(row.done_by, "") if row.done_by else "",
                hidden=hidden,
            )
        )
    return infos
