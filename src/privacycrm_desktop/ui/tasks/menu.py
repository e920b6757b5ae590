"""The main window's Tasks menu and reminders: My day (Ctrl+D, also shown after sign-in),
Task list... and New task... (Ctrl+Shift+T: about the contact on the card, when one is).

Reminders while the app runs: once a minute the open tasks of the signed-in user whose
date and time have come, or come within the next ``REMIND_AHEAD`` minutes, are read; a
task not reminded of before turns on a notice in the status bar (a count, no title: the
status bar stays visible behind the idle lock) that opens My day, and the window asks for
attention (the taskbar entry flashes) without taking the focus. Each task is reminded of
once; those due already at sign-in are in My day, shown then. Nothing is read while the
window is locked.
"""

from __future__ import annotations

import datetime as dt
import html
import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QApplication, QLabel

from privacycrm_desktop.domain.contacts import display_name
from privacycrm_desktop.domain.errors import DomainError
from privacycrm_desktop.domain.tasks import ItemKind, TaskDraft, TaskOrigin, may_add_tasks
from privacycrm_desktop.i18n import _, describe_error, ngettext
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services

if TYPE_CHECKING:
    from privacycrm_desktop.services.my_day import DayItem
    from privacycrm_desktop.ui.main_window import MainWindow
    from privacycrm_desktop.ui.tasks.my_day import MyDayDialog
    from privacycrm_desktop.ui.tasks.task_dialog import TaskDialog
    from privacycrm_desktop.ui.tasks.task_list import TaskListDialog

log = logging.getLogger(__name__)

#: How often the reminders look for tasks that have come due.
REMINDER_MS = 60_000
#: How long before its time a task is reminded of.
REMIND_AHEAD = dt.timedelta(minutes=10)


