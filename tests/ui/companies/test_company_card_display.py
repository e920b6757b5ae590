"""What the company card and the timelines show (an outside tester at 100,000 contacts):
the people who took part named in the chosen interaction's pane and the row's tooltip,
whose interaction a person took part in, an organisation-only contact named in the
card's people, a date without a time of day shown alone, and numbers grouped per
language; screenshots at 1024 x 600 in nl and fr (PRIVACYCRM_SCREENSHOT_DIR)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QScrollArea
from pytestqt.qtbot import QtBot

from privacycrm_desktop.domain.activities import ActivityInput, ActivityKind
from privacycrm_desktop.domain.companies import CompanyInput, LinkInput
from privacycrm_desktop.domain.contacts import ContactInput, ContactKind, display_name
from privacycrm_desktop.domain.custom_fields import CustomFieldDefinition, CustomKind, CustomTarget
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.i18n import format_number, local_moment
from privacycrm_desktop.services.clock import FixedClock
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.ui.common.date_fields import format_date
from privacycrm_desktop.ui.common.qt_i18n import apply_language
from privacycrm_desktop.ui.companies.companies_window import CompaniesDialog
from privacycrm_desktop.ui.companies.company_card import PersonColumn
from privacycrm_desktop.ui.contacts.timeline import TimelineWidget

from ..screens import save

CARD = SourceInput(SourceKind.BUSINESS_CARD, "Batibouw 2026", dt.date(2025, 2, 20))
TURNOVER = "12500000"
PEOPLE = (
    ContactInput(first_name="Zoë", last_name="Lefèvre"),
    ContactInput(first_name="Jan", last_name="Peeters"),
    ContactInput(organisation="Aankoopdienst Anker", kind=ContactKind.ORGANISATION_ADDRESS),
)


def _world(services: Services, owner: Actor, clock: FixedClock) -> tuple[int, list[int]]:
    services.custom_fields.define(
        owner,
        CustomFieldDefinition("turnover", "Turnover", CustomKind.NUMBER, on=CustomTarget.COMPANY),
    )
    company = services.companies.add(
        owner, CompanyInput(name="Brouwerij Het Anker"), CARD, {"turnover": TURNOVER}
    )
    people = [services.contacts.create(owner, data, CARD) for data in PEOPLE]
    for cid in people:
        services.companies.link(owner, cid, company, LinkInput(function="Aankoop"), CARD)
    services.activities.add_to_company(
        owner,
        company,
        ActivityInput(
            ActivityKind.VISIT,
            "Plantbezoek",
            clock.now() - dt.timedelta(hours=3),
            people=tuple(people),
        ),
    )
    return company, people


def _window(qtbot: QtBot, services: Services, owner: Actor) -> CompaniesDialog:
    window = CompaniesDialog(services, owner)
    qtbot.addWidget(window)
    window.resize(1024, 600)
    window.show()
    window.view.selectRow(0)
    return window


def _names() -> list[str]:
    """The names the main list shows for PEOPLE."""
    return [display_name(p.first_name, p.last_name, p.organisation) for p in PEOPLE]


def test_the_chosen_interaction_names_the_people_who_took_part(
    qtbot: QtBot, services: Services, owner: Actor, clock: FixedClock
) -> None:
    company, _people = _world(services, owner, clock)
    window = _window(qtbot, services, owner)
    timeline = window.card.timeline
    assert timeline is not None
    assert timeline.company_id == company
    index = timeline.model.index(0)
    timeline.view.setCurrentIndex(index)
    tooltip = timeline.model.data(index, Qt.ItemDataRole.ToolTipRole)
    for name in _names():
        assert name in timeline.detail.text()
        assert name in tooltip


@pytest.mark.parametrize("language", ["nl", "fr"])
def test_a_linked_interaction_names_its_owner(
    qtbot: QtBot, services: Services, owner: Actor, clock: FixedClock, language: str
) -> None:
    apply_language(language)
    try:
        _linked_interaction_names_its_owner(qtbot, services, owner, clock, language)
    finally:
        apply_language("en")


def _linked_interaction_names_its_owner(
    qtbot: QtBot, services: Services, owner: Actor, clock: FixedClock, language: str
) -> None:
    _company, people = _world(services, owner, clock)
    zoe, jan = people[0], people[1]
    services.activities.add(
        owner, zoe, ActivityInput(ActivityKind.CALL, "Zoë belt", clock.now(), people=(jan,))
    )
    timeline = TimelineWidget(services.activities, owner)
    qtbot.addWidget(timeline)
    timeline.show_contact(jan)
    lines = {
        timeline.model.row_at(i).summary: timeline.model.data(timeline.model.index(i))
        for i in range(timeline.model.rowCount())
    }
    assert "Brouwerij Het Anker" in lines["Plantbezoek"].split("\n")[0]
    zoe_name = _names()[0]
    assert zoe_name in lines["Zoë belt"].split("\n")[0]
    row = next(i for i in range(2) if timeline.model.row_at(i).summary == "Zoë belt")
    timeline.view.setCurrentIndex(timeline.model.index(row))
    assert zoe_name in timeline.detail.text()
    timeline.resize(1024, 600)
    timeline.show()
    save(timeline, f"{language}-contact-timeline-took-part", settle=True)


def test_a_date_without_time_of_day_shows_alone(
    qtbot: QtBot, services: Services, owner: Actor, clock: FixedClock
) -> None:
    cid = services.contacts.create(owner, PEOPLE[0], CARD)
    day = clock.now().date() - dt.timedelta(days=5)
    midnight = dt.datetime.combine(day, dt.time()).astimezone()  # as `--date` stores it
    stored = midnight.astimezone(dt.UTC).replace(tzinfo=None)
    timed = stored + dt.timedelta(hours=1, minutes=25)
    services.activities.add(owner, cid, ActivityInput(ActivityKind.EMAIL, "Date only", stored))
    services.activities.add(owner, cid, ActivityInput(ActivityKind.CALL, "At a time", timed))
    timeline = TimelineWidget(services.activities, owner)
    qtbot.addWidget(timeline)
    timeline.show_contact(cid)
    heads = {
        timeline.model.row_at(i).summary: timeline.model.data(timeline.model.index(i)).split("\n")[
            0
        ]
        for i in range(2)
    }
    assert heads["Date only"].startswith(f"{format_date(day)} · ")
    assert f"{local_moment(timed):%H:%M}" in heads["At a time"]


@pytest.mark.parametrize("language", ["nl", "fr", "en"])
def test_the_card_names_organisation_contacts_and_groups_numbers(
    qtbot: QtBot, services: Services, owner: Actor, clock: FixedClock, language: str
) -> None:
    _world(services, owner, clock)
    apply_language(language)
    try:
        window = _window(qtbot, services, owner)
        card = window.card
        model = card.people
        names = [model.data(model.index(r, PersonColumn.NAME)) for r in range(model.rowCount())]
        assert len(names) == len(PEOPLE)
        assert all(names), names
        assert "Aankoopdienst Anker" in names
        turnover = card.custom_values["turnover"].text()
        assert turnover == format_number(Decimal(TURNOVER), language)
        assert turnover != TURNOVER
        timeline = card.timeline
        assert timeline is not None
        timeline.view.setCurrentIndex(timeline.model.index(0))
        save(window, f"{language}-company-card-display", settle=True)
        scroll = next(w for w in window.findChildren(QScrollArea) if w.isAncestorOf(card))
        QApplication.processEvents()
        scroll.verticalScrollBar().setValue(scroll.verticalScrollBar().maximum())
        save(window, f"{language}-company-card-took-part", settle=True)
    finally:
        apply_language("en")
