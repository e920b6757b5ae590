"""The contact table model: Qt's model rules, sorting, searching and lazy fetching."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import QModelIndex, Qt
from pytestqt.modeltest import ModelTester

from privacycrm_desktop.services import keyed_list
from privacycrm_desktop.services.contacts import ContactService
from privacycrm_desktop.services.dto import (
    Actor,
    ContactFilter,
    ContactRow,
    ContactSort,
    ListFilter,
)
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.ui.contacts.contact_table_model import (
    BLOCK_SIZE,
    ROW_ROLE,
    SORT_KEY_ROLE,
    Column,
    ContactTableModel,
)


class CountingContacts:
    """The real contact service, counting the windows asked for."""

    def __init__(self, inner: ContactService) -> None:
        self.inner = inner
        self.pages: list[tuple[int, int]] = []

    def count(self, actor: Actor, query: str = "", *args: Any, **kwargs: Any) -> int:
        return self.inner.count(actor, query, *args, **kwargs)

    def page(self, actor: Actor, **kwargs: Any) -> list[ContactRow]:
        self.pages.append((kwargs["offset"], kwargs["limit"]))
        return self.inner.page(actor, **kwargs)

    def __getattr__(self, name: str) -> Any:
        # The rest (the custom fields' columns) as the real service has it.
        return getattr(self.inner, name)


@pytest.fixture
def demo_services(services: Services, owner: Actor) -> Services:
    services.demo.generate(owner, 500, seed=1)
    return services


def names(model: ContactTableModel) -> list[str]:
    return [model.index(r, Column.NAME).data() for r in range(model.rowCount())]


def test_model_passes_qt_model_tester(
    qtmodeltester: ModelTester, demo_services: Services, owner: Actor
) -> None:
    model = ContactTableModel(demo_services.contacts, owner)
    assert model.rowCount() == 500
    qtmodeltester.check(model, force_py=True)
    model.set_query("liege")
    qtmodeltester.check(model, force_py=True)


def test_sort_by_name_and_city(demo_services: Services, owner: Actor) -> None:
    model = ContactTableModel(demo_services.contacts, owner)
    rows = [model.index(r, 0).data(ROW_ROLE) for r in range(model.rowCount())]
    assert (
        rows
        == [
            row
            for offset in (0, 200, 400)
            for row in demo_services.contacts.page(owner, offset=offset, limit=200)
        ][:500]
    )
    keys = [model.index(r, Column.NAME).data(SORT_KEY_ROLE) for r in range(model.rowCount())]
    assert keys[0] <= keys[250] <= keys[-1]
    model.sort(Column.CITY, Qt.SortOrder.DescendingOrder)
    cities = [model.index(r, Column.CITY).data() for r in range(model.rowCount())]
    assert cities == sorted(cities, reverse=True)
    assert model.sort_column is Column.CITY
    assert model.descending


def test_unsortable_column_is_ignored(demo_services: Services, owner: Actor) -> None:
    model = ContactTableModel(demo_services.contacts, owner)
    before = names(model)[:20]
    model.sort(Column.EMAIL, Qt.SortOrder.DescendingOrder)
    assert model.sort_column is Column.NAME
    assert names(model)[:20] == before
    assert not ContactTableModel.is_sortable(Column.EMAIL)


def test_one_letter_in_markup_shows_the_whole_list_as_the_letter_alone(
    demo_services: Services, owner: Actor
) -> None:
    """The search looks for letters and digits: "<b>" is the letter b, which shows the
    whole list as "b" typed alone does (it searched every contact with a word in b)."""
    model = ContactTableModel(demo_services.contacts, owner)
    everyone = model.rowCount()
    for typed in ("b", "<b>", " (b) ", "--"):
        model.set_query(typed)
        assert model.rowCount() == everyone, typed
    model.set_query("<b>x")
    assert model.rowCount() < everyone


def test_search_ignores_accents(demo_services: Services, owner: Actor) -> None:
    model = ContactTableModel(demo_services.contacts, owner)
    model.set_query("liege")
    assert 0 < model.rowCount() < 500
    cities = {model.index(r, Column.CITY).data() for r in range(model.rowCount())}
    assert "Liège" in cities
    model.set_query("zoe")
    assert model.rowCount() > 0
    assert any("Zoë" in n for n in names(model))


def test_one_character_shows_everything(demo_services: Services, owner: Actor) -> None:
    model = ContactTableModel(demo_services.contacts, owner)
    model.set_query("z")
    assert model.rowCount() == 500
    assert model.query == ""


def test_row_role_gives_the_dto(demo_services: Services, owner: Actor) -> None:
    model = ContactTableModel(demo_services.contacts, owner)
    row = model.index(0, Column.EMAIL).data(ROW_ROLE)
    assert isinstance(row, ContactRow)
    assert model.index(0, Column.EMAIL).data() == row.email
    assert model.data(QModelIndex()) is None


def test_rows_are_fetched_lazily_by_window(services: Services, owner: Actor) -> None:
    services.demo.generate(owner, 5000, seed=2)
    counting = CountingContacts(services.contacts)
    model = ContactTableModel(counting, owner)
    assert model.rowCount() == 5000
    assert counting.pages == []
    model.index(0, 0).data()
    model.index(BLOCK_SIZE - 1, 0).data()
    assert counting.pages == [(0, BLOCK_SIZE)]
    last = model.index(4999, Column.NAME).data(ROW_ROLE)
    assert isinstance(last, ContactRow)
    assert counting.pages[-1] == (4800, BLOCK_SIZE)
    assert len(counting.pages) == 2
    first_page = services.contacts.page(owner, sort=ContactSort.NAME, offset=0, limit=1)
    assert model.index(0, 0).data(ROW_ROLE) == first_page[0]


def test_far_windows_are_read_by_key_once_the_bookmarks_are_read(
    qtbot: Any, demo_services: Services, owner: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    from privacycrm_desktop.ui.contacts import contact_table_model

    monkeypatch.setattr(contact_table_model, "KEYSET_FROM_ROWS", 300)
    contacts = demo_services.contacts
    keyed: list[object] = []

    class KeyedContacts(CountingContacts):
        def page(self, actor: Actor, **kwargs: Any) -> list[ContactRow]:
            keyed.append(kwargs.get("bookmarks"))
            return super().page(actor, **kwargs)

    for column, descending in [
        (Column.NAME, False),
        (Column.CITY, True),
        (Column.KEEP_UNTIL, False),
    ]:
        model = ContactTableModel(KeyedContacts(contacts), owner)
        order = Qt.SortOrder.DescendingOrder if descending else Qt.SortOrder.AscendingOrder
        model.sort(column, order)
        model.index(0, 0).data()
        assert model.bookmarks is None
        model.index(BLOCK_SIZE, 0).data()  # away from the top: the bookmarks are read after it
        qtbot.waitUntil(lambda m=model: m.bookmarks is not None)
        keyed.clear()
        shown = [model.index(r, 0).data(ROW_ROLE).id for r in range(model.rowCount())]
        assert keyed == [model.bookmarks]  # the third window, read by key
        sort = contact_table_model.SORT_KEYS[column]
        expected = [
            r.id
            for offset in range(0, 500, 100)
            for r in contacts.page(
                owner, sort=sort, descending=descending, offset=offset, limit=100
            )
        ]
        assert shown == expected
        model.set_query("liege")
        assert model.bookmarks is None


class BookmarkCounting(CountingContacts):
    """Also counts the bookmark reads and notes how each window was asked for."""

    def __init__(self, inner: ContactService) -> None:
        super().__init__(inner)
        self.reads: list[object] = []
        self.keyed: list[object] = []

    def bookmarks(self, actor: Actor, sort: Any, view: Any = None, **kwargs: Any) -> Any:
        self.reads.append(sort)
        return self.inner.bookmarks(actor, sort, view, **kwargs)

    def page(self, actor: Actor, **kwargs: Any) -> list[ContactRow]:
        self.keyed.append(kwargs.get("bookmarks"))
        return super().page(actor, **kwargs)


def test_read_ahead_the_first_far_jump_is_by_key_and_a_new_order_or_view_reads_again(
    qtbot: Any, demo_services: Services, owner: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once the window has painted the bookmarks are read without waiting for a scroll:
    the first jump to the end of the list finds its window by key (it went by OFFSET,
    20-150 ms at a million); so after a new order or view. A refresh (another desk's
    change) reads them again once the list has been quiet a while."""
    from privacycrm_desktop.ui.contacts import contact_table_model

    monkeypatch.setattr(contact_table_model, "KEYSET_FROM_ROWS", 300)
    monkeypatch.setattr(contact_table_model, "KEYSET_VIEW_FROM_ROWS", 100)
    monkeypatch.setattr(keyed_list, "KEYED_VIEW_FROM_ROWS", 100)
    counting = BookmarkCounting(demo_services.contacts)
    model = ContactTableModel(counting, owner)
    model.sort(Column.CITY, Qt.SortOrder.AscendingOrder)
    assert counting.reads == []  # before the first paint: nothing read ahead
    model.read_bookmarks_ahead()
    qtbot.waitUntil(lambda: model.bookmarks is not None)
    assert counting.reads == [ContactSort.CITY]
    last = model.rowCount() - 1
    jumped = model.index(last, 0).data(ROW_ROLE)
    assert counting.keyed == [model.bookmarks]  # the very first window: the far one, by key
    expected = demo_services.contacts.page(owner, sort=ContactSort.CITY, offset=last, limit=1)
    assert jumped == expected[0]
    model.sort(Column.CITY, Qt.SortOrder.DescendingOrder)  # same order turned round: kept
    assert model.bookmarks is not None
    model.sort(Column.NAME, Qt.SortOrder.AscendingOrder)
    qtbot.waitUntil(lambda: model.bookmarks is not None)
    assert counting.reads == [ContactSort.CITY, ContactSort.NAME]
    view = ListFilter(ContactFilter.NO_CONSENT)
    model.set_view(view)
    assert model.rowCount() > 100
    qtbot.waitUntil(lambda: model.bookmarks is not None)
    assert model.bookmarks.view == view
    monkeypatch.setattr(contact_table_model, "READ_AHEAD_AFTER_REFRESH_MS", 200)
    model.refresh()  # another desk's change
    model.refresh()  # and another at once: one read after both
    assert model.bookmarks is None
    qtbot.wait(100)
    assert len(counting.reads) == 3  # not at once: once the list is quiet
    qtbot.waitUntil(lambda: model.bookmarks is not None)
    assert len(counting.reads) == 4
    model.set_query("liege")  # a search is never read by key
    qtbot.wait(50)
    assert len(counting.reads) == 4


