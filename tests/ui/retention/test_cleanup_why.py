"""The cleanup's review says why a prospect expired: "no interaction since <date> (<kind>)"
from the newest logged interaction, or the date typed on the contact (issue 22)."""

from __future__ import annotations

import datetime as dt

import pytest
from pytestqt.qtbot import QtBot

from privacycrm_desktop.domain.activities import ActivityInput, ActivityKind
from privacycrm_desktop.domain.contacts import ContactInput, Relationship
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.services.clock import FixedClock
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.ui.common.date_fields import format_date
from privacycrm_desktop.ui.common.qt_i18n import apply_language
from privacycrm_desktop.ui.retention.cleanup_review import ReviewColumn
from privacycrm_desktop.ui.retention.cleanup_state import Page
from privacycrm_desktop.ui.retention.cleanup_wizard import CleanupWizard

from ..screens import save

SOURCE = SourceInput(SourceKind.EVENT, "fair", dt.date(2025, 3, 1))


@pytest.mark.parametrize("language", ["en", "nl", "fr"])
def test_the_review_names_the_last_interaction(
    qtbot: QtBot, services: Services, owner: Actor, clock: FixedClock, language: str
) -> None:
    met, quiet = (
        services.contacts.create(
            owner,
            ContactInput(first_name="Jan", last_name=name, relationship=Relationship.PROSPECT),
            SOURCE,
        )
        for name in ("Aerts", "Claes")
    )
    meeting = clock.now() + dt.timedelta(days=30)
    clock.advance(dt.timedelta(days=31))
    services.activities.add(owner, met, ActivityInput(ActivityKind.MEETING, "Demo", meeting))
    clock.advance(dt.timedelta(days=400))  # both past 12 months without contact
    called = services.contacts.create(
        owner, ContactInput(first_name="An", last_name="Dams"), SOURCE
    )
    services.activities.add(owner, called, ActivityInput(ActivityKind.CALL, "Still interested"))
    apply_language(language)
    wizard = CleanupWizard(services, owner)
    qtbot.addWidget(wizard)
    wizard.show()
    wizard.next()
    assert wizard.currentId() == Page.REVIEW
    model = wizard.review_page.model
    names = {met: "Aerts", quiet: "Claes"}
    shown = {
        model.index(r, ReviewColumn.NAME).data(): model.index(r, ReviewColumn.REASON).data()
        for r in range(model.rowCount())
    }
    assert len(shown) == 2  # the one called today is not due
    why = {cid: next(v for k, v in shown.items() if name in k) for cid, name in names.items()}
    assert format_date(meeting.date()) in why[met]
    assert format_date(dt.date(2025, 3, 14)) in why[quiet]  # collected: nothing logged
    if language == "en":
        assert "No interaction since" in why[met]
        assert why[met].endswith("(meeting)")
        assert "(" not in why[quiet].split("since")[1]
    save(wizard, f"{language}-cleanup-review-why", settle=True)
