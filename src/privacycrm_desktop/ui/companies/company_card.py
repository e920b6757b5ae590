"""A company's card in the Companies window: its details and custom fields (each value's
source as its tooltip), its tags, its people with their function and department, and its
interactions (the contact card's timeline, shown for the company: "Log..." by
Ctrl+Shift+L, Enter)."""

from __future__ import annotations

from enum import IntEnum
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFormLayout,
    QHeaderView,
    QLabel,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from privacycrm_desktop.domain.companies import LEGAL_FORM_LABELS, LegalForm
from privacycrm_desktop.domain.contacts import RELATIONSHIP_LABELS
from privacycrm_desktop.domain.normalize import phone_display
from privacycrm_desktop.domain.text import N_
from privacycrm_desktop.i18n import _, country_name, current_language
from privacycrm_desktop.services.companies import CompanyDetail
from privacycrm_desktop.services.company_links import CompanyPerson
from privacycrm_desktop.services.custom_fields import display_value
from privacycrm_desktop.services.dto import CustomValueInfo
from privacycrm_desktop.ui.common.date_fields import format_date
from privacycrm_desktop.ui.common.rows_model import RowsModel
from privacycrm_desktop.ui.common.widgets import describe_source
from privacycrm_desktop.ui.contacts.contact_card import tag_chip
from privacycrm_desktop.ui.contacts.timeline import TimelineWidget


class PersonColumn(IntEnum):
    """The columns of a company's people."""

    NAME = 0
    FUNCTION = 1
    DEPARTMENT = 2
    SINCE = 3
    UNTIL = 4


class PeopleModel(RowsModel[CompanyPerson]):
    """The people of one company: current ones first, then those who left."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(
            {
                PersonColumn.NAME: N_("Name"),
                PersonColumn.FUNCTION: N_("Function"),
                PersonColumn.DEPARTMENT: N_("Department"),
                PersonColumn.SINCE: N_("Since"),
                PersonColumn.UNTIL: N_("Until"),
            },
            parent,
        )

    def cell(self, row: CompanyPerson, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.ForegroundRole and row.ended_on is not None:
            return Qt.GlobalColor.darkGray
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        return {
            PersonColumn.NAME: row.name,
            PersonColumn.FUNCTION: row.function,
            PersonColumn.DEPARTMENT: row.department,
            PersonColumn.SINCE: format_date(row.started_on) if row.started_on else "",
            PersonColumn.UNTIL: format_date(row.ended_on) if row.ended_on else "",
        }[PersonColumn(column)]


class CompanyCard(QWidget):
    """One company's details (each value's source as its tooltip), its people and, when
    given, its interactions (*timeline*)."""

    def __init__(
        self, parent: QWidget | None = None, timeline: TimelineWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.timeline = timeline
        self.title = QLabel()
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        self.title.setFont(font)
        self.title.setWordWrap(True)
        self.values: dict[str, QLabel] = {}
        form = QFormLayout()
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        rows = (
            ("legal_form", N_("Legal form:")),
            ("vat", N_("Enterprise number:")),
            ("address", N_("Address:")),
            ("email", N_("E-mail:")),
            ("phone", N_("Phone:")),
            ("website", N_("Website:")),
            ("relationship", N_("Relationship:")),
            ("tags", N_("Tags:")),
            ("notes", N_("Notes:")),
        )
        for name, label in rows:
            value = QLabel()
            value.setWordWrap(True)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.values[name] = value
            form.addRow(_(label), value)
        #: The company's custom fields the role sees: rows after the fixed ones of *form*
        #: (its labels line up with theirs), made anew for each company.
        self.form = form
        self._fixed_rows = form.rowCount()
        self.custom_values: dict[str, QLabel] = {}
        self.people_label = QLabel(_("People"))
        bold = self.people_label.font()
        bold.setBold(True)
        self.people_label.setFont(bold)
        self.people = PeopleModel(self)
        self.people_view = QTableView()
        self.people_view.setModel(self.people)
        self.people_view.verticalHeader().hide()
        self.people_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.people_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.people_view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(PersonColumn.NAME, QHeaderView.ResizeMode.Stretch)
        self.nobody = QLabel(_("Nobody is linked to this company yet."))
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addLayout(form)
        layout.addWidget(self.people_label)
        layout.addWidget(self.nobody)
        layout.addWidget(self.people_view, 1)
        if timeline is not None:
            layout.addWidget(timeline, 2)
        self.show_company(None)

    def show_company(self, detail: CompanyDetail | None) -> None:
        """Show *detail*, or an empty card with a hint."""
        self._show_custom(detail.custom if detail is not None else ())
        if self.timeline is not None:
            self.timeline.show_company(detail.id if detail is not None else None)
        if detail is None:
            self.title.setText(_("Choose a company in the list."))
            for label in self.values.values():
                label.clear()
                label.setToolTip("")
            self.people.set_rows(())
            self.nobody.hide()
            self.people_view.hide()
            self.people_label.hide()
            return
        v = detail.values
        self.title.setText(v.name)
        place = " ".join(p for p in (v.postcode, v.city) if p)
        address = ", ".join(p for p in (v.street, place) if p)
        if address and v.country:
            address += f" ({country_name(v.country)})"
        shown = {
            "legal_form": _(LEGAL_FORM_LABELS[LegalForm(v.legal_form)]) if v.legal_form else "",
            "vat": detail.vat_display,
            "address": address,
            "email": v.email,
            "phone": phone_display(v.phone) if v.phone else "",
            "website": v.website,
            "relationship": _(RELATIONSHIP_LABELS[v.relationship]),
            "tags": " ".join(tag_chip(t) for t in detail.tags),
            "notes": v.notes,
        }
        sources = {
            "address": detail.provenance.get("street") or detail.provenance.get("city"),
        }
        for name, label in self.values.items():
            if name == "tags":
                label.setTextFormat(Qt.TextFormat.RichText)
                label.setText(shown[name] or "—")
                continue
            label.setTextFormat(Qt.TextFormat.PlainText)
            label.setText(shown[name] or "—")
            source = sources.get(name, detail.provenance.get(name))
            label.setToolTip(describe_source(source) if source and shown[name] else "")
        self.people.set_rows(detail.people)
        self.people_label.show()
        self.nobody.setVisible(not detail.people)
        self.people_view.setVisible(bool(detail.people))

    def _show_custom(self, values: tuple[CustomValueInfo, ...]) -> None:
        """One row per custom value: the owner's label in the user's language, the value
        as people read it (masked where the role sees it masked), its source as tooltip."""
        while self.form.rowCount() > self._fixed_rows:
            self.form.removeRow(self._fixed_rows)
        self.custom_values = {}
        language = current_language()
        for item in values:
            label = dict(item.labels).get(language) or item.label
            shown = item.value if item.masked else display_value(item.kind, item.value)
            value = QLabel(shown or "—")
            value.setWordWrap(True)
            value.setTextFormat(Qt.TextFormat.PlainText)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            value.setToolTip(describe_source(item.source) if item.source else "")
            self.custom_values[item.key] = value
            self.form.addRow(_("{label}:").format(label=label), value)
