"""The cleanup wizard's review page: the expired contacts, each with why and the action.

The list is a table model read a block at a time as it is shown (every candidate has its
row from the start, so the page shows at once), with a checkbox and an editable action per
contact, and bulk selection. The checkboxes stand for a ``Selection`` of the whole
candidate set ("all except these" or "none except these"), not for the rows read so far:
"Check none" means none, also of the rows the list has not read yet.
"""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from collections.abc import Callable
from enum import IntEnum
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
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
from privacycrm_desktop.ui.common import messages
from privacycrm_desktop.ui.common.date_fields import format_date
from privacycrm_desktop.ui.retention.cleanup_state import CleanupState

#: Candidates read at a time (one ``CleanupService.review`` call, about 15 ms at
#: 100,000 contacts), and how many such blocks are kept.
BLOCK_SIZE = 100
MAX_BLOCKS = 50
#: The name column's width in average characters (the reason takes the rest).
NAME_CHARS = 28
#: The most custom field values past their keep period the review lists (all are erased).
VALUES_LISTED = 1000
#: The columns of the list of values past their keep period.
VALUE_TITLES = (N_("Contact or company"), N_("Field"), N_("Keep until"))
_Index = QModelIndex | QPersistentModelIndex
#: The roles ``data`` answers (the others read no block).
_ROLES = frozenset(
    {
        Qt.ItemDataRole.DisplayRole,
        Qt.ItemDataRole.ToolTipRole,
        Qt.ItemDataRole.EditRole,
        Qt.ItemDataRole.CheckStateRole,
    }
)


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
    """Expired contacts, read a block at a time when the view shows them (as the main
    list reads its windows): every candidate has its row from the start, so the page
    shows at once however many there are, and a row far down costs one block. Checked
    rows are handled, the action per row can be changed. Only the user's changes are kept
    apart (a plan): the checks as a ``Selection`` of every candidate, read or not."""

    def __init__(self, services: Services, actor: Actor, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._services = services
        self._actor = actor
        self._blocks: OrderedDict[int, list[ReviewRow]] = OrderedDict()
        self._total = 0
        self.selection = Selection.all()
        self.overrides: dict[int, CleanupAction] = {}

    def load(self, total: int) -> None:
        """Start over with *total* expired contacts (from the scan)."""
        self.beginResetModel()
        self._blocks.clear()
        self._total = total
        self.selection = Selection.all()
        self.overrides.clear()
        self.endResetModel()

    def plan(self, keep_reason: str = "") -> CleanupPlan:
        """The user's decisions."""
        return CleanupPlan(dict(self.overrides), self.selection, keep_reason)

    @property
    def total(self) -> int:
        """How many candidates there are (read or not)."""
        return self._total

    def checked_count(self) -> int:
        """How many candidates are checked (read or not)."""
        return self.selection.count(self._total)

    def action_of(self, row: ReviewRow) -> CleanupAction:
        return self.overrides.get(row.contact_id, row.action)

    # -- reading by block ---------------------------------------------------------------

    def row_at(self, row: int) -> ReviewRow | None:
        """The candidate shown on *row*, reading its block if needed (None past the end,
        as when a contact was erased since the scan)."""
        if not 0 <= row < self._total:
            return None
        block_no, within = divmod(row, BLOCK_SIZE)
        block = self._blocks.get(block_no)
        if block is None:
            block = self._services.cleanup.review(self._actor, block_no * BLOCK_SIZE, BLOCK_SIZE)
            self._blocks[block_no] = block
            while len(self._blocks) > MAX_BLOCKS:
                self._blocks.popitem(last=False)
        else:
            self._blocks.move_to_end(block_no)
        return block[within] if within < len(block) else None

    # -- QAbstractTableModel ------------------------------------------------------------

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self._total

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(ReviewColumn)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or role not in _ROLES:
            return None
        row = self.row_at(index.row())
        if row is None:
            return None
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
        row = self.row_at(index.row()) if index.isValid() else None
        if row is None:
            return False
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
            ids = [found.contact_id for found in map(self.row_at, rows) if found is not None]
            self.selection = self.selection.with_checked(ids, checked)
        else:
            self.selection = Selection.all() if checked else Selection.none()
        if self._total:
            self.dataChanged.emit(
                self.index(min(rows, default=0), 0),
                self.index(max(rows, default=self._total - 1), 0),
                [Qt.ItemDataRole.CheckStateRole],
            )

    def set_action(self, rows: list[int], action: CleanupAction) -> None:
        """Give the given rows *action*."""
        for r in rows:
            self.setData(self.index(r, ReviewColumn.ACTION), action.value)


class SpaceChecksRows(QObject):
    """Space checks or unchecks the selected rows (else the current one) from any column.

    The rows are selected whole, so the current cell cannot be seen: after Ctrl+End or an
    arrow key it was in another column than the check box, and Space did nothing there
    (an outside tester, December 2026)."""

    def __init__(self, view: QTableView, model: ReviewTableModel) -> None:
        super().__init__(view)
        self._view = view
        self._model = model
        view.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            event.type() != QEvent.Type.KeyPress
            or not isinstance(event, QKeyEvent)
            or event.key() != Qt.Key.Key_Space
            or event.modifiers() != Qt.KeyboardModifier.NoModifier
        ):
            return False
        selected = self._view.selectionModel().selectedRows()
        rows = sorted({index.row() for index in selected}) or [self._view.currentIndex().row()]
        rows = [row for row in rows if row >= 0]
        if not rows:
            return False
        states = [
            self._model.index(row, ReviewColumn.NAME).data(Qt.ItemDataRole.CheckStateRole)
            for row in rows
        ]
        # Any unchecked: check them all; all checked: uncheck them (as a file manager does).
        self._model.set_checked(rows, any(state != Qt.CheckState.Checked for state in states))
        return True


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
        SpaceChecksRows(self.view, self.model)
        self._size_columns()
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

    def _size_columns(self) -> None:
        """Widths from the font, not from the rows (sizing to contents read every row):
        the reason takes the extra width, the name a fair share, the date its own."""
        self.view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(ReviewColumn.REASON, QHeaderView.ResizeMode.Stretch)
        metrics = self.view.fontMetrics()
        char = metrics.averageCharWidth()
        self.view.setColumnWidth(ReviewColumn.NAME, NAME_CHARS * char)
        dated = max(
            metrics.horizontalAdvance(format_date(dt.date(2026, 12, 28))),
            header.fontMetrics().horizontalAdvance(_(REVIEW_TITLES[ReviewColumn.KEEP_UNTIL])),
        )
        self.view.setColumnWidth(ReviewColumn.KEEP_UNTIL, dated + 4 * char)
        # Wide enough for the longest action, whichever the rows get later.
        widest = max(metrics.horizontalAdvance(_(t)) for t in CLEANUP_ACTION_LABELS.values())
        self.view.setColumnWidth(ReviewColumn.ACTION, widest + 4 * char)

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
            messages.warning(self, _("Review"), _("Give the reason for keeping these contacts."))
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
