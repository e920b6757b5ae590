"""The duplicate review and the merge dialog: a search on a worker with progress, a merge
with per-field choices, undo, the menu entry per role, and screenshots in nl and fr."""

from __future__ import annotations

import datetime as dt

import pytest
from pytestqt.qtbot import QtBot

from privacycrm_desktop.domain.access import Role
from privacycrm_desktop.domain.companies import CompanyInput, LinkInput
from privacycrm_desktop.domain.company_merges import CompanyRule
from privacycrm_desktop.domain.contacts import ContactInput
from privacycrm_desktop.domain.merges import DuplicateRule
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.ui.common.qt_i18n import apply_language
from privacycrm_desktop.ui.duplicates.company_merge_dialog import CompanyMergeDialog
from privacycrm_desktop.ui.duplicates.merge_dialog import MergeDialog
from privacycrm_desktop.ui.duplicates.review_dialog import DuplicateReviewDialog
from privacycrm_desktop.ui.main_window import MainWindow

from ..screens import save

CARD = SourceInput(SourceKind.BUSINESS_CARD, "Batibouw 2026", dt.date(2025, 2, 20))
CALL = SourceInput(SourceKind.PHONE_CALL, "Called about the offer", dt.date(2025, 3, 1))
GOOD = "another good password"


@pytest.fixture
def pair(services: Services, owner: Actor) -> tuple[int, int]:
    services.demo.generate(owner, 30, seed=5)
    first = services.contacts.create(
        owner,
        ContactInput(
            first_name="Zoë",
            last_name="Lefèvre",
            emails=("zoe@example.be",),
            city="Gent",
            postcode="9000",
        ),
        CARD,
    )
    second = services.contacts.create(
        owner,
        ContactInput(
            first_name="Zoe",
            last_name="Lefèvre",
            emails=("zoe@example.be", "zoe@brouwerij.be"),
            city="Liège",
            postcode="4000",
            street="Place Saint-Lambert 1",
            notes="Prefers mornings",
        ),
        CALL,
    )
    return first, second


@pytest.fixture
def firms(services: Services, owner: Actor, pair: tuple[int, int]) -> tuple[int, int]:
    first = services.companies.add(
        owner,
        CompanyInput(name="Brouwerij Lefèvre", vat="BE0403170701", city="Gent", postcode="9000"),
        CARD,
    )
    second = services.companies.add(
        owner,
        CompanyInput(
            name="Brouwerij Lefèvre NV",
            vat="BE 0403.170.701",
            city="Liège",
            postcode="4000",
            email="info@lefevre.be",
            website="https://lefevre.be",
        ),
        CALL,
    )
    services.companies.link(owner, pair[1], second, LinkInput("Zaakvoerder", "Directie"), CALL)
    return first, second


def _found(qtbot: QtBot, dialog: DuplicateReviewDialog) -> None:
    dialog.search()
    qtbot.waitUntil(lambda: dialog.found is not None and not dialog.progress.busy, timeout=20000)


def test_review_finds_merges_and_undoes(
    qtbot: QtBot, services: Services, owner: Actor, pair: tuple[int, int]
) -> None:
    first, second = pair
    dialog = DuplicateReviewDialog(services, owner)
    qtbot.addWidget(dialog)
    for rule, box in dialog.rules.items():
        box.setChecked(rule is DuplicateRule.EMAIL)
    _found(qtbot, dialog)
    assert dialog.selected_group() == [first, second]
    assert "Lefèvre" in dialog.table.item(0, 0).text()
    merge = dialog.merge_selected()
    assert isinstance(merge, MergeDialog)
    qtbot.addWidget(merge)
    # The survivor's values by default, the empty street and notes filled from the other.
    assert merge.take()["city"] == first
    assert merge.take()["street"] == second
    assert "first_name" in merge.choices  # "Zoë" and "Zoe" differ
    assert "last_name" not in merge.choices  # the same: no row
    merge.choices["postcode"].button(second).setChecked(True)
    merge.keep.button(first).setChecked(True)
    merge.merge()
    assert merge.result_ is not None
    kept = services.contacts.get(owner, first)
    assert (kept.postcode, kept.city, kept.street) == ("4000", "Liège", "Place Saint-Lambert 1")
    assert dialog.table.rowCount() == 0
    assert dialog.merges.rowCount() == 1
    dialog.undo_selected()
    assert services.contacts.get(owner, second).city == "Liège"
    assert services.contacts.get(owner, first).city == "Gent"
    assert dialog.merges.rowCount() == 0


def test_the_merge_dialog_chooses_custom_field_values_like_built_in_ones(
    qtbot: QtBot, services: Services, owner: Actor
) -> None:
    from privacycrm_desktop.domain.custom_fields import CustomFieldDefinition, CustomKind

    services.custom_fields.define(
        owner,
        CustomFieldDefinition(
            "customer_no", "Customer number", CustomKind.TEXT, labels=(("nl", "Klantnummer"),)
        ),
    )
    services.custom_fields.define(owner, CustomFieldDefinition("since", "Since", CustomKind.DATE))
    services.custom_fields.define(owner, CustomFieldDefinition("same", "Same", CustomKind.TEXT))
    first = services.contacts.create(
        owner,
        ContactInput(first_name="Zoë", extra={"customer_no": "K-1", "same": "x"}),
        CARD,
    )
    second = services.contacts.create(
        owner,
        ContactInput(
            first_name="Zoë", extra={"customer_no": "K-2", "since": "2024-05-01", "same": "x"}
        ),
        CALL,
    )
    merge = MergeDialog(services, owner, [first, second])
    qtbot.addWidget(merge)
    # A row per custom field whose values differ, none for the one they share.
    assert {"cf_customer_no", "cf_since"} <= set(merge.choices)
    assert "cf_same" not in merge.choices
    # The survivor's value by default; an empty one filled from the other.
    assert (merge.take()["cf_customer_no"], merge.take()["cf_since"]) == (first, second)
    shown = merge.choices["cf_since"].button(second).text()
    assert shown != "2024-05-01"  # a date as the user reads it, not its stored form
    merge.choices["cf_customer_no"].button(second).setChecked(True)
    merge.merge()
    assert merge.result_ is not None
    kept = {v.key: v.value for v in services.contacts.get(owner, first).custom}
    assert (kept["customer_no"], kept["since"]) == ("K-2", "2024-05-01")


