"""The cleanup wizard lists the custom field values past their keep period (issue 21) and
Apply erases them, the value and never its contact or company; with only such values, the
wizard goes straight to the dry run. Screenshots in nl and fr."""

from __future__ import annotations

import datetime as dt

import pytest
from pytestqt.qtbot import QtBot

from privacycrm_desktop.domain.companies import CompanyInput
from privacycrm_desktop.domain.contacts import ContactInput
from privacycrm_desktop.domain.custom_fields import CustomFieldDefinition, CustomKind, CustomTarget
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.services.clock import FixedClock
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.ui.common.qt_i18n import apply_language
from privacycrm_desktop.ui.retention.cleanup_state import Page
from privacycrm_desktop.ui.retention.cleanup_wizard import CleanupWizard

from ..screens import save

CARD = SourceInput(SourceKind.BUSINESS_CARD, "Batibouw 2026", dt.date(2025, 2, 20))


@pytest.mark.parametrize("language", ["nl", "fr"])
def test_the_scan_lists_expired_values_and_the_dry_run_counts_them(
    qtbot: QtBot, services: Services, owner: Actor, clock: FixedClock, language: str
) -> None:
    for key, on in (("badge", CustomTarget.CONTACT), ("visit", CustomTarget.COMPANY)):
        definition = CustomFieldDefinition(key, key.title(), CustomKind.TEXT, on=on, keep_months=3)
        services.custom_fields.define(owner, definition)
    person = services.contacts.create(
        owner, ContactInput(first_name="Zoë", last_name="Lefèvre", extra={"badge": "B-12"}), CARD
    )
    services.companies.add(owner, CompanyInput(name="Brouwerij NV"), CARD, {"visit": "May"})
    apply_language(language)
    wizard = CleanupWizard(services, owner)
    qtbot.addWidget(wizard)
    wizard.show()
    assert not wizard.scan_page.values_label.isVisibleTo(wizard)  # nothing has expired yet
    clock.advance(dt.timedelta(days=100))
    wizard = CleanupWizard(services, owner)
    qtbot.addWidget(wizard)
    wizard.show()
    label = wizard.scan_page.values_label
    assert label.isVisibleTo(wizard)
    assert "2" in label.text()
    assert "Badge" in label.text()
    assert "Visit" in label.text()
    save(wizard, f"{language}-cleanup-expired-values", settle=True)
    # No contact has expired: the dry run comes next, and says what Apply erases.
    assert wizard.scan_page.nextId() == Page.DRY_RUN
    wizard.next()
    assert wizard.currentId() == Page.DRY_RUN
    assert "2" in wizard.dry_run_page.report.toPlainText()
    assert services.contacts.get(owner, person).custom != ()  # a dry run changes nothing
    apply_language("en")
