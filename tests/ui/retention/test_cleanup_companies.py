"""The cleanup wizard's first page names the companies without people and without a
purpose of their own (``CompanyService.cleanup_candidates``), and none when there are none;
a person's erasure leaves the company, which then comes up. Screenshots in nl and fr."""

from __future__ import annotations

import datetime as dt

import pytest
from pytestqt.qtbot import QtBot

from privacycrm_desktop.domain.companies import CompanyInput, LinkInput
from privacycrm_desktop.domain.contacts import ContactInput, Relationship
from privacycrm_desktop.domain.erasure import ErasureReason
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.ui.common.qt_i18n import apply_language
from privacycrm_desktop.ui.retention.cleanup_wizard import CleanupWizard

from ..screens import save

CARD = SourceInput(SourceKind.BUSINESS_CARD, "Batibouw 2026", dt.date(2025, 2, 20))


def _scan_text(qtbot: QtBot, services: Services, owner: Actor) -> str:
    wizard = CleanupWizard(services, owner)
    qtbot.addWidget(wizard)
    wizard.show()
    label = wizard.scan_page.companies_label
    return label.text() if label.isVisibleTo(wizard) else ""


@pytest.mark.parametrize("language", ["nl", "fr"])
def test_the_scan_names_companies_without_people_or_purpose(
    qtbot: QtBot, services: Services, owner: Actor, language: str
) -> None:
    assert _scan_text(qtbot, services, owner) == ""
    services.companies.add(owner, CompanyInput(name="Leeg Prospect BV"), CARD)
    services.companies.add(
        owner, CompanyInput(name="Trouwe Klant NV", relationship=Relationship.CUSTOMER), CARD
    )
    staffed = services.companies.add(owner, CompanyInput(name="Brouwerij Zoë NV"), CARD)
    zoe = services.contacts.create(owner, ContactInput(first_name="Zoë", last_name="Lefèvre"), CARD)
    services.companies.link(owner, zoe, staffed, LinkInput("Zaakvoerster"), CARD)
    apply_language(language)
    expected = {
        services.companies.get(owner, c).values.name
        for c in services.companies.cleanup_candidates(owner)
    }
    text = _scan_text(qtbot, services, owner)
    assert expected == {"Leeg Prospect BV"}
    assert "Leeg Prospect BV" in text
    assert "Trouwe Klant NV" not in text
    assert "Brouwerij Zoë NV" not in text
    # The person's erasure takes her link; the company stays and now comes up.
    services.erasure.erase(owner, zoe, ErasureReason.ERASURE_REQUEST)
    assert services.companies.get(owner, staffed).people == ()
    wizard = CleanupWizard(services, owner)
    qtbot.addWidget(wizard)
    wizard.show()
    assert "Brouwerij Zoë NV" in wizard.scan_page.companies_label.text()
    save(wizard, f"{language}-cleanup-companies")
