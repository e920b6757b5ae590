"""The audit viewer (owner and privacy officer): who did what, when, to which record.

Events arrive page by page (``canFetchMore`` / ``fetchMore``); filters by user, action and
date range; export to CSV; the hash chain's state is shown above the table.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from enum import IntEnum
from typing import Any

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, QSize, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from privacycrm_desktop.domain.access import Permission, has_permission
from privacycrm_desktop.domain.errors import DomainError
from privacycrm_desktop.i18n import (
    N_,
    _,
    current_language,
    describe_error,
    format_moment,
    format_number,
    ngettext,
)
from privacycrm_desktop.services.audit import AuditEventInfo, AuditFilter, AuditService
from privacycrm_desktop.services.audit_text import (
    describe_action,
    describe_actor,
    describe_detail,
    describe_record,
)
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.private_files import private_text
from privacycrm_desktop.ui.common.date_fields import OptionalDateEdit
from privacycrm_desktop.ui.common.rows_model import ROW_ROLE, RowsModel
from privacycrm_desktop.ui.common.widgets import ErrorLabel
from privacycrm_desktop.ui.common.window_size import size_window

PAGE = 200
EVENT_ROLE = ROW_ROLE
_Index = QModelIndex | QPersistentModelIndex


class AuditColumn(IntEnum):
    """The audit table's columns."""

    ID = 0
    AT = 1
    USER = 2
    ACTION = 3
    RECORD = 4
    DETAIL = 5


AUDIT_COLUMN_TITLES = {
    AuditColumn.ID: N_("No."),
    AuditColumn.AT: N_("When"),
    AuditColumn.USER: N_("User"),
    AuditColumn.ACTION: N_("Action"),
    AuditColumn.RECORD: N_("Record"),
    AuditColumn.DETAIL: N_("Detail"),
}


def local_time(at: str) -> str:
    """A stored UTC timestamp as local date and time in the UI language's format."""
    try:
        moment = dt.datetime.fromisoformat(at)
    except ValueError:
        return at
    return format_moment(moment, seconds=True)


def _cell(event: AuditEventInfo, column: AuditColumn) -> str:
    language = current_language()
    if column is AuditColumn.AT:
        return local_time(event.at)
    if column is AuditColumn.RECORD:
        return describe_record(event.entity, event.entity_id, event.record_name, language)
    cells = {
        AuditColumn.ID: format_number(event.id),
        AuditColumn.USER: describe_actor(event.actor, language),
        AuditColumn.ACTION: describe_action(event.action, language),
        AuditColumn.DETAIL: describe_detail(event.detail, language, event.names()),
    }
    return cells[column]


class AuditTableModel(RowsModel[AuditEventInfo]):
    """Audit events matching a filter, newest first, fetched a page at a time."""

    def __init__(self, audit: AuditService, actor: Actor, parent: QObject | None = None) -> None:
        super().__init__(AUDIT_COLUMN_TITLES, parent)
        self._audit = audit
        self._actor = actor
        self._filter = AuditFilter()
        self._total = 0
        self.reload()

    @property
    def total(self) -> int:
        """How many events match the filter (fetched or not)."""
        return self._total

    def set_filter(self, where: AuditFilter) -> None:
        """Show the events matching *where*."""
        self._filter = where
        self.reload()

    def current_filter(self) -> AuditFilter:
        """The filter in effect."""
        return self._filter

    def reload(self) -> None:
        """Count again and show the first page."""
        self._total = self._audit.count_events(self._actor, self._filter)
        self.set_rows(self._audit.list_events(self._actor, self._filter, offset=0, limit=PAGE))

    def canFetchMore(self, parent: _Index) -> bool:
        return not parent.isValid() and len(self._rows) < self._total

    def fetchMore(self, parent: _Index) -> None:
        if parent.isValid():
            return
        more = self._audit.list_events(
            self._actor, self._filter, offset=len(self._rows), limit=PAGE
        )
        more = more[: self._total - len(self._rows)]
        if not more:
            self._total = len(self._rows)
            return
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(more) - 1)
        self._rows.extend(more)
        self.endInsertRows()

    def event_at(self, row: int) -> AuditEventInfo | None:
        """The event on *row* (fetched rows only)."""
        return self.row_at(row)

    def cell(self, row: AuditEventInfo, column: int, role: int) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        return _cell(row, AuditColumn(column))


def _any_combo(values: list[str], shown: Callable[[str], str] = str) -> QComboBox:
    combo = QComboBox()
    combo.addItem(_("(all)"), "")
    for text, value in sorted((shown(v), v) for v in values):
        combo.addItem(text, value)
    return combo


