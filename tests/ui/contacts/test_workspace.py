"""The main window's workspace: the card, the saved views, the empty states, the keyboard
path, selecting all by query, and what is remembered between runs."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import time
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QItemSelectionModel, QSettings, Qt
from PySide6.QtWidgets import QApplication, QHeaderView, QLabel, QPushButton, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import text

from privacycrm_desktop.domain.access import FieldAccess, Role, mask
from privacycrm_desktop.domain.consent import Channel, ConsentMethod, ConsentStatus
from privacycrm_desktop.domain.contacts import ContactInput, Relationship
from privacycrm_desktop.domain.fields import FIELD_CATALOGUE, ValueKind
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.services.consent_dto import ConsentInput
from privacycrm_desktop.services.dto import Actor, ContactFilter, ListFilter
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.ui.common import messages
from privacycrm_desktop.ui.common.qt_i18n import apply_language
from privacycrm_desktop.ui.common.settings import UiSettings
from privacycrm_desktop.ui.contacts.contact_card import ACTIONS
from privacycrm_desktop.ui.contacts.contact_table_model import Column
from privacycrm_desktop.ui.contacts.workspace import CARD_BESIDE_MIN_WIDTH, STRETCHED
from privacycrm_desktop.ui.main_window import MainWindow
from privacycrm_desktop.ui.transfer.export_dialog import ExportDialog
from privacycrm_desktop.ui.transfer.selection import selected_contacts

from ..screens import save
from .test_canary_ui import CANARIES, GOOD, OVERRIDES, READABLE

FAIR = SourceInput(SourceKind.BUSINESS_CARD, "Batibouw stand 12", dt.date(2025, 2, 20))


def open_window(
    qtbot: QtBot, services: Services, actor: Actor, settings: UiSettings | None = None
) -> MainWindow:
    window = MainWindow(services, actor, settings)
    qtbot.addWidget(window)
    window.show()
    return window


def card_text(window: MainWindow) -> str:
    card = window.card
    texts = [card.title.text(), card.title_source.text(), card.body.text()]
    texts += [w.toolTip() for w in card.findChildren(QWidget)]
    return "\n".join(texts)


def select(window: MainWindow, row: int) -> None:
    flags = QItemSelectionModel.SelectionFlag
    window.view.selectionModel().setCurrentIndex(
        window.model.index(row, Column.NAME), flags.ClearAndSelect | flags.Rows
    )
    window.show_card_of_current()


def test_the_card_shows_formatted_phones_and_where_each_value_came_from(
    qtbot: QtBot, services: Services, owner: Actor
) -> None:
    services.contacts.create(
        owner,
        ContactInput(
            first_name="Zoë",
            last_name="Lefèvre",
            organisation="Lefèvre & Fils",
            emails=("zoe@example.be",),
            phones=("0475 12 34 56", "+33 1 42 68 53 00"),
        ),
        FAIR,
    )
    window = open_window(qtbot, services, owner)
    select(window, 0)
    body = window.card.body.text()
    assert window.card.title.text() == "Zoë Lefèvre"
    # National form for the office's country (Belgium), international for the others.
    assert "0475 12 34 56" in body
    assert "+33 1 42 68 53 00" in body
    assert 'href="tel:+32475123456"' in body
    assert 'href="mailto:zoe@example.be"' in body
    assert body.count("Batibouw stand 12") == 4  # organisation, e-mail, 2 phones
    assert "Batibouw stand 12" in window.card.title_source.text()  # the name's
    assert "Lefèvre &amp; Fils" in body
    assert "Keep until" in body
    # The list shows the number as the card does.
    assert window.model.index(0, Column.PHONE).data() == "0475 12 34 56"
    # No restricted field was read for the card: nothing to audit.
    with services.uow() as uow:
        restricted_reads = uow.session.execute(
            text("SELECT count(*) FROM audit_event WHERE action = 'contact.read_restricted'")
        ).scalar_one()
    assert restricted_reads == 0


@pytest.mark.parametrize("overridden", [False, True], ids=["defaults", "overrides"])
def test_the_card_shows_no_value_the_role_may_not_see(
    qtbot: QtBot, services: Services, owner: Actor, overridden: bool
) -> None:
    personal = {s.name for s in FIELD_CATALOGUE if s.value is not ValueKind.SEPARATE}
    with_canary = personal & set(CANARIES)
    actors = {Role.OWNER: owner}
    for role in Role:
        if role is not Role.OWNER:
            services.auth.add_user(owner, role.value, GOOD, role)
            actors[role] = services.auth.login(role.value, GOOD)
    values: dict[str, Any] = {
        f: v for f, (v, _t) in CANARIES.items() if f not in ("emails", "phones")
    }
    values["birth_date"] = dt.date(1931, 7, 13)
    values["emails"] = (CANARIES["emails"][0],)
    values["phones"] = (CANARIES["phones"][0],)
    services.contacts.create(owner, ContactInput(**values), FAIR)
    if overridden:
        for (role, field), level in OVERRIDES.items():
            services.access.set_field_access(owner, role, field, level)
    on_card = {"first_name", "last_name", "organisation", "emails", "phones"}
    for role, actor in actors.items():
        access = services.contacts.field_access(actor)
        window = open_window(qtbot, services, actor)
        select(window, 0)
        shown = card_text(window)
        compact = shown.replace(" ", "")
        for field in sorted(with_canary):
            stored, token = CANARIES[field]
            level = access[field]
            visible = field in on_card and level in READABLE
            assert (token in compact) is visible, (role, field)
            if field in on_card and level is FieldAccess.MASKED:
                assert mask(stored) in shown, (role, field)
        window.close()


@pytest.fixture
def views_db(services: Services, owner: Actor) -> dict[str, int]:
    def add(last: str, **changes: Any) -> int:
        return services.contacts.create(
            owner, ContactInput(first_name="An", last_name=last, **changes), FAIR
        )

    ids = {
        "expired": add("Expired", relationship=Relationship.CUSTOMER),
        "expiring": add("Expiring", relationship=Relationship.SUPPLIER),
        "opted_in": add("Optedin", emails=("o@example.be",)),
        "plain": add("Plain"),
    }
    services.consent.record(
        owner,
        ConsentInput(
            ids["opted_in"],
            "direct_marketing_consent",
            Channel.EMAIL,
            ConsentStatus.OPT_IN,
            ConsentMethod.FORM_BOX_TICKED,
            evidence="web form ref. 4711",
        ),
    )
    today = services.clock.today()
    keep = {
        "expired": today - dt.timedelta(days=3),
        "expiring": today + dt.timedelta(days=12),
        "opted_in": today + dt.timedelta(days=900),
        "plain": today + dt.timedelta(days=900),
    }
    with services.uow(write=True) as uow:
        for name, until in keep.items():
            uow.session.execute(
                text("UPDATE contact SET keep_until = :u, keep_reason = 'x' WHERE id = :i"),
                {"u": until, "i": ids[name]},
            )
    return ids


def shown_ids(window: MainWindow) -> set[int]:
    rows = [window.model.contact_at(r) for r in range(window.model.rowCount())]
    return {row.id for row in rows if row is not None}


def test_each_view_of_the_chooser_shows_its_contacts(
    qtbot: QtBot, services: Services, owner: Actor, views_db: dict[str, int]
) -> None:
    window = open_window(qtbot, services, owner)
    chooser = window.view_chooser
    kinds = set()
    for index in range(chooser.count()):
        if not chooser.itemText(index):
            continue  # the separator
        chooser.setCurrentIndex(index)
        view = chooser.chosen()
        kinds.add(view.kind)
        assert window.model.view == view
        expected = {row.id for row in services.contacts.page(owner, view=view, limit=200)}
        assert shown_ids(window) == expected, view
    assert kinds == set(ContactFilter)  # every view is offered to the owner
    expectations = {
        ListFilter(ContactFilter.EXPIRED): {views_db["expired"]},
        ListFilter(ContactFilter.EXPIRING): {views_db["expiring"]},
        ListFilter(ContactFilter.OPTED_IN): {views_db["opted_in"]},
        ListFilter(ContactFilter.NO_CONSENT): set(views_db.values()) - {views_db["opted_in"]},
        ListFilter(ContactFilter.RELATIONSHIP, relationship=Relationship.SUPPLIER): {
            views_db["expiring"]
        },
        ListFilter(): set(views_db.values()),
    }
    for view, wanted in expectations.items():
        window.apply_view(view)
        assert window.view_chooser.chosen() == view
        assert shown_ids(window) == wanted, view


def test_clicking_a_count_in_the_status_bar_shows_those_contacts(
    qtbot: QtBot, services: Services, owner: Actor, views_db: dict[str, int]
) -> None:
    window = open_window(qtbot, services, owner)
    window.retention.update()
    links = re.findall(r'href="([^"]+)"', window.retention.status.text())
    assert links == ["expired", "expiring"]
    window.retention.status.linkActivated.emit(links[0])
    assert shown_ids(window) == {views_db["expired"]}
    assert window.view_chooser.chosen() == ListFilter(ContactFilter.EXPIRED)
    window.retention.status.linkActivated.emit(links[1])
    assert shown_ids(window) == {views_db["expiring"]}


def test_a_count_in_the_status_bar_shows_nothing_while_locked(
    qtbot: QtBot, services: Services, owner: Actor, views_db: dict[str, int]
) -> None:
    window = open_window(qtbot, services, owner)
    window.retention.update()
    links = re.findall(r'href="([^"]+)"', window.retention.status.text())
    assert links
    window.lock()
    assert not window.statusBar().isEnabled()  # no click reaches a link
    for link in links:
        window.retention.status.linkActivated.emit(link)
        assert window.model.rowCount() == 0
        assert window.model.contact_at(0) is None
        assert window.locked


def test_the_list_sorts_by_keep_until(
    qtbot: QtBot, services: Services, owner: Actor, views_db: dict[str, int]
) -> None:
    window = open_window(qtbot, services, owner)
    window.view.horizontalHeader().setSortIndicator(Column.KEEP_UNTIL, Qt.SortOrder.AscendingOrder)
    assert window.model.sort_column is Column.KEEP_UNTIL
    first = window.model.contact_at(0)
    assert first is not None
    assert first.id == views_db["expired"]


def test_select_all_is_a_selection_by_query_and_the_export_follows_it(
    qtbot: QtBot, services: Services, owner: Actor, tmp_path: Path
) -> None:
    services.demo.generate(owner, 300, seed=5)
    window = open_window(qtbot, services, owner)
    window.search.setText("Gent")
    window.apply_search()
    total = window.model.rowCount()
    assert 0 < total < 300
    window.view.setFocus()
    started = time.perf_counter()
    qtbot.keyClick(window.view, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    assert time.perf_counter() - started < 0.5
    assert window.all_matching
    assert not window.view.selectionModel().hasSelection()  # no model row selected
    assert window.selection_banner.isVisible()
    assert f"All {total} contacts" in window.selection_banner.label.text()
    assert window.export_action.isEnabled()
    dialog = window.export_selected()
    assert isinstance(dialog, ExportDialog)
    assert f"{total} contacts selected" in dialog.summary.text()
    dialog.purpose.setCurrentIndex(dialog.purpose.findData("invoicing"))
    dialog.recipient.setEditText("Printer NV")
    out = tmp_path / "gent.csv"
    dialog.file.setText(str(out))
    job = dialog.start_export()
    assert job is not None
    with qtbot.waitSignal(job.finished, timeout=20_000):
        pass
    rows = list(csv.DictReader(io.StringIO(out.read_bytes().decode("utf-8-sig"), newline="")))
    listed = [window.model.contact_at(r) for r in range(total)]
    assert [int(r["PrivacyCRM no."]) for r in rows] == [c.id for c in listed if c is not None]
    # A click on a row is an ordinary selection again.
    window.view.selectRow(0)
    assert not window.all_matching
    assert not window.selection_banner.isVisible()


def test_select_all_in_a_view_exports_the_view(
    qtbot: QtBot, services: Services, owner: Actor, tmp_path: Path
) -> None:
    services.demo.generate(owner, 200, seed=5)
    window = open_window(qtbot, services, owner)
    view = ListFilter(ContactFilter.RELATIONSHIP, relationship=Relationship.CUSTOMER)
    window.apply_view(view)
    total = window.model.rowCount()
    assert 0 < total < 200
    window.select_all_matching()
    # A reload of the same view (another desk's change) keeps the selection by query.
    window.model.refresh()
    assert window.all_matching
    dialog = window.export_selected()
    assert isinstance(dialog, ExportDialog)
    assert not dialog.selection.everything
    assert dialog.selection.view == view
    dialog.purpose.setCurrentIndex(dialog.purpose.findData("invoicing"))
    dialog.recipient.setEditText("Printer NV")
    out = tmp_path / "customers.csv"
    dialog.file.setText(str(out))
    job = dialog.start_export()
    assert job is not None
    with qtbot.waitSignal(job.finished, timeout=20_000):
        pass
    rows = list(csv.DictReader(io.StringIO(out.read_bytes().decode("utf-8-sig"), newline="")))
    customers = {r.id for r in services.contacts.page(owner, view=view, limit=200)}
    assert {int(r["PrivacyCRM no."]) for r in rows} == customers
    window.apply_view(ListFilter())  # another view: another query, nothing selected
    assert not window.all_matching


def test_keyboard_between_search_and_list(qtbot: QtBot, services: Services, owner: Actor) -> None:
    services.demo.generate(owner, 50, seed=3)
    window = open_window(qtbot, services, owner)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    for key in (Qt.Key.Key_Down, Qt.Key.Key_Return):
        window.search.setFocus()
        qtbot.keyClick(window.search, key)
        assert QApplication.focusWidget() is window.view, key
        assert window.view.currentIndex().row() == 0
        qtbot.keyClick(window.view, Qt.Key.Key_Escape)
        assert QApplication.focusWidget() is window.search
    window.view.setFocus()
    qtbot.keyClick(window.view, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert QApplication.focusWidget() is window.search
    # The current row's contact is on the card.
    window.go_to_list()
    qtbot.waitUntil(lambda: window.card.contact_id is not None, timeout=2000)
    first = window.model.contact_at(0)
    assert first is not None
    assert window.card.contact_id == first.id


def _click_row(qtbot: QtBot, window: MainWindow, row: int, shift: bool = False) -> None:
    view = window.view
    index = window.model.index(row, Column.NAME)
    view.scrollTo(index)
    modifier = Qt.KeyboardModifier.ShiftModifier if shift else Qt.KeyboardModifier.NoModifier
    qtbot.mouseClick(
        view.viewport(), Qt.MouseButton.LeftButton, modifier, view.visualRect(index).center()
    )


def test_ctrl_shift_end_and_home_extend_the_selection_to_the_ends_of_the_list(
    qtbot: QtBot, services: Services, owner: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl+Shift+End selected one row (Qt's extended selection only moves the current
    row when Ctrl is held). Now it selects from the row to the last one, Ctrl+Shift+Home
    to the first, as one range of rows: reading no row beyond those shown."""
    services.demo.generate(owner, 1000, seed=5)
    window = open_window(qtbot, services, owner)
    qtbot.waitExposed(window)
    total = window.model.rowCount()
    assert total == 1000
    view = window.view
    view.setFocus()
    _click_row(qtbot, window, 3)
    pages: list[int] = []
    page = services.contacts.page

    def counted(*args: Any, **kwargs: Any) -> Any:
        pages.append(kwargs.get("offset", 0))
        return page(*args, **kwargs)

    monkeypatch.setattr(services.contacts, "page", counted)
    ctrl_shift = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    with qtbot.waitSignal(window.selection_changed):
        qtbot.keyClick(view, Qt.Key.Key_End, ctrl_shift)
    selection = selected_contacts(window)
    assert selection is not None
    assert selection.ranges == ((3, total - 1),)
    assert view.currentIndex().row() == total - 1
    assert window.export_action.isEnabled()
    qtbot.waitUntil(lambda: "997 contacts selected" in card_text(window), timeout=2000)
    assert len(pages) <= 2  # the rows now in view, not the thousand selected
    qtbot.keyClick(view, Qt.Key.Key_Home, ctrl_shift)
    selection = selected_contacts(window)
    assert selection is not None
    assert selection.ranges == ((0, 3),)  # from the same row, now up to the first
    assert view.currentIndex().row() == 0
    # Ctrl+End alone moves without selecting more.
    _click_row(qtbot, window, 10)
    qtbot.keyClick(view, Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier)
    selection = selected_contacts(window)
    assert selection is not None
    assert selection.ranges == ((10, 10),)
    # Shift+click across far rows: one range too.
    _click_row(qtbot, window, 2)
    _click_row(qtbot, window, total - 2, shift=True)
    selection = selected_contacts(window)
    assert selection is not None
    assert selection.ranges == ((2, total - 2),)
    # A plain click: one row again (and Qt forgets the modifiers the test's events held).
    _click_row(qtbot, window, 5)
    selection = selected_contacts(window)
    assert selection is not None
    assert selection.ranges == ((5, 5),)


