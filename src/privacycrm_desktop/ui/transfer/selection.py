"""The contacts the user chose in the list, as every action on a selection reads them.

Export, tagging, labels and letters act on the same thing: the rows selected, or with
Ctrl+A every contact the search, the saved view and the tag filter give. One function
builds it, so no action can forget a part of the list's filter (the labels once printed
the whole database when the list was filtered by a tag).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from privacycrm_desktop.ui.common.row_ranges import row_ranges

if TYPE_CHECKING:
    from privacycrm_desktop.ui.transfer.export_dialog import SelectedContacts


def has_selection(window: Any) -> bool:
    """True when rows are selected or every matching contact is (Ctrl+A)."""
    return bool(window.view.selectionModel().hasSelection() or window.all_matching)


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
        ranges = row_ranges(window.view.selectionModel())
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
