"""Guard against the PySide6 6.12.0 + Python 3.11 reference leak (docs/architecture.md,
Known traps).

6.12.0 loses a reference to None on every begin/end model notification and to True on
every dataChanged/layoutChanged emit, until the process aborts. On Python 3.12+ both are
immortal and the counts never move, so the check only means something on 3.11.
"""

from __future__ import annotations

import sys
from typing import Any

import pytest
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

ROUNDS = 1_000
NOISE = 50


class TinyModel(QAbstractTableModel):
    """Three columns, a handful of rows of integers."""

    def __init__(self) -> None:
        super().__init__()
        self.rows = [[r * 3 + c for c in range(3)] for r in range(5)]

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else 3

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role != Qt.ItemDataRole.DisplayRole or not index.isValid():
            return None
        return self.rows[index.row()][index.column()]


def exercise(model: TinyModel) -> None:
    for _ in range(ROUNDS):
        model.beginResetModel()
        model.endResetModel()
        model.beginInsertRows(QModelIndex(), 5, 5)
        model.rows.append([0, 0, 0])
        model.endInsertRows()
        model.beginRemoveRows(QModelIndex(), 5, 5)
        model.rows.pop()
        model.endRemoveRows()
        model.dataChanged.emit(model.index(0, 0), model.index(4, 2))
        model.layoutAboutToBeChanged.emit()
        model.layoutChanged.emit()


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="None and True are immortal on 3.12+")
def test_model_notifications_do_not_drift_refcounts(qapp: Any) -> None:
    model = TinyModel()
    exercise(model)  # warm up caches that legitimately hold references
    none_before, true_before = sys.getrefcount(None), sys.getrefcount(True)
    exercise(model)
    none_drift = sys.getrefcount(None) - none_before
    true_drift = sys.getrefcount(True) - true_before
    assert abs(none_drift) < NOISE, f"None refcount drifted by {none_drift}"
    assert abs(true_drift) < NOISE, f"True refcount drifted by {true_drift}"
