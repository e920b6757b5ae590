"""The contact list as a Qt table model that scales to a million rows.

Only the row count is known up front; rows arrive in blocks from
``ContactService.page`` when the view asks for them, and a small LRU cache keeps the
blocks recently shown. Nothing here holds more than a few thousand rows.
"""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from collections.abc import Callable
from enum import IntEnum
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
)
from PySide6.QtGui import QColor

from privacycrm_desktop.domain.contacts import RELATIONSHIP_LABELS
from privacycrm_desktop.domain.custom_fields import CustomFieldDefinition
from privacycrm_desktop.domain.normalize import DEFAULT_REGION, fold, phone_display
from privacycrm_desktop.domain.retention import is_expired, is_expiring
from privacycrm_desktop.i18n import N_, _, current_language
from privacycrm_desktop.services.contacts import ContactService
from privacycrm_desktop.services.custom_fields import display_value
from privacycrm_desktop.services.dto import (
    Actor,
    ContactRow,
    ContactSort,
    ListBookmarks,
    ListFilter,
)
from privacycrm_desktop.services.keyed_list import KEYED_VIEW_FROM_ROWS
from privacycrm_desktop.ui.common.date_fields import format_date
from privacycrm_desktop.ui.common.workers import Job, run_in_background

BLOCK_SIZE = 200
MAX_BLOCKS = 50
MIN_QUERY_LENGTH = 2
#: From this many rows the whole list reads its windows by key (bookmarks, read once per
#: order after the first window away from the top), not by OFFSET.
KEYSET_FROM_ROWS = 20_000
#: A saved view or a tag's contacts, of more rows than this, likewise (by OFFSET the
#: middle of a view of 14,500 contacts of a million walked half the order's index).
KEYSET_VIEW_FROM_ROWS = KEYED_VIEW_FROM_ROWS
#: After a refresh (another desk's change), the bookmarks are read ahead again once the
#: list has had no other refresh for this long: a busy office's changes do not make
#: every desk walk the order's index at each one.
READ_AHEAD_AFTER_REFRESH_MS = 3000

_Index = QModelIndex | QPersistentModelIndex


class Column(IntEnum):
    """The list's columns, in display order."""

    NAME = 0
    ORGANISATION = 1
    EMAIL = 2
    PHONE = 3
    CITY = 4
    RELATIONSHIP = 5
    KEEP_UNTIL = 6


COLUMN_TITLES = {
    Column.NAME: N_("Name"),
    Column.ORGANISATION: N_("Organisation"),
    Column.EMAIL: N_("E-mail"),
    Column.PHONE: N_("Phone"),
    Column.CITY: N_("City"),
    Column.RELATIONSHIP: N_("Relationship"),
    Column.KEEP_UNTIL: N_("Keep until"),
}
#: Marker colours of the keep-until column: passed, and passing within 30 days.
EXPIRED_BACKGROUND = QColor("#f6d5d9")
EXPIRING_BACKGROUND = QColor("#fcedc4")
MARKER_FOREGROUND = QColor("#1a1a1a")
_MARKER_ROLES = frozenset(
    {Qt.ItemDataRole.BackgroundRole, Qt.ItemDataRole.ForegroundRole, Qt.ItemDataRole.ToolTipRole}
)
#: Columns the database has an index to sort by; the others are not sortable.
SORT_KEYS = {
    Column.NAME: ContactSort.NAME,
    Column.ORGANISATION: ContactSort.ORGANISATION,
    Column.CITY: ContactSort.CITY,
    Column.RELATIONSHIP: ContactSort.RELATIONSHIP,
    Column.KEEP_UNTIL: ContactSort.KEEP_UNTIL,
}

ROW_ROLE = Qt.ItemDataRole.UserRole + 1
SORT_KEY_ROLE = Qt.ItemDataRole.UserRole + 2
ID_ROLE = Qt.ItemDataRole.UserRole + 3
_ROLES = frozenset(
    {Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole, ROW_ROLE, SORT_KEY_ROLE, ID_ROLE}
)


