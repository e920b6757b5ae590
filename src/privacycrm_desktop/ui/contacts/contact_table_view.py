"""The contact list's view: tells whoever asks when it first painted (the start-up
benchmark), and hands Select all and Escape to the main window."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from PySide6.QtCore import QEvent, QItemSelectionModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QKeyEvent, QPaintEvent
from PySide6.QtWidgets import QAbstractItemView, QTableView, QWidget

from privacycrm_desktop.domain.access import FieldAccess
from privacycrm_desktop.domain.custom_fields import catalogue_name
from privacycrm_desktop.services.dto import ROW_FIELDS
from privacycrm_desktop.ui.contacts.contact_table_model import Column

#: The fields each list column shows; the column goes when all of them are hidden. The
#: service's row says which fields each column shows (``ROW_FIELDS``); the keep-until date
#: shows no personal field and always stays.
COLUMN_FIELDS = {column: ROW_FIELDS.get(column.name.lower(), ()) for column in Column}

#: Ctrl+Shift with these extends the selection to the first or last row (Qt's own
#: extended selection only moves the current row when Ctrl is held).
_TO_THE_ENDS = frozenset({Qt.Key.Key_Home, Qt.Key.Key_End})
_CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


class ContactTableView(QTableView):
    """The list; tells whoever asks when it first painted (start-up benchmark).

    Select all (Ctrl+A) and Escape go to the window (``select_all_callback``: a selection
    by query, not of a million rows; ``escape_callback``: back to the search field).
    Ctrl+Shift+End and Ctrl+Shift+Home extend the selection to the last or first row, as
    Shift+click does: one range of rows (``selectionCommand``), whatever its length.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.first_paint_callback: Callable[[], None] | None = None
        self.select_all_callback: Callable[[], None] | None = None
        self.escape_callback: Callable[[], None] | None = None
        #: The columns hidden because the role may not see their fields (not by the user).
        self.hidden_by_access: set[int] = set()

    def follow_field_access(self, access: Mapping[str, FieldAccess]) -> None:
        """A field hidden from the user's role has no column at all, not an empty one: at
        the start, and when the owner changes the field matrix on another desk (a column
        the owner shows again comes back; one the user hid stays hidden)."""
        columns = {int(column): fields for column, fields in COLUMN_FIELDS.items()}
        model = self.model()
        for number, definition in enumerate(getattr(model, "custom_fields", ())):
            # The owner's fields the list shows, after the fixed columns.
            columns[len(Column) + number] = (catalogue_name(definition.key),)
        for column, fields in columns.items():
            hidden = bool(fields) and all(access.get(f) is FieldAccess.HIDDEN for f in fields)
            if hidden and not self.isColumnHidden(column):
                self.setColumnHidden(column, True)
                self.hidden_by_access.add(column)
            elif not hidden and column in self.hidden_by_access:
                self.setColumnHidden(column, False)
                self.hidden_by_access.discard(column)

    def selectAll(self) -> None:
        if self.select_all_callback is not None:
            self.select_all_callback()
        else:
            super().selectAll()

    def selectionCommand(
        self, index: QModelIndex | QPersistentModelIndex, event: QEvent | None = None
    ) -> QItemSelectionModel.SelectionFlag:
        if (
            isinstance(event, QKeyEvent)
            and event.type() == QEvent.Type.KeyPress
            and event.key() in _TO_THE_ENDS
            and event.modifiers() & _CTRL_SHIFT == _CTRL_SHIFT
            and self.selectionMode() == QAbstractItemView.SelectionMode.ExtendedSelection
        ):
            # What Shift alone gives: from the anchor to the new current row, one range.
            flags = QItemSelectionModel.SelectionFlag
            return flags.SelectCurrent | flags.Rows
        return super().selectionCommand(index, event)

    def moveCursor(
        self, action: QAbstractItemView.CursorAction, modifiers: Qt.KeyboardModifier
    ) -> QModelIndex:
        # Home and End go to the first and last contact, as Ctrl+Home and Ctrl+End do: rows
        # are selected whole, so their table meaning (the row's first or last column) moved
        # nothing anyone could see.
        if action in (
            QAbstractItemView.CursorAction.MoveHome,
            QAbstractItemView.CursorAction.MoveEnd,
        ):
            modifiers |= Qt.KeyboardModifier.ControlModifier
        return super().moveCursor(action, modifiers)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape and self.escape_callback is not None:
            self.escape_callback()
            event.accept()
            return
        super().keyPressEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        callback, self.first_paint_callback = self.first_paint_callback, None
        if callback is not None:
            callback()
