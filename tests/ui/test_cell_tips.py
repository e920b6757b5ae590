"""A cell whose column cuts its text shows the whole text when the pointer rests on it,
in every list of the app (one application filter, ``ui/common/cell_tips.py``)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, QPoint, Qt
from PySide6.QtGui import QHelpEvent, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QApplication, QTableView, QToolTip
from pytestqt.qtbot import QtBot

from privacycrm_desktop.ui.common import cell_tips

#: The offscreen platform cannot raise a tooltip window; the tooltip is shown all the same.
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support (raise|grabbing)")

LONG = "Consentement enregistré pour le marketing par e-mail"


@pytest.fixture
def table(qtbot: QtBot, qapp: QApplication) -> QTableView:
    model = QStandardItemModel(2, 2)
    model.setItem(0, 0, QStandardItem(LONG))
    model.setItem(0, 1, QStandardItem("Oui"))
    own = QStandardItem(LONG)
    own.setData("its own tip", Qt.ItemDataRole.ToolTipRole)
    model.setItem(1, 0, own)
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(model)
    view.setColumnWidth(0, 60)
    view.setColumnWidth(1, 120)
    view.resize(400, 200)
    view.show()
    qtbot.waitExposed(view)
    tips = cell_tips.install(qapp)
    yield view
    qapp.removeEventFilter(tips)
    QToolTip.hideText()


def hover(view: QTableView, row: int, column: int) -> str:
    QToolTip.hideText()
    at = view.visualRect(view.model().index(row, column)).center()
    event = QHelpEvent(QEvent.Type.ToolTip, at, view.viewport().mapToGlobal(at))
    QApplication.sendEvent(view.viewport(), event)
    return QToolTip.text() if QToolTip.isVisible() else ""


def test_a_cut_cell_shows_its_whole_text(table: QTableView) -> None:
    assert hover(table, 0, 0) == LONG


def test_a_cell_shown_whole_has_no_tip(table: QTableView) -> None:
    assert hover(table, 0, 1) == ""


def test_a_models_own_tip_is_left_to_it(table: QTableView) -> None:
    assert hover(table, 1, 0) == "its own tip"


def test_outside_the_cells_nothing_is_shown(table: QTableView) -> None:
    QToolTip.hideText()
    below = QPoint(5, table.viewport().height() - 3)
    event = QHelpEvent(QEvent.Type.ToolTip, below, table.viewport().mapToGlobal(below))
    QApplication.sendEvent(table.viewport(), event)
    assert not QToolTip.isVisible()