class ContactTableModel(QAbstractTableModel):
    """Contacts the signed-in user may see, filtered by a search text, fetched by window."""

    def __init__(
        self,
        contacts: ContactService,
        actor: Actor,
        parent: QObject | None = None,
        today: Callable[[], dt.date] = dt.date.today,
        home_country: str = DEFAULT_REGION,
    ) -> None:
        super().__init__(parent)
        self._today = today
        #: Numbers of the office's country show in their national form (phone_display).
        self.home_country = home_country
        self._view = ListFilter()
        #: The id of the tag the list is filtered by (None: no tag filter).
        self._tag: int | None = None
        self._contacts = contacts
        self._actor = actor
        self._query = ""
        self._sort_column = Column.NAME
        self._descending = False
        self._blocks: OrderedDict[int, list[ContactRow]] = OrderedDict()
        #: The whole list's bookmarks in the current order (None until read).
        self._bookmarks: ListBookmarks | None = None
        self._bookmarks_due = False
        #: Bumped whenever the bookmarks are forgotten: a read started before is dropped.
        self._bookmarks_generation = 0
        self._bookmarks_job: Job[ListBookmarks] | None = None
        #: Read the bookmarks as soon as the list shows a new order, view or tag (from
        #: ``read_bookmarks_ahead``, called after the window's first paint).
        self._read_ahead = False
        self._ahead_timer = QTimer(self)
        self._ahead_timer.setSingleShot(True)
        self._ahead_timer.timeout.connect(self._ahead)
        self._count = self._contacts.count(actor, "")
        #: The owner's custom fields the list may show to the role (restricted ones are
        #: read on the card): columns after the fixed ones (hidden until chosen in the
        #: header's menu), their values fetched with each block.
        self.custom_fields: list[CustomFieldDefinition] = list(contacts.list_fields(actor))
        self._cells: dict[int, dict[str, str]] = {}

    # -- what the model shows -------------------------------------------------------

    @property
    def query(self) -> str:
        """The search text in effect (empty when the whole list shows)."""
        return self._query

    @property
    def sort_column(self) -> Column:
        """The column the rows are sorted by."""
        return self._sort_column

    @property
    def sort_key(self) -> ContactSort:
        """The order the rows are read in (the sort column's)."""
        return SORT_KEYS[self._sort_column]

    @property
    def descending(self) -> bool:
        """True when sorted Z to A."""
        return self._descending

    @property
    def view(self) -> ListFilter:
        """The saved view in effect (the whole list by default)."""
        return self._view

    @property
    def tag(self) -> int | None:
        """The id of the tag the list is filtered by (None when it is not)."""
        return self._tag

    def set_tag(self, tag_id: int | None) -> None:
        """Show only the contacts carrying the tag *tag_id* (with the search and view)."""
        if tag_id == self._tag:
            return
        self.beginResetModel()
        self._tag = tag_id
        self._reload()
        self.endResetModel()
        self._ahead()

    def set_view(self, view: ListFilter) -> None:
        """Show only the contacts of the saved *view* (with the search text, if any)."""
        if view == self._view:
            return
        self.beginResetModel()
        self._view = view
        self._reload()
        self.endResetModel()
        self._ahead()

    def set_query(self, text: str) -> None:
        """Show the contacts matching *text*; fewer than two letters or digits shows all
        (the search looks for those: "<b>" is the one letter b, as "b" typed alone)."""
        query = text.strip()
        if sum(ch.isalnum() for ch in query) < MIN_QUERY_LENGTH:
            query = ""
        if query == self._query:
            return
        self.beginResetModel()
        self._query = query
        self._reload()
        self.endResetModel()

    def refresh(self) -> None:
        """Reload after a change (a saved contact may move or appear)."""
        self.beginResetModel()
        self._reload()
        self.endResetModel()
        if self._read_ahead:
            self._ahead_timer.start(READ_AHEAD_AFTER_REFRESH_MS)

    def clear(self) -> None:
        """Show nothing and forget every fetched row (the idle lock); ``refresh`` refills."""
        self.beginResetModel()
        self._blocks.clear()
        self._forget_bookmarks()
        self._count = 0
        self.endResetModel()

    def _reload(self) -> None:
        self._blocks.clear()
        self._forget_bookmarks()
        self._cells.clear()
        self._count = self._contacts.count(self._actor, self._query, self._view, tag=self._tag)

    def contact_at(self, row: int) -> ContactRow | None:
        """The contact shown on *row*, fetching its block if needed."""
        if not 0 <= row < self._count:
            return None
        block_no, within = divmod(row, BLOCK_SIZE)
        block = self._block(block_no)
        return block[within] if within < len(block) else None

    def _block(self, block_no: int) -> list[ContactRow]:
        block = self._blocks.get(block_no)
        if block is not None:
            self._blocks.move_to_end(block_no)
            return block
        block = self._contacts.page(
            self._actor,
            query=self._query,
            sort=SORT_KEYS[self._sort_column],
            descending=self._descending,
            offset=block_no * BLOCK_SIZE,
            limit=BLOCK_SIZE,
            total=self._count,
            view=self._view,
            tag=self._tag,
            bookmarks=self._bookmarks,
        )
        if block_no and self._bookmarks is None and not self._bookmarks_due and self._keyed():
            # Read off the UI thread (one pass over the order's index): every later window
            # of this order is then found by key.
            self._bookmarks_due = True
            self._read_bookmarks()
        self._blocks[block_no] = block
        while len(self._blocks) > MAX_BLOCKS:
            self._blocks.popitem(last=False)
        if self.custom_fields:
            if len(self._cells) > BLOCK_SIZE * MAX_BLOCKS:
                self._cells.clear()
            self._cells.update(self._contacts.custom_cells(self._actor, [r.id for r in block]))
        return block

    def _keyed(self) -> bool:
        """True when the whole list, a saved view or a tag's contacts show (not a search,
        nor a view and a tag together), long enough to be read by key."""
        if self._query or (self._view.active and self._tag is not None):
            return False
        if self._view.active or self._tag is not None:
            return self._count > KEYSET_VIEW_FROM_ROWS
        return self._count >= KEYSET_FROM_ROWS

    def read_bookmarks_ahead(self) -> None:
        """Read the bookmarks now, off the UI thread, and again whenever the user shows
        another order, view or tag (called once the window has painted): a far jump, even
        the first one, then finds its window by key (by OFFSET it walked the order's index,
        20-150 ms at a million). After a refresh (another desk's change, the change
        watch's first one included) they are read again once the list has been quiet for
        ``READ_AHEAD_AFTER_REFRESH_MS``, or at the next window away from the top."""
        self._read_ahead = True
        self._ahead()

    def _ahead(self) -> None:
        waiting = self._bookmarks is None and not self._bookmarks_due
        if self._read_ahead and waiting and self._count and self._keyed():
            self._bookmarks_due = True
            self._read_bookmarks()

    def _forget_bookmarks(self) -> None:
        self._bookmarks = None
        self._bookmarks_due = False
        self._bookmarks_generation += 1

    def _read_bookmarks(self) -> None:
        contacts, actor = self._contacts, self._actor
        sort, generation = SORT_KEYS[self._sort_column], self._bookmarks_generation
        view, tag = (self._view if self._view.active else None), self._tag

        def read(_context: object) -> ListBookmarks:
            return contacts.bookmarks(actor, sort, view, tag=tag)

        self._bookmarks_job = run_in_background(
            read,
            lambda marks: self._bookmarks_read(generation, marks),
            on_failure=lambda _error: None,  # the windows stay read by OFFSET
        )

    def _bookmarks_read(self, generation: int, marks: ListBookmarks) -> None:
        # The list was reloaded or re-sorted meanwhile, or changed (another desk): these
        # are dropped, the next window away from the top reads them again.
        if generation != self._bookmarks_generation:
            return  # a read of the current list may be under way: not started again
        self._bookmarks_job = None
        if marks.total != self._count:
            self._bookmarks_due = False
            return
        self._bookmarks = marks

    @property
    def bookmarks(self) -> ListBookmarks | None:
        """The bookmarks the whole list's windows are read by (None: by OFFSET)."""
        return self._bookmarks

    # -- QAbstractTableModel ---------------------------------------------------------

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self._count

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(Column) + len(self.custom_fields)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        # Roles are checked first so that style roles never fetch a block (except the
        # keep-until column's marker).
        wanted = role in _ROLES or (role in _MARKER_ROLES and index.column() == Column.KEEP_UNTIL)
        contact = self.contact_at(index.row()) if wanted and index.isValid() else None
        if contact is None:
            return None
        if role in (ROW_ROLE, ID_ROLE):
            return contact if role == ROW_ROLE else contact.id
        if index.column() >= len(Column):
            return self._custom_data(contact, index.column() - len(Column), role)
        column = Column(index.column())
        if column is Column.KEEP_UNTIL and role in _MARKER_ROLES:
            return self._marker(contact.keep_until, role)
        if role == SORT_KEY_ROLE:
            return _sort_key(contact, column)
        return _display(contact, column, self.home_country)

    def _custom_data(self, contact: ContactRow, number: int, role: int) -> Any:
        """A custom field's cell: its value as a person reads it."""
        definition = self.custom_fields[number]
        stored = self._cells.get(contact.id, {}).get(definition.name, "")
        shown = display_value(definition.kind.value, stored)
        return fold(shown) if role == SORT_KEY_ROLE else shown

    def _marker(self, until: dt.date | None, role: int) -> Any:
        """Colour and tooltip of the keep-until cell: passed, or passing within 30 days."""
        today = self._today()
        expired, expiring = is_expired(until, today), is_expiring(until, today)
        if not expired and not expiring:
            return None
        if role == Qt.ItemDataRole.BackgroundRole:
            return EXPIRED_BACKGROUND if expired else EXPIRING_BACKGROUND
        if role == Qt.ItemDataRole.ForegroundRole:
            return MARKER_FOREGROUND
        if expired:
            return _("Keep-until date passed: erase or anonymise this contact (annual cleanup).")
        return _("The keep-until date falls within 30 days.")

    def headerData(
        self,
        section: int,
        orientation: Qt.Orientation,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        if (
            role == Qt.ItemDataRole.ToolTipRole
            and orientation == Qt.Orientation.Horizontal
            and not self.is_sortable(section)
        ):
            return self.unsortable_note(section)
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            if 0 <= section < len(Column):
                return _(COLUMN_TITLES[Column(section)])
            if 0 <= section - len(Column) < len(self.custom_fields):
                return self.custom_fields[section - len(Column)].label_in(current_language())
            return None
        return None

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if column >= len(Column) or column not in SORT_KEYS:
            return
        descending = order == Qt.SortOrder.DescendingOrder
        if Column(column) == self._sort_column and descending == self._descending:
            return
        self.layoutAboutToBeChanged.emit()
        new_order = SORT_KEYS[Column(column)] != SORT_KEYS[self._sort_column]
        self._sort_column = Column(column)
        self._descending = descending
        self._blocks.clear()
        if new_order:
            # Also while the last order's bookmarks are still being read: that read is
            # dropped when it ends (it set them, in the old order, under the new one).
            self._forget_bookmarks()
        # Persistent indexes cannot follow rows we have not loaded: drop them to nothing.
        for index in self.persistentIndexList():
            self.changePersistentIndex(index, QModelIndex())
        self.layoutChanged.emit()
        self._ahead()

    @staticmethod
    def is_sortable(column: int) -> bool:
        """True for the columns the list can be sorted by."""
        return column in SORT_KEYS

    def unsortable_note(self, column: int) -> str:
        """Why a click on *column*'s title does not sort the list, and what does."""
        title = self.headerData(column, Qt.Orientation.Horizontal)
        sortable = ", ".join(_(COLUMN_TITLES[key]) for key in SORT_KEYS)
        return _("The list cannot be sorted by {column}; it sorts by {columns}.").format(
            column=title, columns=sortable
        )


def _display(contact: ContactRow, column: Column, home_country: str = DEFAULT_REGION) -> str:
    if column is Column.NAME:
        # An organisation address (info@...) has no person's name: show whose it is.
        return contact.name or contact.organisation
    if column is Column.RELATIONSHIP:
        return _(RELATIONSHIP_LABELS[contact.relationship])
    if column is Column.KEEP_UNTIL:
        return format_date(contact.keep_until) if contact.keep_until else ""
    plain = {
        Column.ORGANISATION: contact.organisation,
        Column.EMAIL: contact.email,
        Column.PHONE: phone_display(contact.phone, home_country),
        Column.CITY: contact.city,
    }
    return plain[column]


def _sort_key(contact: ContactRow, column: Column) -> str:
    if column is Column.RELATIONSHIP:
        return contact.relationship.value
    return fold(_display(contact, column).replace(",", ""))
