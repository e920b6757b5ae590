"""Merge companies: the values side by side, one radio choice per field, and the company
to keep (as ``MergeDialog`` does for contacts).

Each column is a company; each row a field whose values differ between them. The company
kept is chosen at the top; changing it chooses again, per row, its value, or the first
other company's when it has none (as the merge does by default). The people with their
functions and history, the tags, interactions and tasks all go to the company kept.
Merge calls ``CompanyMergeService.merge`` with every row's choice.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from PySide6.QtCore import QSize
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QFrame,
    QGridLayout,
    QLabel,
    QRadioButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from privacycrm_desktop.domain.companies import (
    COMPANY_FIELD_LABELS,
    COMPANY_FIELDS,
    LEGAL_FORM_LABELS,
    LegalForm,
    format_vat,
)
from privacycrm_desktop.domain.contacts import RELATIONSHIP_LABELS, Relationship
from privacycrm_desktop.domain.errors import DomainError
from privacycrm_desktop.i18n import _, describe_error
from privacycrm_desktop.services.companies import CompanyDetail
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.merges import MergeResult
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.ui.common import messages
from privacycrm_desktop.ui.common.window_size import size_window
from privacycrm_desktop.ui.duplicates.merge_dialog import format_value, short_text


def _empty(value: object) -> bool:
    return value is None or value == ""


def company_value(field: str, value: object) -> str:
    """A company field's value as the card shows it, in the user's language."""
    if _empty(value):
        return _("(empty)")
    if field == "legal_form":
        return _(LEGAL_FORM_LABELS[LegalForm(str(value))])
    if field == "relationship":
        return _(RELATIONSHIP_LABELS[Relationship(str(value))])
    if field == "vat":
        return format_vat(str(value))
    return format_value(field, value)


class CompanyMergeDialog(QDialog):
    """Merge the given companies (two or more) into one of them."""

    def __init__(
        self,
        services: Services,
        actor: Actor,
        company_ids: Sequence[int],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._services = services
        self._actor = actor
        self.result_: MergeResult | None = None
        self.details: list[CompanyDetail] = [
            services.companies.get(actor, cid) for cid in company_ids
        ]
        self.setWindowTitle(_("Merge companies"))
        layout = QVBoxLayout(self)
        intro = QLabel(
            _(
                "Choose the company to keep and, for each field, the value it keeps. "
                "The people with their functions and history, the tags, interactions and "
                "tasks all go to the company kept. The merge can be undone from the "
                "duplicate review."
            )
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        rows = QWidget()
        grid = QGridLayout(rows)
        grid.setRowStretch(self._fill(grid), 1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(rows)
        layout.addWidget(scroll, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.merge_button = buttons.addButton(_("&Merge"), QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.accepted.connect(self.merge)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.keep.idToggled.connect(self._survivor_changed)
        self._survivor_changed(self.keep.checkedId(), True)
        size_window(self, QSize(900, 520))

    def _fill(self, grid: QGridLayout) -> int:
        """The survivor choice, one row per differing field and the people; returns the
        next row."""
        grid.setHorizontalSpacing(self.fontMetrics().height())
        keep = html.escape(_("Keep"))
        grid.addWidget(QLabel(f"<b>{keep}</b>"), 0, 0)
        self.keep = QButtonGroup(self)
        for column, detail in enumerate(self.details, start=1):
            grid.setColumnStretch(column, 1)
            name = detail.values.name or _("Company {id}").format(id=detail.id)
            button = QRadioButton(short_text(name))
            button.setToolTip(_("Company {id}").format(id=detail.id))
            self.keep.addButton(button, detail.id)
            grid.addWidget(button, 0, column)
        self.keep.buttons()[0].setChecked(True)
        self.choices: dict[str, QButtonGroup] = {}
        row = 1
        for field in COMPANY_FIELDS:
            values = [self._raw(d, field) for d in self.details]
            if all(v == values[0] for v in values):
                continue
            grid.addWidget(QLabel(_(COMPANY_FIELD_LABELS[field])), row, 0)
            group = QButtonGroup(self)
            for column, (detail, value) in enumerate(zip(self.details, values, strict=True), 1):
                text = company_value(field, value)
                button = QRadioButton(short_text(text))
                button.setToolTip(text)
                group.addButton(button, detail.id)
                grid.addWidget(button, row, column)
            self.choices[field] = group
            row += 1
        grid.addWidget(QLabel(_("People")), row, 0)
        for column, detail in enumerate(self.details, start=1):
            names = list(dict.fromkeys(p.name for p in detail.people if p.name))
            people = QLabel(html.escape(", ".join(names) or _("(none)")))
            people.setWordWrap(True)
            grid.addWidget(people, row, column)
        return row + 1

    @staticmethod
    def _raw(detail: CompanyDetail, field: str) -> object:
        value = getattr(detail.values, field)
        return value.value if hasattr(value, "value") else value

    @property
    def survivor(self) -> int:
        """The company kept."""
        return int(self.keep.checkedId())

    def _survivor_changed(self, _cid: int, checked: bool) -> None:
        if not checked:
            return
        survivor = self.survivor
        order = [survivor, *(d.id for d in self.details if d.id != survivor)]
        by_id = {d.id: d for d in self.details}
        for field, group in self.choices.items():
            chosen = next((c for c in order if not _empty(self._raw(by_id[c], field))), survivor)
            button = group.button(chosen)
            if button is not None:
                button.setChecked(True)

    def take(self) -> dict[str, int]:
        """The company whose value each differing field keeps."""
        return {field: int(group.checkedId()) for field, group in self.choices.items()}

    def merge(self) -> None:
        """Merge as chosen; on success the dialog closes with the merge's result."""
        survivor = self.survivor
        others = [d.id for d in self.details if d.id != survivor]
        try:
            self.result_ = self._services.company_merges.merge(
                self._actor, survivor, others, self.take()
            )
        except DomainError as error:
            messages.warning(self, _("Merge companies"), describe_error(error))
            return
        self.accept()


__all__ = ["CompanyMergeDialog", "company_value"]
