"""The cleanup wizard's review page: the expired contacts, each with why and the action.

The list is a lazily fetched table model with a checkbox and an editable action per
contact, and bulk selection. The checkboxes stand for a ``Selection`` of the whole
candidate set ("all except these" or "none except these"), not for the rows loaded so far:
"Check none" means none, also of the rows the list has not fetched yet.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import IntEnum
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
    QWizardPage,
)

from privacycrm_desktop.domain.activities import (
    ACTIVITY_KIND_WORDS,
    NO_INTERACTION_SINCE,
    NO_INTERACTION_SINCE_TYPED,
)
from privacycrm_desktop.domain.retention import CLEANUP_ACTION_LABELS, CleanupAction, Selection
from privacycrm_desktop.i18n import N_, _, current_language, format_number, ngettext
from privacycrm_desktop.services.cleanup import CleanupPlan, ReviewRow
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.ui.common.date_fields import format_date
from privacycrm_desktop.ui.retention.cleanup_state import CleanupState

PAGE_SIZE = 500
#: The most custom field values past their keep period the review lists (all are erased).
VALUES_LISTED = 1000
#: The columns of the list of values past their keep period.
VALUE_TITLES = (N_("Contact or company"), N_("Field"), N_("Keep until"))
_Index = QModelIndex | QPersistentModelIndex


class ReviewColumn(IntEnum):
    """Columns of the review list."""

    NAME = 0
    KEEP_UNTIL = 1
    REASON = 2
    ACTION = 3


REVIEW_TITLES = {
    ReviewColumn.NAME: N_("Contact"),
    ReviewColumn.KEEP_UNTIL: N_("Keep until"),
    ReviewColumn.REASON: N_("Why it expired"),
    ReviewColumn.ACTION: N_("Action"),
}


class ReviewTableModel(QAbstractTableModel):
    """Expired contacts, fetched a page at a time; checked rows are handled, the action
    per row can be changed. Only the user's changes are kept apart (a plan): the checks
    as a ``Selection`` of every candidate, loaded or not."""

    def __init__(self, services: Services, actor: Actor, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._services = services
        self._actor = actor
        self._rows: list[ReviewRow] = []
        self._total = 0
        self.selection = Selection.all()
        self.overrides: dict[int, CleanupAction] = {}

    def load(self, total: int) -> None:
        """Start over with *total* expired contacts (from the scan)."""
        self.beginResetModel()
        self._rows = []
        self._total = total
        self.selection = Selection.all()
        self.overrides.clear()
        self.endResetModel()

    def plan(self, keep_reason: str = "") -> CleanupPlan:
        """The user's decisions."""
        return CleanupPlan(dict(self.overrides), self.selection, keep_reason)

    @property
    def total(self) -> int:
        """How many candidates there are (loaded or not)."""
        return self._total

    def checked_count(self) -> int:
        """How many candidates are checked (loaded or not)."""
        return self.selection.count(self._total)

    def action_of(self, row: ReviewRow) -> CleanupAction:
        return self.overrides.get(row.contact_id, row.action)

    # -- lazy fetching ------------------------------------------------------------------

    def canFetchMore(self, parent: _Index = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and len(self._rows) < self._total

    def fetchMore(self, parent: _Index = QModelIndex()) -> None:  # noqa: B008
        if parent.isValid():
            return
        page = self._services.cleanup.review(self._actor, len(self._rows), PAGE_SIZE)
        if not page:
            self._total = len(self._rows)
            return
        self.beginInsertRows(QModelIndex(), len(self._rows), len(self._rows) + len(page) - 1)
        self._rows.extend(page)
        self.endInsertRows()

    # -- QAbstractTableModel ------------------------------------------------------------

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(ReviewColumn)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        column = ReviewColumn(index.column())
        if role == Qt.ItemDataRole.CheckStateRole and column is ReviewColumn.NAME:
            checked = self.selection.includes(row.contact_id)
            return Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked
        if role == Qt.ItemDataRole.EditRole and column is ReviewColumn.ACTION:
            return self.action_of(row).value
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return None
        shown: dict[ReviewColumn, Callable[[], str]] = {
            ReviewColumn.NAME: lambda: row.name or f"#{row.contact_id}",
            ReviewColumn.KEEP_UNTIL: lambda: format_date(row.keep_until),
            ReviewColumn.REASON: lambda: _why(row),
            ReviewColumn.ACTION: lambda: _(CLEANUP_ACTION_LABELS[self.action_of(row)]),
        }
        return shown[column]()

    def setData(self, index: _Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if not index.isValid():
            return False
        row = self._rows[index.row()]
        column = ReviewColumn(index.column())
        if role == Qt.ItemDataRole.CheckStateRole and column is ReviewColumn.NAME:
            checked = Qt.CheckState(value) == Qt.CheckState.Checked
            self.selection = self.selection.with_checked([row.contact_id], checked)
        elif role == Qt.ItemDataRole.EditRole and column is ReviewColumn.ACTION:
            action = CleanupAction(value)
            if action is row.action:
                self.overrides.pop(row.contact_id, None)
            else:
                self.overrides[row.contact_id] = action
        else:
            return False
        self.dataChanged.emit(index, index, [role])
        return True

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if index.column() == ReviewColumn.NAME:
            flags |= Qt.ItemFlag.ItemIsUserCheckable
        if index.column() == ReviewColumn.ACTION:
            flags |= Qt.ItemFlag.ItemIsEditable
        return flags

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if (
            role == Qt.ItemDataRole.DisplayRole
            and orientation == Qt.Orientation.Horizontal
            and 0 <= section < len(ReviewColumn)
        ):
            return _(REVIEW_TITLES[ReviewColumn(section)])
        return None

    # -- bulk ---------------------------------------------------------------------------

    def set_checked(self, rows: list[int], checked: bool) -> None:
        """Check or uncheck the given rows; when empty, every candidate (the rows not
        loaded yet too)."""
        if rows:
            ids = [self._rows[r].contact_id for r in rows]
            self.selection = self.selection.with_checked(ids, checked)
        else:
            self.selection = Selection.all() if checked else Selection.none()
        targets = rows or list(range(len(self._rows)))
        if targets:
            self.dataChanged.emit(
                self.index(min(targets), 0),
                self.index(max(targets), 0),
                [Qt.ItemDataRole.CheckStateRole],
            )

    def set_action(self, rows: list[int], action: CleanupAction) -> None:
        """Give the given rows *action*."""
        for r in rows:
            self.setData(self.index(r, ReviewColumn.ACTION), action.value)


class ActionDelegate(QStyledItemDelegate):
    """A combo box to choose a row's action."""

    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem, index: _Index) -> QWidget:
        combo = QComboBox(parent)
        for action, label in CLEANUP_ACTION_LABELS.items():
            combo.addItem(_(label), action.value)
        return combo

    def setEditorData(self, editor: QWidget, index: _Index) -> None:
        assert isinstance(editor, QComboBox)
        editor.setCurrentIndex(max(0, editor.findData(index.data(Qt.ItemDataRole.EditRole))))

    def setModelData(self, editor: QWidget, model: Any, index: _Index) -> None:
        assert isinstance(editor, QComboBox)
        model.setData(index, editor.currentData(), Qt.ItemDataRole.EditRole)


class ReviewPage(QWizardPage):
    """The expired contacts, each with why and the action; checkboxes for bulk choices."""

    def __init__(self, state: CleanupState) -> None:
        super().__init__()
        self._state = state
        self.setTitle(_("Review"))
        self.setSubTitle(_("Uncheck contacts to leave them as they are, or change their action."))
        self.model = ReviewTableModel(state.services, state.actor, self)
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setItemDelegateForColumn(ReviewColumn.ACTION, ActionDelegate(self.view))
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.SelectedClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
        )
        self.view.verticalHeader().hide()
        self.view.setWordWrap(False)
        self.view.horizontalHeader().setSectionResizeMode(
            ReviewColumn.NAME, QHeaderView.ResizeMode.Stretch
        )
        for column in (ReviewColumn.KEEP_UNTIL, ReviewColumn.REASON):
            self.view.horizontalHeader().setSectionResizeMode(
                column, QHeaderView.ResizeMode.ResizeToContents
            )
        # Wide enough for the longest action, whichever the rows get later.
        metrics = self.view.fontMetrics()
        widest = max(metrics.horizontalAdvance(_(t)) for t in CLEANUP_ACTION_LABELS.values())
        self.view.setColumnWidth(ReviewColumn.ACTION, widest + 4 * metrics.averageCharWidth())
        self.check_all = QPushButton(_("Check &all"))
        self.check_none = QPushButton(_("Check &none"))
        self.bulk_action = QComboBox()
        # Narrower than its longest action (the list shows them whole): the bar fits a
        # 1024-pixel screen in Dutch at a large desktop font.
        self.bulk_action.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.bulk_action.setMinimumContentsLength(18)
        for action, label in CLEANUP_ACTION_LABELS.items():
            self.bulk_action.addItem(_(label), action.value)
        self.apply_bulk = QPushButton(_("Set for &selected rows"))
        self.check_all.clicked.connect(lambda: self.model.set_checked([], True))
        self.check_none.clicked.connect(lambda: self.model.set_checked([], False))
        self.apply_bulk.clicked.connect(self._bulk)
        # What the checks mean for every candidate, not only the rows on screen.
        self.checked_label = QLabel()
        self.model.dataChanged.connect(self._show_checked)
        self.model.modelReset.connect(self._show_checked)
        bar = QHBoxLayout()
        for widget in (self.check_all, self.check_none):
            bar.addWidget(widget)
        bar.addWidget(self.checked_label)
        bar.addStretch(1)
        bar.addWidget(self.bulk_action)
        bar.addWidget(self.apply_bulk)
        self.keep_reason = QLineEdit()
        keep = self._keep_row()
        #: The custom field values past their keep period: whose, which field, since when.
        self.values = _values_table()
        self.values_label = QLabel()
        self.values_label.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.view, 2)
        layout.addLayout(keep)
        layout.addWidget(self.values_label)
        layout.addWidget(self.values, 1)

    def _keep_row(self) -> QHBoxLayout:
        """The reason for keeping, with its label."""
        self.keep_reason.setPlaceholderText(_('Why these contacts are kept (for "keep")'))
        keep_label = QLabel(_("&Reason for keeping:"))
        keep_label.setBuddy(self.keep_reason)
        keep = QHBoxLayout()
        keep.addWidget(keep_label)
        keep.addWidget(self.keep_reason, 1)
        return keep

    def _show_checked(self) -> None:
        total = self.model.total
        self.checked_label.setText(
            ngettext("{checked} of {total} checked", "{checked} of {total} checked", total).format(
                checked=format_number(self.model.checked_count()), total=format_number(total)
            )
        )

    def _bulk(self) -> None:
        rows = sorted({i.row() for i in self.view.selectionModel().selectedRows()})
        self.model.set_action(rows, CleanupAction(self.bulk_action.currentData()))

    def initializePage(self) -> None:
        self.model.load(self._state.total)
        if self.model.canFetchMore():
            self.model.fetchMore()
        self._list_values()

    def _list_values(self) -> None:
        """Each value past its keep period: the contact or company, the field's label in
        the user's language, when it was to be kept until (at most ``VALUES_LISTED``)."""
        services, actor = self._state.services, self._state.actor
        expired = services.cleanup.expired_values(actor) if self._state.values else []
        listed = expired[:VALUES_LISTED]
        names = services.cleanup.value_owners(actor, listed) if listed else {}
        language = current_language()
        self.values.setRowCount(len(listed))
        for row, value in enumerate(listed):
            cells = (
                names.get((value.on, value.record_id), ""),
                value.label_in(language),
                format_date(value.keep_until),
            )
            for column, text in enumerate(cells):
                self.values.setItem(row, column, QTableWidgetItem(text))
        text = ngettext(
            "{count} custom field value is erased; its contact or company stays:",
            "{count} custom field values are erased; the contacts and companies stay:",
            len(expired),
        ).format(count=format_number(len(expired)))
        if len(expired) > len(listed):
            text += " " + _("(the first {listed} are listed)").format(
                listed=format_number(len(listed))
            )
        self.values_label.setText(text)
        self.values_label.setVisible(bool(expired))
        self.values.setVisible(bool(expired))

    def validatePage(self) -> bool:
        if (
            CleanupAction.KEEP in self.model.overrides.values()
            and not self.keep_reason.text().strip()
        ):
            QMessageBox.warning(self, _("Review"), _("Give the reason for keeping these contacts."))
            return False
        self._state.plan = self.model.plan(self.keep_reason.text())
        return True


def _values_table() -> QTableWidget:
    """The list of custom field values past their keep period (filled by the page)."""
    table = QTableWidget(0, len(VALUE_TITLES))
    table.setObjectName("cleanup_expired_values")
    table.setHorizontalHeaderLabels([_(t) for t in VALUE_TITLES])
    table.verticalHeader().hide()
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setWordWrap(False)
    header = table.horizontalHeader()
    header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
    for at in range(1, len(VALUE_TITLES)):
        header.setSectionResizeMode(at, QHeaderView.ResizeMode.ResizeToContents)
    return table


def _why(row: ReviewRow) -> str:
    """The reason, and for a rule counting from the last interaction when that was:
    "Prospect follow-up: no interaction since 04/05/2026 (meeting)"."""
    if row.last_contact is None:
        return _(row.label)
    if row.last_kind is None:
        since = _(NO_INTERACTION_SINCE_TYPED).format(date=format_date(row.last_contact))
    else:
        since = _(NO_INTERACTION_SINCE).format(
            date=format_date(row.last_contact), kind=_(ACTIVITY_KIND_WORDS[row.last_kind])
        )
    return _("{reason}: {why}").format(reason=_(row.label), why=since)
