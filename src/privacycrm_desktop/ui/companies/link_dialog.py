"""Link a person to a company: find the contact, their function and department, from when,
and whether they moved here (their current links then end, kept as history).

Returns values (``contact_id``, ``link_input``, ``moved``, ``source_input``); the companies
window saves them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from PySide6.QtCore import QSize
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from privacycrm_desktop.domain.companies import LinkInput
from privacycrm_desktop.domain.errors import DomainError, FieldProblem
from privacycrm_desktop.domain.provenance import SOURCE_KIND_LABELS, SourceInput, SourceKind
from privacycrm_desktop.domain.text import N_
from privacycrm_desktop.i18n import _, describe_error, format_number
from privacycrm_desktop.services.companies import CompanyRow
from privacycrm_desktop.services.dto import ContactRow
from privacycrm_desktop.ui.common.date_fields import date_edit, from_qdate
from privacycrm_desktop.ui.common.mnemonics import assign_window_mnemonics
from privacycrm_desktop.ui.common.rows_model import ROW_ROLE
from privacycrm_desktop.ui.common.widgets import ErrorLabel, SearchOnEnter, show_problems
from privacycrm_desktop.ui.common.window_size import size_window


class LinkPersonDialog(QDialog):
    """Choose a person for *company_name*; it does not save anything."""

    #: What the dialog says when OK is pressed with nobody chosen.
    NOT_CHOSEN = N_("Find the person and choose them.")
    #: How many people a search lists (the caller's search reads no more).
    RESULTS = 50

    def __init__(
        self,
        search: Callable[[str], list[ContactRow]],
        company_name: str,
        today: dt.date,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Link a person to {company}").format(company=company_name))
        self._search = search
        find = self._make_search()
        self.function = QLineEdit()
        self.department = QLineEdit()
        self.since = date_edit(today)
        self.since.setMaximumDate(self.since.date())
        self.moved = QCheckBox(_("The person &moved here: end their current links"))
        self.source_kind = QComboBox()
        for value, label in SOURCE_KIND_LABELS.items():
            self.source_kind.addItem(_(label), value)
        self.source_kind.setCurrentIndex(self.source_kind.findData(SourceKind.PHONE_CALL))
        self.source_description = QLineEdit()
        self.source_description.setPlaceholderText(_("For example: e-mail signature"))
        self.errors = {
            name: ErrorLabel()
            for name in ("contact", "function", "department", "started_on", "source_description")
        }
        self.error = ErrorLabel()
        search_row = QHBoxLayout()
        search_row.addWidget(self.query, 1)
        search_row.addWidget(find)
        form = QFormLayout()
        self.who_label = QLabel(_("&Person:"))
        self.who_label.setBuddy(self.query)
        form.addRow(self.who_label, search_row)
        form.addRow(self.results)
        form.addRow(self.more)
        form.addRow(self.errors["contact"])
        for label, widget, name in (
            (_("F&unction:"), self.function, "function"),
            (_("&Department:"), self.department, "department"),
            (_("&Since:"), self.since, "started_on"),
            (_("Kind of source:"), self.source_kind, ""),
            (_("Description:"), self.source_description, "source_description"),
        ):
            cell = QVBoxLayout()
            cell.addWidget(widget)
            if name:
                cell.addWidget(self.errors[name])
            row_label = QLabel(label)
            row_label.setBuddy(widget)
            form.addRow(row_label, cell)
        form.addRow(self.moved)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form, 1)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        size_window(self, QSize(560, 520))
        assign_window_mnemonics(self)

    def _make_search(self) -> QPushButton:
        """The search field, its button (returned), the results and the note under them."""
        self.query = QLineEdit()
        self.query.setPlaceholderText(_("name, e-mail, phone..."))
        # Enter in the search field searches, and only that (it also pressed OK, which
        # said "Find the person and choose them." in red beside the results).
        SearchOnEnter(self.query, self.find_contacts)
        find = QPushButton(_("F&ind"))
        find.setAutoDefault(False)
        find.clicked.connect(self.find_contacts)
        self.results = QListWidget()
        self.results.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.more = QLabel()
        self.more.setWordWrap(True)
        self.more.hide()
        return find

    def find_contacts(self) -> None:
        """List the contacts matching the search words (as the user may see them)."""
        self.results.clear()
        try:
            rows = self._search(self.query.text())
        except DomainError as error:
            self.error.show_message(describe_error(error))
            return
        for row in rows:
            text = " · ".join(p for p in (row.name, row.organisation, row.email, row.city) if p)
            item = QListWidgetItem(f"#{row.id}  {text}")
            item.setData(ROW_ROLE, row.id)
            self.results.addItem(item)
        if len(rows) == 1:
            self.results.item(0).setSelected(True)
        self.errors["contact"].show_message("")
        self.error.show_message("" if rows else _("No contact found."))
        # A full list may not hold the person: say so, rather than let it look complete.
        self.more.setText(
            _("Only the first {count} are listed: type more of the name.").format(
                count=format_number(len(rows))
            )
        )
        self.more.setVisible(len(rows) >= self.RESULTS)

    def contact_id(self) -> int | None:
        """The person chosen, if any."""
        items = self.results.selectedItems()
        return int(items[0].data(ROW_ROLE)) if items else None

    def link_input(self) -> LinkInput:
        """Function, department and start as entered."""
        return LinkInput(
            function=self.function.text(),
            department=self.department.text(),
            started_on=from_qdate(self.since.date()),
        )

    def source_input(self) -> SourceInput:
        """Where the link (and the function) comes from."""
        kind = self.source_kind.currentData()
        return SourceInput(
            kind=SourceKind(kind) if kind else None, description=self.source_description.text()
        )

    def show_problems(self, problems: list[FieldProblem], message: str = "") -> None:
        """Each refused value's problem under its field; the rest at the bottom."""
        unplaced = show_problems(self.errors, problems, self.error)
        if message and not unplaced:
            self.error.show_message(message)

    def _accept(self) -> None:
        if self.contact_id() is None:
            self.errors["contact"].show_message(_(self.NOT_CHOSEN))
            return
        self.accept()


class LinkCompanyDialog(LinkPersonDialog):
    """The same, from the person's side (the contact editor): choose the company for
    *person_name*; ``contact_id()`` then gives the chosen company's id."""

    NOT_CHOSEN = N_("Find the company and choose it.")

    def __init__(
        self,
        search: Callable[[str], list[CompanyRow]],
        person_name: str,
        today: dt.date,
        parent: QWidget | None = None,
    ) -> None:
        self._companies = search
        super().__init__(lambda _query: [], person_name, today, parent)
        self.setWindowTitle(_("Link {person} to a company").format(person=person_name))
        self.who_label.setText(_("Company:"))
        self.query.setPlaceholderText(_("name or enterprise number"))
        self.moved.setText(_("The person moved here: end their other current links"))
        assign_window_mnemonics(self)

    def find_contacts(self) -> None:
        """List the companies matching the search words."""
        self.results.clear()
        try:
            rows = self._companies(self.query.text())
        except DomainError as error:
            self.error.show_message(describe_error(error))
            return
        for row in rows:
            text = " · ".join(p for p in (row.name, row.vat, row.city) if p)
            item = QListWidgetItem(text)
            item.setData(ROW_ROLE, row.id)
            self.results.addItem(item)
        if len(rows) == 1:
            self.results.item(0).setSelected(True)
        self.error.show_message("" if rows else _("No company found."))
