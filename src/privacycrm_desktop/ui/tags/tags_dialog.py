"""Contacts > Tags...: the tags with their colours and how many contacts carry each; add,
rename, recolour, merge and delete.

The dialog calls ``TagService`` only; a refusal (a name taken, a role that may not merge)
shows in its message line in the user's language. Names are asked with ``QInputDialog``,
colours with ``QColorDialog``, a merge's other tag with ``QInputDialog.getItem`` and a
deletion is confirmed with ``QMessageBox``.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import IntEnum
from typing import Any

from PySide6.QtCore import QObject, QSize, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QColorDialog,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from privacycrm_desktop.domain.access import Permission, has_permission
from privacycrm_desktop.domain.errors import DomainError
from privacycrm_desktop.i18n import N_, _, describe_error, ngettext
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.tags import TagInfo, TagService
from privacycrm_desktop.ui.common import messages
from privacycrm_desktop.ui.common.rows_model import RowsModel
from privacycrm_desktop.ui.common.widgets import ErrorLabel
from privacycrm_desktop.ui.common.window_size import size_window


class TagColumn(IntEnum):
    """The tag table's columns."""

    NAME = 0
    CONTACTS = 1


TAG_COLUMN_TITLES = {TagColumn.NAME: N_("Tag"), TagColumn.CONTACTS: N_("Contacts")}


