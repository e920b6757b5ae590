"""The access report's lines for the tasks about a person (catalogue field ``tasks``): each
task's title (and details), due date and whether it is done, as the PDF prints it and as
its JSON lists it, held since the day it was made. A role that sees tasks hidden gets none
(the field matrix holds for the report as for every output); masked ones come masked.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from privacycrm_desktop.domain.access import FieldAccess
from privacycrm_desktop.domain.text import N_
from privacycrm_desktop.i18n import local_date
from privacycrm_desktop.persistence.task_models import Task
from privacycrm_desktop.persistence.unit_of_work import UnitOfWork
from privacycrm_desktop.services.dto import ContactDetail
from privacycrm_desktop.services.tasks import TASK_FIELD, task_infos

if TYPE_CHECKING:
    from privacycrm_desktop.reports.access_report import ReportDatum


def task_data(
    uow: UnitOfWork, access: dict[str, FieldAccess], detail: ContactDetail
) -> tuple[list[ReportDatum], list[dict[str, Any]]]:
    """The tasks about the contact, oldest first, as the report lists them and as its JSON
    does."""
    from privacycrm_desktop.reports.access_report import ReportDatum

    if access.get(TASK_FIELD, FieldAccess.HIDDEN) is FieldAccess.HIDDEN:
        return [], []
    with uow() as unit:
        tasks = task_infos(
            unit.session,
            access,
            select(Task).where(Task.contact_id == detail.id).order_by(Task.created_at, Task.id),
        )
    items: list[ReportDatum] = []
    entries: list[dict[str, Any]] = []
    for task in tasks:
        held = local_date(task.created_at)
        printed = task.title + (f": {task.details}" if task.details else "")
        items.append(ReportDatum(N_("Task"), printed, None, held))
        entries.append(
            {
                "contact_id": detail.id,
                "field": TASK_FIELD,
                "value": task.title,
                "details": task.details,
                "due_on": task.due_on.isoformat() if task.due_on else None,
                "done": task.done,
                "held_since": held.isoformat(),
                "source": None,
            }
        )
    return items, entries
