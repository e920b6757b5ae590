"""The interactions on the contact card (and the company card): newest first, a page at a
time, filtered by kind, with "Log..." (Ctrl+Shift+L, then Enter: log a call) and a dropped
e-mail file logged.

The list's model fetches the next page when the view scrolls to its end (``fetchMore``),
from the cursor of the last row shown: a person with ten thousand interactions opens as
fast as one with ten. Rows are frozen ``ActivityInfo``; what the role may not see is not
in them (never shown as empty). An interaction the person took part in (another's or a
company's) is marked as linked; the log dialog names other people who took part.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from html import escape
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPoint,
    Qt,
    Signal,
)
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QListView,
    QMenu,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from privacycrm_desktop.domain.access import FieldAccess
from privacycrm_desktop.domain.activities import (
    ACTIVITY_KIND_LABELS,
    ActivityInput,
    ActivityKind,
    mail_activity,
    read_eml,
)
from privacycrm_desktop.domain.errors import DomainError
from privacycrm_desktop.domain.provenance import SOURCE_KIND_LABELS
from privacycrm_desktop.domain.special_categories import SpecialCategoryUnconfirmed
from privacycrm_desktop.i18n import N_, _, describe_error, format_number, local_moment
from privacycrm_desktop.services.activities import PAGE, ActivityInfo, ActivityService
from privacycrm_desktop.services.attachment_files import read_attachment
from privacycrm_desktop.services.dto import Actor, ContactRow
from privacycrm_desktop.ui.common import messages
from privacycrm_desktop.ui.common.date_fields import format_date
from privacycrm_desktop.ui.common.rows_model import ROW_ROLE
from privacycrm_desktop.ui.contacts.activity_dialog import LogActivityDialog

_Index = QModelIndex | QPersistentModelIndex
#: The keys that open the "Log..." menu on the card (then Enter logs a call).
LOG_SHORTCUT = "Ctrl+Shift+L"
#: The menu's lines, one per kind, the call first.
LOG_LABELS = {
    ActivityKind.CALL: N_("Log a &call..."),
    ActivityKind.MEETING: N_("Log a &meeting..."),
    ActivityKind.EMAIL: N_("Log an &e-mail..."),
    ActivityKind.LETTER: N_("Log a &letter..."),
    ActivityKind.VISIT: N_("Log a &visit..."),
    ActivityKind.NOTE: N_("Log a &note..."),
}
#: Files a drop logs as an e-mail.
MAIL_SUFFIXES = (".eml",)
Loader = Callable[[tuple[dt.datetime, int] | None], list[ActivityInfo]]
#: Finds contacts by search words (the people who took part in an interaction).
FindPeople = Callable[[str], list[ContactRow]]


class ActivityListModel(QAbstractListModel):
    """Interactions newest first, a page at a time (``fetchMore`` reads the next)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[ActivityInfo] = []
        #: Each row's text, made once: painting asks for it again and again, and dates
        #: and times in words cost a catalogue look-up each.
        self._lines: dict[int, str] = {}
        self._load: Loader | None = None
        self._more = False

    def reset(self, load: Loader | None) -> None:
        """Show the first page *load* gives (None: nothing). Read before the reset: a
        refusal (the person erased meanwhile) leaves the model as it was."""
        rows = load(None) if load is not None else []
        self.beginResetModel()
        self._load = load
        self._lines = {}
        self._rows = rows
        self._more = load is not None and len(rows) >= PAGE
        self.endResetModel()

    def row_at(self, row: int) -> ActivityInfo | None:
        """The interaction on *row*, if any."""
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def canFetchMore(self, parent: _Index) -> bool:
        return not parent.isValid() and self._more

    def fetchMore(self, parent: _Index) -> None:
        if parent.isValid() or not self._more or self._load is None or not self._rows:
            return
        try:
            page = self._load(self._rows[-1].cursor)
        except DomainError:  # the person erased (or the role changed) meanwhile
            page = []
        self._more = len(page) >= PAGE
        if page:
            first = len(self._rows)
            self.beginInsertRows(QModelIndex(), first, first + len(page) - 1)
            self._rows += page
            self.endInsertRows()

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        if role == ROW_ROLE:
            return row
        if role == Qt.ItemDataRole.DisplayRole:
            line = self._lines.get(row.id)
            if line is None:
                line = self._lines[row.id] = _line(row)
            return line
        if role == Qt.ItemDataRole.ToolTipRole:
            return _tooltip(row)
        return None


