"""Sheets of address labels as data: where each label lies on an A4 sheet.

A sheet is described as label makers publish it: columns and rows, the label's width and
height, the top and left margin (page edge to the first label's edge) and the horizontal
and vertical pitch (one label's edge to the next one's). All lengths are millimetres from
the top-left corner of the page. Named sheets carry the manufacturer's published figures;
a custom sheet takes the user's own measurements and is checked to fit on the page.

Published sources: Avery UK's product template pages, "Template information" table (each
URL below). Checked on every sheet: the figures leave the same margin opposite (right =
left, bottom = top, to 0.1 mm), as Avery's sheets are cut (tests/unit/domain); a second,
independent table (GmLabelPrinter's templates, in inches) agrees on counts, sizes, pitches
and left margins; its top margins are 0.6 to 1 mm larger, which would leave less room
at the foot than at the head, so Avery's symmetric figures are kept:

- L7160 https://www.avery.co.uk/template-l7160 : 63.5 x 38.1, 3 x 7, top 15.15, left 7.21,
  pitch 66.04 x 38.1
- L7159 https://www.avery.co.uk/template-l7159 : 63.5 x 33.9, 3 x 8, top 12.9, left 7.21,
  pitch 66.04 x 33.9
- L7161 https://www.avery.co.uk/template-l7161 : 63.5 x 46.6, 3 x 6, top 8.7, left 7.21,
  pitch 66.04 x 46.6
- L7162 https://www.avery.co.uk/template-l7162 : 99.1 x 33.9, 2 x 8, top 12.9, left 4.65,
  pitch 101.6 x 33.9
- L7163 https://www.avery.co.uk/template-l7163 : 99.1 x 38.1, 2 x 7, top 15.15, left 4.65,
  pitch 101.6 x 38.1
- L7165 https://www.avery.co.uk/template-l7165 : 99.1 x 67.7, 2 x 4, top 13.1, left 4.65,
  pitch 101.6 x 67.7
"""

from __future__ import annotations

from dataclasses import dataclass

from privacycrm_desktop.domain.errors import FieldProblem, ValidationFailed
from privacycrm_desktop.domain.text import N_

A4_WIDTH_MM = 210.0
A4_HEIGHT_MM = 297.0
#: Measurements are taken to a tenth of a millimetre; rounding may leave this much over.
_SLACK_MM = 0.05
#: A custom sheet has at least one and at most this many columns and rows.
MAX_COLUMNS = 10
MAX_ROWS = 40


@dataclass(frozen=True)
class LabelSheet:
    """An A4 sheet of labels, measured in millimetres from the page's top-left corner."""

    name: str
    columns: int
    rows: int
    width: float
    height: float
    top: float
    left: float
    pitch_x: float
    pitch_y: float

    @property
    def per_sheet(self) -> int:
        """How many labels one sheet holds."""
        return self.columns * self.rows

    @property
    def shape(self) -> str:
        """Columns by rows, as people name a sheet: "3x7"."""
        return f"{self.columns}x{self.rows}"

    def origin(self, slot: int) -> tuple[float, float]:
        """The top-left corner (x, y from the top, mm) of label *slot* (0-based, row by row)."""
        row, column = divmod(slot % self.per_sheet, self.columns)
        return self.left + column * self.pitch_x, self.top + row * self.pitch_y


@dataclass(frozen=True)
class LabelSlot:
    """Where one address goes: the page (0-based) and its label's top-left corner (mm)."""

    page: int
    column: int
    row: int
    x: float
    y: float


def _sheet(name: str, *figures: float) -> LabelSheet:
    columns, rows, width, height, top, left, pitch_x, pitch_y = figures
    return LabelSheet(name, int(columns), int(rows), width, height, top, left, pitch_x, pitch_y)


