"""The main window's start-up checks wait for the list's first paint, then all run (issue 23:
start-up near the floor; nothing before the first paint that it does not need)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from privacycrm_desktop.domain.erasure import ErasureReason
from privacycrm_desktop.domain.requests import RequestKind
from privacycrm_desktop.persistence import page_scrub
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.services.requests import RequestInput
from privacycrm_desktop.ui.common.mnemonics import mnemonic_of
from privacycrm_desktop.ui.main_window import MainWindow
from privacycrm_desktop.ui.startup.first_paint import AFTER_PAINT_AT_THE_LATEST_MS


def _requests_notice(window: MainWindow) -> str:
    notice = window.statusBar().findChild(type(window.count_label), "requests_notice")
    assert notice is not None
    return str(notice.text())


def test_the_expiry_counts_and_pressing_requests_show_right_after_the_first_paint(
    qtbot: QtBot, services: Services, owner: Actor
) -> None:
    services.demo.generate(owner, 40, seed=7)  # expired and expiring contacts among them
    first = services.contacts.page(owner, limit=1)[0].id
    services.requests.add(owner, RequestInput(RequestKind.ACCESS, (first,), dt.date(2025, 2, 1)))
    painted: list[bool] = []
    window = MainWindow(services, owner)
    qtbot.addWidget(window)
    window.on_first_paint(lambda: painted.append(window.retention.status.text() == ""))
    # Built, not yet painted: neither count nor notice has been read yet.
    assert window.retention.status.text() == ""
    assert _requests_notice(window) == ""
    window.show()
    qtbot.waitUntil(lambda: bool(painted), timeout=5_000)
    assert painted == [True]  # the list painted before the counts were read
    qtbot.waitUntil(lambda: "expired" in window.retention.status.text(), timeout=5_000)
    qtbot.waitUntil(lambda: "1 request overdue" in _requests_notice(window), timeout=5_000)


def test_a_window_that_does_not_paint_still_runs_its_start_up_checks(
    qtbot: QtBot, services: Services, owner: Actor
) -> None:
    services.demo.generate(owner, 40, seed=7)
    window = MainWindow(services, owner)  # never shown
    qtbot.addWidget(window)
    assert window.retention.status.text() == ""
    qtbot.waitUntil(
        lambda: "expired" in window.retention.status.text(),
        timeout=AFTER_PAINT_AT_THE_LATEST_MS + 4_000,
    )


def test_a_scrub_left_pending_is_finished_after_the_first_paint(
    qtbot: QtBot,
    services: Services,
    owner: Actor,
    database_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An erasure of an earlier session whose scrub could not run (another program held
    the file): the next start finishes it, once the list has painted."""
    services.demo.generate(owner, 5, seed=3)
    scrubbed: list[Path] = []
    monkeypatch.setattr(
        page_scrub, "scrub_page_gaps", lambda file, _tables, _busy_ms: scrubbed.append(file)
    )
    victim = services.contacts.page(owner, limit=1)[0].id
    assert not services.erasure.erase(owner, victim, ErasureReason.ERASURE_REQUEST).scrubbed
    assert scrubbed
    assert services.erasure.scrub_pending()
    monkeypatch.undo()  # the other program has let go
    window = MainWindow(services, owner)
    qtbot.addWidget(window)
    assert window.retention.scrub_note.isHidden()  # not looked at before the paint
    assert services.erasure.scrub_pending()
    window.show()
    qtbot.waitUntil(lambda: not services.erasure.scrub_pending(), timeout=30_000)
    qtbot.waitUntil(window.retention.scrub_note.isHidden, timeout=10_000)
    for job in window.retention.jobs:
        qtbot.waitUntil(lambda: not job.running, timeout=10_000)  # noqa: B023 (waited here)


def test_the_cards_interactions_are_made_right_after_the_first_paint(
    qtbot: QtBot, services: Services, owner: Actor
) -> None:
    services.demo.generate(owner, 5, seed=3)
    window = MainWindow(services, owner)
    qtbot.addWidget(window)
    assert window.card.timeline_made is None  # not needed by the first paint
    window.show()
    window.activateWindow()
    qtbot.waitUntil(lambda: window.card.timeline_made is not None, timeout=5_000)
    timeline = window.card.timeline_made
    assert timeline is not None
    assert timeline.isVisible()
    # Its "Log..." button opens no window of its own and gets an Alt+letter of its own.
    assert window.isActiveWindow()
    letter = mnemonic_of(timeline.log_button.text())
    assert letter is not None
    assert window._taken_letters().count(letter) == 1
    window.view.selectRow(0)
    qtbot.waitUntil(lambda: timeline.contact_id is not None, timeout=5_000)
    assert timeline.contact_id == window.card.contact_id
