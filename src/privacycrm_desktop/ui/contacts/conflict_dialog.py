"""Somebody else saved the contact first: choose, field by field, which value to keep.

The contact editor opens this dialog when its save meets an ``EditConflict``.
Each field both people changed is a row with two radio buttons, their value and yours;
"Keep all theirs" and "Keep all mine" choose for every row at once. Save is possible once
every row has a choice; the editor then saves again against the newer version (and opens
the dialog again if yet another save came in between). Cancel saves nothing and leaves the
editor as it was. The dialog only shows what the service put in the conflict: hidden
fields never conflict, masked ones stay masked.
"""

from __future__ import annotations

import datetime as dt
import html
import textwrap
from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QFrame,
    QGridLayout,
    QLabel,
    QPushButton,
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
)
from privacycrm_desktop.domain.edit_conflicts import Choice, ConflictDetail, FieldConflict
from privacycrm_desktop.domain.fields import FIELDS_BY_NAME
from privacycrm_desktop.i18n import _, country_name, local_clock, local_date
from privacycrm_desktop.ui.common.date_fields import format_date
from privacycrm_desktop.ui.common.mnemonics import assign_mnemonics
from privacycrm_desktop.ui.common.widgets import tab_buttons_in_visual_order
from privacycrm_desktop.ui.common.window_size import size_window

#: A value longer than this is wrapped on the radio button (the tooltip has it whole).
_WRAP = 36
_MAX_LINES = 6


_CHOICE_LABELS: dict[type, Mapping[Any, str]] = {
    ContactKind: KIND_LABELS,
    Language: LANGUAGE_LABELS,
    Relationship: RELATIONSHIP_LABELS,
}


def format_value(field: str, value: object) -> str:
    """A field's value as the editor would show it, in the user's language."""
    if value is None or value in ("", ()):
        text = _("(empty)")
    elif type(value) in _CHOICE_LABELS:
        text = _(_CHOICE_LABELS[type(value)][value])
    elif isinstance(value, dt.date):
        text = format_date(value)
    elif isinstance(value, tuple):
        text = "\n".join(str(v) for v in value)
    elif field == "country":
        text = country_name(str(value))
    else:
        text = str(value)
    return text


def _when(moment: dt.datetime) -> str:
    return f"{format_date(local_date(moment))} {local_clock(moment)}"


def _button_text(text: str) -> str:
    """*text* wrapped and shortened for a radio button, ``&`` kept literal."""
    lines: list[str] = []
    for line in text.splitlines() or [""]:
        lines += textwrap.wrap(line, _WRAP) or [""]
    if len(lines) > _MAX_LINES:
        lines = [*lines[: _MAX_LINES - 1], lines[_MAX_LINES - 1] + " \u2026"]
    return "\n".join(lines).replace("&", "&&")


def _tooltip(text: str) -> str:
    return "<qt>" + html.escape(text).replace("\n", "<br>") + "</qt>"


