"""The words of a line of "My day" and of a task, in the user's language (UI and CLI).

A task shows its title; a request's deadline its kind and reference; a consent to
re-confirm the person. A task whose text the field matrix withholds says so instead of
showing an empty line.
"""

from __future__ import annotations

from privacycrm_desktop.domain.tasks import ItemKind
from privacycrm_desktop.i18n import _
from privacycrm_desktop.services.my_day import DayItem
from privacycrm_desktop.services.requests import REQUEST_KIND_LABELS
from privacycrm_desktop.services.tasks import TaskInfo


def hidden_text() -> str:
    """What stands for a task's text the role may not read."""
    return _("(hidden by the field access settings)")


def item_text(item: DayItem) -> str:
    """The line's main text."""
    if item.kind is ItemKind.REQUEST_DEADLINE:
        assert item.request_kind is not None
        return _("Answer the request {reference} ({kind})").format(
            reference=item.reference, kind=_(REQUEST_KIND_LABELS[item.request_kind])
        )
    if item.kind is ItemKind.RECONSENT:
        return _("Ask again for consent: {name}").format(name=item.contact_name or "—")
    return hidden_text() if item.hidden else item.title


def item_about(item: DayItem) -> str:
    """Whom the line is about (a person or company), "" when nobody or said already."""
    if item.kind is ItemKind.RECONSENT:
        return ""
    return item.contact_name or item.company_name


def task_text(task: TaskInfo) -> str:
    """A task's title, or what stands for it when withheld."""
    return hidden_text() if task.hidden else task.title


def task_about(task: TaskInfo) -> str:
    """Whom the task is about: the person, the company, or ""."""
    return task.contact_name or task.company_name
