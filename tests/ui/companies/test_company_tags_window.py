"""Tags in the Companies window: the list's column, the filter beside the search, the row
under the card that puts a tag on the company or takes it off; screenshots in nl and fr."""

from __future__ import annotations

import datetime as dt

import pytest
from pytestqt.qtbot import QtBot

from privacycrm_desktop.domain.access import FieldAccess, Role
from privacycrm_desktop.domain.companies import CompanyInput, LinkInput
from privacycrm_desktop.domain.contacts import ContactInput
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.ui.common.qt_i18n import apply_language
from privacycrm_desktop.ui.companies.companies_window import CompaniesDialog, CompanyColumn

from ..screens import save
from ..test_window_fit import SCREEN, small_screen  # noqa: F401 (a fixture)

CARD = SourceInput(SourceKind.BUSINESS_CARD, "Batibouw 2026", dt.date(2025, 2, 20))
GOOD = "another good password"


def _fill(services: Services, owner: Actor) -> dict[str, int]:
    ids = {
        name: services.companies.add(owner, CompanyInput(name=name, city=city), CARD)
        for name, city in (
            ("Brouwerij Zoë NV", "Gent"),
            ("Bakkerij Peeters", "Liège"),
            ("Drukkerij Janssens", "Brugge"),
        )
    }
    services.tags.create(owner, "Leverancier", "#1f77b4")
    services.tags.create(owner, "Strategisch", "#d62728")
    services.tags.tag_company(owner, "Leverancier", ids["Bakkerij Peeters"])
    services.tags.tag_company(owner, "Leverancier", ids["Brouwerij Zoë NV"])
    services.tags.tag_company(owner, "Strategisch", ids["Brouwerij Zoë NV"])
    zoe = services.contacts.create(owner, ContactInput(first_name="Zoë", last_name="Lefèvre"), CARD)
    services.companies.link(
        owner, zoe, ids["Brouwerij Zoë NV"], LinkInput("Zaakvoerster", "Directie"), CARD
    )
    return ids


def _column(dialog: CompaniesDialog, column: CompanyColumn) -> dict[str, str]:
    model = dialog.model
    return {
        str(model.index(r, CompanyColumn.NAME).data()): str(model.index(r, column).data())
        for r in range(model.rowCount())
    }


def test_the_list_shows_and_filters_by_tags_and_the_row_tags_the_company(
    qtbot: QtBot, services: Services, owner: Actor
) -> None:
    ids = _fill(services, owner)
    dialog = CompaniesDialog(services, owner)
    qtbot.addWidget(dialog)
    shown = _column(dialog, CompanyColumn.TAGS)
    for name, company in ids.items():
        expected = ", ".join(t.name for t in services.companies.get(owner, company).tags)
        assert shown[name] == expected
    chooser = dialog.tag_filter
    assert chooser is not None
    supplier = services.tags.find(owner, "Leverancier").id
    chooser.set_tag(supplier)
    carrying = {n for n, c in ids.items() if "Leverancier" in shown[n]}
    assert set(_column(dialog, CompanyColumn.NAME)) == carrying
    dialog.search.setText("brouw")
    dialog.reload()
    assert set(_column(dialog, CompanyColumn.NAME)) == {"Brouwerij Zoë NV"}
    dialog.search.clear()
    chooser.set_tag(None)
    dialog.reload(ids["Drukkerij Janssens"])
    # The row under the card: a new tag goes on the chosen company, then comes off.
    row = dialog.tag_row
    assert row.isVisibleTo(dialog)
    assert row.company_id == ids["Drukkerij Janssens"]
    row.name.setEditText("Nieuw 2026")
    assert row.add() is not None
    assert [t.name for t in services.companies.get(owner, row.company_id).tags] == ["Nieuw 2026"]
    assert "Nieuw 2026" in dialog.card.values["tags"].text()
    assert _column(dialog, CompanyColumn.TAGS)["Drukkerij Janssens"] == "Nieuw 2026"
    row.name.setEditText("Nieuw 2026")
    assert row.remove()
    assert services.companies.get(owner, ids["Drukkerij Janssens"]).tags == ()
    row.name.setEditText("Strategisch")
    assert not row.remove()  # it does not carry it: said, nothing changed
    assert dialog.count_label.text() == "The company does not carry this tag."


def test_a_role_that_may_not_tag_gets_no_row_and_hidden_tags_no_filter(
    qtbot: QtBot, services: Services, owner: Actor
) -> None:
    _fill(services, owner)
    services.access.set_field_access(owner, Role.SALES, "tags", FieldAccess.HIDDEN)
    services.auth.add_user(owner, "sam", GOOD, Role.SALES)
    services.auth.add_user(owner, "rita", GOOD, Role.READ_ONLY)
    sam = CompaniesDialog(services, services.auth.login("sam", GOOD))
    qtbot.addWidget(sam)
    assert sam.tag_filter is None
    assert not sam.tag_row.isVisibleTo(sam)
    assert set(_column(sam, CompanyColumn.TAGS).values()) == {""}
    rita = CompaniesDialog(services, services.auth.login("rita", GOOD))
    qtbot.addWidget(rita)
    assert not rita.tag_row.isVisibleTo(rita)


@pytest.mark.usefixtures("small_screen")
@pytest.mark.parametrize("language", ["nl", "fr"])
def test_company_tags_screenshots(
    qtbot: QtBot, services: Services, owner: Actor, language: str
) -> None:
    ids = _fill(services, owner)
    apply_language(language)
    dialog = CompaniesDialog(services, owner)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.reload(ids["Brouwerij Zoë NV"])
    assert dialog.width() <= SCREEN.width()
    assert dialog.height() <= SCREEN.height()
    save(dialog, f"{language}-company-list-and-card-tags", settle=True)
    assert dialog.tag_filter is not None
    dialog.tag_filter.set_tag(services.tags.find(owner, "Strategisch").id)
    save(dialog, f"{language}-company-list-filtered-by-tag", settle=True)