def test_the_review_switches_to_companies_merges_them_and_undoes(
    qtbot: QtBot, services: Services, owner: Actor, firms: tuple[int, int], pair: tuple[int, int]
) -> None:
    first, second = firms
    dialog = DuplicateReviewDialog(services, owner)
    qtbot.addWidget(dialog)
    dialog.companies_switch.setChecked(True)
    assert set(dialog.company_rules) == set(CompanyRule)
    _found(qtbot, dialog)
    assert dialog.found is not None
    assert dialog.found.companies
    assert dialog.selected_group() == [first, second]
    assert "Brouwerij Lefèvre" in dialog.table.item(0, 0).text()
    assert dialog.table.horizontalHeaderItem(0).text() == "Companies"
    merge = dialog.merge_selected()
    assert isinstance(merge, CompanyMergeDialog)
    qtbot.addWidget(merge)
    # The survivor's values by default, the empty e-mail and website filled from the other.
    assert merge.take()["city"] == first
    assert merge.take()["website"] == second
    assert "vat" not in merge.choices  # written two ways, stored alike: no row
    merge.choices["city"].button(second).setChecked(True)
    merge.merge()
    assert merge.result_ is not None
    kept = services.companies.get(owner, first)
    assert (kept.values.city, kept.values.website) == ("Liège", "https://lefevre.be")
    assert [p.contact_id for p in kept.people] == [pair[1]]
    assert dialog.table.rowCount() == 0
    assert dialog.merges.rowCount() == 1
    # The contacts' side lists the contacts' merges only.
    dialog.contacts_switch.setChecked(True)
    assert dialog.merges.rowCount() == 0
    dialog.companies_switch.setChecked(True)
    dialog.undo_selected()
    assert services.companies.get(owner, second).values.city == "Liège"
    assert services.companies.get(owner, first).values.city == "Gent"
    assert dialog.merges.rowCount() == 0


def test_a_cancelled_search_says_so(
    qtbot: QtBot, services: Services, owner: Actor, pair: tuple[int, int]
) -> None:
    dialog = DuplicateReviewDialog(services, owner)
    qtbot.addWidget(dialog)
    dialog.search()
    dialog.progress.cancel()
    qtbot.waitUntil(lambda: not dialog.progress.busy, timeout=20000)
    assert dialog.find_button.isEnabled()


def test_only_owner_and_privacy_officer_get_the_menu_entry(
    qtbot: QtBot, services: Services, owner: Actor
) -> None:
    for role in Role:
        actor = owner
        if role is not Role.OWNER:
            services.auth.add_user(owner, f"u_{role.value}", GOOD, role)
            actor = services.auth.login(f"u_{role.value}", GOOD)
        window = MainWindow(services, actor)
        qtbot.addWidget(window)
        menu = window.admin_menu
        shown = menu is not None and window.duplicates_action in menu.actions()
        assert shown == (role in (Role.OWNER, Role.PRIVACY_OFFICER)), role


@pytest.mark.parametrize("language", ["nl", "fr"])
def test_duplicate_screenshots(
    qtbot: QtBot, services: Services, owner: Actor, pair: tuple[int, int], language: str
) -> None:
    apply_language(language)
    window = MainWindow(services, owner)
    qtbot.addWidget(window)
    window.resize(1024, 600)
    window.show()
    dialog = window.open_duplicates()
    assert isinstance(dialog, DuplicateReviewDialog)
    _found(qtbot, dialog)
    assert dialog.width() <= 1024
    assert dialog.height() <= 600
    save(dialog, f"{language}-duplicate-review", settle=True)
    dialog.table.selectRow(
        next(r for r in range(dialog.table.rowCount()) if "Lef" in dialog.table.item(r, 0).text())
    )
    merge = dialog.merge_selected()
    assert isinstance(merge, MergeDialog)
    assert merge.width() <= 1024
    assert merge.height() <= 600
    save(merge, f"{language}-merge-dialog", settle=True)
    merge.merge()
    save(dialog, f"{language}-duplicate-review-after-merge", settle=True)


@pytest.mark.parametrize("language", ["nl", "fr"])
def test_company_duplicate_screenshots(
    qtbot: QtBot, services: Services, owner: Actor, firms: tuple[int, int], language: str
) -> None:
    apply_language(language)
    window = MainWindow(services, owner)
    qtbot.addWidget(window)
    window.resize(1024, 600)
    window.show()
    dialog = window.open_duplicates()
    assert isinstance(dialog, DuplicateReviewDialog)
    dialog.companies_switch.setChecked(True)
    _found(qtbot, dialog)
    assert dialog.width() <= 1024
    assert dialog.height() <= 600
    save(dialog, f"{language}-company-duplicate-review", settle=True)
    merge = dialog.merge_selected()
    assert isinstance(merge, CompanyMergeDialog)
    assert merge.width() <= 1024
    assert merge.height() <= 600
    save(merge, f"{language}-company-merge-dialog", settle=True)
    merge.merge()
    save(dialog, f"{language}-company-duplicate-review-after-merge", settle=True)
