"""Label sheets: the named ones fit A4 as published, a custom one is checked, slots run
row by row from the chosen start."""

from __future__ import annotations

import pytest

from privacycrm_desktop.domain.errors import ValidationFailed
from privacycrm_desktop.domain.label_sheets import (
    A4_HEIGHT_MM,
    A4_WIDTH_MM,
    SHEETS,
    custom_sheet,
    find_sheet,
    label_slots,
)

#: The figures Avery publishes for each sheet (template information of each product
#: page, avery.co.uk/template-<name>): columns, rows, width, height, top, left, pitches.
PUBLISHED = {
    "L7160": (3, 7, 63.5, 38.1, 15.15, 7.21, 66.04, 38.1),
    "L7159": (3, 8, 63.5, 33.9, 12.9, 7.21, 66.04, 33.9),
    "L7161": (3, 6, 63.5, 46.6, 8.7, 7.21, 66.04, 46.6),
    "L7162": (2, 8, 99.1, 33.9, 12.9, 4.65, 101.6, 33.9),
    "L7163": (2, 7, 99.1, 38.1, 15.15, 4.65, 101.6, 38.1),
    "L7165": (2, 4, 99.1, 67.7, 13.1, 4.65, 101.6, 67.7),
}


@pytest.mark.parametrize("name", list(SHEETS))
def test_each_named_sheet_has_its_published_figures_and_sits_centred_on_a4(name: str) -> None:
    sheet = SHEETS[name]
    figures = (
        sheet.columns,
        sheet.rows,
        sheet.width,
        sheet.height,
        sheet.top,
        sheet.left,
        sheet.pitch_x,
        sheet.pitch_y,
    )
    assert figures == pytest.approx(PUBLISHED[name])
    right = A4_WIDTH_MM - (sheet.left + (sheet.columns - 1) * sheet.pitch_x + sheet.width)
    bottom = A4_HEIGHT_MM - (sheet.top + (sheet.rows - 1) * sheet.pitch_y + sheet.height)
    # Avery's sheets are symmetric: the published margins leave the same room opposite.
    assert right == pytest.approx(sheet.left, abs=0.1)
    assert bottom == pytest.approx(sheet.top, abs=0.1)
    # The same figures pass the custom sheet's checks.
    assert custom_sheet(*figures).per_sheet == sheet.per_sheet


def test_the_brief_s_shapes_are_found_by_shape_and_by_name() -> None:
    assert find_sheet("3x7").name == "L7160"
    assert find_sheet("3x7").per_sheet == 21
    assert find_sheet("2x8").name == "L7162"
    assert find_sheet("2x8").per_sheet == 16
    assert find_sheet("l7163").shape == "2x7"
    with pytest.raises(ValidationFailed) as caught:
        find_sheet("L9999")
    assert "L7160" in caught.value.problems[0].params["names"]


@pytest.mark.parametrize("name", list(SHEETS))
def test_slots_run_row_by_row_from_the_start_and_go_on_to_the_next_sheet(name: str) -> None:
    sheet = SHEETS[name]
    start = 2
    slots = label_slots(sheet, sheet.per_sheet + 3, start)
    assert slots[0].page == 0
    assert (slots[0].row, slots[0].column) == divmod(start - 1, sheet.columns)
    columns, rows, _width, _height, top, left, pitch_x, pitch_y = PUBLISHED[name]
    for number, slot in enumerate(slots, start=start - 1):
        page, index = divmod(number, columns * rows)
        row, column = divmod(index, columns)
        assert slot.page == page
        assert slot.x == pytest.approx(left + column * pitch_x)
        assert slot.y == pytest.approx(top + row * pitch_y)
    assert slots[-1].page == 1


@pytest.mark.parametrize(
    ("figures", "field"),
    [
        ((0, 7, 63.5, 38.1, 15, 7, 66, 38.1), "columns"),
        ((3, 7, 63.5, 38.1, 15, 7, 60, 38.1), "pitch_x"),
        ((3, 7, 63.5, 38.1, 15, 7, 66, 30), "pitch_y"),
        ((3, 7, 63.5, 38.1, 15, 20, 66.04, 38.1), "width"),
        ((3, 8, 63.5, 38.1, 15, 7, 66.04, 38.1), "height"),
        ((3, 7, -1, 38.1, 15, 7, 66.04, 38.1), "width"),
        ((3, 7, 63.5, 38.1, -2, 7, 66.04, 38.1), "top"),
    ],
)
def test_a_custom_sheet_that_does_not_fit_is_refused(
    figures: tuple[float, ...], field: str
) -> None:
    c, r, *rest = figures
    with pytest.raises(ValidationFailed) as caught:
        custom_sheet(int(c), int(r), *rest)
    assert field in {p.field for p in caught.value.problems}


def test_a_start_outside_the_sheet_is_refused() -> None:
    sheet = find_sheet("2x8")
    with pytest.raises(ValidationFailed):
        label_slots(sheet, 1, 17)
    with pytest.raises(ValidationFailed):
        label_slots(sheet, 1, 0)
    assert label_slots(sheet, 1, 16)[0].row == 7
