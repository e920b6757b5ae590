"""``privacycrm-cli task add|list|done|assign|my-day`` (docs/architecture.md, "Headless
interface"; names may grow, never change).

``task add TITLE`` (or ``--title TITLE``) ``[--due "YYYY-MM-DD[ HH:MM]"] [--assign USER]
[--contact ID | --company ID] [--details TEXT]`` prints the new task's id; ``task list``
the open tasks (``--mine``, ``--overdue``, ``--all`` with the done ones); ``task done ID``
ticks one off (``--undo`` opens it again); ``task my-day`` prints "My day". JSON leaves a
task's text out when the field matrix hides it (``"hidden": true``).
"""

from __future__ import annotations

from typing import Any

from privacycrm_desktop.cli import output as out
from privacycrm_desktop.cli.context import CliFailure, Context
from privacycrm_desktop.cli.options import Parents, Subparsers, record_id
from privacycrm_desktop.domain.tasks import DAY_GROUP_LABELS, DayGroup, TaskDraft, parse_due
from privacycrm_desktop.i18n import _
from privacycrm_desktop.services.day_text import item_about, item_text, task_about, task_text
from privacycrm_desktop.services.my_day import DayItem
from privacycrm_desktop.services.tasks import TaskInfo


def register(commands: Subparsers, parents: Parents) -> None:
    """Add the ``task`` commands to the parser."""
    task = commands.add_parser("task", help=_("tasks and follow-ups"))
    sub = task.add_subparsers(dest="task_command", required=True, metavar="COMMAND")
    p = sub.add_parser("add", parents=parents, help=_("add a task; prints its id"))
    p.add_argument("title", nargs="?", help=_("what is to be done"))
    p.add_argument("--title", dest="title_option", metavar="TITLE", help=_("the same, named"))
    p.add_argument("--due", default="", help=_('due date, "YYYY-MM-DD" or "YYYY-MM-DD HH:MM"'))
    p.add_argument(
        "--assign", "--assignee", dest="assign", metavar="USER", help=_("the user who does it")
    )
    link = p.add_mutually_exclusive_group()
    link.add_argument("--contact", type=record_id, metavar="ID", help=_("the person it is about"))
    link.add_argument("--company", type=record_id, metavar="ID", help=_("the company it is about"))
    p.add_argument("--details", default="", help=_("more about it"))
    p.set_defaults(run=cmd_task_add)
    p = sub.add_parser("list", parents=parents, help=_("open tasks, soonest due first"))
    p.add_argument("--mine", action="store_true", help=_("only the tasks given to me"))
    p.add_argument("--overdue", action="store_true", help=_("only the overdue ones"))
    p.add_argument("--all", action="store_true", help=_("the done ones too"))
    p.add_argument(
        "--contact", type=record_id, metavar="ID", help=_("only those about this person")
    )
    p.set_defaults(run=cmd_task_list)
    p = sub.add_parser("done", parents=parents, help=_("tick a task off"))
    p.add_argument("id", type=record_id, help=_("the task"))
    p.add_argument("--undo", action="store_true", help=_("open it again"))
    p.set_defaults(run=cmd_task_done)
    p = sub.add_parser("assign", parents=parents, help=_("give a task to another user"))
    p.add_argument("id", type=record_id, help=_("the task"))
    # Not "user": that is the global --user who signs in (seen: the assignee signed in).
    p.add_argument("assignee", metavar="USER", help=_("the user who does it"))
    p.set_defaults(run=cmd_task_assign)
    p = sub.add_parser(
        "my-day", parents=parents, help=_("overdue, today and this week, for the signed-in user")
    )
    p.set_defaults(run=cmd_task_my_day)


def cmd_task_add(ctx: Context) -> int:
    actor, a = ctx.actor(), ctx.args
    if a.title is not None and a.title_option is not None:
        raise CliFailure(_("Give the title once."))
    title = a.title if a.title is not None else a.title_option
    if title is None:
        raise CliFailure(_("Say what is to be done (the title)."))
    tasks = ctx.services.tasks
    due_on, due_time = parse_due(a.due)
    assignee = tasks.user_id(actor, a.assign) if a.assign else None
    task_id = tasks.add(
        actor, TaskDraft(title, a.details, due_on, due_time, assignee, a.contact, a.company)
    )
    ctx.emit({"id": task_id}, lambda: str(task_id))
    return 0


