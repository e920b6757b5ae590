"""The contact list's view: tells whoever asks when it first painted (the start-up
benchmark), and hands Select all and Escape to the main window."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent, QPaintEvent
from PySide6.QtWidgets import QTableView, QWidget


class ContactTableView(QTableView):
    """The list; tells whoever asks when it first painted (start-up benchmark).

    Select all (Ctrl+A) and Escape go to the window (``select_all_callback``: a selection
    by query, not of a million rows; ``escape_callback``: back to the search field).
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.first_paint_callback: Callable[[], None] | None = None
        self.select_all_callback: Callable[[], None] | None = None
        self.escape_callback: Callable[[], None] | None = None

    def selectAll(self) -> None:
        if self.select_all_callback is not None:
            self.select_all_callback()
        else:
            super().selectAll()

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
