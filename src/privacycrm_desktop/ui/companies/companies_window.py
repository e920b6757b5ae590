"""The Companies window: the list with its search, and the card of the company chosen
(its details, each with its source, and its people with their function).

Everything is read and saved through ``services.companies`` in the user's role; the window
keeps ids and values, never a session or a database row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from enum import IntEnum
from typing import Any

from PySide6.QtCore import QItemSelection, QSize, Qt, QTimer
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from privacycrm_desktop.domain.custom_fields import CustomFieldDefinition
from privacycrm_desktop.domain.errors import DomainError, ValidationFailed
from privacycrm_desktop.domain.normalize import phone_display
from privacycrm_desktop.domain.text import N_
from privacycrm_desktop.i18n import _, current_language, describe_error, ngettext
from privacycrm_desktop.services.companies import CompanyDetail, CompanyRow
from privacycrm_desktop.services.company_links import CompanyPerson
from privacycrm_desktop.services.custom_fields import display_value
from privacycrm_desktop.services.dto import Actor, ContactRow, CustomValueInfo
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.ui.common import messages
from privacycrm_desktop.ui.common.rows_model import RowsModel
from privacycrm_desktop.ui.common.window_size import size_window
from privacycrm_desktop.ui.companies.company_card import CompanyCard
from privacycrm_desktop.ui.companies.company_editor import CompanyEditorDialog
from privacycrm_desktop.ui.companies.company_tags import CompanyTagsRow
from privacycrm_desktop.ui.companies.link_dialog import LinkPersonDialog
from privacycrm_desktop.ui.contacts.timeline import TimelineWidget
from privacycrm_desktop.ui.tags.tag_filter import TagFilter

#: Milliseconds of quiet typing before the list follows the search field.
SEARCH_DELAY_MS = 250


class CompanyColumn(IntEnum):
    """The columns of the company list."""

    NAME = 0
    VAT = 1
    CITY = 2
    PEOPLE = 3
    TAGS = 4


class CompanyTableModel(RowsModel[CompanyRow]):
    """The companies found, one row each; after the fixed columns, one per custom field of
    companies the role sees (``set_custom``)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(
            {
                CompanyColumn.NAME: N_("Name"),
                CompanyColumn.VAT: N_("Enterprise number"),
                CompanyColumn.CITY: N_("City"),
                CompanyColumn.PEOPLE: N_("People"),
                CompanyColumn.TAGS: N_("Tags"),
            },
            parent,
        )
        self._fixed = list(self._titles)
        self._custom: list[CustomFieldDefinition] = []
        self._cells: dict[int, dict[str, str]] = {}

    def set_custom(
        self, fields: Sequence[CustomFieldDefinition], cells: dict[int, dict[str, str]]
    ) -> None:
        """The custom fields' columns (the owner's labels in the user's language) and the
        rows' values of them."""
        language = current_language()
        self.beginResetModel()
        self._custom = list(fields)
        self._cells = cells
        self._titles = [*self._fixed, *(d.label_in(language) for d in fields)]
        self.endResetModel()

    @property
    def custom_fields(self) -> tuple[CustomFieldDefinition, ...]:
        """The custom fields with a column, in their order."""
        return tuple(self._custom)

    def custom_column(self, name: str) -> int | None:
        """The column of the custom field *name* (``cf_<key>``), if shown."""
        names = [d.name for d in self._custom]
        return len(self._fixed) + names.index(name) if name in names else None

    def cell(self, row: CompanyRow, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.TextAlignmentRole and column == CompanyColumn.PEOPLE:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole and column == CompanyColumn.NAME:
            return row.name  # the whole name, where the column elides it
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if column >= len(self._fixed):
            definition = self._custom[column - len(self._fixed)]
            stored = self._cells.get(row.id, {}).get(definition.name, "")
            return display_value(definition.kind.value, stored)
        return {
            CompanyColumn.NAME: row.name,
            CompanyColumn.VAT: row.vat,
            CompanyColumn.CITY: row.city,
            CompanyColumn.PEOPLE: str(row.people),
            CompanyColumn.TAGS: ", ".join(t.name for t in row.tags),
        }[CompanyColumn(column)]


class CompaniesDialog(QDialog):
    """The company list with its search and the chosen company's card."""

    def __init__(self, services: Services, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._services = services
        self._actor = actor
        self._detail: CompanyDetail | None = None
        self.setWindowTitle(_("Companies"))
        self.search = QLineEdit()
        self.search.setPlaceholderText(_("Search by name or enterprise number"))
        self.search.setClearButtonEnabled(True)
        self.search_timer = QTimer(self)
        self.search_timer.setSingleShot(True)
        self.search_timer.setInterval(SEARCH_DELAY_MS)
        self.search_timer.timeout.connect(self.reload)
        self.search.textChanged.connect(lambda _text: self.search_timer.start())
        QShortcut(QKeySequence(QKeySequence.StandardKey.Find), self, self.search.setFocus)
        writable = services.companies.may_write(actor)
        self.add_button = QPushButton(_("&Add company..."))
        self.add_button.setShortcut(QKeySequence(QKeySequence.StandardKey.New))
        self.add_button.clicked.connect(self.add_company)
        self.add_button.setEnabled(writable)
        self.edit_button = QPushButton(_("&Edit..."))
        self.edit_button.clicked.connect(self.edit_company)
        self.edit_button.setEnabled(False)
        self.edit_button.setVisible(writable)
        self._may_link = services.companies.may_link(actor)
        self.link_button = QPushButton(_("&Link a person..."))
        self.link_button.clicked.connect(self.link_person)
        self.link_button.setEnabled(False)
        self.link_button.setVisible(self._may_link)
        self.left_button = QPushButton(_("Person has le&ft"))
        self.left_button.clicked.connect(self.end_link)
        self.left_button.setEnabled(False)
        self.left_button.setVisible(self._may_link)
        self.count_label = QLabel()
        self._make_tag_controls()
        self._make_list()
        self._make_empty_state(writable)
        self.card = CompanyCard(
            timeline=TimelineWidget(services.activities, actor, find_people=self._find_people)
        )
        self.card.people_view.selectionModel().selectionChanged.connect(
            lambda _selected, _deselected: self._person_changed()
        )
        self._lay_out()
        self.reload()

    def _make_tag_controls(self) -> None:
        """The tag filter beside the search, and the row that tags the chosen company."""
        tags, actor = self._services.tags, self._actor
        self.tag_filter: TagFilter | None = None
        if tags.readable(actor):
            self.tag_filter = TagFilter(tags, actor)
            self.tag_filter.tag_chosen.connect(lambda _tag: self.reload())
        self.tag_row = CompanyTagsRow(tags, actor)
        self.tag_row.setVisible(tags.writable(actor))
        self.tag_row.changed.connect(self._tags_changed)
        self.tag_row.failed.connect(self.count_label.setText)

    def _tags_changed(self) -> None:
        if self.tag_filter is not None:
            self.tag_filter.reload()
        self.reload()

    def _make_list(self) -> None:
        self.model = CompanyTableModel(self)
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.verticalHeader().hide()
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        #: The custom fields' columns the user chose to see (hidden until chosen, as in
        #: the contact list): right-click the header.
        self.chosen_columns: set[str] = set()
        header = self.view.horizontalHeader()
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(
            lambda point: self.column_menu().exec(header.mapToGlobal(point))
        )
        self._fit_columns()
        self.view.selectionModel().selectionChanged.connect(self._selection_changed)
        self.view.doubleClicked.connect(lambda _index: self.edit_company())

    def _fit_columns(self) -> None:
        """The name takes the room left; the other columns their contents' width; a custom
        field's column shows only when chosen."""
        header = self.view.horizontalHeader()
        self.view.setWordWrap(False)  # one line a company, a long name elided
        header.setSectionResizeMode(CompanyColumn.NAME, QHeaderView.ResizeMode.Stretch)
        for column in range(1, self.model.columnCount()):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        for definition in self.model.custom_fields:
            place = self.model.custom_column(definition.name)
            if place is not None:
                self.view.setColumnHidden(place, definition.name not in self.chosen_columns)

    def column_menu(self) -> QMenu:
        """A checkable entry per custom field's column; toggling one shows or hides it."""
        menu = QMenu(self.view)
        for definition in self.model.custom_fields:
            column = self.model.custom_column(definition.name)
            title = self.model.headerData(column or 0, Qt.Orientation.Horizontal)
            action = menu.addAction(str(title))
            action.setCheckable(True)
            action.setChecked(definition.name in self.chosen_columns)
            action.toggled.connect(
                lambda shown, name=definition.name: self.choose_column(name, shown)
            )
        return menu

    def choose_column(self, name: str, shown: bool) -> None:
        """Show (or hide) the column of the custom field *name*."""
        if shown:
            self.chosen_columns.add(name)
        else:
            self.chosen_columns.discard(name)
        self._fit_columns()

    def _make_empty_state(self, writable: bool) -> None:
        """What the list's place shows without a company: why, and the way on."""
        self.empty_state = QWidget()
        self.empty_state.setObjectName("empty_state")
        self.empty_message = QLabel()
        self.empty_message.setWordWrap(True)
        self.empty_message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_add_button = QPushButton(_("&Add company..."))
        self.empty_add_button.setShortcut(QKeySequence(QKeySequence.StandardKey.New))
        self.empty_add_button.clicked.connect(self.add_company)
        self.empty_add_button.setVisible(writable)
        self.clear_search_button = QPushButton(_("&Clear the search"))
        self.clear_search_button.clicked.connect(self.search.clear)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.empty_add_button)
        buttons.addWidget(self.clear_search_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self.empty_state)
        layout.addStretch(1)
        layout.addWidget(self.empty_message)
        layout.addLayout(buttons)
        layout.addStretch(2)
        self.list_pages = QStackedWidget()
        self.list_pages.addWidget(self.view)
        self.list_pages.addWidget(self.empty_state)

    def _show_empty_state(self, query: str, tagged: bool = False) -> None:
        """The list, or when it has no row, why and what to do (and no card beside it)."""
        empty = self.model.rowCount() == 0
        self.list_pages.setCurrentWidget(self.empty_state if empty else self.view)
        self.card_pane.setVisible(not empty)
        # The empty state's own Add button takes the bottom one's place (and its keys).
        self.add_button.setVisible(not empty or bool(query) or tagged)
        self.empty_add_button.setVisible(self.add_button.isEnabled() and not query)
        self.clear_search_button.setVisible(bool(query))
        if not empty:
            return
        if query:
            text = _("No company matches “{query}”.").format(query=query)
        elif tagged:
            text = _("No company carries this tag.")
        elif self.add_button.isEnabled():
            text = _("No companies yet: add the first one.")
        else:
            text = _("No companies yet.")
        self.empty_message.setText(text)

    def _lay_out(self) -> None:
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.card)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        search_row = QHBoxLayout()
        search_row.addWidget(self.search, 1)
        if self.tag_filter is not None:
            search_row.addWidget(self.tag_filter)
        left_layout.addLayout(search_row)
        left_layout.addWidget(self.list_pages, 1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.count_label, 1)
        bottom.addWidget(self.add_button)
        left_layout.addLayout(bottom)
        right = self.card_pane = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(scroll, 1)
        right_layout.addWidget(self.tag_row)
        edit_row = QHBoxLayout()
        edit_row.addWidget(self.link_button)
        edit_row.addWidget(self.left_button)
        edit_row.addStretch(1)
        edit_row.addWidget(self.edit_button)
        right_layout.addLayout(edit_row)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(right)
        # The list wider than the card: the names have the room the other columns leave.
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([580, 420])
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(splitter, 1)
        layout.addWidget(close)
        size_window(self, QSize(1000, 560))

    # -- the list ---------------------------------------------------------------------

    def reload(self, select_id: int | None = None) -> None:
        """Read the list again for the search text; keep (or choose) *select_id*."""
        self.search_timer.stop()
        keep = select_id if select_id is not None else (self._detail and self._detail.id)
        try:
            query = self.search.text()
            tag = self.tag_filter.chosen() if self.tag_filter is not None else None
            companies = self._services.companies
            total = companies.count(self._actor, query, tag=tag)
            rows = companies.rows(self._actor, query, tag=tag)
            shown = list(companies.list_fields(self._actor))
            cells = companies.custom_cells(self._actor, [r.id for r in rows]) if shown else {}
        except DomainError as error:
            self.model.set_rows(())
            self.count_label.setText(describe_error(error))
            return
        self.model.set_custom(shown, cells)
        self.model.set_rows(rows)
        self._fit_columns()
        self._show_empty_state(query, tag is not None)
        self.count_label.setText(
            ngettext("{shown} of {total} company", "{shown} of {total} companies", total).format(
                shown=len(rows), total=total
            )
            if len(rows) < total
            else ngettext("{total} company", "{total} companies", total).format(total=total)
        )
        for index, row in enumerate(rows):
            if row.id == keep:
                self.view.selectRow(index)
                return
        self._show(None)

    def open_company(self, company_id: int) -> None:
        """Show *company_id*'s card (chosen in the list when the list holds it)."""
        self.reload(company_id)
        if self._detail is not None and self._detail.id == company_id:
            return
        try:
            self._show(self._services.companies.card(self._actor, company_id))
        except DomainError as error:
            self._show(None)
            self.count_label.setText(describe_error(error))

    def selected_id(self) -> int | None:
        """The id of the company chosen in the list."""
        rows = self.view.selectionModel().selectedRows()
        row = self.model.row_at(rows[0].row()) if rows else None
        return row.id if row is not None else None

    def _selection_changed(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        company_id = self.selected_id()
        if company_id is None:
            self._show(None)
            return
        try:
            self._show(self._services.companies.card(self._actor, company_id))
        except DomainError as error:
            self._show(None)
            messages.warning(self, _("Companies"), describe_error(error))

    def _show(self, detail: CompanyDetail | None) -> None:
        self._detail = detail
        self.card.show_company(detail)
        self.tag_row.show_company(
            detail.id if detail is not None else None, detail.tags if detail else ()
        )
        self.edit_button.setEnabled(detail is not None and detail.writable)
        self.link_button.setEnabled(detail is not None and self._may_link)
        self._person_changed()

    def _person_changed(self) -> None:
        person = self.chosen_person()
        self.left_button.setEnabled(person is not None and person.ended_on is None)

    def chosen_person(self) -> CompanyPerson | None:
        """The person chosen in the card's people, if any."""
        rows = self.card.people_view.selectionModel().selectedRows()
        return self.card.people.row_at(rows[0].row()) if rows else None

    # -- adding and editing -------------------------------------------------------------

    def add_company(self) -> int | None:
        """Ask for a new company and save it; its id, or None when cancelled."""
        editor = CompanyEditorDialog(parent=self, **self._custom_parts())
        while editor.exec() == QDialog.DialogCode.Accepted:
            try:
                new_id = self._services.companies.add(
                    self._actor,
                    editor.company_input(),
                    editor.source_input(),
                    editor.custom_values(),
                )
            except ValidationFailed as error:
                editor.show_problems(error.problems, describe_error(error))
                continue
            except DomainError as error:
                editor.show_problems([], describe_error(error))
                continue
            self.search.blockSignals(True)
            self.search.clear()
            self.search.blockSignals(False)
            self.reload(new_id)
            return new_id
        return None

    def edit_company(self) -> bool:
        """Edit the chosen company; True when saved."""
        if self._detail is None or not self._detail.writable:
            return False
        # The card leaves the restricted custom values unread; the editor reads them (its
        # reading audited), as a contact's editor does.
        try:
            detail = self._services.companies.get(self._actor, self._detail.id)
        except DomainError as error:
            messages.warning(self, _("Companies"), describe_error(error))
            return False
        # The enterprise number and phone as people write them; saving normalises again.
        shown = replace(
            detail.values,
            vat=detail.vat_display,
            phone=phone_display(detail.values.phone) if detail.values.phone else "",
        )
        editor = CompanyEditorDialog(shown, parent=self, **self._custom_parts(detail.custom))
        while editor.exec() == QDialog.DialogCode.Accepted:
            try:
                saved = self._services.companies.update(
                    self._actor,
                    detail.id,
                    detail.version,
                    editor.company_input(),
                    editor.source_input(),
                    editor.custom_values(),
                )
            except ValidationFailed as error:
                editor.show_problems(error.problems, describe_error(error))
                continue
            except DomainError as error:
                editor.show_problems([], describe_error(error))
                continue
            self.reload(saved.id)
            return True
        return False

    def _custom_parts(self, stored: tuple[CustomValueInfo, ...] = ()) -> dict[str, Any]:
        """The editor's custom-field section: the fields, the role's access, the values."""
        companies = self._services.companies
        return {
            "custom_fields": companies.custom_fields(self._actor),
            "access": companies.field_access(self._actor),
            "stored": stored,
            "today": self._services.clock.today(),
        }

    # -- people -------------------------------------------------------------------------

    def _find_people(self, query: str) -> list[ContactRow]:
        return self._services.contacts.page(
            self._actor, query=query, limit=LinkPersonDialog.RESULTS
        )

    def link_person(self) -> int | None:
        """Link a person to the chosen company; the link's id, or None when cancelled."""
        detail = self._detail
        if detail is None or not self._may_link:
            return None
        dialog = LinkPersonDialog(
            self._find_people, detail.values.name, self._services.clock.today(), self
        )
        companies = self._services.companies
        while dialog.exec() == QDialog.DialogCode.Accepted:
            contact_id = dialog.contact_id()
            if contact_id is None:
                continue
            save = companies.move if dialog.moved.isChecked() else companies.link
            try:
                link_id = save(
                    self._actor, contact_id, detail.id, dialog.link_input(), dialog.source_input()
                )
            except ValidationFailed as error:
                dialog.show_problems(error.problems, describe_error(error))
                continue
            except DomainError as error:
                dialog.show_problems([], describe_error(error))
                continue
            self.reload(detail.id)
            return link_id
        return None

    def end_link(self) -> bool:
        """The chosen person left the company: their link ends today (and is kept)."""
        person = self.chosen_person()
        detail = self._detail
        if person is None or detail is None or person.ended_on is not None:
            return False
        answer = messages.question(
            self,
            _("Person has left"),
            _("{name} no longer works at {company}? The link is kept, ending today.").format(
                name=person.name, company=detail.values.name
            ),
        )
        if answer != QMessageBox.StandardButton.Yes:
            return False
        try:
            self._services.companies.unlink(self._actor, person.link_id)
        except DomainError as error:
            messages.warning(self, _("Companies"), describe_error(error))
            return False
        self.reload(detail.id)
        return True
