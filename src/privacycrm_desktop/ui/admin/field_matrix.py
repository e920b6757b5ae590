"""The owner's settings page for the field x role matrix: hidden, masked, read or write.

Each cell is a combo box; a change is saved at once through ``AccessService`` (and
audited there). Anything a role is not given stays denied.
"""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from privacycrm_desktop.domain.access import FIELD_ACCESS_LABELS, ROLE_LABELS, FieldAccess, Role
from privacycrm_desktop.domain.errors import DomainError
from privacycrm_desktop.domain.fields import FIELD_CATALOGUE, FieldSpec, Sensitivity, ValueKind
from privacycrm_desktop.i18n import _, current_language, describe_error
from privacycrm_desktop.services.access import AccessService
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.ui.common.widgets import ErrorLabel
from privacycrm_desktop.ui.common.window_size import size_window

ROLES = tuple(Role)
FIELDS = tuple(spec.name for spec in FIELD_CATALOGUE)


def _label(spec: FieldSpec) -> str:
    """A field's label in the user's language: a custom field's as its owner wrote it."""
    if spec.value is ValueKind.CUSTOM:
        return dict(spec.labels).get(current_language()) or spec.label
    return _(spec.label)


class FieldMatrixDialog(QDialog):
    """Rows are fields, columns are roles; each cell says how much the role gets."""

    def __init__(self, access: AccessService, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._access = access
        self._actor = actor
        self.setWindowTitle(_("Field access per role"))
        intro = QLabel(
            _(
                "Choose per role how much of each field it gets: hidden (absent everywhere), "
                "masked (only the last characters), read, or write. Changes are saved at once "
                "and recorded in the audit trail."
            )
        )
        intro.setWordWrap(True)
        # The database's catalogue: the fixed fields, then the owner's custom fields.
        catalogue = access.catalogue()
        self.fields = tuple(spec.name for spec in catalogue)
        self.table = QTableWidget(len(self.fields), len(ROLES))
        self.table.setHorizontalHeaderLabels([_(ROLE_LABELS[r]) for r in ROLES])
        # Sensitivity is marked with stars (explained under the table) to keep rows short.
        stars = {Sensitivity.NORMAL: "", Sensitivity.RESTRICTED: " *"}
        labels = [_label(s) + stars.get(s.sensitivity, " **") for s in catalogue]
        self.table.setVerticalHeaderLabels(labels)
        legend = QLabel(_("* restricted field    ** special-category data (health, beliefs, ...)"))
        legend.setWordWrap(True)
        self.combos: dict[tuple[Role, str], QComboBox] = {}
        matrix = access.matrix(actor)
        for column, role in enumerate(ROLES):
            for row, field in enumerate(self.fields):
                combo = QComboBox()
                for level in FieldAccess:
                    combo.addItem(_(FIELD_ACCESS_LABELS[level]), level.value)
                combo.setCurrentIndex(combo.findData(matrix[(role, field)].value))
                combo.setAccessibleName(f"{_(ROLE_LABELS[role])}: {labels[row]}")
                combo.currentIndexChanged.connect(
                    lambda _i, r=role, f=field: self._on_changed(r, f)
                )
                self.combos[(role, field)] = combo
                self.table.setCellWidget(row, column, combo)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.error = ErrorLabel()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.table, 1)
        layout.addWidget(legend)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self._fit()

    def _fit(self) -> None:
        """Columns as wide as their combo or title; the dialog as large as the table."""
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        metrics = header.fontMetrics()
        combo_width = max(c.sizeHint().width() for c in self.combos.values())
        for column in range(self.table.columnCount()):
            item = self.table.horizontalHeaderItem(column)
            title = max(
                metrics.horizontalAdvance(item.text() if item else "") + metrics.height(),
                header.sectionSizeFromContents(column).width(),  # margins and sort arrow
            )
            self.table.setColumnWidth(column, max(combo_width, title))
        rows = self.table.verticalHeader()
        labels = [self.table.verticalHeaderItem(r) for r in range(self.table.rowCount())]
        row_header = max(rows.fontMetrics().horizontalAdvance(i.text()) for i in labels if i)
        rows.setFixedWidth(row_header + rows.fontMetrics().height())
        width = rows.width() + self.table.frameWidth() * 2
        width += sum(self.table.columnWidth(c) for c in range(self.table.columnCount()))
        row_height = max(combo.sizeHint().height() for combo in self.combos.values())
        height = header.sizeHint().height() + self.table.frameWidth() * 2
        height += row_height * self.table.rowCount()
        margin = self.fontMetrics().height()
        size_window(self, QSize(width + margin * 3, height + margin * 11))

    def level(self, role: Role, field: str) -> FieldAccess:
        """What the cell for *role* and *field* shows."""
        return FieldAccess(str(self.combos[(role, field)].currentData()))

    def set_level(self, role: Role, field: str, level: FieldAccess) -> None:
        """Choose *level* in a cell (as a click would); saved at once."""
        combo = self.combos[(role, field)]
        combo.setCurrentIndex(combo.findData(level.value))

    def _on_changed(self, role: Role, field: str) -> None:
        try:
            self._access.set_field_access(self._actor, role, field, self.level(role, field))
        except DomainError as exc:
            self.error.show_message(describe_error(exc))
            current = self._access.matrix(self._actor)[(role, field)]
            combo = self.combos[(role, field)]
            combo.blockSignals(True)
            combo.setCurrentIndex(combo.findData(current.value))
            combo.blockSignals(False)
            return
        self.error.show_message("")
