"""The tag filter beside the contact list's search and views: it filters the list with
the search and the saved view, the selection by query and the export follow it, the
keyboard reaches it, and a role the tags are hidden from does not get it."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from privacycrm_desktop.domain.access import FieldAccess, Role
from privacycrm_desktop.domain.contacts import Relationship
from privacycrm_desktop.services.dto import Actor, ContactFilter, ListFilter
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.ui.common.mnemonics import mnemonic_of
from privacycrm_desktop.ui.main_window import MainWindow
from privacycrm_desktop.ui.tags.tag_filter import TagFilter

GOOD = "another good password"


@pytest.fixture
def tagged(services: Services, owner: Actor) -> dict[str, int]:
    services.demo.generate(owner, 40, seed=7)
    vip = services.tags.create(owner, "VIP", "#d62728")
    fair = services.tags.create(owner, "Beurs Gent", "#1f77b4")
    ids = [row.id for row in services.contacts.page(owner, limit=40)]
    services.tags.assign(owner, vip, ids[::3])
    services.tags.assign(owner, fair, ids[1::4])
    return {"VIP": vip, "Beurs Gent": fair}


def _open(qtbot: QtBot, services: Services, actor: Actor) -> MainWindow:
    window = MainWindow(services, actor)
    qtbot.addWidget(window)
    window.show()
    return window


def _shown_ids(window: MainWindow) -> set[int]:
    rows = (window.model.contact_at(i) for i in range(window.model.rowCount()))
    return {row.id for row in rows if row is not None}


def _carrying(services: Services, owner: Actor, tag_id: int) -> set[int]:
    """Who carries the tag, read from each contact's card (not from the list)."""
    ids = {row.id for row in services.contacts.page(owner, limit=500)}
    return {
        cid
        for cid in ids
        if tag_id in {m.tag_id for m in services.contacts.card(owner, cid).detail.tags}
    }


def test_the_filter_lists_the_tags_and_filters_the_list_with_search_and_view(
    qtbot: QtBot, services: Services, owner: Actor, tagged: dict[str, int]
) -> None:
    window = _open(qtbot, services, owner)
    chooser = window.tag_filter
    assert isinstance(chooser, TagFilter)
    names = [chooser.itemText(i) for i in range(chooser.count())]
    assert names[1:] == [t.name for t in services.tags.list(owner)]
    everyone = window.model.rowCount()
    for name, tag_id in tagged.items():
        chooser.setCurrentIndex(chooser.findData(tag_id))
        assert window.model.tag == tag_id, name
        assert _shown_ids(window) == _carrying(services, owner, tag_id)
    # With the search: the tagged contacts the search finds.
    vip = tagged["VIP"]
    chooser.set_tag(vip)
    first = services.contacts.page(owner, limit=1, tag=vip)[0]
    word = first.name.split(",")[0].strip()
    window.search.setText(word)
    window.apply_search()
    found = {r.id for r in services.contacts.page(owner, query=word, limit=500)}
    assert _shown_ids(window) == found & _carrying(services, owner, vip)
    window.clear_search()
    # With a saved view: the tagged contacts of the view.
    view = ListFilter(ContactFilter.RELATIONSHIP, relationship=Relationship.PROSPECT)
    window.apply_view(view)
    in_view = {r.id for r in services.contacts.page(owner, limit=500, view=view)}
    assert _shown_ids(window) == in_view & _carrying(services, owner, vip)
    # Back to every contact.
    window.show_all()
    assert chooser.chosen() is None
    assert window.model.rowCount() == everyone


def test_select_all_and_export_follow_the_tag(
    qtbot: QtBot, services: Services, owner: Actor, tagged: dict[str, int]
) -> None:
    from privacycrm_desktop.ui.transfer.export_dialog import ExportDialog, selected_ids

    window = _open(qtbot, services, owner)
    fair = tagged["Beurs Gent"]
    assert window.tag_filter is not None
    window.tag_filter.set_tag(fair)
    window.select_all_matching()
    dialog = window.export_selected()
    assert isinstance(dialog, ExportDialog)
    selection = dialog.selection
    assert selection.tag == fair
    assert not selection.everything
    ids = selected_ids(services.contacts, owner, selection)
    assert set(ids or ()) == _carrying(services, owner, fair)
    dialog.close()
    # Untagging everything the filtered list shows takes the tag off exactly those.
    tagging = window.tag_actions.tag_selected()
    assert tagging is not None
    tagging.tag.setEditText("Beurs Gent")
    tagging.take_off.setChecked(True)
    tagging.apply()
    assert _carrying(services, owner, fair) == set()
    assert _carrying(services, owner, tagged["VIP"])  # the other tag untouched


def test_the_keyboard_reaches_the_filter_and_it_follows_the_tag_dialog(
    qtbot: QtBot, services: Services, owner: Actor, tagged: dict[str, int]
) -> None:
    window = _open(qtbot, services, owner)
    assert window.tag_filter is not None
    assert window.tag_label.buddy() is window.tag_filter
    assert mnemonic_of(window.tag_label.text()) is not None
    assert window.tag_filter.focusPolicy() & Qt.FocusPolicy.TabFocus
    window.tag_filter.set_tag(tagged["VIP"])
    services.tags.delete(owner, tagged["VIP"])
    window.tag_filter.reload()  # as when the tag dialog closes, or the list of tags opens
    assert window.tag_filter.chosen() is None
    assert window.model.tag is None


@pytest.mark.parametrize("level", [FieldAccess.HIDDEN, FieldAccess.MASKED])
def test_a_role_without_the_tags_gets_no_filter(
    qtbot: QtBot, services: Services, owner: Actor, tagged: Any, level: FieldAccess
) -> None:
    services.access.set_field_access(owner, Role.SALES, "tags", level)
    services.auth.add_user(owner, "sam", GOOD, Role.SALES)
    window = _open(qtbot, services, services.auth.login("sam", GOOD))
    assert window.tag_filter is None
    assert window.tag_label.isHidden() or window.tag_label.parent() is None


def test_a_tag_made_meanwhile_is_there_for_the_arrow_keys(
    qtbot: QtBot, services: Services, owner: Actor, tagged: dict[str, int]
) -> None:
    """The arrow keys choose among the tags without opening the list: a tag made since
    (Ctrl+T on the selection) is read when the filter gets the focus."""
    window = _open(qtbot, services, owner)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    new = services.tags.create(owner, "Zomeractie", "#2ca02c")
    window.view.setFocus()
    window.tag_filter.setFocus()
    qtbot.waitUntil(window.tag_filter.hasFocus)
    assert window.tag_filter.findData(new) >= 0
    while window.tag_filter.currentData() != new:
        before = window.tag_filter.currentIndex()
        qtbot.keyClick(window.tag_filter, Qt.Key.Key_Down)
        assert window.tag_filter.currentIndex() != before
    assert window.tag_filter.chosen() == new