def _line(row: ActivityInfo) -> str:
    """Two lines: when, what kind and who; then the summary."""
    # The card's date format (Qt's, cheap) rather than babel's skeletons: 3 ms a line.
    head = _("{when} · {kind} · {who}").format(
        when=when_text(row.occurred_at),
        kind=_(ACTIVITY_KIND_LABELS[row.kind]),
        who=row.recorded_by,
    )
    if row.linked and row.owner_name:
        head = _("{line} · took part ({owner})").format(line=head, owner=row.owner_name)
    elif row.linked:
        head = _("{line} · took part").format(line=head)
    elif row.people:
        head = _("{line} · with {count} more").format(
            line=head, count=format_number(len(row.people))
        )
    if row.attachment_name:
        summary = _("{summary} (file: {name})").format(
            summary=row.summary, name=row.attachment_name
        )
    else:
        summary = row.summary
    return f"{head}\n{summary}"


def when_text(moment: dt.datetime) -> str:
    """When an interaction took place, in local time: the date alone for one logged
    without a time of day (local midnight: ``activity add --date`` with a date only, an
    imported date; an e-mail file always has its time)."""
    local = local_moment(moment)
    if (local.hour, local.minute, local.second) == (0, 0, 0):
        return format_date(local.date())
    return f"{format_date(local.date())} {local:%H:%M}"


def _who_lines(row: ActivityInfo, owner_name: str) -> list[str]:
    """Whose interaction it is (one the person took part in) and who else took part, by
    name as the role may read names; names it may not read are counted."""
    lines = []
    if owner_name:
        lines.append(_("Interaction of {owner}").format(owner=owner_name))
    names = [n for n in row.people_names if n]
    hidden = len(row.people) - len(names)
    if names and hidden:
        lines.append(
            _("With {names} and {count} more").format(
                names="; ".join(names), count=format_number(hidden)
            )
        )
    elif names:
        lines.append(_("With {names}").format(names="; ".join(names)))
    elif hidden:
        lines.append(_("With {count} more").format(count=format_number(hidden)))
    return lines


def _tooltip(row: ActivityInfo) -> str:
    parts = [f"<b>{escape(row.summary)}</b>"]
    parts += [escape(line) for line in _who_lines(row, row.owner_name)]
    return "<br>".join(parts)


def _detail_label() -> QLabel:
    label = QLabel()
    label.setObjectName("timeline_detail")
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.RichText)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.hide()
    return label


def _detail_html(row: ActivityInfo, owner_name: str = "") -> str:
    """One interaction in full: summary, whose it is (*owner_name*) and who took part,
    details, the attached file, where it came from."""
    parts = [f"<b>{escape(row.summary)}</b>"]
    parts += [escape(line) for line in _who_lines(row, owner_name)]
    if row.details:
        parts.append(escape(row.details).replace("\n", "<br>"))
    if row.attachment_name:
        parts.append(escape(_("Attached file: {name}").format(name=row.attachment_name)))
    if row.source_kind is not None:
        source = _("Source: {kind}, {description}").format(
            kind=_(SOURCE_KIND_LABELS[row.source_kind]), description=row.source
        )
        parts.append(f"<small>{escape(source)}</small>")
    return "<br>".join(parts)


