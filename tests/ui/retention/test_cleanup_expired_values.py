"""The cleanup wizard lists the custom field values past their keep period (issue 21) and
Apply erases them, the value and never its contact or company; with only such values, the
review lists only them (whose value, which field). The fields are named by their labels in the
user's language, never their keys. Screenshots in nl and fr."""

from __future__ import annotations

import datetime as dt
import re

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
    # No contact has expired: the review lists only the values, then the dry run says
    # what Apply erases.
    assert wizard.scan_page.nextId() == Page.REVIEW
    wizard.next()
    assert wizard.currentId() == Page.REVIEW
    review = wizard.review_page
    assert review.model.rowCount() == 0
    assert review.values.rowCount() == 2
    wizard.next()
    assert wizard.currentId() == Page.DRY_RUN
    qtbot.waitUntil(wizard.dry_run_page.isComplete, timeout=20_000)
    assert "2" in wizard.dry_run_page.report.toPlainText()
    assert services.contacts.get(owner, person).custom != ()  # a dry run changes nothing
    apply_language("en")


@pytest.mark.parametrize("language", ["nl", "fr"])
def test_the_fields_are_named_by_their_labels_and_the_review_says_whose_value_goes(
    qtbot: QtBot, services: Services, owner: Actor, clock: FixedClock, language: str
) -> None:
    """Fields defined with a key for a label and labels per language (as from the command
    line): the scan and the review show the label in the user's language, never the key."""
    labels = {
        "customer_no": (CustomTarget.CONTACT, {"nl": "Klantnummer", "fr": "Numéro de client"}),
        "visit_notes": (CustomTarget.COMPANY, {"nl": "Bezoeknotities", "fr": "Notes de visite"}),
    }
    for key, (on, by_language) in labels.items():
        definition = CustomFieldDefinition(
            key,
            key,
            CustomKind.TEXT,
            labels=tuple(sorted(by_language.items())),
            on=on,
            keep_months=1,
        )
        services.custom_fields.define(owner, definition)
    services.contacts.create(
        owner,
        ContactInput(first_name="Zoë", last_name="Lefèvre", extra={"customer_no": "K-12"}),
        CARD,
    )
    services.companies.add(owner, CompanyInput(name="Brouwerij NV"), CARD, {"visit_notes": "x"})
    services.contacts.create(owner, ContactInput(first_name="Jan", last_name="Peeters"), CARD)
    clock.advance(dt.timedelta(days=40))
    apply_language(language)
    wizard = CleanupWizard(services, owner)
    qtbot.addWidget(wizard)
    wizard.resize(1024, 600)
    wizard.show()
    shown = wizard.scan_page.values_label.text()
    for key, (_on, by_language) in labels.items():
        assert key not in shown
        assert by_language[language] in shown
    wizard.next()
    review = wizard.review_page
    assert wizard.currentId() == Page.REVIEW
    table = review.values
    assert table.isVisibleTo(wizard)
    rows = {
        tuple(table.item(r, c).text() for c in range(table.columnCount()))
        for r in range(table.rowCount())
    }
    whose = {(r[0], r[1]) for r in rows}
    assert whose == {
        ("Lefèvre, Zoë", labels["customer_no"][1][language]),
        ("Brouwerij NV", labels["visit_notes"][1][language]),
    }
    for row in rows:
        assert not any(key in cell for key in labels for cell in row)
        assert not re.fullmatch(r"\d{4}-\d\d-\d\d", row[2])  # the user's date format
    save(wizard, f"{language}-cleanup-review-values", settle=True)
    apply_language("en")