@pytest.mark.parametrize("by_tag", [False, True], ids=["view", "tag"])
@pytest.mark.parametrize("column", [Column.NAME, Column.CITY, Column.KEEP_UNTIL])
def test_a_saved_view_or_tags_far_windows_are_read_by_key_once_its_bookmarks_are_read(
    qtbot: Any,
    demo_services: Services,
    owner: Actor,
    monkeypatch: pytest.MonkeyPatch,
    column: Column,
    by_tag: bool,
) -> None:
    """A saved view or a tag's contacts, more rows than a few screens, read their
    bookmarks like the whole list (by OFFSET the middle of a view walked half the order's
    index at a million contacts). A tag in an order its link table does not copy (the
    keep-until date) has none: read by OFFSET."""
    from privacycrm_desktop.ui.contacts import contact_table_model

    monkeypatch.setattr(contact_table_model, "KEYSET_VIEW_FROM_ROWS", 300)
    monkeypatch.setattr(keyed_list, "KEYED_VIEW_FROM_ROWS", 300)
    contacts = demo_services.contacts
    view, tag = ListFilter(ContactFilter.NO_CONSENT), None
    if by_tag:
        view, tag = ListFilter(), demo_services.tags.create(owner, "many")
        demo_services.tags.assign_matching(owner, tag, ("SELECT id FROM contact", {}))
    keyed: list[object] = []

    class KeyedContacts(CountingContacts):
        def page(self, actor: Actor, **kwargs: Any) -> list[ContactRow]:
            keyed.append(kwargs.get("bookmarks"))
            return super().page(actor, **kwargs)

    model = ContactTableModel(KeyedContacts(contacts), owner)
    model.set_view(view)
    model.set_tag(tag)
    total = model.rowCount()
    assert total > 300
    model.sort(column, Qt.SortOrder.AscendingOrder)
    model.index(0, 0).data()
    model.index(BLOCK_SIZE, 0).data()  # away from the top: the bookmarks are read after it
    qtbot.waitUntil(lambda: model.bookmarks is not None)
    marks = model.bookmarks
    assert marks is not None
    assert (marks.view, marks.tag, marks.total) == (view if not by_tag else None, tag, total)
    assert bool(marks.keys) is not (by_tag and column is Column.KEEP_UNTIL)
    keyed.clear()
    shown = [model.index(r, 0).data(ROW_ROLE).id for r in range(total)]
    assert keyed == [marks] * (-(-total // BLOCK_SIZE) - 2)  # every other window, by key
    sort = contact_table_model.SORT_KEYS[column]
    expected = [
        r.id
        for offset in range(0, total, 100)
        for r in contacts.page(owner, sort=sort, view=view, tag=tag, offset=offset, limit=100)
    ]
    assert shown == expected
    model.set_view(ListFilter())
    model.set_tag(None)
    assert model.bookmarks is None


def test_a_new_order_while_the_last_ones_bookmarks_are_read_drops_them(
    qtbot: Any, demo_services: Services, owner: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Sorted by name, then at once by city: the name order's bookmarks, read meanwhile,
    are not taken for the city order's (every city window then went by OFFSET)."""
    from privacycrm_desktop.ui.contacts import contact_table_model

    monkeypatch.setattr(contact_table_model, "KEYSET_FROM_ROWS", 300)
    model = ContactTableModel(BookmarkCounting(demo_services.contacts), owner)
    model.index(BLOCK_SIZE, 0).data()  # the name order's bookmarks are being read
    model.sort(Column.CITY, Qt.SortOrder.AscendingOrder)
    model.index(BLOCK_SIZE, 0).data()  # the city order's
    qtbot.waitUntil(lambda: model.bookmarks is not None)
    qtbot.wait(100)  # both reads have ended
    assert model.bookmarks is not None
    assert model.bookmarks.order == ContactSort.CITY


def test_the_main_window_reads_its_lists_bookmarks_ahead_once_it_has_painted(
    qtbot: Any, demo_services: Services, owner: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    from privacycrm_desktop.ui.contacts import contact_table_model
    from privacycrm_desktop.ui.main_window import MainWindow

    monkeypatch.setattr(contact_table_model, "KEYSET_FROM_ROWS", 300)
    monkeypatch.setattr(contact_table_model, "READ_AHEAD_AFTER_REFRESH_MS", 100)
    window = MainWindow(demo_services, owner)
    qtbot.addWidget(window)
    assert window.model.bookmarks is None
    window.show()
    qtbot.waitUntil(lambda: window.model.bookmarks is not None)
    assert window.model.bookmarks.total == 500
    # The change watch's first refresh (what changed before it listened) forgets them:
    # read again (it left the list without them until a scroll away from the top).
    window.start_change_watch(poll_interval=0.1)
    watcher = window.change_watch
    assert watcher is not None
    qtbot.waitUntil(lambda: watcher.refreshes == 1, timeout=5000)
    qtbot.waitUntil(lambda: window.model.bookmarks is not None, timeout=5000)
    window.close()