class TimelineWidget(QWidget):
    """A person's (or a company's) interactions on the card; ``changed`` after one is
    logged or deleted. With *find_people* the log dialog names people who took part."""

    changed = Signal()

    def __init__(
        self,
        activities: ActivityService,
        actor: Actor,
        parent: QWidget | None = None,
        find_people: FindPeople | None = None,
    ):
        super().__init__(parent)
        self.setObjectName("timeline")
        self._activities = activities
        self._actor = actor
        self._find_people = find_people
        self.contact_id: int | None = None
        self.company_id: int | None = None
        summary_level, details_level = activities.levels(actor)
        self.visible_to_role = summary_level is not FieldAccess.HIDDEN
        self._details_writable = details_level is FieldAccess.WRITE
        self.heading = QLabel()
        self.heading.setObjectName("timeline_heading")
        self.kind_filter = QComboBox()
        self.kind_filter.setObjectName("timeline_filter")
        self.kind_filter.addItem(_("All kinds"), "")
        for kind, label in ACTIVITY_KIND_LABELS.items():
            self.kind_filter.addItem(_(label), kind.value)
        self.kind_filter.currentIndexChanged.connect(lambda _i: self.reload())
        self.kind_filter.setAccessibleName(_("Show interactions of this kind"))
        self.log_menu = QMenu(self)
        self.log_actions: dict[ActivityKind, QAction] = {}
        #: The role logs interactions (the "Log..." button shows).
        self.may_log = activities.may_log(actor)
        self.log_button = self._make_log_button(self.may_log)
        self.shortcut = self._make_shortcut()
        self.model = ActivityListModel(self)
        self.view = QListView()
        self.view.setObjectName("timeline_list")
        self.view.setModel(self.model)
        self.view.setWordWrap(False)  # two lines each; the chosen one's whole text below
        self.view.setAlternatingRowColors(True)
        self.view.setUniformItemSizes(True)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._context_menu)
        self.view.setAccessibleName(_("Interactions"))
        self.view.setMinimumHeight(self.fontMetrics().height() * 8)
        top = QHBoxLayout()
        top.addWidget(self.heading, 1)
        top.addWidget(self.kind_filter)
        top.addWidget(self.log_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.view, 1)
        #: The chosen interaction in full: its details read (and their reading audited)
        #: only when it is chosen, not for every line of the list.
        self.detail = _detail_label()
        layout.addWidget(self.detail)
        self.view.selectionModel().currentChanged.connect(
            lambda current, _old: self.choose(current)
        )
        self.setVisible(self.visible_to_role)
        self.show_contact(None)

    def _make_shortcut(self) -> QAction:
        """Ctrl+Shift+L anywhere in the window opens the "Log..." menu."""
        shortcut = QAction(self)
        shortcut.setShortcut(QKeySequence(LOG_SHORTCUT))
        shortcut.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        shortcut.triggered.connect(self.open_log_menu)
        self.addAction(shortcut)
        return shortcut

    def _make_log_button(self, may_log: bool) -> QPushButton:
        """ "Log..." with its menu of kinds, the call first; only for a role that logs."""
        # Its parent at once: shown without one, it would open as a window of its own
        # (the timeline is made once the main window shows, right after its first paint).
        button = QPushButton(_("Lo&g..."), self)
        button.setObjectName("timeline_log")
        button.setToolTip(
            _("Log an interaction ({keys}, then Enter: a call)").format(keys=LOG_SHORTCUT)
        )
        for kind, label in LOG_LABELS.items():
            action = self.log_menu.addAction(_(label))
            action.triggered.connect(lambda _checked=False, k=kind: self.log(k))
            self.log_actions[kind] = action
        button.setMenu(self.log_menu)
        button.setVisible(may_log)
        return button

    # -- what it shows ----------------------------------------------------------------

    def show_contact(self, contact_id: int | None) -> None:
        """The first page of *contact_id*'s interactions (None: nothing)."""
        self._show(contact_id if self.visible_to_role else None, None)

    def show_company(self, company_id: int | None) -> None:
        """The first page of *company_id*'s interactions (None: nothing)."""
        self._show(None, company_id if self.visible_to_role else None)

    def _show(self, contact_id: int | None, company_id: int | None) -> None:
        self.contact_id, self.company_id = contact_id, company_id
        shown = self._shown()
        self.log_button.setEnabled(shown)
        self.shortcut.setEnabled(shown and self.may_log)
        self.reload()

    def _shown(self) -> bool:
        """A person or a company is shown."""
        return self.contact_id is not None or self.company_id is not None

    def choose(self, index: QModelIndex) -> None:
        """Show the interaction on *index* in full below the list."""
        row = self.model.row_at(index.row()) if index.isValid() else None
        if row is None:
            self.detail.setText("")
            self.detail.hide()
            return
        try:
            full = self._activities.one(self._actor, row.id)
        except DomainError as exc:
            self.detail.setText(escape(describe_error(exc)))
        else:
            self.detail.setText(_detail_html(full, row.owner_name))
        self.detail.show()

    def reload(self) -> None:
        """Read the first page again (after a change, or another kind chosen)."""
        self.detail.setText("")
        self.detail.hide()
        cid, company = self.contact_id, self.company_id
        if cid is None and company is None:
            self.model.reset(None)
            title = escape(_("Interactions"))
            self.heading.setText(f"<b>{title}</b>")
            return
        chosen = self.kind_filter.currentData()
        kinds = {ActivityKind(chosen)} if chosen else None

        def load(after: tuple[dt.datetime, int] | None) -> list[ActivityInfo]:
            return self._activities.timeline(
                self._actor, cid, company_id=company, kinds=kinds, after=after, with_details=False
            )

        try:
            self.model.reset(load)
            count = self._activities.count(self._actor, cid, company_id=company)
        except DomainError as exc:
            self.model.reset(None)
            self.heading.setText(escape(describe_error(exc)))
            return
        title = escape(_("Interactions"))
        self.heading.setText(f"<b>{title}</b> ({escape(format_number(count))})")

    # -- logging ------------------------------------------------------------------------

    def open_log_menu(self) -> None:
        """The "Log..." menu under its button, the call chosen: Enter logs a call."""
        if not self._shown() or not self.may_log:
            return
        self.log_menu.popup(self.log_button.mapToGlobal(QPoint(0, self.log_button.height())))
        self.log_menu.setActiveAction(self.log_actions[ActivityKind.CALL])

    def dialog(self, kind: ActivityKind) -> LogActivityDialog | None:
        """The dialog logging a *kind* interaction with the shown person or company (not
        yet open)."""
        cid, company = self.contact_id, self.company_id
        if cid is None and company is None:
            return None

        def save(data: ActivityInput) -> int:
            if cid is not None:
                return self._activities.add(self._actor, cid, data)
            assert company is not None
            return self._activities.add_to_company(self._actor, company, data)

        return LogActivityDialog(
            save,
            kind,
            self._activities.now(),
            details_allowed=self._details_writable,
            find_people=self._find_people,
            exclude=cid,
            parent=self.window(),
        )

    def log(self, kind: ActivityKind) -> None:
        """Ask for an interaction of *kind* and log it."""
        dialog = self.dialog(kind)
        if dialog is not None and dialog.exec():
            self.reload()
            self.changed.emit()

    def log_mail_file(self, path: Path) -> bool:
        """Log a dropped e-mail file: its date, subject, sender and text; the file kept."""
        cid = self.contact_id
        if cid is None:
            return False
        try:
            raw = read_attachment(path)
            data = mail_activity(read_eml(raw), path.name, raw)
            if not self._details_writable:
                data = ActivityInput(data.kind, data.summary, data.occurred_at)
            try:
                self._activities.add(self._actor, cid, data)
            except SpecialCategoryUnconfirmed as exc:
                answer = messages.question(self, _("Special-category data"), describe_error(exc))
                if answer != QMessageBox.StandardButton.Yes:
                    return False
                confirmed = ActivityInput(
                    data.kind,
                    data.summary,
                    data.occurred_at,
                    data.details,
                    data.attachment,
                    data.attachment_name,
                    special_confirmed=True,
                )
                self._activities.add(self._actor, cid, confirmed)
        except OSError as exc:
            messages.warning(
                self,
                _("PrivacyCRM"),
                _("Cannot read {name}: {reason}").format(name=path.name, reason=exc.strerror),
            )
            return False
        except DomainError as exc:
            messages.warning(self, _("PrivacyCRM"), describe_error(exc))
            return False
        self.reload()
        self.changed.emit()
        return True

    # -- one interaction --------------------------------------------------------------

    def _context_menu(self, at: QPoint) -> None:
        row = self.model.row_at(self.view.indexAt(at).row())
        if row is None or not self.may_log:
            return
        menu = QMenu(self)
        delete = menu.addAction(_("&Delete this interaction..."))
        delete.triggered.connect(lambda _checked=False: self.delete(row))
        menu.popup(self.view.viewport().mapToGlobal(at))

    def delete(self, row: ActivityInfo) -> bool:
        """After confirmation, delete *row*."""
        answer = messages.question(
            self,
            _("Delete this interaction"),
            _("Delete the interaction \u201c{summary}\u201d? This cannot be undone.").format(
                summary=row.summary
            ),
        )
        if answer != QMessageBox.StandardButton.Yes:
            return False
        try:
            self._activities.delete(self._actor, row.id)
        except DomainError as exc:
            messages.warning(self, _("PrivacyCRM"), describe_error(exc))
            return False
        self.reload()
        self.changed.emit()
        return True
