"""Print labels...: address labels for the selected contacts on an A4 sheet of labels.

The sheet is chosen by name ("L7160 · 3 × 7 · 63,5 × 38,1 mm") or by its measurements:
picking a name fills in the measurements; changing one turns the sheet into "Measured by
hand". The first free label of a partly used sheet is chosen by number or by clicking it
in the small preview, which shows the sheet to scale with the used labels greyed.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QRectF, Signal
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QSpinBox,
    QWidget,
)

from privacycrm_desktop.domain.errors import ValidationFailed
from privacycrm_desktop.domain.label_sheets import (
    A4_HEIGHT_MM,
    A4_WIDTH_MM,
    MAX_COLUMNS,
    MAX_ROWS,
    SHEETS,
    LabelSheet,
    custom_sheet,
)
from privacycrm_desktop.i18n import _, current_language, describe_problem, format_number, ngettext
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.post import PostResult, PostSelection
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.ui.common.window_size import size_window
from privacycrm_desktop.ui.post.post_form import PostFormMixin, millimetres
from privacycrm_desktop.ui.transfer.export_dialog import SelectedContacts

#: The measurements of a sheet, in the order ``custom_sheet`` takes them after the counts.
LENGTHS = ("width", "height", "top", "left", "pitch_x", "pitch_y")


def sheet_title(sheet: LabelSheet) -> str:
    """ "L7160 · 3 × 7 · 63,5 × 38,1 mm" in the reader's way of writing numbers."""
    return _("{name} · {columns} × {rows} labels · {width} × {height} mm").format(
        name=sheet.name,
        columns=sheet.columns,
        rows=sheet.rows,
        width=millimetres(sheet.width),
        height=millimetres(sheet.height),
    )


class SheetPreview(QWidget):
    """The sheet to scale: used labels grey, the first one to print marked; a click on a
    label makes it the first one (emits ``start_chosen`` with its number, from 1)."""

    start_chosen = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.sheet: LabelSheet | None = None
        self.start = 1
        self.count = 0
        self.setMinimumSize(110, 156)
        self.setToolTip(_("Click the first free label of the sheet"))

    def show_sheet(self, sheet: LabelSheet | None, start: int, count: int) -> None:
        """Draw *sheet* with labels before *start* used and *count* to print."""
        self.sheet, self.start, self.count = sheet, start, count
        self.update()

    def _rect(self, sheet: LabelSheet, x: float, y: float) -> QRectF:
        scale, left, top = self._scale()
        return QRectF(left + x * scale, top + y * scale, sheet.width * scale, sheet.height * scale)

    def _scale(self) -> tuple[float, float, float]:
        scale = min((self.width() - 2) / A4_WIDTH_MM, (self.height() - 2) / A4_HEIGHT_MM)
        left = (self.width() - A4_WIDTH_MM * scale) / 2
        top = (self.height() - A4_HEIGHT_MM * scale) / 2
        return scale, left, top

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        scale, left, top = self._scale()
        painter.setPen(QPen(QColor("#888888")))
        painter.setBrush(QColor("#ffffff"))
        painter.drawRect(QRectF(left, top, A4_WIDTH_MM * scale, A4_HEIGHT_MM * scale))
        sheet = self.sheet
        if sheet is None:
            return
        highlight = self.palette().highlight().color()
        for slot in range(sheet.per_sheet):
            x, y = sheet.origin(slot)
            rect = QRectF(
                left + x * scale, top + y * scale, sheet.width * scale, sheet.height * scale
            )
            number = slot + 1
            if number < self.start:
                painter.setBrush(QColor("#c8c8c8"))
            elif number < self.start + self.count:
                painter.setBrush(highlight.lighter(170))
            else:
                painter.setBrush(QColor("#ffffff"))
            painter.setPen(QPen(highlight if number == self.start else QColor("#999999")))
            painter.drawRoundedRect(rect, 1.5, 1.5)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        sheet = self.sheet
        if sheet is None:
            return
        scale, left, top = self._scale()
        point = event.position()
        for slot in range(sheet.per_sheet):
            x, y = sheet.origin(slot)
            rect = QRectF(
                left + x * scale, top + y * scale, sheet.width * scale, sheet.height * scale
            )
            if rect.contains(point):
                self.start_chosen.emit(slot + 1)
                return


