"""The whole text of a table cell the column cuts, shown when the pointer rests on it.

A column narrower than its text (a French action name in the audit trail, a long detail,
a 1024-pixel screen) shows the text elided ("Consentement enreg..."). Every list and table
of the app then shows the whole text as a tooltip, unless its model gives a tooltip of its
own: one filter on the application, so a list added later has it too.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QHelpEvent
from PySide6.QtWidgets import QAbstractItemView, QApplication, QStyle, QToolTip, QWidget


def cut_text(view: QAbstractItemView, event: QHelpEvent) -> str | None:
    """The text of the cell under *event* when the cell does not show it whole."""
    index = view.indexAt(event.pos())
    if not index.isValid() or index.data(Qt.ItemDataRole.ToolTipRole) is not None:
        return None
    text = index.data(Qt.ItemDataRole.DisplayRole)
    if not isinstance(text, str) or not text.strip():
        return None
    rect = view.visualRect(index)
    # The room the style leaves for text: the cell less a text margin at each side.
    margin = view.style().pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, view) + 1
    room = rect.width() - 2 * margin
    metrics = view.fontMetrics()
    lines = text.splitlines() or [text]
    fits = all(metrics.horizontalAdvance(line) <= room for line in lines)
    if fits and len(lines) * metrics.height() <= rect.height():
        return None
    return text


class CellTips(QObject):
    """Application event filter: a tooltip with the whole text of a cut cell."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.ToolTip or not isinstance(watched, QWidget):
            return False
        view = watched.parentWidget()
        if not isinstance(view, QAbstractItemView) or view.viewport() is not watched:
            return False
        assert isinstance(event, QHelpEvent)
        text = cut_text(view, event)
        if text is None:
            return False
        QToolTip.showText(
            event.globalPos(), text, watched, view.visualRect(view.indexAt(event.pos()))
        )
        return True


def install(app: QApplication) -> CellTips:
    """Show cut cells' whole text in every list and table of *app*."""
    tips = CellTips(app)
    app.installEventFilter(tips)
    return tips
