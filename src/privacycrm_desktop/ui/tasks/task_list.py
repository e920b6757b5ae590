"""Tasks > Task list...: every open task (or only mine, only the overdue ones, the done ones
too), with done boxes; a new task, and handing the chosen one to another user."""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from privacycrm_desktop.domain.errors import DomainError
from privacycrm_desktop.i18n import _, describe_error
from privacycrm_desktop.services.day_text import task_about, task_text
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.services.tasks import TaskInfo
from privacycrm_desktop.ui.common.widgets import ErrorLabel
from privacycrm_desktop.ui.common.window_size import size_window
from privacycrm_desktop.ui.tasks.task_rows import TASK_ID_ROLE, checkable, due_text, tick


class TaskListDialog(QDialog):
    """The task list; *contact_id* narrows it to the tasks about one person."""

    def __init__(
        self,
        services: Services,
        actor: Actor,
        parent: QWidget | None = None,
        contact_id: int | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Tasks"))
        self._services = services
        self._actor = actor
        self._contact_id = contact_id
        self.tasks: list[TaskInfo] = []
        self.mine = QCheckBox(_("Only &mine"))
        self.mine.setChecked(contact_id is None)
        self.overdue = QCheckBox(_("Only &overdue"))
        self.show_done = QCheckBox(_("Show &done tasks"))
        filters = QHBoxLayout()
        for box in (self.mine, self.overdue, self.show_done):
            filters.addWidget(box)
            box.toggled.connect(self.refresh)
        filters.addStretch(1)
        self.tree = QTreeWidget()
        self.tree.setObjectName("task_list")
        self.tree.setColumnCount(4)
        self.tree.setHeaderLabels([_("Task"), _("Due"), _("About"), _("Assigned to")])
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in (1, 2, 3):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.tree.itemChanged.connect(self._on_changed)
        self.tree.currentItemChanged.connect(lambda *_a: self._update())
        self.error = ErrorLabel()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        self.new_button = QPushButton(_("&New task..."))
        self.give_button = QPushButton(_("&Give to..."))
        self.give_button.clicked.connect(self.give_current)
        for button in (self.new_button, self.give_button):
            buttons.addButton(button, QDialogButtonBox.ButtonRole.ActionRole)
        self.new_button.setEnabled(services.tasks.may_add(actor))
        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.refresh()
        size_window(self, QSize(760, 460))

    def refresh(self) -> None:
        """Read the tasks again, as the boxes ask."""
        self.tasks = self._services.tasks.list_tasks(
            self._actor,
            mine=self.mine.isChecked(),
            overdue=self.overdue.isChecked(),
            include_done=self.show_done.isChecked(),
            contact_id=self._contact_id,
        )
        today = self._services.tasks.now().date()
        may_change = self._services.tasks.may_add(self._actor)
        blocked = self.tree.blockSignals(True)
        self.tree.clear()
        for task in self.tasks:
            row = QTreeWidgetItem(
                [
                    task_text(task),
                    due_text(task.due_on, task.due_time, today),
                    task_about(task),
                    task.assignee,
                ]
            )
            if task.details:
                row.setToolTip(0, task.details)
            checkable(row, task.id, task.done, may_change and not task.hidden)
            self.tree.addTopLevelItem(row)
        self.tree.blockSignals(blocked)
        self._update()

    def _update(self) -> None:
        item = self.tree.currentItem()
        self.give_button.setEnabled(
            item is not None and bool(item.flags() & item.flags().ItemIsEnabled)
        )

    def _on_changed(self, item: QTreeWidgetItem, column: int) -> None:
        if tick(self._services.tasks, self._actor, item, column, self.error.show_message):
            self.refresh()

    def give_current(self) -> bool:
        """Ask for another user and hand them the chosen task."""
        item = self.tree.currentItem()
        if item is None or item.data(0, TASK_ID_ROLE) is None:
            return False
        users = self._services.tasks.users(self._actor)
        names = [u.username for u in users]
        name, ok = QInputDialog.getItem(
            self, _("Give the task to"), _("User:"), names, 0, editable=False
        )
        if not ok:
            return False
        try:
            chosen = next(u.id for u in users if u.username == name)
            self._services.tasks.reassign(self._actor, int(item.data(0, TASK_ID_ROLE)), chosen)
        except DomainError as exc:
            self.error.show_message(describe_error(exc))
            return False
        self.refresh()
        return True