class LabelsDialog(PostFormMixin):
    """Address labels for the selected contacts, saved as a PDF."""

    def __init__(
        self,
        services: Services,
        actor: Actor,
        selection: SelectedContacts | None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(services, actor, selection, parent)
        self.setWindowTitle(_("Print address labels"))
        self.sheet_choice = QComboBox()
        for name, sheet in SHEETS.items():
            self.sheet_choice.addItem(sheet_title(sheet), name)
        self.sheet_choice.addItem(_("Measured by hand"), "")
        self.columns = QSpinBox()
        self.columns.setRange(1, MAX_COLUMNS)
        self.rows = QSpinBox()
        self.rows.setRange(1, MAX_ROWS)
        self.lengths = {}
        for name in LENGTHS:
            box = QDoubleSpinBox()
            box.setRange(0.0, A4_HEIGHT_MM)
            box.setDecimals(2)
            box.setSingleStep(0.1)
            box.setSuffix(_(" mm"))
            self.lengths[name] = box
        self.start = QSpinBox()
        self.start.setMinimum(1)
        self.preview = SheetPreview()
        self.sheet_error = QLabel()
        self.sheet_error.setWordWrap(True)
        self.sheet_error.setStyleSheet("color: #b00020;")
        self._filling = False
        self.finish_layout(self._middle())
        self.sheet_choice.currentIndexChanged.connect(self._sheet_chosen)
        self.columns.valueChanged.connect(self._measured)
        self.rows.valueChanged.connect(self._measured)
        for box in self.lengths.values():
            box.valueChanged.connect(self._measured)
        self.start.valueChanged.connect(self._refresh)
        self.preview.start_chosen.connect(self.start.setValue)
        self._sheet_chosen()
        self.setMinimumWidth(self.fontMetrics().averageCharWidth() * 84)
        size_window(self)

    def default_name(self) -> str:
        return _("labels") + ".pdf"

    def _middle(self) -> QWidget:
        # Two columns of measures, each a form with the titles above their fields: a long
        # title ("Largeur d'étiquette :") has the column's width instead of being cut.
        halves = [QFormLayout(), QFormLayout()]
        for half in halves:
            half.setContentsMargins(0, 0, 0, 0)
            half.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapAllRows)
        pairs = (
            (_("Co&lumns:"), self.columns, _("&Rows:"), self.rows),
            (
                _("Label &width:"),
                self.lengths["width"],
                _("Label &height:"),
                self.lengths["height"],
            ),
            (_("&Top margin:"), self.lengths["top"], _("Le&ft margin:"), self.lengths["left"]),
            (
                _("Across (pitc&h):"),
                self.lengths["pitch_x"],
                _("Do&wn (pitch):"),
                self.lengths["pitch_y"],
            ),
        )
        for text_a, field_a, text_b, field_b in pairs:
            sides = ((text_a, field_a), (text_b, field_b))
            for half, (text, field) in zip(halves, sides, strict=True):
                label = QLabel(text)
                label.setBuddy(field)
                half.addRow(label, field)
        grid = QHBoxLayout()
        grid.setContentsMargins(0, 0, 0, 0)
        for half in halves:
            grid.addLayout(half, 1)
        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        sheet_label = QLabel(_("&Sheet:"))
        sheet_label.setBuddy(self.sheet_choice)
        form.addRow(sheet_label, self.sheet_choice)
        form.addRow(grid)
        form.addRow(self.sheet_error)
        start_label = QLabel(_("Start at &label:"))
        start_label.setBuddy(self.start)
        form.addRow(start_label, self.start)
        left = QWidget()
        left.setLayout(form)
        row_layout = QHBoxLayout()
        row_layout.setContentsMargins(0, 0, 0, 0)
        row_layout.addWidget(left, 1)
        row_layout.addWidget(self.preview)
        middle = QWidget()
        middle.setLayout(row_layout)
        return middle

    # -- the sheet ----------------------------------------------------------------------

    def _sheet_chosen(self) -> None:
        name = self.sheet_choice.currentData()
        sheet = SHEETS.get(str(name or ""))
        if sheet is not None:
            self._filling = True
            self.columns.setValue(sheet.columns)
            self.rows.setValue(sheet.rows)
            for field in LENGTHS:
                self.lengths[field].setValue(getattr(sheet, field))
            self._filling = False
        self._refresh()

    def _measured(self) -> None:
        """A measurement changed by hand: the sheet is no longer the named one."""
        if self._filling:
            return
        sheet = SHEETS.get(str(self.sheet_choice.currentData() or ""))
        if sheet is not None and self._figures() != self._figures_of(sheet):
            self.sheet_choice.blockSignals(True)
            self.sheet_choice.setCurrentIndex(self.sheet_choice.count() - 1)
            self.sheet_choice.blockSignals(False)
        self._refresh()

    def _figures(self) -> tuple[float, ...]:
        return (
            self.columns.value(),
            self.rows.value(),
            *(self.lengths[f].value() for f in LENGTHS),
        )

    @staticmethod
    def _figures_of(sheet: LabelSheet) -> tuple[float, ...]:
        return (sheet.columns, sheet.rows, *(getattr(sheet, f) for f in LENGTHS))

    def chosen_sheet(self) -> LabelSheet | None:
        """The named sheet, or the measured one when it fits on A4 (else None, said why)."""
        sheet = SHEETS.get(str(self.sheet_choice.currentData() or ""))
        if sheet is not None:
            return sheet
        try:
            return custom_sheet(
                self.columns.value(), self.rows.value(), *(self.lengths[f].value() for f in LENGTHS)
            )
        except ValidationFailed as error:
            self.sheet_error.setText("\n".join(describe_problem(p) for p in error.problems))
            return None

    def _refresh(self) -> None:
        self.sheet_error.setText("")
        sheet = self.chosen_sheet()
        self.sheet_error.setVisible(bool(self.sheet_error.text()))
        if sheet is not None:
            self.start.setMaximum(sheet.per_sheet)
        count = self.selection.count if self.selection is not None else 0
        self.preview.show_sheet(sheet, self.start.value(), count)
        self.make_button.setEnabled(sheet is not None)

    # -- making -------------------------------------------------------------------------

    def maker(self) -> Callable[[PostSelection, Path], PostResult]:
        sheet = self.chosen_sheet()
        assert sheet is not None  # the button is off otherwise
        services, actor, start = self._services, self._actor, self.start.value()
        language = current_language()

        def make(selection: PostSelection, out: Path) -> PostResult:
            return services.post.labels(actor, selection, sheet, out, start, language=language)

        return make

    def made_message(self, result: PostResult) -> str:
        return ngettext(
            "{count} label saved in {file}.", "{count} labels saved in {file}.", result.count
        ).format(count=format_number(result.count), file=result.path.name) + self.left_out_sentence(
            result
        )
