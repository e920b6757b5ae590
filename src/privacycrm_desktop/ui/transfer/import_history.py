"""Past imports and their undo: the "Import history" dialog and the shared undo step.

An import can be undone as long as none of its contacts was edited since (the service
decides, ``ImportBatchRow.undoable``); the button says why when it cannot, asks first, and
shows the service's refusal (``ImportUndoRefused``) in plain words.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import IntEnum
from typing import Any

from PySide6.QtCore import (
    QObject,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from privacycrm_desktop.domain.errors import DomainError
from privacycrm_desktop.i18n import (
    N_,
    _,
    describe_error,
    format_number,
    local_clock,
    local_date,
    ngettext,
)
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.imports import ImportBatchRow
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.ui.common import messages
from privacycrm_desktop.ui.common.date_fields import format_date
from privacycrm_desktop.ui.common.rows_model import ROW_ROLE, RowsModel
from privacycrm_desktop.ui.common.window_size import size_window

#: The row object behind a line of the history (custom role).
BATCH_ROLE = ROW_ROLE


class BatchColumn(IntEnum):
    """Columns of the import history."""

    FILE = 0
    WHEN = 1
    BY = 2
    CONTACTS = 3
    STATE = 4


BATCH_TITLES = {
    BatchColumn.FILE: N_("File"),
    BatchColumn.WHEN: N_("Imported on"),
    BatchColumn.BY: N_("By"),
    BatchColumn.CONTACTS: N_("Contacts"),
    BatchColumn.STATE: N_("Undo"),
}


def batch_state(batch: ImportBatchRow) -> str:
    """Whether *batch* can be undone, in words (also the Undo button's tooltip); a batch
    that did not finish (its process was killed) says so first."""
    if batch.undone:
        return _("Undone already")
    if not batch.undoable:
        state = _("Not possible: some of its contacts were changed since")
    else:
        state = _("Possible")
    ended = {
        "interrupted": _("Interrupted (only part of the file)"),
        "failed": _("Stopped by a storage failure (only part of the file)"),
        "cancelled": _("Cancelled (only part of the file)"),
    }.get(batch.status)
    return f"{ended}. {state}" if ended else state


class ImportBatchModel(RowsModel[ImportBatchRow]):
    """The past imports, newest first as the service lists them."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(BATCH_TITLES, parent)

    def cell(self, row: ImportBatchRow, column: int, role: int) -> Any:
        shown = BatchColumn(column)
        if role == Qt.ItemDataRole.TextAlignmentRole and shown is BatchColumn.CONTACTS:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return None
        texts: dict[BatchColumn, Callable[[], str]] = {
            BatchColumn.FILE: lambda: row.file_name,
            BatchColumn.WHEN: lambda: (
                f"{format_date(local_date(row.created_at))} {local_clock(row.created_at)}"
            ),
            BatchColumn.BY: lambda: row.created_by,
            BatchColumn.CONTACTS: lambda: format_number(row.contacts),
            BatchColumn.STATE: lambda: batch_state(row),
        }
        return texts[shown]()


def undo_import(
    parent: QWidget, services: Services, actor: Actor, batch_id: int, file_name: str, count: int
) -> int | None:
    """Ask, then undo the import *batch_id*; the number of contacts removed, or None
    when the user said no or the service refused (the refusal is shown)."""
    answer = messages.question(
        parent,
        _("Undo import"),
        ngettext(
            "Undo the import of {file}? The {count} contact it added is removed for good, and "
            "what it added to existing contacts is taken out again.",
            "Undo the import of {file}? The {count} contacts it added are removed for good, and "
            "what it added to existing contacts is taken out again.",
            count,
        ).format(file=file_name, count=format_number(count)),
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        QMessageBox.StandardButton.No,
    )
    if answer != QMessageBox.StandardButton.Yes:
        return None
    try:
        return services.imports.undo(actor, batch_id)
    except DomainError as exc:
        messages.warning(parent, _("Undo import"), describe_error(exc))
        return None


class ImportHistoryDialog(QDialog):
    """The list of past imports, with "Undo import"."""

    #: Contacts were removed: the main list should reload.
    contacts_changed = Signal()

    def __init__(self, services: Services, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._services = services
        self._actor = actor
        self.setWindowTitle(_("Import history"))
        self.model = ImportBatchModel(self)
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.verticalHeader().hide()
        self.view.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.view.setWordWrap(False)
        intro = QLabel(
            _(
                "Undoing an import removes the contacts it added. It is possible as long as "
                "none of them was changed since."
            )
        )
        intro.setWordWrap(True)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.undo_button = QPushButton(_("&Undo import..."))
        self.undo_button.clicked.connect(self.undo_selected)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        row = QHBoxLayout()
        row.addWidget(self.undo_button)
        row.addWidget(self.message, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.view, 1)
        layout.addLayout(row)
        layout.addWidget(buttons)
        self.view.selectionModel().currentRowChanged.connect(self._update_button)
        self.reload()
        width = self.fontMetrics().averageCharWidth()
        size_window(self, QSize(width * 125, self.fontMetrics().height() * 24))

    def reload(self) -> None:
        """Read the imports again (through the service)."""
        try:
            batches = self._services.imports.batches(self._actor)
        except DomainError as exc:
            batches = []
            self.message.setText(describe_error(exc))
        self.model.set_rows(batches)
        if batches:
            self.view.selectRow(0)
        self._update_button()

    def selected(self) -> ImportBatchRow | None:
        """The import the cursor is on."""
        index = self.view.currentIndex()
        return self.model.row_at(index.row()) if index.isValid() else None

    def _update_button(self) -> None:
        batch = self.selected()
        if batch is None:
            self.undo_button.setEnabled(False)
            self.undo_button.setToolTip(_("Select an import first."))
            return
        possible = batch.undoable and not batch.undone
        self.undo_button.setEnabled(possible)
        self.undo_button.setToolTip("" if possible else batch_state(batch))

    def undo_selected(self) -> int | None:
        """Undo the selected import after asking; the number of contacts removed."""
        batch = self.selected()
        if batch is None:
            return None
        self.message.setText("")
        removed = undo_import(
            self, self._services, self._actor, batch.id, batch.file_name, batch.contacts
        )
        if removed is not None:
            self.message.setText(
                ngettext(
                    "Undone: {count} contact removed.", "Undone: {count} contacts removed.", removed
                ).format(count=format_number(removed))
            )
            self.contacts_changed.emit()
        current = self.view.currentIndex().row()
        message = self.message.text()
        self.reload()
        self.message.setText(message)
        if 0 <= current < self.model.rowCount():
            self.view.selectRow(current)
        return removed