class AuditViewerDialog(QDialog):
    """The audit trail with filters, CSV export and the chain's state."""

    def __init__(
        self, audit: AuditService, actor: Actor, today: dt.date, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._audit = audit
        self._actor = actor
        self.setWindowTitle(_("Audit trail"))
        self.chain = QLabel()
        self.chain.setWordWrap(True)
        users, actions = audit.filter_choices(actor)
        self.user = _any_combo(users, lambda u: describe_actor(u, current_language()))
        self.action = _any_combo(actions, lambda a: describe_action(a, current_language()))
        self.date_from = OptionalDateEdit(today)
        self.date_to = OptionalDateEdit(today)
        self.model = AuditTableModel(audit, actor, self)
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setAlternatingRowColors(True)
        self.view.verticalHeader().hide()
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.count = QLabel()
        self.error = ErrorLabel()
        self.export_button = QPushButton(_("&Export CSV..."))
        self.export_button.clicked.connect(self.ask_export)
        # PostgreSQL: the owner marks the changes made outside the app as looked at.
        self.review_button = QPushButton(_("Mark as &reviewed"))
        self.review_button.setToolTip(
            _(
                "The changes made outside PrivacyCRM stay in the server's log; the check "
                "stops reporting them and the audit trail records that you reviewed them."
            )
        )
        self.review_button.clicked.connect(self.mark_reviewed)
        self.review_button.hide()
        self._newest_outside = 0

        self._lay_out()
        self.model.modelReset.connect(self._update_count)
        self.check_chain()
        self._update_count()
        char = self.fontMetrics().averageCharWidth()
        size_window(self, QSize(char * 140, self.fontMetrics().height() * 32))

    def _lay_out(self) -> None:
        filters = QHBoxLayout()
        for text, widget in (
            (_("&User:"), self.user),
            (_("&Action:"), self.action),
            (_("&From:"), self.date_from),
            (_("&To:"), self.date_to),
        ):
            label = QLabel(text)
            label.setBuddy(widget)
            filters.addWidget(label)
            filters.addWidget(widget)
        filters.addStretch(1)
        for combo in (self.user, self.action):
            combo.currentIndexChanged.connect(self.apply_filter)
        for date in (self.date_from, self.date_to):
            date.check.toggled.connect(self.apply_filter)
            date.edit.dateChanged.connect(self.apply_filter)
        bottom = QHBoxLayout()
        bottom.addWidget(self.count, 1)
        bottom.addWidget(self.export_button)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        chain = QHBoxLayout()
        chain.addWidget(self.chain, 1)
        chain.addWidget(self.review_button, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(chain)
        layout.addLayout(filters)
        layout.addWidget(self.view, 1)
        layout.addLayout(bottom)
        layout.addWidget(self.error)
        layout.addWidget(close)

    def check_chain(self) -> None:
        """Recompute the hash chain, compare it with every anchor found (the
        anchor file, the backups, the server's table) and say whether it holds."""
        result = self._audit.check()
        bad = result.first_bad_event
        self._newest_outside = max((w.write.id for w in result.outside), default=0)
        self.review_button.setVisible(
            bool(self._newest_outside) and has_permission(self._actor.role, Permission.MANAGE_USERS)
        )
        if result.ok:
            self.chain.setText(_("Audit trail intact: every event matches the one before."))
            self.chain.setStyleSheet("color: #1b5e20;")
            return
        lines = []
        if bad is not None:
            lines.append(
                _(
                    "Audit trail broken at event {id}: it was changed or an event was removed."
                ).format(id=bad)
            )
        lines += [problem.describe(_) for problem in result.problems]
        lines += result.describe_outside(_, limit=3)  # the CLI lists more
        self.chain.setText("\n".join(lines))
        self.chain.setStyleSheet("color: #b00020; font-weight: bold;")

    def mark_reviewed(self) -> None:
        """Mark the changes made outside the app that the check listed as reviewed."""
        try:
            self._audit.mark_outside_writes_reviewed(self._actor, self._newest_outside)
        except DomainError as exc:
            self.error.show_message(describe_error(exc))
            return
        self.error.show_message("")
        self.check_chain()
        self.model.reload()  # the review itself is now on record

    def current_filter(self) -> AuditFilter:
        """The filter the controls describe."""
        return AuditFilter(
            user=str(self.user.currentData() or ""),
            action=str(self.action.currentData() or ""),
            date_from=self.date_from.value(),
            date_to=self.date_to.value(),
        )

    def apply_filter(self) -> None:
        """Show the events the controls ask for."""
        self.model.set_filter(self.current_filter())

    def _update_count(self) -> None:
        total = self.model.total
        self.count.setText(
            ngettext("{count} event", "{count} events", total).format(count=format_number(total))
        )

    def export_to(self, path: str) -> int | None:
        """Write the filtered events to *path* as CSV; the number written, None on failure."""
        try:
            with private_text(path) as out:
                count = self._audit.export_csv(self._actor, out, self.current_filter())
        except DomainError as exc:
            self.error.show_message(describe_error(exc))
            return None
        except OSError as exc:
            self.error.show_message(
                _("The file could not be written: {reason}").format(reason=exc.strerror or exc)
            )
            return None
        self.error.show_message("")
        self.model.reload()  # the export itself is now on record
        return count

    def ask_export(self) -> None:
        """Ask where to save, then export."""
        path, _filter = QFileDialog.getSaveFileName(
            self, _("Export audit trail"), "audit.csv", _("CSV files (*.csv)")
        )
        if path:
            self.export_to(path)
