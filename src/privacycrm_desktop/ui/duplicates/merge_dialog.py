"""Merge contacts: the values side by side, one radio choice per field, and the contact
to keep.

Each column is a contact; each row a field whose values differ between them (the
owner's custom fields too, taken as ``cf_KEY``). The contact kept is chosen at the top;
changing it chooses again, per row, its value, or the first other contact's when it has
none (as the merge does by default). E-mail addresses and phone numbers are united, each
with its source; consent, requests, disclosures, holds, tags and company links all go to
the contact kept. Merge calls ``MergeService.merge`` with every row's choice.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Mapping, Sequence
from typing import Any

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

from privacycrm_desktop.domain.contacts import (
    KIND_LABELS,
    LANGUAGE_LABELS,
    RELATIONSHIP_LABELS,
    ContactKind,
    Language,
    Relationship,
    display_name,
)
from privacycrm_desktop.domain.errors import DomainError
from privacycrm_desktop.domain.fields import FIELDS_BY_NAME, scalar_fields
from privacycrm_desktop.i18n import _, country_name, current_language, describe_error
from privacycrm_desktop.services.custom_fields import display_value
from privacycrm_desktop.services.dto import Actor, ContactDetail
from privacycrm_desktop.services.merges import MergeResult
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.ui.common import messages
from privacycrm_desktop.ui.common.date_fields import format_date
from privacycrm_desktop.ui.common.window_size import size_window

_WRAP = 40
_CHOICE_LABELS: dict[type, Mapping[Any, str]] = {
    ContactKind: KIND_LABELS,
    Language: LANGUAGE_LABELS,
    Relationship: RELATIONSHIP_LABELS,
}


def format_value(field: str, value: object) -> str:
    """A field's value as the editor shows it, in the user's language (as the conflict
    dialog does; ui.contacts is another feature, not imported from here)."""
    if value is None or value == "":
        return _("(empty)")
    if type(value) in _CHOICE_LABELS:
        return _(_CHOICE_LABELS[type(value)][value])
    if isinstance(value, dt.date):
        return format_date(value)
    if field == "country":
        return country_name(str(value))
    return str(value)


def short_text(text: str) -> str:
    lines = text.splitlines() or [""]
    first = lines[0] if len(lines[0]) <= _WRAP else lines[0][: _WRAP - 1] + "\u2026"
    return (first + (" \u2026" if len(lines) > 1 else "")).replace("&", "&&")


#: Fields chosen together, in one row: a postcode goes with its town.
_TOGETHER = {"postcode": ("postcode", "city")}
_PART_OF = {part for fields in _TOGETHER.values() for part in fields[1:]}


def _empty(value: object) -> bool:
    return value is None or value == ""


class MergeDialog(QDialog):
    """Merge the given contacts (two or more) into one of them."""

    def __init__(
        self,
        services: Services,
        actor: Actor,
        contact_ids: Sequence[int],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._services = services
        self._actor = actor
        self.result_: MergeResult | None = None
        self.details: list[ContactDetail] = [
            services.contacts.get(actor, cid) for cid in contact_ids
        ]
        self.setWindowTitle(_("Merge contacts"))
        layout = QVBoxLayout(self)
        intro = QLabel(
            _(
                "Choose the contact to keep and, for each field, the value it keeps. "
                "E-mail addresses and phone numbers are combined; consent, requests, "
                "disclosures, holds, tags and companies all go to the contact kept. "
                "The merge can be undone from the duplicate review."
            )
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)

        rows = QWidget()
        grid = QGridLayout(rows)
        row = self._fill(grid)
        grid.setRowStretch(row, 1)
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
        """The survivor choice and one row per differing field; returns the next row."""
        grid.setHorizontalSpacing(self.fontMetrics().height())
        keep = html.escape(_("Keep"))
        grid.addWidget(QLabel(f"<b>{keep}</b>"), 0, 0)
        self.keep = QButtonGroup(self)
        for column, detail in enumerate(self.details, start=1):
            grid.setColumnStretch(column, 1)
            name = display_name(detail.first_name, detail.last_name, detail.organisation)
            button = QRadioButton(short_text(name or _("Contact {id}").format(id=detail.id)))
            button.setToolTip(_("Contact {id}").format(id=detail.id))
            self.keep.addButton(button, detail.id)
            grid.addWidget(button, 0, column)
        self.keep.buttons()[0].setChecked(True)
        self.choices: dict[str, QButtonGroup] = {}
        row = 1
        for field in scalar_fields():
            if field in _PART_OF:
                continue
            fields = _TOGETHER.get(field, (field,))
            values = [tuple(getattr(d, f, None) for f in fields) for d in self.details]
            if all(v == values[0] for v in values):
                continue
            label = _("Postcode and city") if len(fields) > 1 else _(FIELDS_BY_NAME[field].label)
            grid.addWidget(QLabel(label), row, 0)
            group = QButtonGroup(self)
            for column, (detail, value) in enumerate(zip(self.details, values, strict=True), 1):
                if len(fields) > 1:
                    joined = " ".join(str(v) for v in value if not _empty(v))
                    text = joined or format_value(field, "")
                else:
                    text = format_value(field, value[0])
                button = QRadioButton(short_text(text))
                button.setToolTip(text)
                group.addButton(button, detail.id)
                grid.addWidget(button, row, column)
            self.choices[field] = group
            row += 1
        row = self._fill_custom(grid, row)
        for field, label in (("emails", _("E-mail addresses")), ("phones", _("Phone numbers"))):
            united = list(dict.fromkeys(p.value for d in self.details for p in getattr(d, field)))
            if united:
                grid.addWidget(QLabel(_(label)), row, 0)
                together = QLabel(html.escape(", ".join(united)))
                together.setWordWrap(True)
                grid.addWidget(together, row, 1, 1, len(self.details))
                row += 1
        return row

    def _fill_custom(self, grid: QGridLayout, row: int) -> int:
        """One row per custom field whose values differ (named ``cf_KEY``, as the merge
        takes them), the label in the user's language; returns the next row."""
        language = current_language()
        by_contact = [{v.name: v for v in d.custom} for d in self.details]
        names = list(dict.fromkeys(n for values in by_contact for n in values))
        self.custom_values: dict[str, list[str]] = {}
        for name in names:
            items = [values.get(name) for values in by_contact]
            raw = [item.value if item is not None else "" for item in items]
            if all(v == raw[0] for v in raw):
                continue
            first = next(item for item in items if item is not None)
            grid.addWidget(QLabel(dict(first.labels).get(language) or first.label), row, 0)
            group = QButtonGroup(self)
            for column, (detail, item) in enumerate(zip(self.details, items, strict=True), 1):
                shown = ""
                if item is not None and item.value:
                    shown = item.value if item.masked else display_value(item.kind, item.value)
                text = shown or format_value(name, "")
                button = QRadioButton(short_text(text))
                button.setToolTip(text)
                group.addButton(button, detail.id)
                grid.addWidget(button, row, column)
            self.choices[name] = group
            self.custom_values[name] = raw
            row += 1
        return row

    def _value_of(self, contact_index: int, field: str) -> object:
        if field in self.custom_values:
            return self.custom_values[field][contact_index]
        return getattr(self.details[contact_index], field, None)

    @property
    def survivor(self) -> int:
        """The contact kept."""
        return int(self.keep.checkedId())

    def _survivor_changed(self, _cid: int, checked: bool) -> None:
        if not checked:
            return
        survivor = self.survivor
        order = [survivor, *(d.id for d in self.details if d.id != survivor)]
        index = {d.id: i for i, d in enumerate(self.details)}
        for field, group in self.choices.items():
            fields = _TOGETHER.get(field, (field,))
            chosen = next(
                (c for c in order if any(not _empty(self._value_of(index[c], f)) for f in fields)),
                survivor,
            )
            button = group.button(chosen)
            if button is not None:
                button.setChecked(True)

    def take(self) -> dict[str, int]:
        """The contact whose value each differing field keeps."""
        return {
            part: int(group.checkedId())
            for field, group in self.choices.items()
            for part in _TOGETHER.get(field, (field,))
        }

    def merge(self) -> None:
        """Merge as chosen; on success the dialog closes with the merge's result."""
        survivor = self.survivor
        others = [d.id for d in self.details if d.id != survivor]
        try:
            self.result_ = self._services.merges.merge(self._actor, survivor, others, self.take())
        except DomainError as error:
            messages.warning(self, _("Merge contacts"), describe_error(error))
            return
        self.accept()


__all__ = ["MergeDialog", "format_value", "short_text"]
