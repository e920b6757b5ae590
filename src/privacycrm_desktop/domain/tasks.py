"""Tasks and follow-ups, and the "My day" overview: pure rules.

A task has a title, optional details, an optional due date with an optional time of day
(the user's local wall-clock time), one assignee (an app user), and at most one linked
person or company. It is done or open. Its origin says why it exists: typed by hand, or
made from a rights request's deadline or a consent due for re-confirmation.

"My day" groups what needs doing: overdue, today, the rest of this week (Monday to
Sunday). The derived items (rights requests' deadlines, consents to re-confirm) are read by
query each time, never copied into tasks; they are grouped by the same rule.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from privacycrm_desktop.domain.access import Permission, Role, has_permission
from privacycrm_desktop.domain.errors import FieldProblem, ValidationFailed
from privacycrm_desktop.domain.normalize import InvalidValue, clean_text
from privacycrm_desktop.domain.text import N_

MAX_TITLE = 200
MAX_DETAILS = 4000


class TaskOrigin(StrEnum):
    """Why a task exists."""

    MANUAL = "manual"
    REQUEST_DEADLINE = "request_deadline"
    CONSENT_RECONFIRMATION = "consent_reconfirmation"


TASK_ORIGIN_LABELS = {
    TaskOrigin.MANUAL: N_("Added by hand"),
    TaskOrigin.REQUEST_DEADLINE: N_("Request deadline"),
    TaskOrigin.CONSENT_RECONFIRMATION: N_("Consent to re-confirm"),
}


class DayGroup(StrEnum):
    """The groups of "My day", in the order they are shown."""

    OVERDUE = "overdue"
    TODAY = "today"
    THIS_WEEK = "this_week"


DAY_GROUP_LABELS = {
    DayGroup.OVERDUE: N_("Overdue"),
    DayGroup.TODAY: N_("Today"),
    DayGroup.THIS_WEEK: N_("This week"),
}


class ItemKind(StrEnum):
    """What a line of "My day" is: a task, or an item derived from other records."""

    TASK = "task"
    REQUEST_DEADLINE = "request_deadline"
    RECONSENT = "reconsent"


ITEM_KIND_LABELS = {
    ItemKind.TASK: N_("Task"),
    ItemKind.REQUEST_DEADLINE: N_("Request deadline"),
    ItemKind.RECONSENT: N_("Consent to re-confirm"),
}


@dataclass(frozen=True)
class TaskDraft:
    """A task as typed in a form or on the command line (ids, not names)."""

    title: str
    details: str = ""
    due_on: dt.date | None = None
    due_time: dt.time | None = None
    assignee_id: int | None = None
    contact_id: int | None = None
    company_id: int | None = None
    origin: TaskOrigin = TaskOrigin.MANUAL


def _problem(field: str, message: str, **params: object) -> ValidationFailed:
    return ValidationFailed([FieldProblem(field, message, dict(params))])


def task_title(text: str) -> str:
    """The title as stored: trimmed, inner white space collapsed.

    Raises:
        ValidationFailed: empty, too long or holding control characters.
    """
    try:
        title = clean_text(text)
    except InvalidValue as exc:
        raise _problem("title", exc.message) from None
    if not title:
        raise _problem("title", N_("Enter what is to be done."))
    if len(title) > MAX_TITLE:
        raise _problem("title", N_("At most {n} characters."), n=MAX_TITLE)
    return title


def task_details(text: str) -> str:
    """The details as stored: lines kept, each trimmed at its end; no control characters
    other than line breaks and tabs.

    Raises:
        ValidationFailed: too long or holding control characters.
    """
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    details = "\n".join(lines).strip("\n")
    if any((ord(ch) < 32 and ch not in "\n\t") or 0x7F <= ord(ch) <= 0x9F for ch in details):
        raise _problem("details", N_("Contains control characters."))
    if len(details) > MAX_DETAILS:
        raise _problem("details", N_("At most {n} characters."), n=MAX_DETAILS)
    return details


def may_add_tasks(role: Role) -> bool:
    """May *role* add tasks at all (those about a person also need write access to the
    contact's tasks, ``TaskService.may_add``)?"""
    return has_permission(role, Permission.EDIT_CONTACTS)


def check_draft(draft: TaskDraft) -> TaskDraft:
    """The draft with its title and details cleaned.

    Raises:
        ValidationFailed: a bad title or details, a time without a date, or both a person
            and a company linked.
    """
    if draft.due_time is not None and draft.due_on is None:
        raise _problem("due", N_("A time needs a date."))
    if draft.contact_id is not None and draft.company_id is not None:
        raise _problem("link", N_("Link the task to a person or to a company, not both."))
    return TaskDraft(
        task_title(draft.title),
        task_details(draft.details),
        draft.due_on,
        draft.due_time.replace(second=0, microsecond=0) if draft.due_time else None,
        draft.assignee_id,
        draft.contact_id,
        draft.company_id,
        TaskOrigin(draft.origin),
    )


def week_end(today: dt.date) -> dt.date:
    """The Sunday ending *today*'s week (Monday to Sunday, as in Belgium)."""
    return today + dt.timedelta(days=6 - today.weekday())


def day_group(
    due_on: dt.date | None, due_time: dt.time | None, now: dt.datetime
) -> DayGroup | None:
    """Where an open item due then falls in "My day" at local time *now*; None when it is
    not due this week (or has no date). A task due today at a time already past is
    overdue."""
    if due_on is None:
        return None
    today = now.date()
    if due_on < today or (due_on == today and due_time is not None and due_time < now.time()):
        return DayGroup.OVERDUE
    if due_on == today:
        return DayGroup.TODAY
    if due_on <= week_end(today):
        return DayGroup.THIS_WEEK
    return None


def is_due_now(due_on: dt.date | None, due_time: dt.time | None, now: dt.datetime) -> bool:
    """A reminder is due: the task's date and time have come (a date alone: its day)."""
    if due_on is None:
        return False
    return dt.datetime.combine(due_on, due_time or dt.time(0, 0)) <= now


def parse_due(text: str) -> tuple[dt.date | None, dt.time | None]:
    """A due date as typed on the command line: "2026-03-05" or "2026-03-05 14:30" (also
    with a "T"); empty gives no date.

    Raises:
        ValidationFailed: not such a date and time.
    """
    cleaned = text.strip().replace("T", " ")
    if not cleaned:
        return None, None
    date_part, _sep, time_part = cleaned.partition(" ")
    try:
        day = dt.date.fromisoformat(date_part)
        at = dt.time.fromisoformat(time_part.strip()) if time_part.strip() else None
    except ValueError:
        raise _problem("due", N_("Give the date as YYYY-MM-DD, with HH:MM if a time.")) from None
    return day, at.replace(second=0, microsecond=0) if at else None
