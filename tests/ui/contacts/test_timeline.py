"""The interactions on the contact card (issue 22): newest first a page at a time, the kind
filter, "Log a call" in two keystrokes, the log dialog, an e-mail file dropped on the card,
what an office desk sees when the owner hides the details, and the screenshots."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QMimeData, QModelIndex, QPointF, Qt, QUrl
from PySide6.QtGui import QDesktopServices, QDropEvent
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from privacycrm_desktop.domain.access import FieldAccess, Role
from privacycrm_desktop.domain.activities import ActivityInput, ActivityKind
from privacycrm_desktop.domain.contacts import ContactInput
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.services.activities import PAGE
from privacycrm_desktop.services.clock import FixedClock
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.ui.common import messages
from privacycrm_desktop.ui.common.qt_i18n import apply_language
from privacycrm_desktop.ui.contacts.activity_dialog import LogActivityDialog
from privacycrm_desktop.ui.contacts.contact_card import ContactCardWidget
from privacycrm_desktop.ui.main_window import MainWindow

from ..screens import save

CARD = SourceInput(SourceKind.BUSINESS_CARD, "Batibouw stand 12", dt.date(2025, 2, 20))
EML = (
    b"From: Zo\xc3\xab Lef\xc3\xa8vre <zoe@example.be>\r\n"
    b"Subject: =?utf-8?q?Rendez-vous_confirm=C3=A9?=\r\n"
    b"Date: Mon, 10 Mar 2025 08:15:00 +0000\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n\r\n"
    b"Je passerai mardi.\r\n"
)


def _person(services: Services, owner: Actor) -> int:
    data = ContactInput(first_name="Zoë", last_name="Lefèvre", emails=("zoe@example.be",))
    return services.contacts.create(owner, data, CARD)


def _card(qtbot: QtBot, services: Services, actor: Actor) -> ContactCardWidget:
    card = ContactCardWidget(services.contacts, actor, activities=services.activities)
    qtbot.addWidget(card)
    card.resize(420, 560)
    card.show()
    return card


def _fill(services: Services, owner: Actor, cid: int, count: int, clock: FixedClock) -> None:
    start = clock.now() - dt.timedelta(days=count)
    kinds = list(ActivityKind)
    for i in range(count):
        at = start + dt.timedelta(days=i)
        services.activities.add(
            owner, cid, ActivityInput(kinds[i % len(kinds)], f"Item {i}", at, details=f"d{i}")
        )


def _summaries(card: ContactCardWidget) -> list[str]:
    assert card.timeline is not None
    model = card.timeline.model
    rows = [model.row_at(r) for r in range(model.rowCount())]
    return [row.summary for row in rows if row is not None]


def test_newest_first_a_page_at_a_time_and_by_kind(
    qtbot: QtBot, qtmodeltester: Any, services: Services, owner: Actor, clock: FixedClock
) -> None:
    cid = _person(services, owner)
    _fill(services, owner, cid, PAGE + 10, clock)
    card = _card(qtbot, services, owner)
    card.show_contact(cid)
    timeline = card.timeline
    assert timeline is not None
    assert _summaries(card)[:2] == [f"Item {PAGE + 9}", f"Item {PAGE + 8}"]
    assert timeline.model.rowCount() == PAGE  # one page, the rest when scrolled to
    assert "60" in timeline.heading.text()
    timeline.view.scrollToBottom()
    qtbot.waitUntil(lambda: timeline.model.rowCount() == PAGE + 10, timeout=3000)
    assert _summaries(card)[-1] == "Item 0"
    qtmodeltester.check(timeline.model)
    timeline.kind_filter.setCurrentIndex(timeline.kind_filter.findData("meeting"))
    shown = _summaries(card)
    assert shown
    assert all(int(s.split()[1]) % 6 == 1 for s in shown)  # meetings only
    # The line says when, what and who, in words; the chosen one's details show below.
    first = timeline.model.index(0)
    assert "Meeting" in first.data()
    assert "owner" in first.data()
    assert timeline.detail.isHidden()
    timeline.view.setCurrentIndex(first)
    chosen = timeline.model.row_at(0)
    assert chosen is not None
    assert f"d{chosen.summary.split()[1]}" in timeline.detail.text()
    assert not timeline.detail.isHidden()


# The offscreen platform cannot raise a menu or grab the keyboard for it; it still works.
@pytest.mark.qt_log_ignore("This plugin does not support (raise|grabbing)")
def test_log_a_call_in_two_keystrokes(
    qtbot: QtBot, services: Services, owner: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    cid = _person(services, owner)
    card = _card(qtbot, services, owner)
    card.show_contact(cid)
    qtbot.waitExposed(card)
    opened: list[LogActivityDialog] = []

    def run(dialog: LogActivityDialog) -> int:
        opened.append(dialog)
        assert dialog.kind.currentData() == "call"
        assert dialog.focusWidget() is dialog.summary  # type the summary at once
        dialog.summary.setText("Asked for a quote")
        dialog.submit()
        return int(dialog.result())

    monkeypatch.setattr(LogActivityDialog, "exec", run)
    card.activateWindow()
    qtbot.waitUntil(card.isActiveWindow)
    assert card.timeline is not None
    card.timeline.view.setFocus()
    keys = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    qtbot.keyClick(card.timeline.view, Qt.Key.Key_L, keys)
    menu = card.timeline.log_menu
    qtbot.waitUntil(menu.isVisible, timeout=2000)
    assert menu.activeAction() is card.timeline.log_actions[ActivityKind.CALL]
    qtbot.keyClick(menu, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: bool(opened), timeout=2000)
    rows = services.activities.timeline(owner, cid)
    assert [(r.kind, r.summary) for r in rows] == [(ActivityKind.CALL, "Asked for a quote")]
    assert _summaries(card) == ["Asked for a quote"]
    assert "(1)" in card.timeline.heading.text()


def test_the_dialog_shows_refusals_and_asks_before_special_category_text(
    qtbot: QtBot, services: Services, owner: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    cid = _person(services, owner)
    card = _card(qtbot, services, owner)
    card.show_contact(cid)
    assert card.timeline is not None
    dialog = card.timeline.dialog(ActivityKind.VISIT)
    assert dialog is not None
    qtbot.addWidget(dialog)
    dialog.submit()  # no summary
    assert dialog.errors["summary"].isVisibleTo(dialog)
    assert services.activities.count(owner, cid) == 0
    asked: list[str] = []

    def answer(_parent: object, _title: str, text: str) -> QMessageBox.StandardButton:
        asked.append(text)
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr(messages, "question", answer)
    dialog.summary.setText("Talked about her diabetes")
    dialog.submit()
    assert asked
    assert "diabetes" in asked[0]
    assert services.activities.count(owner, cid) == 1


def test_an_eml_dropped_on_the_card_is_logged(
    qtbot: QtBot, services: Services, owner: Actor, tmp_path: Path
) -> None:
    cid = _person(services, owner)
    card = _card(qtbot, services, owner)
    card.show_contact(cid)
    mail = tmp_path / "rendez-vous.eml"
    mail.write_bytes(EML)
    data = QMimeData()
    data.setUrls([QUrl.fromLocalFile(str(mail))])
    drop = QDropEvent(
        QPointF(10, 10),
        Qt.DropAction.CopyAction,
        data,
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
    )
    assert card.acceptDrops()
    card.dropEvent(drop)
    rows = services.activities.timeline(owner, cid)
    assert len(rows) == 1
    row = rows[0]
    assert (row.kind, row.summary) == (ActivityKind.EMAIL, "Rendez-vous confirmé")
    assert row.occurred_at == dt.datetime(2025, 3, 10, 8, 15)
    assert row.details is not None
    assert "zoe@example.be" in row.details
    assert row.attachment_name == "rendez-vous.eml"
    assert services.activities.attachment(owner, row.id).data == EML
    assert _summaries(card) == ["Rendez-vous confirmé"]


def test_an_office_desk_logs_without_the_details_of_others(
    qtbot: QtBot, services: Services, owner: Actor
) -> None:
    cid = _person(services, owner)
    services.activities.add(
        owner, cid, ActivityInput(ActivityKind.MEETING, "Met", details="Qsecret")
    )
    services.auth.add_user(owner, "desk", "desk has a good password", Role.OFFICE)
    services.auth.add_user(owner, "reader", "reader has a good password", Role.READ_ONLY)
    services.access.set_field_access(owner, Role.OFFICE, "activity_details", FieldAccess.HIDDEN)
    desk = services.auth.login("desk", "desk has a good password")
    card = _card(qtbot, services, desk)
    card.show_contact(cid)
    assert card.timeline is not None
    assert card.timeline.may_log
    for row in range(card.timeline.model.rowCount()):
        card.timeline.view.setCurrentIndex(card.timeline.model.index(row))
        assert "Met" in card.timeline.detail.text() or "Called" in card.timeline.detail.text()
        assert "Qsecret" not in card.timeline.detail.text()
    dialog = card.timeline.dialog(ActivityKind.CALL)
    assert dialog is not None
    qtbot.addWidget(dialog)
    dialog.show()
    assert not dialog.details.isVisible()
    assert not dialog.attach_button.isVisible()
    reader = services.auth.login("reader", "reader has a good password")
    read_card = _card(qtbot, services, reader)
    read_card.show_contact(cid)
    assert read_card.timeline is not None
    assert not read_card.timeline.may_log
    assert read_card.timeline.log_button.isHidden()
    assert not read_card.acceptDrops()
    assert _summaries(read_card) == ["Met"]


def test_the_card_links_mail_addresses_to_the_mail_program(
    qtbot: QtBot, services: Services, owner: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    cid = _person(services, owner)
    card = _card(qtbot, services, owner)
    card.show_contact(cid)
    assert 'href="mailto:zoe@example.be"' in card.body.text()
    # The card hands mailto: to the desktop's mail program (a company's link it keeps).
    opened: list[str] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url.toString()))
    card.body.linkActivated.emit("mailto:zoe@example.be")
    assert opened == ["mailto:zoe@example.be"]


@pytest.mark.qt_log_ignore("This plugin does not support (raise|grabbing)")
@pytest.mark.parametrize("language", ["nl", "fr"])
def test_screenshots_of_the_timeline_and_the_log_dialog(
    qtbot: QtBot, services: Services, owner: Actor, clock: FixedClock, language: str
) -> None:
    cid = _person(services, owner)
    _fill(services, owner, cid, 14, clock)
    services.activities.add(
        owner,
        cid,
        ActivityInput(
            ActivityKind.EMAIL,
            "Offerte verstuurd / devis envoyé",
            clock.now() - dt.timedelta(hours=2),
            attachment=b"%PDF",
            attachment_name="offerte.pdf",
        ),
    )
    apply_language(language)
    window = MainWindow(services, owner)
    qtbot.addWidget(window)
    window.resize(1024, 600)
    window.show()
    qtbot.waitExposed(window)
    row = next(
        r
        for r in range(window.model.rowCount())
        if getattr(window.model.contact_at(r), "id", None) == cid
    )
    window.view.selectRow(row)
    window.show_card_of_current()
    timeline = window.card.timeline
    assert timeline is not None
    assert timeline.contact_id == cid
    timeline.view.setCurrentIndex(timeline.model.index(0))  # its details below the list
    save(window, f"{language}-timeline", settle=True)
    dialog = timeline.dialog(ActivityKind.CALL)
    assert dialog is not None
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.summary.setText("Belde terug / a rappelé")
    save(dialog, f"{language}-log-activity-dialog", settle=True)
    timeline.open_log_menu()
    save(timeline.log_menu, f"{language}-log-menu", settle=True)
    timeline.log_menu.hide()


def test_a_person_erased_meanwhile_leaves_the_timeline_empty_and_sound(
    qtbot: QtBot, qtmodeltester: Any, services: Services, owner: Actor, clock: FixedClock
) -> None:
    from privacycrm_desktop.domain.erasure import ErasureReason

    cid = _person(services, owner)
    _fill(services, owner, cid, PAGE + 5, clock)
    card = _card(qtbot, services, owner)
    card.show_contact(cid)
    assert card.timeline is not None
    services.erasure.erase(owner, cid, ErasureReason.ERASURE_REQUEST)
    card.timeline.model.fetchMore(QModelIndex())  # the next page: nothing, no error
    assert card.timeline.model.rowCount() == PAGE
    card.timeline.reload()
    assert card.timeline.model.rowCount() == 0
    qtmodeltester.check(card.timeline.model)