#: The named sheets (published figures, see the module's docstring), by name.
SHEETS: dict[str, LabelSheet] = {
    s.name: s
    for s in (
        _sheet("L7160", 3, 7, 63.5, 38.1, 15.15, 7.21, 66.04, 38.1),
        _sheet("L7159", 3, 8, 63.5, 33.9, 12.9, 7.21, 66.04, 33.9),
        _sheet("L7161", 3, 6, 63.5, 46.6, 8.7, 7.21, 66.04, 46.6),
        _sheet("L7162", 2, 8, 99.1, 33.9, 12.9, 4.65, 101.6, 33.9),
        _sheet("L7163", 2, 7, 99.1, 38.1, 15.15, 4.65, 101.6, 38.1),
        _sheet("L7165", 2, 4, 99.1, 67.7, 13.1, 4.65, 101.6, 67.7),
    )
}
#: Names by shape: "3x7" is the L7160 (the first sheet of that shape above).
SHAPES: dict[str, str] = {}
for _s in SHEETS.values():
    SHAPES.setdefault(_s.shape, _s.name)


def find_sheet(name: str) -> LabelSheet:
    """The named sheet: by its name ("L7160", any case) or its shape ("3x7").

    Raises:
        ValidationFailed: no such sheet.
    """
    key = name.strip().upper().replace("×", "X")
    sheet = SHEETS.get(key) or SHEETS.get(SHAPES.get(key.lower(), ""))
    if sheet is None:
        raise ValidationFailed(
            [
                FieldProblem(
                    "layout",
                    N_("Unknown label sheet {name}: choose one of {names}."),
                    {"name": name, "names": ", ".join([*SHEETS, *SHAPES])},
                )
            ]
        )
    return sheet


def custom_sheet(
    columns: int,
    rows: int,
    width: float,
    height: float,
    top: float,
    left: float,
    pitch_x: float,
    pitch_y: float,
) -> LabelSheet:
    """A sheet from the user's own measurements (mm), checked to fit on A4.

    Raises:
        ValidationFailed: a count out of range, a size not positive, labels overlapping
            (a pitch smaller than the label) or running off the page.
    """
    problems: list[FieldProblem] = []
    if not 1 <= columns <= MAX_COLUMNS:
        problems.append(
            FieldProblem("columns", N_("Between 1 and {most} columns."), {"most": MAX_COLUMNS})
        )
    if not 1 <= rows <= MAX_ROWS:
        problems.append(FieldProblem("rows", N_("Between 1 and {most} rows."), {"most": MAX_ROWS}))
    for field, value in (("width", width), ("height", height)):
        if value <= 0:
            problems.append(FieldProblem(field, N_("Give a size above zero.")))
    for field, value in (("top", top), ("left", left)):
        if value < 0:
            problems.append(FieldProblem(field, N_("A margin cannot be negative.")))
    if columns > 1 and pitch_x + _SLACK_MM < width:
        problems.append(FieldProblem("pitch_x", N_("The pitch is the label's width plus the gap.")))
    if rows > 1 and pitch_y + _SLACK_MM < height:
        problems.append(
            FieldProblem("pitch_y", N_("The pitch is the label's height plus the gap."))
        )
    if not problems:
        right = left + (columns - 1) * pitch_x + width
        bottom = top + (rows - 1) * pitch_y + height
        if right > A4_WIDTH_MM + _SLACK_MM:
            problems.append(FieldProblem("width", N_("The labels run off the page's side.")))
        if bottom > A4_HEIGHT_MM + _SLACK_MM:
            problems.append(FieldProblem("height", N_("The labels run off the page's foot.")))
    if problems:
        raise ValidationFailed(problems)
    return LabelSheet("", columns, rows, width, height, top, left, pitch_x, pitch_y)


def label_slots(sheet: LabelSheet, count: int, start: int = 1) -> list[LabelSlot]:
    """The labels *count* addresses go on, row by row, beginning at label *start* (1-based)
    of the first sheet, so a partly used sheet is used up first.

    Raises:
        ValidationFailed: *start* is not a label of the sheet.
    """
    if not 1 <= start <= sheet.per_sheet:
        raise ValidationFailed(
            [
                FieldProblem(
                    "start",
                    N_("Start at a label from 1 to {most}."),
                    {"most": sheet.per_sheet},
                )
            ]
        )
    slots = []
    for number in range(start - 1, start - 1 + count):
        page, slot = divmod(number, sheet.per_sheet)
        row, column = divmod(slot, sheet.columns)
        x, y = sheet.origin(slot)
        slots.append(LabelSlot(page, column, row, x, y))
    return slots
