"""Interactions on the company card (issue 22): the contact card's timeline shown for the
company, "Log a call" in two keystrokes, the log dialog naming the people who took part
(the interaction then on their timelines, marked), and the screenshots in nl and fr."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from privacycrm_desktop.domain.activities import ActivityInput, ActivityKind
from privacycrm_desktop.domain.companies import CompanyInput
from privacycrm_desktop.domain.contacts import ContactInput
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.services.clock import FixedClock
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.ui.common.qt_i18n import apply_language
from privacycrm_desktop.ui.companies.companies_window import CompaniesDialog
from privacycrm_desktop.ui.contacts.activity_dialog import LogActivityDialog

from ..screens import save

CARD = SourceInput(SourceKind.BUSINESS_CARD, "Batibouw 2026", dt.date(2025, 2, 20))


def _world(services: Services, owner: Actor) -> tuple[int, int, int]:
    company = services.companies.add(owner, CompanyInput(name="Brouwerij Zoë NV"), CARD)
    zoe = services.contacts.create(owner, ContactInput(first_name="Zoë", last_name="Lefèvre"), CARD)
    jan = services.contacts.create(owner, ContactInput(first_name="Jan", last_name="Peeters"), CARD)
    return company, zoe, jan


def _window(qtbot: QtBot, services: Services, owner: Actor) -> CompaniesDialog:
    window = CompaniesDialog(services, owner)
    qtbot.addWidget(window)
    window.resize(1024, 600)
    window.show()
    window.view.selectRow(0)
    return window


@pytest.mark.qt_log_ignore("This plugin does not support (raise|grabbing)")
def test_the_company_card_shows_its_timeline_and_logs_a_call_with_people_by_keyboard(
    qtbot: QtBot, services: Services, owner: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    company, zoe, jan = _world(services, owner)
    services.activities.add(owner, zoe, ActivityInput(ActivityKind.NOTE, "Zoë's own note"))
    window = _window(qtbot, services, owner)
    timeline = window.card.timeline
    assert timeline is not None
    assert timeline.company_id == company
    assert timeline.model.rowCount() == 0  # the company's, not a person's
    opened: list[LogActivityDialog] = []

    def run(dialog: LogActivityDialog) -> int:
        opened.append(dialog)
        assert dialog.kind.currentData() == "call"
        dialog.summary.setText("Called about the order")
        dialog.people_query.setText("Lefèvre")
        dialog.find_people()
        assert dialog.chosen_people() == (zoe,)  # one found: ticked
        dialog.people_query.setText("Peeters")
        dialog.find_people()
        found = dialog.people.item(dialog.people.count() - 1)
        found.setCheckState(Qt.CheckState.Checked)
        dialog.submit()
        return int(dialog.result())

    monkeypatch.setattr(LogActivityDialog, "exec", run)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    window.view.setFocus()
    keys = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    qtbot.keyClick(window.view, Qt.Key.Key_L, keys)
    menu = timeline.log_menu
    qtbot.waitUntil(menu.isVisible, timeout=2000)
    qtbot.keyClick(menu, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: bool(opened), timeout=2000)
    rows = services.activities.timeline(owner, company_id=company)
    assert [(r.summary, set(r.people)) for r in rows] == [("Called about the order", {zoe, jan})]
    assert timeline.model.rowCount() == 1
    assert "(1)" in timeline.heading.text()
    line = timeline.model.data(timeline.model.index(0))
    assert "2" in line.split("\n")[0]  # "with 2 more"
    for person in (zoe, jan):
        theirs = services.activities.timeline(owner, person)
        assert any(r.linked and r.summary == "Called about the order" for r in theirs)


@pytest.mark.qt_log_ignore("This plugin does not support (raise|grabbing)")
@pytest.mark.parametrize("language", ["nl", "fr"])
def test_screenshots_of_the_company_timeline_and_the_log_dialog_with_people(
    qtbot: QtBot, services: Services, owner: Actor, clock: FixedClock, language: str
) -> None:
    company, zoe, jan = _world(services, owner)
    for i, kind in enumerate(ActivityKind):
        services.activities.add_to_company(
            owner,
            company,
            ActivityInput(
                kind,
                f"Bestelling {i} / commande {i}",
                clock.now() - dt.timedelta(days=3 * i),
                people=(zoe,) if i % 2 else (),
            ),
        )
    apply_language(language)
    window = _window(qtbot, services, owner)
    timeline = window.card.timeline
    assert timeline is not None
    timeline.view.setCurrentIndex(timeline.model.index(0))
    save(window, f"{language}-company-timeline", settle=True)
    dialog = timeline.dialog(ActivityKind.MEETING)
    assert dialog is not None
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.summary.setText("Proeverij / dégustation")
    for query in ("Peeters", "Lefèvre"):
        dialog.people_query.setText(query)
        dialog.find_people()
    assert set(dialog.chosen_people()) == {zoe, jan}
    assert dialog.width() <= 1024
    assert dialog.height() <= 600
    save(dialog, f"{language}-log-activity-with-people", settle=True)
    apply_language("en")