def task_document(task: TaskInfo) -> dict[str, Any]:
    """A task as JSON: its text left out (and marked hidden) when the role may not read it."""
    document: dict[str, Any] = {"id": task.id}
    if task.hidden:
        document["hidden"] = True
    else:
        document.update(title=task.title, details=task.details)
    document.update(
        due_on=task.due_on.isoformat() if task.due_on else None,
        due_time=task.due_time.strftime("%H:%M") if task.due_time else None,
        assignee=task.assignee,
        contact_id=task.contact_id,
        contact=task.contact_name or None,
        company_id=task.company_id,
        company=task.company_name or None,
        origin=task.origin.value,
        created_by=task.created_by,
        created_at=task.created_at.isoformat(),
        done=task.done,
        done_at=task.done_at.isoformat() if task.done_at else None,
        done_by=task.done_by or None,
    )
    return document


def _due(task: TaskInfo | DayItem) -> str:
    if task.due_on is None:
        return ""
    return task.due_on.isoformat() + (f" {task.due_time:%H:%M}" if task.due_time else "")


def cmd_task_list(ctx: Context) -> int:
    a = ctx.args
    tasks = ctx.services.tasks.list_tasks(
        ctx.actor(), mine=a.mine, overdue=a.overdue, include_done=a.all, contact_id=a.contact
    )
    ctx.emit(
        {"tasks": [task_document(t) for t in tasks]},
        lambda: out.table(
            [_("Id"), _("Due"), _("Task"), _("About"), _("Assigned to"), _("Done")],
            [
                [t.id, _due(t), task_text(t), task_about(t), t.assignee, _("yes") if t.done else ""]
                for t in tasks
            ],
        ),
    )
    return 0


def cmd_task_done(ctx: Context) -> int:
    a = ctx.args
    task = ctx.services.tasks.set_done(ctx.actor(), a.id, done=not a.undo)
    ctx.emit({"id": task.id, "done": task.done}, lambda: str(task.id))
    return 0


def cmd_task_assign(ctx: Context) -> int:
    actor, a = ctx.actor(), ctx.args
    tasks = ctx.services.tasks
    tasks.reassign(actor, a.id, tasks.user_id(actor, a.assignee))
    ctx.emit({"id": a.id, "assignee": a.assignee.strip()}, lambda: str(a.id))
    return 0


def _item_document(item: DayItem) -> dict[str, Any]:
    document: dict[str, Any] = {"kind": item.kind.value, "group": item.group.value}
    document["due_on"] = item.due_on.isoformat()
    document["due_time"] = item.due_time.strftime("%H:%M") if item.due_time else None
    if item.task_id is not None:
        document["task_id"] = item.task_id
        if item.hidden:
            document["hidden"] = True
        else:
            document["title"] = item.title
    if item.request_id is not None:
        document.update(
            request_id=item.request_id,
            request_kind=item.request_kind.value if item.request_kind else None,
            reference=item.reference,
        )
    if item.contact_id is not None:
        document.update(contact_id=item.contact_id, contact=item.contact_name)
    return document


def cmd_task_my_day(ctx: Context) -> int:
    day = ctx.services.my_day.my_day(ctx.actor())
    document = {
        "now": day.now.isoformat(timespec="minutes"),
        "items": [_item_document(i) for i in day.items],
        "totals": {g.value: day.total(g) for g in DayGroup},
    }

    def text() -> str:
        parts = []
        for group in DayGroup:
            items = day.in_group(group)
            parts.append(f"{_(DAY_GROUP_LABELS[group])} ({day.total(group)})")
            parts += [f"  {_due(i)}  {item_text(i)}  {item_about(i)}".rstrip() for i in items]
        return "\n".join(parts)

    ctx.emit(document, text)
    return 0