class ConflictDialog(QDialog):
    """The fields both people changed, their value and yours, one choice per row."""

    def __init__(self, detail: ConflictDetail, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.detail = detail
        self.setWindowTitle(_("Changed by somebody else"))
        self.groups: dict[str, QButtonGroup] = {}
        self.theirs: dict[str, QRadioButton] = {}
        self.mine: dict[str, QRadioButton] = {}
        self.labels: dict[str, QLabel] = {}

        layout = QVBoxLayout(self)
        self.taken_label: QLabel | None = None
        self._add_intro(layout, detail)

        rows = QWidget()
        grid = QGridLayout(rows)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(2, 1)
        grid.setHorizontalSpacing(self.fontMetrics().height())
        for column, title in enumerate((_("Field"), _("Their value"), _("Your value"))):
            header = QLabel(f"<b>{html.escape(title)}</b>")
            grid.addWidget(header, 0, column)
        for row, conflict in enumerate(detail.conflicts, start=1):
            self._add_row(grid, row, conflict)
        grid.setRowStretch(len(detail.conflicts) + 1, 1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        scroll.setWidget(rows)
        layout.addWidget(scroll, 1)

        self.missing = QLabel(_("Choose a value for every field, then save."))
        self.missing.setWordWrap(True)
        layout.addWidget(self.missing)

        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.keep_theirs: QPushButton = buttons.addButton(
            _("Keep all &theirs"), QDialogButtonBox.ButtonRole.ActionRole
        )
        self.keep_mine: QPushButton = buttons.addButton(
            _("Keep all &mine"), QDialogButtonBox.ButtonRole.ActionRole
        )
        self.keep_theirs.setAutoDefault(False)
        self.keep_mine.setAutoDefault(False)
        self.keep_theirs.clicked.connect(lambda: self.choose_all(Choice.THEIRS))
        self.keep_mine.clicked.connect(lambda: self.choose_all(Choice.MINE))
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        buttons.accepted.connect(self._accept_if_complete)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        tab_buttons_in_visual_order(buttons)
        assign_mnemonics([*self.labels.values(), *buttons.buttons()])
        self._update_state()
        self._fit(rows, scroll)

    def _add_intro(self, layout: QVBoxLayout, detail: ConflictDetail) -> None:
        """What happened, and which of their changes are kept without asking."""
        when = _when(detail.changed_at) if detail.changed_at is not None else ""
        if when:
            text = _(
                "Somebody else saved this contact ({when}) while you were editing it. "
                "You both changed the fields below: choose which value to keep."
            ).format(when=when)
        else:
            text = _(
                "Somebody else saved this contact while you were editing it. "
                "You both changed the fields below: choose which value to keep."
            )
        intro = QLabel(text + " " + _("Nothing has been saved yet."))
        intro.setWordWrap(True)
        layout.addWidget(intro)
        taken = [f for f in detail.taken_over if f in FIELDS_BY_NAME]
        if taken:
            names = ", ".join(_(FIELDS_BY_NAME[f].label) for f in taken)
            self.taken_label = QLabel(
                _("Their changes to fields you did not change are kept: {fields}.").format(
                    fields=names
                )
            )
            self.taken_label.setWordWrap(True)
            layout.addWidget(self.taken_label)

    def _add_row(self, grid: QGridLayout, row: int, conflict: FieldConflict) -> None:
        label = QLabel(_(conflict.label))
        label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        theirs_text = format_value(conflict.field, conflict.theirs)
        mine_text = format_value(conflict.field, conflict.mine)
        theirs = QRadioButton(_button_text(theirs_text))
        mine = QRadioButton(_button_text(mine_text))
        author = ""
        if conflict.their_by or conflict.their_at is not None:
            author = _("Entered by {user} on {when}").format(
                user=conflict.their_by or "-",
                when=_when(conflict.their_at) if conflict.their_at is not None else "-",
            )
        theirs.setToolTip(_tooltip(theirs_text + (f"\n\n{author}" if author else "")))
        mine.setToolTip(_tooltip(mine_text))
        if conflict.base is not None:
            before = _("Before: {value}").format(value=format_value(conflict.field, conflict.base))
            label.setToolTip(_tooltip(before))
        group = QButtonGroup(self)
        group.setExclusive(True)
        group.addButton(theirs)
        group.addButton(mine)
        group.buttonToggled.connect(lambda *_args: self._update_state())
        label.setBuddy(theirs)
        grid.addWidget(label, row, 0, Qt.AlignmentFlag.AlignTop)
        top_left = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop
        grid.addWidget(theirs, row, 1, top_left)
        grid.addWidget(mine, row, 2, top_left)
        self.groups[conflict.field] = group
        self.theirs[conflict.field] = theirs
        self.mine[conflict.field] = mine
        self.labels[conflict.field] = label

    def _fit(self, rows: QWidget, scroll: QScrollArea) -> None:
        """As big as the rows need, never bigger than the screen."""
        layout = self.layout()
        sides = 0
        if layout is not None:
            m = layout.contentsMargins()
            sides = m.left() + m.right()
        needed = rows.sizeHint().width() + scroll.verticalScrollBar().sizeHint().width() + sides
        width = max(self.sizeHint().width(), needed)
        extra = max(rows.sizeHint().height() - scroll.viewport().height(), 0)
        size_window(self, QSize(width, self.sizeHint().height() + extra))

    # -- choices ------------------------------------------------------------------------

    def choose(self, field: str, choice: Choice) -> None:
        """Choose their value or mine for one field."""
        button = self.theirs[field] if choice is Choice.THEIRS else self.mine[field]
        button.setChecked(True)

    def choose_all(self, choice: Choice) -> None:
        """Their value (or mine) for every field."""
        for field in self.groups:
            self.choose(field, choice)

    def choices(self) -> dict[str, Choice]:
        """The choice of each field that has one."""
        result: dict[str, Choice] = {}
        for field in self.groups:
            if self.theirs[field].isChecked():
                result[field] = Choice.THEIRS
            elif self.mine[field].isChecked():
                result[field] = Choice.MINE
        return result

    def complete(self) -> bool:
        """Whether every field has a choice."""
        return len(self.choices()) == len(self.groups)

    def _update_state(self) -> None:
        done = self.complete()
        self.save_button.setEnabled(done)
        self.missing.setVisible(not done)

    def _accept_if_complete(self) -> None:
        if self.complete():
            self.accept()


__all__ = ["ConflictDialog", "format_value"]