class TaskActions(QObject):
    """Tasks > My day, Task list..., New task...; the reminders."""

    def __init__(self, window: MainWindow, services: Services, actor: Actor) -> None:
        super().__init__(window)
        self._window = window
        self._services = services
        self._actor = actor
        self.my_day_dialog: MyDayDialog | None = None
        self.menu = window.menuBar().addMenu(_("Tas&ks"))
        self.my_day_action = QAction(_("&My day"), window)
        self.my_day_action.setShortcut(QKeySequence("Ctrl+D"))
        self.my_day_action.triggered.connect(self.show_my_day)
        self.list_action = QAction(_("&Task list..."), window)
        # triggered(bool) and clicked(bool) would pass their "checked" False as the contact.
        self.list_action.triggered.connect(lambda: self.show_task_list(None))
        self.new_action = QAction(_("&New task..."), window)
        self.new_action.setShortcut(QKeySequence("Ctrl+Shift+T"))
        self.new_action.triggered.connect(self._new_from_menu)
        self.new_action.setEnabled(may_add_tasks(actor.role))
        for action in (self.my_day_action, self.list_action, self.new_action):
            self.menu.addAction(action)
            window.addAction(action)
        self.notice = QLabel()
        self.notice.setObjectName("task_notice")
        self.notice.setStyleSheet("font-weight: bold;")
        self.notice.linkActivated.connect(self._notice_clicked)
        self.notice.hide()
        window.statusBar().addWidget(self.notice)
        #: The tasks reminded of already (or shown in My day at start); None until the
        #: reminders start.
        self._reminded: set[int] | None = None
        # The clock, not the task service: its queries and model are not needed by the
        # first paint (issue 23); read after it.
        self._started = services.clock.now()
        self.timer = QTimer(self)
        self.timer.setInterval(REMINDER_MS)
        self.timer.timeout.connect(self.check_reminders)
        # Not needed by the first paint of the list: right after it.
        window.after_first_paint(self._start_reminders)

    @property
    def reminded(self) -> set[int]:
        """The tasks reminded of already: at the start, those due then (in My day)."""
        if self._reminded is None:
            # Read after the first paint, as of the start: those due by then.
            tasks = self._services.tasks
            since = self._started - self._services.clock.now()
            self._reminded = set(tasks.due_reminders(self._actor, since))
        return self._reminded

    def _start_reminders(self) -> None:
        self.timer.start()
        try:
            self.reminded.update(())  # the tasks due at the start are not news
        except Exception as exc:
            # Nobody asked for it: a server that refuses the desk now (the owner's reset
            # ended its sessions) or is briefly away gets no dialog; the next check reads.
            log.log(logging.WARNING, "task reminders not read (%s)", type(exc).__name__)

    # -- windows ------------------------------------------------------------------------

    def _new_from_menu(self) -> None:
        self.new_task()

    def _notice_clicked(self, _link: str) -> None:
        if self.notice.isEnabled():  # a disabled status bar (the idle lock) opens nothing
            self.show_my_day()

    def show_my_day(self) -> MyDayDialog:
        """Show My day (the open one, brought to the front and read again)."""
        from privacycrm_desktop.ui.tasks.my_day import MyDayDialog

        self.notice.hide()
        dialog = self.my_day_dialog
        if dialog is not None and dialog.isVisible():
            dialog.refresh()
            dialog.raise_()
            dialog.activateWindow()
            return dialog
        dialog = MyDayDialog(self._services, self._actor, self._window)
        dialog.new_button.clicked.connect(lambda: self.new_task(after=dialog.refresh))
        dialog.list_button.clicked.connect(lambda: self.show_task_list(None))
        dialog.follow_up.connect(self.task_for_item)
        self.my_day_dialog = dialog
        dialog.show()
        return dialog

    def show_task_list(self, contact_id: int | None = None) -> TaskListDialog:
        """Open the task list (of one person, when given)."""
        from privacycrm_desktop.ui.tasks.task_list import TaskListDialog

        dialog = TaskListDialog(self._services, self._actor, self._window, contact_id)
        dialog.new_button.clicked.connect(lambda: self.new_task(after=dialog.refresh))
        dialog.open()
        return dialog

    def task_for_item(self, item: DayItem) -> TaskDialog | None:
        """A task for a request's deadline or a consent to re-confirm, about its person,
        due on its date, with its origin."""
        # Here, not at the top: the day's texts bring the tasks' queries and model, which
        # the first paint does not need (issue 23).
        from privacycrm_desktop.services.day_text import item_text

        origin = (
            TaskOrigin.REQUEST_DEADLINE
            if item.kind is ItemKind.REQUEST_DEADLINE
            else TaskOrigin.CONSENT_RECONFIRMATION
        )
        return self.new_task(
            item.contact_id,
            title=item_text(item),
            due=item.due_on,
            origin=origin,
            about=item.contact_name,
        )

    def new_task(
        self,
        contact_id: int | None = None,
        after: object = None,
        *,
        title: str = "",
        due: dt.date | None = None,
        origin: TaskOrigin = TaskOrigin.MANUAL,
        about: str = "",
    ) -> TaskDialog | None:
        """Open the new-task dialog, about *contact_id* or else the contact on the card."""
        from privacycrm_desktop.ui.tasks.task_dialog import TaskDialog

        if not self._services.tasks.may_add(self._actor):
            return None
        card = getattr(self._window, "card", None)
        if contact_id is None and card is not None and card.card is not None:
            contact_id = card.contact_id
        if contact_id is not None and card is not None and card.card is not None:
            detail = card.card.detail
            if detail.id == contact_id and not about:
                about = display_name(detail.first_name, detail.last_name, detail.organisation)
        if not self._services.tasks.may_add(self._actor, about_person=True):
            contact_id, about = None, ""

        def save(draft: TaskDraft) -> str:
            try:
                self._services.tasks.add(self._actor, draft)
            except DomainError as exc:
                return describe_error(exc)
            if callable(after):
                after()
            if self.my_day_dialog is not None and self.my_day_dialog.isVisible():
                self.my_day_dialog.refresh()
            return ""

        dialog = TaskDialog(
            self._services.tasks.users(self._actor),
            self._actor.user_id,
            self._services.tasks.now().date(),
            about or (_("Contact no. {id}").format(id=contact_id) if contact_id else ""),
            self._window,
            save=save,
            contact_id=contact_id,
            title=title,
            due=due,
            origin=origin,
        )
        dialog.open()
        return dialog

    # -- reminders ----------------------------------------------------------------------

    def check_reminders(self) -> int:
        """Look for tasks that have come due or come due soon; returns how many are new."""
        if getattr(self._window, "locked", False):
            return 0
        try:
            due = set(self._services.tasks.due_reminders(self._actor))
            coming = self._services.tasks.due_reminders(self._actor, REMIND_AHEAD)
            new = [t for t in coming if t not in self.reminded]
        except Exception as exc:  # as at the start: logged, read again at the next check
            log.log(logging.WARNING, "task reminders not read (%s)", type(exc).__name__)
            return 0
        self.reminded.update(coming)
        if not new:
            return len(new)
        # A short notice (the status bar is shared with the counts), never squeezed; the
        # whole sentence, with the shortcut, is its tooltip.
        minutes = int(REMIND_AHEAD.total_seconds() // 60)
        if any(t in due for t in new):
            short = ngettext("A task is due now", "{n} tasks are due now", len(new))
            text = ngettext(
                "A task is due now: see My day (Ctrl+D)",
                "{n} tasks are due now: see My day (Ctrl+D)",
                len(new),
            ).format(n=len(new))
        else:
            short = ngettext(
                "A task is due within {minutes} min",
                "{n} tasks are due within {minutes} min",
                len(new),
            )
            text = ngettext(
                "A task is due within {minutes} minutes: see My day (Ctrl+D)",
                "{n} tasks are due within {minutes} minutes: see My day (Ctrl+D)",
                len(new),
            ).format(n=len(new), minutes=minutes)
        short = short.format(n=len(new), minutes=minutes)
        self.notice.setText(f'<a href="#my-day">{html.escape(short)}</a>')
        self.notice.setToolTip(text)
        self.notice.setMinimumWidth(self.notice.sizeHint().width())
        self.notice.show()
        QApplication.alert(self._window)
        return len(new)


def add_task_actions(window: MainWindow, services: Services, actor: Actor) -> TaskActions:
    """The Tasks menu and the reminders of *window*."""
    return TaskActions(window, services, actor)
