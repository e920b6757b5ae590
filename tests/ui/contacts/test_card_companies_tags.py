"""The contact card's companies (a click opens the company's card) and tag chips, and the
editor's section that links the person to a company and sets the tags; each follows the
role's field matrix. Screenshots in nl and fr at 1024x600 (PRIVACYCRM_SCREENSHOT_DIR)."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog
from pytestqt.qtbot import QtBot

from privacycrm_desktop.domain.access import FieldAccess, Role
from privacycrm_desktop.domain.companies import CompanyInput, LinkInput
from privacycrm_desktop.domain.contacts import ContactInput
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.ui.common.date_fields import format_date
from privacycrm_desktop.ui.common.qt_i18n import apply_language
from privacycrm_desktop.ui.companies.companies_window import CompaniesDialog
from privacycrm_desktop.ui.companies.link_dialog import LinkCompanyDialog
from privacycrm_desktop.ui.contacts.contact_card import COMPANY_LINK
from privacycrm_desktop.ui.contacts.contact_editor import ContactEditorDialog
from privacycrm_desktop.ui.contacts.links_section import CompaniesTagsSection
from privacycrm_desktop.ui.main_window import MainWindow

from ..screens import save
from ..test_window_fit import SCREEN, small_screen  # noqa: F401 (a fixture)

CARD = SourceInput(SourceKind.BUSINESS_CARD, "Batibouw 2026", dt.date(2025, 2, 20))
GOOD = "another good password"


def _person(services: Services, owner: Actor) -> tuple[int, int, int]:
    """Zoë at the brewery (past: the bakery), tagged VIP; returns contact, brewery, tag."""
    cid = services.contacts.create(owner, ContactInput(first_name="Zoë", last_name="Lefèvre"), CARD)
    brewery = services.companies.add(owner, CompanyInput(name="Brouwerij Zoë NV"), CARD)
    bakery = services.companies.add(owner, CompanyInput(name="Bakkerij Peeters"), CARD)
    services.companies.link(
        owner, cid, bakery, LinkInput("Verkoopster", "Winkel", dt.date(2019, 1, 1)), CARD
    )
    services.companies.move(
        owner, cid, brewery, LinkInput("Zaakvoerster", "Directie", dt.date(2024, 3, 1)), CARD
    )
    vip = services.tags.create(owner, "VIP", "#d62728")
    services.tags.create(owner, "Beurs Gent", "#ffdd00")
    services.tags.assign(owner, vip, [cid])
    return cid, brewery, vip


def _window(qtbot: QtBot, services: Services, actor: Actor) -> MainWindow:
    window = MainWindow(services, actor)
    qtbot.addWidget(window)
    window.resize(1024, 600)
    window.show()
    return window


def test_the_card_lists_companies_and_tag_chips_and_a_company_opens_its_card(
    qtbot: QtBot, services: Services, owner: Actor
) -> None:
    cid, brewery, _vip = _person(services, owner)
    window = _window(qtbot, services, owner)
    window.card.show_contact(cid)
    body = window.card.body.text()
    assert f'href="{COMPANY_LINK}{brewery}"' in body
    for text in ("Brouwerij Zoë NV", "Zaakvoerster, Directie", "Bakkerij Peeters", "VIP"):
        assert text in body
    # The current place comes before the past one, which says until when.
    assert body.index("Brouwerij") < body.index("Bakkerij")
    assert f"(until {format_date(dt.date(2024, 2, 29))})" in body
    assert "background-color:#d62728" in body
    window.card.body.linkActivated.emit(f"{COMPANY_LINK}{brewery}")
    opened = window.findChildren(CompaniesDialog)
    assert len(opened) == 1
    dialog = opened[0]
    assert dialog._detail is not None
    assert dialog._detail.id == brewery
    assert dialog.card.title.text() == "Brouwerij Zoë NV"
    dialog.close()


@pytest.mark.parametrize(
    ("links", "tags"),
    [
        (FieldAccess.HIDDEN, FieldAccess.HIDDEN),
        (FieldAccess.MASKED, FieldAccess.HIDDEN),
        (FieldAccess.HIDDEN, FieldAccess.MASKED),
    ],
)
def test_the_card_and_the_editor_keep_to_the_field_matrix(
    qtbot: QtBot, services: Services, owner: Actor, links: FieldAccess, tags: FieldAccess
) -> None:
    cid, _brewery, _vip = _person(services, owner)
    services.access.set_field_access(owner, Role.SALES, "company_links", links)
    services.access.set_field_access(owner, Role.SALES, "tags", tags)
    services.auth.add_user(owner, "sam", GOOD, Role.SALES)
    sam = services.auth.login("sam", GOOD)
    window = _window(qtbot, services, sam)
    window.card.show_contact(cid)
    body = window.card.body.text()
    assert "Zaakvoerster" not in body
    assert "Directie" not in body
    assert "VIP" not in body
    assert ("background-color" in body) is (tags is FieldAccess.MASKED)
    if links is FieldAccess.HIDDEN:
        assert COMPANY_LINK not in body
    editor = ContactEditorDialog(
        services.contacts, sam, cid, links=(services.companies, services.tags, services.clock)
    )
    qtbot.addWidget(editor)
    section = editor.links_section
    if links is FieldAccess.HIDDEN and tags is FieldAccess.HIDDEN:
        assert section is None
        return
    assert section is not None
    texts = [section.links.item(i).text() for i in range(section.links.count())]
    assert not any("Zaakvoerster" in t for t in texts)
    assert section.link_button.isHidden()
    assert section.add_tag_button.isHidden()


def test_the_editor_links_a_company_ends_a_link_and_sets_tags(
    qtbot: QtBot, services: Services, owner: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    cid, brewery, vip = _person(services, owner)
    other = services.companies.add(owner, CompanyInput(name="Drukkerij Janssens"), CARD)
    editor = ContactEditorDialog(
        services.contacts, owner, cid, links=(services.companies, services.tags, services.clock)
    )
    qtbot.addWidget(editor)
    saved: list[int] = []
    editor.contact_saved.connect(saved.append)
    section = editor.links_section
    assert isinstance(section, CompaniesTagsSection)
    assert section.carried() == {vip}

    def fill(dialog: LinkCompanyDialog) -> int:
        dialog.query.setText("drukkerij")
        dialog.find_contacts()
        dialog.function.setText("Drukker")
        dialog.department.setText("Atelier")
        dialog.source_description.setText("Telefoon")
        dialog._accept()
        return int(QDialog.DialogCode.Accepted)

    monkeypatch.setattr(LinkCompanyDialog, "exec", fill)
    link_id = section.link_company()
    assert link_id is not None
    current = [x for x in services.companies.links_of(owner, cid) if x.current]
    assert {(x.company_id, x.function, x.department) for x in current} == {
        (brewery, "Zaakvoerster", "Directie"),
        (other, "Drukker", "Atelier"),
    }
    assert any("Drukkerij Janssens" in section.links.item(i).text() for i in range(3))
    # End the brewery link, chosen by keyboard-reachable list selection.
    row = next(
        i for i in range(section.links.count()) if "Brouwerij" in section.links.item(i).text()
    )
    section.links.setCurrentRow(row)
    assert section.end_link()
    ended = [x for x in services.companies.links_of(owner, cid) if x.company_id == brewery]
    assert ended[0].ended_on == services.clock.today()
    # Tags: untick VIP (Space on the item does the same), add a new one by name.
    vip_item = next(
        section.tag_list.item(i)
        for i in range(section.tag_list.count())
        if section.tag_list.item(i).text() == "VIP"
    )
    vip_item.setCheckState(Qt.CheckState.Unchecked)
    section.new_tag.setText("Nieuwsbrief")
    new_id = section.add_tag()
    marks = services.contacts.card(owner, cid).detail.tags
    assert [(m.tag_id, m.name) for m in marks] == [(new_id, "Nieuwsbrief")]
    assert section.carried() == {new_id}
    assert len(saved) == 4


def test_a_new_contact_has_no_section(qtbot: QtBot, services: Services, owner: Actor) -> None:
    editor = ContactEditorDialog(
        services.contacts, owner, None, links=(services.companies, services.tags, services.clock)
    )
    qtbot.addWidget(editor)
    assert editor.links_section is None


@pytest.mark.usefixtures("small_screen")
@pytest.mark.parametrize("language", ["nl", "fr"])
def test_card_and_editor_screenshots(
    qtbot: QtBot, services: Services, owner: Actor, language: str
) -> None:
    cid, brewery, _vip = _person(services, owner)
    services.tags.assign(owner, services.tags.find(owner, "Beurs Gent").id, [cid])
    apply_language(language)
    window = _window(qtbot, services, owner)
    window.select_contact(cid)
    window.show_card_of_current()
    save(window, f"{language}-card-companies-tags", settle=True)
    editor = ContactEditorDialog(
        services.contacts,
        owner,
        cid,
        window,
        links=(services.companies, services.tags, services.clock),
    )
    editor.show()
    assert editor.width() <= SCREEN.width()
    assert editor.height() <= SCREEN.height()
    assert editor.links_section is not None
    editor._scroll.ensureWidgetVisible(editor.links_section)
    save(editor, f"{language}-editor-companies-tags", settle=True)
    editor.close()
    dialog = window.open_company(brewery)
    assert dialog.width() <= SCREEN.width()
    assert dialog.height() <= SCREEN.height()
    save(dialog, f"{language}-company-card", settle=True)
