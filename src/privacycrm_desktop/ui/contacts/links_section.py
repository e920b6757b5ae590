"""The contact editor's section for the person's companies and tags.

The places at companies (company, function, department, since or until) with "Link to a
company..." and "Has left this company", and every tag as a check box (Space ticks it)
with a field for a new one. Unlike the form's fields, these changes are saved at once
through ``services.companies`` and ``services.tags`` (each link has its own source; a tag
is a label of the business): the section says so. A role that may see but not change
them gets the lists without the controls; one they are hidden from gets no section.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from privacycrm_desktop.domain.access import FieldAccess
from privacycrm_desktop.domain.errors import DomainError
from privacycrm_desktop.i18n import _, describe_error
from privacycrm_desktop.services.clock import Clock
from privacycrm_desktop.services.companies import CompanyService
from privacycrm_desktop.services.dto import Actor, CompanyLinkInfo, ContactDetail
from privacycrm_desktop.services.tags import TagService
from privacycrm_desktop.ui.common.date_fields import format_date
from privacycrm_desktop.ui.common.rows_model import ROW_ROLE
from privacycrm_desktop.ui.common.widgets import ErrorLabel, swatch

#: What the section saves through: the companies, the tags, and the clock (for "today").
LinksServices = tuple[CompanyService, TagService, Clock]
_SHOWN = (FieldAccess.READ.value, FieldAccess.WRITE.value, FieldAccess.MASKED.value)


def link_text(link: CompanyLinkInfo) -> str:
    """One place at a company on one line."""
    text = link.company_name or _("(company hidden)")
    role = ", ".join(p for p in (link.function, link.department) if p)
    if role:
        text = _("{company} – {function}").format(company=text, function=role)
    if link.ended_on is not None:
        return text + " " + _("(until {date})").format(date=format_date(link.ended_on))
    if link.started_on is not None:
        return text + " " + _("(since {date})").format(date=format_date(link.started_on))
    return text


class CompaniesTagsSection(QGroupBox):
    """The person's companies and tags; ``changed`` is emitted after each saved change."""

    changed = Signal()

    def __init__(
        self,
        detail: ContactDetail,
        actor: Actor,
        companies: CompanyService,
        tags: TagService,
        clock: Clock,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(_("Companies and tags"), parent)
        self._contact_id = detail.id
        self._name = " ".join(p for p in (detail.first_name, detail.last_name) if p)
        self._actor = actor
        self._companies = companies
        self._tags = tags
        self._clock = clock
        access = detail.field_access
        self.shows_links = access.get("company_links") in _SHOWN
        self.shows_tags = access.get("tags") in _SHOWN
        may_link = self.shows_links and companies.may_link(actor)
        self.may_tag = self.shows_tags and tags.writable(actor)
        self.note = QLabel(_("Changes here are saved at once."))
        self.note.setWordWrap(True)
        self.links = QListWidget()
        self.links.setObjectName("company_links")
        self.links.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.links_label = QLabel(_("Companies:"))
        self.links_label.setBuddy(self.links)
        self.link_button = QPushButton(_("Link to a company..."))
        self.link_button.clicked.connect(self.link_company)
        self.left_button = QPushButton(_("Has left this company"))
        self.left_button.clicked.connect(self.end_link)
        self.links.itemSelectionChanged.connect(self._link_chosen)
        self.tag_list = QListWidget()
        self.tag_list.setObjectName("tag_checks")
        self.tags_label = QLabel(_("Tags:"))
        self.tags_label.setBuddy(self.tag_list)
        self.new_tag = QLineEdit()
        self.new_tag.setPlaceholderText(_("New tag"))
        self.new_tag.returnPressed.connect(self.add_tag)
        self.add_tag_button = QPushButton(_("Add tag"))
        self.add_tag_button.setAutoDefault(False)
        self.add_tag_button.clicked.connect(self.add_tag)
        self.error = ErrorLabel()
        self._lay_out(may_link)
        self._show_links(detail.companies)
        self._show_tags({t.tag_id for t in detail.tags})
        self.tag_list.itemChanged.connect(self._tag_ticked)

    def _lay_out(self, may_link: bool) -> None:
        layout = QVBoxLayout(self)
        if may_link or self.may_tag:
            layout.addWidget(self.note)
        if self.shows_links:
            layout.addWidget(self.links_label)
            layout.addWidget(self.links)
            row = QHBoxLayout()
            row.addWidget(self.link_button)
            row.addWidget(self.left_button)
            row.addStretch(1)
            layout.addLayout(row)
        if self.shows_tags:
            layout.addWidget(self.tags_label)
            layout.addWidget(self.tag_list)
            row = QHBoxLayout()
            row.addWidget(self.new_tag, 1)
            row.addWidget(self.add_tag_button)
            layout.addLayout(row)
        layout.addWidget(self.error)
        self.link_button.setVisible(may_link)
        self.left_button.setVisible(may_link)
        self.new_tag.setVisible(self.may_tag)
        self.add_tag_button.setVisible(self.may_tag)

    @property
    def buttons(self) -> list[QLabel | QPushButton]:
        """The labels and buttons that take an Alt+letter."""
        return [self.links_label, self.link_button, self.left_button, self.tags_label]

    # -- companies --------------------------------------------------------------------

    def _show_links(self, links: tuple[CompanyLinkInfo, ...]) -> None:
        self.links.clear()
        for link in links:
            item = QListWidgetItem(link_text(link))
            item.setData(ROW_ROLE, link.link_id if link.current else None)
            if not link.current:
                item.setForeground(Qt.GlobalColor.darkGray)
            self.links.addItem(item)
        self.links.setFixedHeight(self.fontMetrics().height() * (min(len(links), 4) + 1) + 8)
        self._link_chosen()

    def _link_chosen(self) -> None:
        self.left_button.setEnabled(self.chosen_link() is not None)

    def chosen_link(self) -> int | None:
        """The id of the current link chosen in the list (a past one cannot end again)."""
        items = self.links.selectedItems()
        value = items[0].data(ROW_ROLE) if items else None
        return int(value) if value is not None else None

    def _reload_links(self) -> None:
        self._show_links(self._companies.links_of(self._actor, self._contact_id))
        self.changed.emit()

    def link_company(self) -> int | None:
        """Choose a company, the function and department, and link the person to it."""
        from privacycrm_desktop.ui.companies.link_dialog import LinkCompanyDialog

        dialog = LinkCompanyDialog(
            lambda query: self._companies.search(self._actor, query),
            self._name or _("(no name)"),
            self._clock.today(),
            self,
        )
        while dialog.exec():
            company_id = dialog.contact_id()
            assert company_id is not None  # the dialog does not accept without one
            save = self._companies.move if dialog.moved.isChecked() else self._companies.link
            try:
                link_id = save(
                    self._actor,
                    self._contact_id,
                    company_id,
                    dialog.link_input(),
                    dialog.source_input(),
                )
            except DomainError as error:
                problems = getattr(error, "problems", [])
                dialog.show_problems(problems, describe_error(error))
                continue
            self._reload_links()
            return link_id
        return None

    def end_link(self) -> bool:
        """The person has left the chosen company: the link ends today (kept as history)."""
        link_id = self.chosen_link()
        if link_id is None:
            return False
        try:
            self._companies.unlink(self._actor, link_id)
        except DomainError as error:
            self.error.show_message(describe_error(error))
            return False
        self._reload_links()
        return True

    # -- tags ---------------------------------------------------------------------------

    def _show_tags(self, carried: set[int]) -> None:
        self.tag_list.blockSignals(True)
        self.tag_list.clear()
        for info in self._tags.list(self._actor):
            item = QListWidgetItem(swatch(info.colour), info.name)
            item.setData(ROW_ROLE, info.id)
            flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
            if self.may_tag:
                flags |= Qt.ItemFlag.ItemIsUserCheckable
            item.setFlags(flags)
            ticked = info.id in carried
            item.setCheckState(Qt.CheckState.Checked if ticked else Qt.CheckState.Unchecked)
            self.tag_list.addItem(item)
        shown = min(max(self.tag_list.count(), 1), 5)
        self.tag_list.setFixedHeight(self.fontMetrics().height() * (shown + 1) + 8)
        self.tag_list.blockSignals(False)

    def carried(self) -> set[int]:
        """The ids of the tags ticked."""
        items = (self.tag_list.item(i) for i in range(self.tag_list.count()))
        return {
            int(item.data(ROW_ROLE)) for item in items if item.checkState() == Qt.CheckState.Checked
        }

    def _tag_ticked(self, item: QListWidgetItem) -> None:
        tag_id = int(item.data(ROW_ROLE))
        try:
            if item.checkState() == Qt.CheckState.Checked:
                self._tags.assign(self._actor, tag_id, [self._contact_id])
            else:
                self._tags.unassign(self._actor, tag_id, [self._contact_id])
        except DomainError as error:
            self.error.show_message(describe_error(error))
            return
        self.error.show_message("")
        self.changed.emit()

    def add_tag(self) -> int | None:
        """Put the tag named in the field on the person (made when new)."""
        name = self.new_tag.text()
        if not name.strip():
            return None
        try:
            tag_id, _gained = self._tags.assign_named(self._actor, name, [self._contact_id])
        except DomainError as error:
            self.error.show_message(describe_error(error))
            return None
        self.new_tag.clear()
        self.error.show_message("")
        self._show_tags(self.carried() | {tag_id})
        self.changed.emit()
        return tag_id