def test_empty_states_say_what_to_do(qtbot: QtBot, services: Services, owner: Actor) -> None:
    window = open_window(qtbot, services, owner)
    assert window.list_pages.currentWidget() is window.empty_state
    assert "No contacts yet" in window.empty_state.message.text()
    labels = [b.text() for b in window.empty_state.action_buttons]
    assert labels == ["&New contact...", "&Import contacts..."]
    services.demo.generate(owner, 20, seed=3)
    window.model.refresh()
    assert window.list_pages.currentWidget() is window.view
    window.search.setText("Zzqxnobody")
    window.apply_search()
    assert window.list_pages.currentWidget() is window.empty_state
    assert "No contact matches “Zzqxnobody”" in window.empty_state.message.text()
    clear = window.empty_state.action_buttons[0]
    clear.click()
    assert window.search.text() == ""
    assert window.model.rowCount() == 20
    assert window.list_pages.currentWidget() is window.view


def test_each_card_button_runs_the_windows_action(
    qtbot: QtBot, services: Services, owner: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    services.contacts.create(owner, ContactInput(first_name="An", last_name="Peeters"), FAIR)
    calls: list[str] = []
    # The access report of the selected contact is the window's own action.
    monkeypatch.setattr(
        MainWindow,
        "export_access_report_for_selected",
        lambda _self: calls.append("access_report"),
        raising=False,
    )
    window = open_window(qtbot, services, owner)
    monkeypatch.setattr(window, "edit_contact", lambda cid: calls.append("edit"))
    monkeypatch.setattr(window, "open_consent", lambda cid, lang: calls.append("consent"))
    monkeypatch.setattr(window, "unsubscribe_contact", lambda cid: calls.append("unsubscribe"))
    monkeypatch.setattr(window, "export_selected", lambda: calls.append("export"))
    monkeypatch.setattr(window.retention, "erase", lambda: calls.append("erase"))
    monkeypatch.setattr(window.task_actions, "new_task", lambda cid: calls.append("task"))
    select(window, 0)
    names = [name for name, _label, _permission in ACTIONS]
    assert list(window.card.buttons) == names  # the owner may do each
    for name in names:
        window.card.buttons[name].click()
    assert calls == names


def test_unsubscribe_from_the_card_opts_out_everywhere(
    qtbot: QtBot, services: Services, owner: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtWidgets import QMessageBox

    cid = services.contacts.create(
        owner, ContactInput(first_name="An", last_name="Peeters", emails=("an@example.be",)), FAIR
    )
    window = open_window(qtbot, services, owner)
    monkeypatch.setattr(messages, "question", lambda *_a: QMessageBox.StandardButton.Yes)
    assert window.unsubscribe_contact(cid)
    verdicts = services.consent.channels(owner, cid)
    assert not any(v.allowed for v in verdicts)


def test_widths_and_splitter_are_remembered_and_extra_width_goes_to_name_and_email(
    qtbot: QtBot, services: Services, owner: Actor, tmp_path: Path
) -> None:
    services.demo.generate(owner, 20, seed=3)
    settings = UiSettings(QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat))
    window = open_window(qtbot, services, owner, settings=settings)
    header = window.view.horizontalHeader()
    for column in Column:
        stretched = header.sectionResizeMode(column) is QHeaderView.ResizeMode.Stretch
        assert stretched is (column in STRETCHED), column
    window.resize(1000, 600)
    QApplication.processEvents()
    assert window.splitter.orientation() is Qt.Orientation.Vertical  # card below
    keep = header.sectionSize(Column.KEEP_UNTIL)
    name = header.sectionSize(Column.NAME)
    window.resize(CARD_BESIDE_MIN_WIDTH + 700, 800)
    QApplication.processEvents()
    assert window.splitter.orientation() is Qt.Orientation.Horizontal  # card beside
    assert header.sectionSize(Column.KEEP_UNTIL) == keep
    assert header.sectionSize(Column.NAME) > name
    window.view.setColumnWidth(Column.CITY, 211)
    window.splitter.setSizes([900, 400])
    sizes = window.splitter.sizes()
    window.close()
    again = open_window(qtbot, services, owner, settings=settings)
    again.resize(CARD_BESIDE_MIN_WIDTH + 700, 800)
    QApplication.processEvents()
    assert again.view.columnWidth(Column.CITY) == 211
    assert again.splitter.sizes() == sizes


@pytest.mark.parametrize("language", ["nl", "fr"])
@pytest.mark.parametrize("size", [(1024, 600), (1366, 768)], ids=["1024x600", "1366x768"])
def test_screenshots(
    qtbot: QtBot,
    services: Services,
    owner: Actor,
    language: str,
    size: tuple[int, int],
) -> None:
    services.demo.generate(owner, 120, seed=5)
    apply_language(language)
    window = open_window(qtbot, services, owner)
    window.resize(*size)
    QApplication.processEvents()
    select(window, 2)
    assert window.card.contact_id is not None
    assert window.view.selectionModel().isRowSelected(2)
    save(window, f"main-card-{language}-{size[0]}x{size[1]}", settle=True)
    window.select_all_matching()
    save(window, f"main-all-selected-{language}-{size[0]}x{size[1]}", settle=True)
    window.clear_all_matching()
    window.search.setText("Zzqxnobody")
    window.apply_search()
    save(window, f"main-nomatch-{language}-{size[0]}x{size[1]}", settle=True)


@pytest.mark.parametrize("language", ["en", "nl", "fr"])
def test_alt_letters_are_unique_in_the_window(
    qtbot: QtBot, services: Services, owner: Actor, language: str
) -> None:
    from privacycrm_desktop.ui.common.mnemonics import mnemonic_of

    apply_language(language)
    window = open_window(qtbot, services, owner)  # empty: the empty state's buttons show

    def letters() -> dict[str, list[str]]:
        texts = [action.text() for action in window.menuBar().actions()]
        # What shows (the lock screen's page waits hidden, with letters of its own).
        texts += [
            label.text()
            for label in window.findChildren(QLabel)
            if label.buddy() and label.isVisibleTo(window)
        ]
        texts += [
            button.text()
            for button in window.findChildren(QPushButton)
            if button.isVisibleTo(window)
        ]
        found: dict[str, list[str]] = {}
        for caption in texts:
            letter = mnemonic_of(caption)
            if letter:
                found.setdefault(letter, []).append(caption)
        return found

    shown = letters()
    assert not {k: v for k, v in shown.items() if len(v) > 1}
    assert len(window.empty_state.action_buttons) == 2
    services.contacts.create(owner, ContactInput(first_name="An", last_name="Peeters"), FAIR)
    window.search.setText("Zzqxnobody")
    window.apply_search()
    shown = letters()
    assert not {k: v for k, v in shown.items() if len(v) > 1}


def test_a_current_customer_is_kept_as_long_as_the_relationship_lasts(
    qtbot: QtBot, services: Services, owner: Actor
) -> None:
    source = SourceInput(SourceKind.SALE, "Shop", dt.date(2024, 1, 5))
    services.contacts.create(
        owner,
        ContactInput(first_name="Katrien", last_name="Aerts", relationship=Relationship.CUSTOMER),
        source,
    )
    window = open_window(qtbot, services, owner)
    select(window, 0)
    qtbot.waitUntil(lambda: window.card.contact_id is not None, timeout=2000)
    body = window.card.body.text()
    assert "Not computed yet" not in body
    assert "As long as a purpose lasts" in body
