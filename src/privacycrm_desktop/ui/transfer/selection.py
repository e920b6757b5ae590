"""The contacts the user chose in the list, as every action on a selection reads them.

Export, tagging, labels and letters act on the same thing: the rows selected, or with
Ctrl+A every contact the search, the saved view and the tag filter give. One function
builds it, so no action can forget a part of the list's filter (the labels once printed
the whole database when the list was filtered by a tag).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from privacycrm_desktop.ui.transfer.export_dialog import SelectedContacts


def has_selection(window: Any) -> bool:
    """True when rows are selected or every matching contact is (Ctrl+A)."""
    return bool(window.view.selectionModel().hasSelection() or window.all_matching)


def merge_ranges(spans: Sequence[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    """(first, last) row spans sorted, with overlapping and touching ones joined."""
    merged: list[tuple[int, int]] = []
    for first, last in sorted(spans):
        if merged and first <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], last))
        else:
            merged.append((first, last))
    return tuple(merged)


def selected_ranges(window: Any) -> tuple[tuple[int, int], ...]:
    """The rows selected in the list as (first, last) ranges, joined and in order: a
    Shift+click or Ctrl+Shift+End over a million rows is one range, never a million
    indexes (``selectedRows`` made one per row)."""
    spans = window.view.selectionModel().selection()
    return merge_ranges([(spans.at(i).top(), spans.at(i).bottom()) for i in range(spans.count())])


def selected_count(window: Any) -> int:
    """How many rows are selected (not counting a selection by query), from the ranges."""
    return sum(last - first + 1 for first, last in selected_ranges(window))


def selected_contacts(window: Any) -> SelectedContacts | None:
    """The list's selection with the search, view, tag and order it was made in; None
    when nothing is selected."""
    from privacycrm_desktop.ui.transfer.export_dialog import SelectedContacts

    model = window.model
    total = model.rowCount()
    if window.all_matching:
        # Everything the search, view and tag give: no row of the model is selected.
        ranges: tuple[tuple[int, int], ...] = ((0, total - 1),) if total else ()
    else:
        ranges = selected_ranges(window)
    if not ranges:
        return None
    view = model.view
    return SelectedContacts(
        query=model.query,
        sort=model.sort_key,
        descending=model.descending,
        ranges=ranges,
        total=total,
        view=view if view.active else None,
        tag=model.tag,
    )