class TagTableModel(RowsModel[TagInfo]):
    """The tags, each with its colour as a swatch before its name."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(TAG_COLUMN_TITLES, parent)

    def cell(self, row: TagInfo, column: int, role: int) -> Any:
        shown = TagColumn(column)
        if role == Qt.ItemDataRole.DisplayRole:
            return row.name if shown is TagColumn.NAME else row.contacts
        if role == Qt.ItemDataRole.DecorationRole and shown is TagColumn.NAME:
            return QColor(row.colour)
        if role == Qt.ItemDataRole.TextAlignmentRole and shown is TagColumn.CONTACTS:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


class TagsDialog(QDialog):
    """The tags of the database and the actions on the selected one."""

    #: Emitted after a change that may change what the contact list shows.
    changed = Signal()

    def __init__(self, tags: TagService, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._tags = tags
        self._actor = actor
        self.setWindowTitle(_("Tags"))
        self.model = TagTableModel(self)
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.verticalHeader().hide()
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(TagColumn.NAME, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(TagColumn.CONTACTS, QHeaderView.ResizeMode.ResizeToContents)
        self.error = ErrorLabel()

        self.add_button = QPushButton(_("&Add..."))
        self.rename_button = QPushButton(_("&Rename..."))
        self.colour_button = QPushButton(_("&Colour..."))
        self.merge_button = QPushButton(_("&Merge into..."))
        self.delete_button = QPushButton(_("&Delete"))
        self.add_button.clicked.connect(self.ask_add)
        self.rename_button.clicked.connect(self.ask_rename)
        self.colour_button.clicked.connect(self.ask_colour)
        self.merge_button.clicked.connect(self.ask_merge)
        self.delete_button.clicked.connect(self.ask_delete)
        edits = has_permission(actor.role, Permission.EDIT_CONTACTS)
        settles = has_permission(actor.role, Permission.EDIT_SETTINGS)
        self._allowed = {
            self.add_button: edits,
            self.rename_button: edits,
            self.colour_button: edits,
            self.merge_button: settles,
            self.delete_button: settles,
        }
        buttons = QVBoxLayout()
        for button in self._allowed:
            buttons.addWidget(button)
        buttons.addStretch(1)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        row = QHBoxLayout()
        row.addWidget(self.view, 1)
        row.addLayout(buttons)
        layout = QVBoxLayout(self)
        layout.addLayout(row, 1)
        layout.addWidget(self.error)
        layout.addWidget(close)
        self.view.selectionModel().selectionChanged.connect(lambda *_a: self._update_buttons())
        self.reload()
        self._fit()

    def _fit(self) -> None:
        char = self.fontMetrics().averageCharWidth()
        buttons = max(b.sizeHint().width() for b in self._allowed)
        width = char * 48 + buttons
        size_window(self, QSize(width, self.fontMetrics().height() * 22))

    # -- reading ------------------------------------------------------------------------

    def reload(self, select: int | None = None) -> None:
        """Fetch the tags again, keeping (or moving) the selection to tag *select*."""
        current = self.selected_tag()
        wanted = select if select is not None else (current.id if current else None)
        self.model.set_rows(self._tags.list(self._actor))
        for row, tag in enumerate(self.model.rows):
            if tag.id == wanted:
                self.view.selectRow(row)
        self._update_buttons()

    def selected_tag(self) -> TagInfo | None:
        """The tag whose row is selected."""
        model = self.view.selectionModel()
        rows = model.selectedRows() if model is not None else []
        return self.model.row_at(rows[0].row()) if rows else None

    def select(self, name: str) -> None:
        """Select the tag called *name*."""
        for row, tag in enumerate(self.model.rows):
            if tag.name == name:
                self.view.selectRow(row)

    def _update_buttons(self) -> None:
        chosen = self.selected_tag() is not None
        for button, allowed in self._allowed.items():
            button.setEnabled(allowed and (chosen or button is self.add_button))
        if len(self.model.rows) < 2:
            self.merge_button.setEnabled(False)

    # -- acting -------------------------------------------------------------------------

    def _run(self, action: Callable[[], object]) -> bool:
        try:
            action()
        except DomainError as exc:
            self.error.show_message(describe_error(exc))
            return False
        self.error.show_message("")
        return True

    def ask_add(self) -> None:
        """Ask a name and make the tag."""
        name, ok = QInputDialog.getText(self, _("New tag"), _("&Name of the tag:"))
        if not ok:
            return
        made: list[int] = []
        if self._run(lambda: made.append(self._tags.create(self._actor, name))):
            self.reload(made[0])

    def ask_rename(self) -> None:
        """Ask the selected tag's new name."""
        tag = self.selected_tag()
        if tag is None:
            return
        name, ok = QInputDialog.getText(self, _("Rename tag"), _("&New name:"), text=tag.name)
        if ok and self._run(lambda: self._tags.rename(self._actor, tag.id, name)):
            self.reload(tag.id)
            self.changed.emit()

    def ask_colour(self) -> None:
        """Ask the selected tag's new colour."""
        tag = self.selected_tag()
        if tag is None:
            return
        colour = QColorDialog.getColor(QColor(tag.colour), self, _("Colour of the tag"))
        if colour.isValid() and self._run(
            lambda: self._tags.recolour(self._actor, tag.id, colour.name())
        ):
            self.reload(tag.id)

    def ask_merge(self) -> None:
        """Ask which tag the selected one merges into, then merge."""
        tag = self.selected_tag()
        if tag is None:
            return
        others = [t for t in self.model.rows if t.id != tag.id]
        names = [t.name for t in others]
        chosen, ok = QInputDialog.getItem(
            self,
            _("Merge tag"),
            _("The contacts with {name} get this tag, and {name} goes:").format(name=tag.name),
            names,
            0,
            False,
        )
        if not ok or chosen not in names:
            return
        into = others[names.index(chosen)]
        if self._run(lambda: self._tags.merge(self._actor, tag.id, into.id)):
            self.reload(into.id)
            self.changed.emit()

    def ask_delete(self) -> None:
        """Confirm, then delete the selected tag (it comes off every contact)."""
        tag = self.selected_tag()
        if tag is None:
            return
        text = ngettext(
            "Delete the tag {name}? It comes off {n} contact.",
            "Delete the tag {name}? It comes off {n} contacts.",
            tag.contacts,
        ).format(name=tag.name, n=tag.contacts)
        # No by default: Enter does not take a tag off every contact.
        answer = messages.question(
            self, _("Delete tag"), text, default=QMessageBox.StandardButton.No
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        if self._run(lambda: self._tags.delete(self._actor, tag.id)):
            self.reload()
            self.changed.emit()
