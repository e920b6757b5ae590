"""The data quality review: contacts to correct, with what is wrong (a simple list)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from privacycrm_desktop.i18n import _, format_number
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.quality import MAX_ROWS, QualityService
from privacycrm_desktop.ui.common.window_size import size_window

ID_ROLE = Qt.ItemDataRole.UserRole + 1


class QualityDialog(QDialog):
    """Contacts with no interaction for N years or with missing or invalid values;
    double-click (or Enter) opens one in the editor."""

    def __init__(
        self,
        quality: QualityService,
        actor: Actor,
        open_contact: Callable[[int], object],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._quality = quality
        self._actor = actor
        self._open_contact = open_contact
        self.setWindowTitle(_("Data quality review"))
        self.years = QSpinBox()
        self.years.setRange(2, 30)
        self.years.setValue(3)
        years_label = QLabel(_("No interaction for &years:"))
        years_label.setBuddy(self.years)
        self.years.valueChanged.connect(self.reload)
        self.table = QTableWidget(0, 2)
        self.table.setHorizontalHeaderLabels([_("Contact"), _("To correct")])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setColumnWidth(0, 240)
        self.table.itemActivated.connect(self._open)
        self.table.itemDoubleClicked.connect(self._open)
        self.count = QLabel()
        top = QHBoxLayout()
        top.addWidget(years_label)
        top.addWidget(self.years)
        top.addStretch(1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.count)
        layout.addWidget(buttons)
        size_window(self, QSize(760, 460))
        self.reload()

    def reload(self) -> None:
        """List the contacts to correct (at most ``MAX_ROWS``)."""
        issues = self._quality.review(self._actor, self.years.value())
        self.table.setRowCount(len(issues))
        for row, issue in enumerate(issues):
            name = QTableWidgetItem(issue.name or f"#{issue.contact_id}")
            name.setData(ID_ROLE, issue.contact_id)
            problems = "; ".join(_(msg).format(**params) for msg, params in issue.problems)
            self.table.setItem(row, 0, name)
            self.table.setItem(row, 1, QTableWidgetItem(problems))
        text = _("{count} contacts to correct.").format(count=format_number(len(issues)))
        if len(issues) >= MAX_ROWS:
            text += " " + _("Only the first {count} are listed.").format(count=MAX_ROWS)
        self.count.setText(text)

    def _open(self, item: QTableWidgetItem) -> None:
        name = self.table.item(item.row(), 0)
        if name is None:
            return
        self._open_contact(int(name.data(ID_ROLE)))
        self.reload()
