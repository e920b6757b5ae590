"""A list's selected rows as (first, last) ranges, never one index per row.

A Shift+click or Ctrl+Shift+End over a million rows is one range of the selection model;
``selectedRows`` made a million indexes of it (5.6 s at 100,000 rows). The main list's
card counts its selection here, and the actions on a selection read its ranges.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QItemSelectionModel


def merge_ranges(spans: Sequence[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    """(first, last) row spans sorted, with overlapping and touching ones joined."""
    merged: list[tuple[int, int]] = []
    for first, last in sorted(spans):
        if merged and first <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], last))
        else:
            merged.append((first, last))
    return tuple(merged)


def row_ranges(selection: QItemSelectionModel) -> tuple[tuple[int, int], ...]:
    """The rows *selection* holds, as joined (first, last) ranges in order."""
    spans = selection.selection()
    return merge_ranges([(spans.at(i).top(), spans.at(i).bottom()) for i in range(spans.count())])


def row_count(selection: QItemSelectionModel) -> int:
    """How many rows *selection* holds, counted from its ranges."""
    return sum(last - first + 1 for first, last in row_ranges(selection))
