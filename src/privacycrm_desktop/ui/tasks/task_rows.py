"""What the task views share: the due date as the user writes it, and ticking a task off
from a row's check box (a refusal is said in the view's message line)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from PySide6.QtCore import QLocale, Qt, QTime
from PySide6.QtWidgets import QTreeWidgetItem

from privacycrm_desktop.domain.errors import DomainError
from privacycrm_desktop.i18n import _, describe_error
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.tasks import TaskService
from privacycrm_desktop.ui.common.date_fields import format_date

#: The item data role holding a row's task id (None for other lines).
TASK_ID_ROLE = Qt.ItemDataRole.UserRole + 1


def due_text(due_on: dt.date | None, due_time: dt.time | None, today: dt.date) -> str:
    """ "Today 14:30", "12/03/2026", "" for no date; in the user's formats."""
    if due_on is None:
        return ""
    day = _("Today") if due_on == today else format_date(due_on)
    if due_time is None:
        return day
    clock = QLocale().toString(
        QTime(due_time.hour, due_time.minute), QLocale.FormatType.ShortFormat
    )
    return f"{day} {clock}"


def checkable(item: QTreeWidgetItem, task_id: int, done: bool, may_change: bool) -> None:
    """Give *item* the done box of task *task_id*."""
    item.setData(0, TASK_ID_ROLE, task_id)
    flags = item.flags() | Qt.ItemFlag.ItemIsUserCheckable
    if not may_change:
        flags &= ~Qt.ItemFlag.ItemIsEnabled
    item.setFlags(flags)
    item.setCheckState(0, Qt.CheckState.Checked if done else Qt.CheckState.Unchecked)


def tick(
    tasks: TaskService, actor: Actor, item: QTreeWidgetItem, column: int, say: Callable[[str], None]
) -> bool:
    """The box of *item* changed: tick the task off (or open it again). False when the
    service refused (the box is put back and *say* tells why)."""
    task_id = item.data(0, TASK_ID_ROLE)
    if column != 0 or task_id is None:
        return False
    done = item.checkState(0) == Qt.CheckState.Checked
    try:
        tasks.set_done(actor, int(task_id), done=done)
    except DomainError as exc:
        tree = item.treeWidget()
        blocked = tree.blockSignals(True) if tree is not None else False
        item.setCheckState(0, Qt.CheckState.Unchecked if done else Qt.CheckState.Checked)
        if tree is not None:
            tree.blockSignals(blocked)
        say(describe_error(exc))
        return False
    say("")
    return True
