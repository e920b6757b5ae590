"""A read-only table model over a list of row objects (usually frozen dataclasses).

Subclasses pass their column titles (an ``IntEnum`` column → ``N_()`` title mapping) and
override :meth:`RowsModel.cell` to say what a cell shows; the base does the rest: row and
column counts, translated horizontal headers, and the row object itself under ``ROW_ROLE``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt

from privacycrm_desktop.i18n import _

T = TypeVar("T")
C = TypeVar("C", bound=int)
_Index = QModelIndex | QPersistentModelIndex

#: The row object behind a line of the table (custom role).
ROW_ROLE = Qt.ItemDataRole.UserRole + 1


class RowsModel(QAbstractTableModel, Generic[T]):
    """A flat, read-only table of *T* rows; ``ROW_ROLE`` gives a row's object."""

    def __init__(self, titles: Mapping[C, str], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._titles = [titles[column] for column in sorted(titles)]
        self._rows: list[T] = []

    def set_rows(self, rows: Iterable[T]) -> None:
        """Show *rows*."""
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def row_at(self, row: int) -> T | None:
        """The object on *row*, if any."""
        return self._rows[row] if 0 <= row < len(self._rows) else None

    @property
    def rows(self) -> tuple[T, ...]:
        """Every row shown, top to bottom."""
        return tuple(self._rows)

    def cell(self, row: T, column: int, role: int) -> Any:
        """What *column* of *row* shows for *role*; ``None`` for nothing (override this)."""
        return None

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._titles)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if (
            not index.isValid()
            or not 0 <= index.row() < len(self._rows)
            or not 0 <= index.column() < len(self._titles)
        ):
            return None
        row = self._rows[index.row()]
        if role == ROW_ROLE:
            return row
        return self.cell(row, index.column(), role)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if (
            orientation == Qt.Orientation.Horizontal
            and role == Qt.ItemDataRole.DisplayRole
            and 0 <= section < len(self._titles)
        ):
            return _(self._titles[section])
        return None
