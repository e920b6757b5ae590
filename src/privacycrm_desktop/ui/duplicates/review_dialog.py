"""The duplicate review (owner and privacy officer): the finder's groups over the whole
database, found on a worker thread with progress and Cancel, a merge of the selected
group (``MergeDialog``), and the recent merges with Undo. A switch at the top turns it to
companies: their rules, ``CompanyMergeService.find``, ``CompanyMergeDialog`` and their
merges.

The search runs ``DuplicateService.find`` with the rules ticked (the settings' by
default); the names of the first ``MAX_SHOWN`` groups are read in the same job, so the
window stays responsive on a large database.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QRadioButton,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from privacycrm_desktop.domain.company_merges import COMPANY_RULE_LABELS, CompanyRule
from privacycrm_desktop.domain.errors import DomainError
from privacycrm_desktop.domain.merges import RULE_LABELS, DuplicateRule
from privacycrm_desktop.i18n import _, describe_error, format_moment, format_number, ngettext
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.merges import MergeInfo
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.ui.common import messages
from privacycrm_desktop.ui.common.window_size import size_window
from privacycrm_desktop.ui.common.workers import (
    Cancelled,
    JobContext,
    ProgressPanel,
    run_in_background,
)

#: The groups listed by name; a larger result says how many more were found.
MAX_SHOWN = 500
ID_ROLE = Qt.ItemDataRole.UserRole + 1


@dataclass(frozen=True)
class Found:
    """A search's result: every group, and the members of the ones listed (contacts'
    ``DuplicateGroup`` and ``GroupMember``, or companies' groups and members)."""

    groups: Sequence[Any]
    members: dict[int, Any]
    companies: bool = False


def group_ids(group: Any) -> tuple[int, ...]:
    """The ids of a group of contacts or of companies."""
    ids: tuple[int, ...] = getattr(group, "contact_ids", None) or group.company_ids
    return ids


