"""'My day': overdue, today and this week for the signed-in user, shown at start and by
Tasks > My day (Ctrl+D). A window of its own (not modal), so the list stays usable.

Tasks have a done box; a request's deadline and a consent to re-confirm are read from
their registers (``MyDayService``) and say what they are. A group lists at most what the
service returns and says how many more there are.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QFont, QResizeEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from privacycrm_desktop.domain.tasks import DAY_GROUP_LABELS, ITEM_KIND_LABELS, DayGroup, ItemKind
from privacycrm_desktop.i18n import _, format_long_date, ngettext
from privacycrm_desktop.services.day_text import item_about, item_text
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.my_day import MyDay
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.ui.common.widgets import ErrorLabel
from privacycrm_desktop.ui.common.window_size import size_window
from privacycrm_desktop.ui.tasks.task_rows import checkable, due_text, tick

#: The item data role holding a derived line's place in ``MyDay.items``.
ITEM_ROLE = Qt.ItemDataRole.UserRole + 2


class MyDayDialog(QDialog):
    """The signed-in user's day. Its New task... and All tasks... buttons are connected by
    the window (which knows the selected contact); a double-clicked deadline or consent to
    re-confirm is emitted as ``follow_up`` (the window offers a task for it)."""

    follow_up = Signal(object)

    def __init__(self, services: Services, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("My day"))
        self.setModal(False)
        self._services = services
        self._actor = actor
        self.day: MyDay | None = None
        self.heading = QLabel()
        font = QFont(self.heading.font())
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.2)
        self.heading.setFont(font)
        self.tree = QTreeWidget()
        self.tree.setObjectName("my_day")
        self.tree.setColumnCount(3)
        self.tree.setHeaderLabels([_("What"), _("About"), _("Due")])
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        # What the line is gets the room; About (a company's name can be very long) is
        # given at most a third of the width, elided with the whole name as its tooltip.
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.tree.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.tree.itemChanged.connect(self._on_changed)
        self.tree.itemActivated.connect(self._on_activated)
        self.error = ErrorLabel()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        self.new_button = QPushButton(_("&New task..."))
        self.list_button = QPushButton(_("&All tasks..."))
        self.refresh_button = QPushButton(_("&Refresh"))
        for button in (self.new_button, self.list_button, self.refresh_button):
            buttons.addButton(button, QDialogButtonBox.ButtonRole.ActionRole)
        self.new_button.setEnabled(services.tasks.may_add(actor))
        self.refresh_button.clicked.connect(self.refresh)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.refresh()
        size_window(self, QSize(720, 460))

    def refresh(self) -> None:
        """Read the day again and show it."""
        day = self._services.my_day.my_day(self._actor)
        self.day = day
        today = day.now.date()
        self.heading.setText(_("My day: {date}").format(date=format_long_date(today)))
        may_change = self._services.tasks.may_add(self._actor)
        blocked = self.tree.blockSignals(True)
        self.tree.clear()
        for group in DayGroup:
            items = day.in_group(group)
            total = day.total(group)
            top = QTreeWidgetItem([f"{_(DAY_GROUP_LABELS[group])} ({total})"])
            bold = QFont(self.tree.font())
            bold.setBold(True)
            top.setFont(0, bold)
            top.setFlags(Qt.ItemFlag.ItemIsEnabled)
            self.tree.addTopLevelItem(top)
            top.setFirstColumnSpanned(True)  # only once in the tree: spans the row
            if not items:
                empty = QTreeWidgetItem(["    " + _("Nothing.")])
                empty.setFlags(Qt.ItemFlag.ItemIsEnabled)
                self.tree.addTopLevelItem(empty)
                empty.setFirstColumnSpanned(True)
            for item in items:
                due = due_text(item.due_on, item.due_time, today)
                row = QTreeWidgetItem([item_text(item), item_about(item), due])
                row.setToolTip(1, item_about(item))
                if group is DayGroup.OVERDUE:
                    row.setForeground(2, Qt.GlobalColor.darkRed)
                if item.task_id is not None:
                    checkable(row, item.task_id, False, may_change and not item.hidden)
                else:
                    row.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
                    row.setData(0, ITEM_ROLE, day.items.index(item))
                    row.setToolTip(0, _("Double-click to make a task of it."))
                self.tree.addTopLevelItem(row)
        for kind in ItemKind:
            more = day.left_out(kind)
            if more > 0:
                line = QTreeWidgetItem(
                    [
                        ngettext(
                            "And {n} more ({kind}) not shown.",
                            "And {n} more ({kind}) not shown.",
                            more,
                        ).format(n=more, kind=_(ITEM_KIND_LABELS[kind]))
                    ]
                )
                line.setFlags(Qt.ItemFlag.ItemIsEnabled)
                self.tree.addTopLevelItem(line)
                line.setFirstColumnSpanned(True)
        self.tree.blockSignals(blocked)
        self._fit_about()

    def _fit_about(self) -> None:
        """About as wide as its longest line, yet at most a third of the list."""
        wanted = max(self.tree.sizeHintForColumn(1), self.tree.header().sectionSizeHint(1))
        self.tree.setColumnWidth(1, min(wanted, self.tree.viewport().width() // 3))

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Keep About within its third when the window is resized."""
        super().resizeEvent(event)
        self._fit_about()

    def _on_activated(self, row: QTreeWidgetItem, _column: int) -> None:
        index = row.data(0, ITEM_ROLE)
        if index is not None and self.day is not None:
            self.follow_up.emit(self.day.items[int(index)])

    def _on_changed(self, item: QTreeWidgetItem, column: int) -> None:
        tick(self._services.tasks, self._actor, item, column, self.error.show_message)