class DuplicateReviewDialog(QDialog):
    """Find duplicate contacts, merge a group, undo a recent merge."""

    def __init__(self, services: Services, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._services = services
        self._actor = actor
        self.found: Found | None = None
        self.setWindowTitle(_("Duplicate contacts"))
        switch = self._build_rules(set(services.duplicates.rules(actor)))
        self.progress = ProgressPanel()
        self.table = QTableWidget(0, 2)
        self.table.setHorizontalHeaderLabels([_("Contacts"), _("Found by")])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.horizontalHeader().setSectionResizeMode(
            1, QHeaderView.ResizeMode.ResizeToContents
        )
        self.table.itemDoubleClicked.connect(lambda _item: self.merge_selected())
        self.count = QLabel(_("Tick the rules and choose Find duplicates."))
        self.count.setWordWrap(True)
        self.merge_button = QPushButton(_("&Merge..."))
        self.merge_button.clicked.connect(self.merge_selected)
        merges_box = self._merges_box()
        actions = QHBoxLayout()
        actions.addWidget(self.count, 1)
        actions.addWidget(self.merge_button)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(switch)
        layout.addWidget(self.rules_box)
        layout.addWidget(self.progress)
        layout.addWidget(self.table, 1)
        layout.addLayout(actions)
        layout.addWidget(merges_box)
        layout.addWidget(buttons)
        self._show_groups()
        self.reload_merges()
        size_window(self, QSize(900, 560))

    def _build_rules(self, chosen: set[DuplicateRule]) -> QHBoxLayout:
        """The contacts/companies switch (returned), the rules of each and Find."""
        self.contacts_switch = QRadioButton(_("C&ontacts"))
        self.companies_switch = QRadioButton(_("Com&panies"))
        self.contacts_switch.setChecked(True)
        self.companies_switch.toggled.connect(self._switched)
        switch = QHBoxLayout()
        switch.addWidget(QLabel(_("Duplicates among")))
        switch.addWidget(self.contacts_switch)
        switch.addWidget(self.companies_switch)
        switch.addStretch(1)
        self.rules: dict[DuplicateRule, QCheckBox] = {}
        self.company_rules: dict[CompanyRule, QCheckBox] = {}
        self.rules_box = QGroupBox(_("Contacts are proposed as one person when they share"))
        # Two rules a row, the button beside them: it fits 1024 pixels in every language.
        self.rule_pages = QStackedWidget()
        for labels, boxes, ticked in (
            (RULE_LABELS, self.rules, chosen),
            (COMPANY_RULE_LABELS, self.company_rules, set(CompanyRule)),
        ):
            page = QWidget()
            grid = QGridLayout(page)
            grid.setContentsMargins(0, 0, 0, 0)
            for position, (rule, label) in enumerate(labels.items()):
                box = QCheckBox(_(label))
                box.setChecked(rule in ticked)
                boxes[rule] = box  # type: ignore[index]
                grid.addWidget(box, position // 2, position % 2)
            grid.setRowStretch(2, 1)
            self.rule_pages.addWidget(page)
        rules_grid = QGridLayout(self.rules_box)
        rules_grid.addWidget(self.rule_pages, 0, 0, 2, 1)
        rules_grid.setColumnStretch(1, 1)
        self.find_button = QPushButton(_("&Find duplicates"))
        self.find_button.clicked.connect(self.search)
        rules_grid.addWidget(self.find_button, 0, 2)
        return switch

    def _merges_box(self) -> QGroupBox:
        """The recent merges and the Undo button."""
        self.merges = QTableWidget(0, 3)
        self.merges.verticalHeader().hide()
        self.merges.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.merges.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.merges.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.merges.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.merges.setMaximumHeight(self.fontMetrics().height() * 8)
        self.undo_button = QPushButton(_("&Undo merge"))
        self.undo_button.clicked.connect(self.undo_selected)
        merges_box = QGroupBox(_("Recent merges"))
        merges_layout = QHBoxLayout(merges_box)
        merges_layout.addWidget(self.merges, 1)
        merges_layout.addWidget(self.undo_button, 0, Qt.AlignmentFlag.AlignTop)
        return merges_box

    # -- contacts or companies ----------------------------------------------------------

    @property
    def companies(self) -> bool:
        """True while the review is of companies."""
        return self.companies_switch.isChecked()

    def _switched(self) -> None:
        """Contacts or companies: their rules, an empty list and their merges."""
        companies = self.companies
        self.rule_pages.setCurrentIndex(1 if companies else 0)
        if companies:
            self.setWindowTitle(_("Duplicate companies"))
            self.rules_box.setTitle(_("Companies are proposed as one when they share"))
        else:
            self.setWindowTitle(_("Duplicate contacts"))
            self.rules_box.setTitle(_("Contacts are proposed as one person when they share"))
        self.found = None
        self.count.setText(_("Tick the rules and choose Find duplicates."))
        self._show_groups()
        self.reload_merges()

    # -- the search ---------------------------------------------------------------------

    def chosen_rules(self) -> list[DuplicateRule]:
        """The contact rules ticked."""
        return [rule for rule, box in self.rules.items() if box.isChecked()]

    def chosen_company_rules(self) -> list[CompanyRule]:
        """The company rules ticked."""
        return [rule for rule, box in self.company_rules.items() if box.isChecked()]

    def search(self) -> None:
        """Search on a worker thread; the list fills in when it is done."""
        companies = self.companies
        rules: Sequence[Any] = self.chosen_company_rules() if companies else self.chosen_rules()
        if not rules or self.progress.busy:
            return
        services, actor = self._services, self._actor

        def work(job: JobContext) -> Found:
            access = services.access.access_for(actor.role)
            if companies:
                found = services.company_merges.find(actor, rules)
                shown = sorted({i for g in found[:MAX_SHOWN] for i in g.company_ids})
                firms = services.company_merges.members(actor, access, shown)
                return Found(found, {m.company_id: m for m in firms}, companies=True)
            groups = services.duplicates.find(actor, rules, job.progress_or_cancel)
            shown = sorted({i for g in groups[:MAX_SHOWN] for i in g.contact_ids})
            job.raise_if_cancelled()
            members = services.duplicates.members(actor, access, shown)
            return Found(groups, {m.contact_id: m for m in members})

        self.find_button.setEnabled(False)
        job = run_in_background(
            work,
            self._found,
            on_progress=self.progress.set_progress,
            on_cancelled=self._cancelled,
            on_failure=self._failed,
            parent=self,
        )
        self.progress.start(_("Looking for duplicates..."), job)

    def _found(self, found: Found) -> None:
        self.found = found
        self.find_button.setEnabled(True)
        self._show_groups()

    def _cancelled(self) -> None:
        self.find_button.setEnabled(True)
        self.count.setText(_("The search was cancelled."))

    def _failed(self, error: BaseException) -> None:
        self.find_button.setEnabled(True)
        if isinstance(error, Cancelled):
            return
        text = describe_error(error) if isinstance(error, DomainError) else str(error)
        messages.warning(self, self.windowTitle(), text)

    def _show_groups(self) -> None:
        groups = self.found.groups[:MAX_SHOWN] if self.found else []
        members = self.found.members if self.found else {}
        self.table.setRowCount(len(groups))
        companies = self.found is not None and self.found.companies
        self.table.setHorizontalHeaderLabels(
            [_("Companies") if companies else _("Contacts"), _("Found by")]
        )
        labels: Any = COMPANY_RULE_LABELS if companies else RULE_LABELS
        for row, group in enumerate(groups):
            names = [self._member_text(members.get(i), i, companies) for i in group_ids(group)]
            item = QTableWidgetItem("; ".join(names))
            item.setData(ID_ROLE, list(group_ids(group)))
            self.table.setItem(row, 0, item)
            rules = ", ".join(_(labels[r]) for r in group.rules)
            self.table.setItem(row, 1, QTableWidgetItem(rules))
        if self.found is not None:
            total = len(self.found.groups)
            text = ngettext(
                "{count} group of possible duplicates found.",
                "{count} groups of possible duplicates found.",
                total,
            ).format(count=format_number(total))
            if total > MAX_SHOWN:
                text += " " + _("Only the first {count} are listed.").format(
                    count=format_number(MAX_SHOWN)
                )
            self.count.setText(text)
        self.merge_button.setEnabled(bool(groups))
        if groups:
            self.table.selectRow(0)

    @staticmethod
    def _member_text(member: Any, member_id: int, companies: bool) -> str:
        """A contact or company of a group: its name, and where it is."""
        if companies:
            label = member.name if member and member.name else ""
            label = label or _("Company {id}").format(id=member_id)
            parts = (member.city, member.vat) if member else ()
        else:
            label = member.name if member and member.name else ""
            label = label or _("Contact {id}").format(id=member_id)
            parts = (member.city, member.email) if member else ()
        where = ", ".join(p for p in parts if p)
        return f"{label} ({where})" if where else label

    # -- merge and undo -----------------------------------------------------------------

    def selected_group(self) -> list[int]:
        """The contact ids of the selected group ([] when none)."""
        row = self.table.currentRow()
        item = self.table.item(row, 0) if row >= 0 else None
        return [int(i) for i in item.data(ID_ROLE)] if item is not None else []

    def merge_selected(self) -> QDialog | None:
        """Open the merge of the selected group; once merged, it leaves the list."""
        from privacycrm_desktop.ui.duplicates.company_merge_dialog import CompanyMergeDialog
        from privacycrm_desktop.ui.duplicates.merge_dialog import MergeDialog

        ids = self.selected_group()
        if len(ids) < 2:
            return None
        companies = self.found is not None and self.found.companies
        kind = CompanyMergeDialog if companies else MergeDialog
        dialog = kind(self._services, self._actor, ids, self)
        dialog.accepted.connect(lambda: self._merged(ids))
        dialog.open()
        return dialog

    def _merged(self, ids: list[int]) -> None:
        if self.found is not None:
            self.found = Found(
                [g for g in self.found.groups if list(group_ids(g)) != ids],
                self.found.members,
                self.found.companies,
            )
        self._show_groups()
        self.reload_merges()

    def reload_merges(self) -> None:
        """List the recent merges that can still be undone."""
        self.merges.setHorizontalHeaderLabels(
            [
                _("Merged"),
                _("Company kept") if self.companies else _("Contact kept"),
                _("Can be undone until"),
            ]
        )
        merger = self._merger()
        merges: list[MergeInfo] = [m for m in merger.merges(self._actor, limit=50) if m.undo_until]
        self.merges.setRowCount(len(merges))
        for row, merge in enumerate(merges):
            merged = QTableWidgetItem(", ".join(str(i) for i in merge.merged_ids))
            merged.setData(ID_ROLE, merge.merge_id)
            self.merges.setItem(row, 0, merged)
            self.merges.setItem(row, 1, QTableWidgetItem(str(merge.survivor_id or "")))
            until = format_moment(merge.undo_until) if merge.undo_until else ""
            self.merges.setItem(row, 2, QTableWidgetItem(until))
        self.undo_button.setEnabled(bool(merges))
        if merges:
            self.merges.selectRow(0)

    def _merger(self) -> Any:
        services = self._services
        return services.company_merges if self.companies else services.merges

    def undo_selected(self) -> None:
        """Undo the selected merge: the merged contacts (companies) come back as they
        were."""
        row = self.merges.currentRow()
        item = self.merges.item(row, 0) if row >= 0 else None
        if item is None:
            return
        try:
            self._merger().undo(self._actor, int(item.data(ID_ROLE)))
        except DomainError as error:
            messages.warning(self, _("Undo merge"), describe_error(error))
        self.reload_merges()


__all__ = ["MAX_SHOWN", "DuplicateReviewDialog"]
