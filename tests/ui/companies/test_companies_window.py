"""The Companies window: list and search, the card with its people, adding and editing,
the menu entry; screenshots in nl and fr at 1024x600 (PRIVACYCRM_SCREENSHOT_DIR)."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QDialog, QLabel, QLineEdit, QMessageBox, QPushButton
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from privacycrm_desktop.domain.access import Role
from privacycrm_desktop.domain.companies import CompanyInput, LegalForm, LinkInput
from privacycrm_desktop.domain.contacts import ContactInput, Relationship
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.services.dto import Actor, ContactRow
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.ui.common import messages
from privacycrm_desktop.ui.common.qt_i18n import apply_language
from privacycrm_desktop.ui.companies.companies_window import CompaniesDialog, CompanyColumn
from privacycrm_desktop.ui.companies.company_editor import CompanyEditorDialog
from privacycrm_desktop.ui.companies.link_dialog import LinkPersonDialog
from privacycrm_desktop.ui.main_window import MainWindow

from ..screens import save

CARD = SourceInput(SourceKind.BUSINESS_CARD, "Batibouw 2026", dt.date(2025, 2, 20))
BREWERY = CompanyInput(
    name="Brouwerij Zoë NV",
    legal_form=LegalForm.NV,
    vat="0403.170.701",
    street="Kerkstraat 1",
    postcode="9000",
    city="Gent",
    email="info@brouwerij-zoe.be",
    phone="09 223 45 67",
    website="https://brouwerij-zoe.be",
    relationship=Relationship.CUSTOMER,
    notes="Betaalt altijd op tijd; levering via de achterdeur.",
)


def _fill(services: Services, owner: Actor) -> tuple[int, int]:
    brewery = services.companies.add(owner, BREWERY, CARD)
    bakery = services.companies.add(
        owner, CompanyInput(name="Bakkerij Peeters", city="Liège", postcode="4000"), CARD
    )
    people = [
        ("Zoë", "Lefèvre", "Zaakvoerster", "Directie"),
        ("Jan", "Peeters", "Aankoper", "Aankoop"),
        ("Amélie", "Dubois", "Boekhouder", "Financiën"),
    ]
    for first, last, function, department in people:
        cid = services.contacts.create(owner, ContactInput(first_name=first, last_name=last), CARD)
        services.companies.link(
            owner, cid, brewery, LinkInput(function, department, dt.date(2024, 3, 1)), CARD
        )
    return brewery, bakery


def test_the_list_searches_and_the_card_shows_details_and_people(
    qtbot: QtBot, qtmodeltester: ModelTester, services: Services, owner: Actor
) -> None:
    brewery, _bakery = _fill(services, owner)
    dialog = CompaniesDialog(services, owner)
    qtbot.addWidget(dialog)
    qtmodeltester.check(dialog.model)
    assert [r.name for r in dialog.model.rows] == ["Bakkerij Peeters", BREWERY.name]
    # Ctrl+F goes to the search field.
    (find,) = [
        s
        for s in dialog.findChildren(QShortcut)
        if s.key() == QKeySequence(QKeySequence.StandardKey.Find)
    ]
    dialog.show()
    dialog.activateWindow()
    dialog.view.setFocus()
    find.activated.emit()
    qtbot.waitUntil(lambda: dialog.focusWidget() is dialog.search)
    dialog.search.setText("zoe")
    qtbot.waitUntil(lambda: dialog.model.rowCount() == 1)
    assert dialog.model.data(dialog.model.index(0, CompanyColumn.VAT)) == "BE 0403.170.701"
    assert dialog.model.data(dialog.model.index(0, CompanyColumn.PEOPLE)) == "3"
    dialog.view.selectRow(0)
    assert dialog.selected_id() == brewery
    card = dialog.card
    assert card.title.text() == BREWERY.name
    assert card.values["vat"].text() == "BE 0403.170.701"
    assert "Batibouw 2026" in card.values["vat"].toolTip()
    # By name: Dubois, Lefèvre, Peeters.
    assert [p.function for p in card.people.rows] == ["Boekhouder", "Zaakvoerster", "Aankoper"]
    qtmodeltester.check(card.people)
    # Every detail of the card says something (a dash for nothing), none is left empty.
    for name, label in card.values.items():
        assert label.text(), name


def test_adding_shows_refused_values_under_their_field_then_saves(
    qtbot: QtBot, services: Services, owner: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    dialog = CompaniesDialog(services, owner)
    qtbot.addWidget(dialog)
    seen: list[str] = []

    def fill(editor: CompanyEditorDialog) -> int:
        if not seen:
            editor.set_text("name", "Smeets & Zonen")
            editor.set_text("vat", "BE 0403.170.702")
            seen.append("first")
            return QDialog.DialogCode.Accepted.value
        if len(seen) == 1:
            seen.append(editor.errors["vat"].text())
            editor.set_text("vat", "BE 0403.170.701")
            editor.source_description.setText("Telefoon van de zaakvoerder")
            return QDialog.DialogCode.Accepted.value
        return QDialog.DialogCode.Rejected.value

    monkeypatch.setattr(CompanyEditorDialog, "exec", fill)
    new_id = dialog.add_company()
    assert new_id is not None
    assert seen[1]  # the enterprise number's problem was shown under it
    assert dialog.selected_id() == new_id
    assert dialog.card.title.text() == "Smeets & Zonen"
    detail = services.companies.get(owner, new_id)
    assert detail.provenance["name"].description == "Telefoon van de zaakvoerder"


def test_editing_saves_the_change_with_its_source(
    qtbot: QtBot, services: Services, owner: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    brewery, _bakery = _fill(services, owner)
    dialog = CompaniesDialog(services, owner)
    qtbot.addWidget(dialog)
    dialog.view.selectRow(1)
    assert dialog.edit_button.isEnabled()

    def fill(editor: CompanyEditorDialog) -> int:
        assert editor.company_input().name == BREWERY.name
        editor.set_text("street", "Veldstraat 9")
        editor.source_description.setText("Nieuw adres per e-mail")
        return QDialog.DialogCode.Accepted.value

    monkeypatch.setattr(CompanyEditorDialog, "exec", fill)
    assert dialog.edit_company() is True
    assert "Veldstraat 9" in dialog.card.values["address"].text()
    detail = services.companies.get(owner, brewery)
    assert detail.provenance["street"].description == "Nieuw adres per e-mail"
    assert detail.provenance["name"].description == CARD.description


def test_a_read_only_role_sees_companies_but_cannot_add_or_edit(
    qtbot: QtBot, services: Services, owner: Actor
) -> None:
    _fill(services, owner)
    services.auth.add_user(owner, "reader", "reader password 1", Role.READ_ONLY)
    reader = services.auth.login("reader", "reader password 1")
    dialog = CompaniesDialog(services, reader)
    qtbot.addWidget(dialog)
    assert dialog.model.rowCount() == 2
    assert not dialog.add_button.isEnabled()
    dialog.view.selectRow(1)
    assert not dialog.edit_button.isEnabled()
    assert dialog.edit_company() is False


def test_the_menu_entry_opens_the_window(qtbot: QtBot, services: Services, owner: Actor) -> None:
    window = MainWindow(services, owner)
    qtbot.addWidget(window)
    assert window.companies_action in window.contacts_menu.actions()
    window.companies_action.trigger()
    dialogs = window.findChildren(CompaniesDialog)
    assert len(dialogs) == 1
    dialogs[0].close()


def _visible_texts(dialog: CompaniesDialog) -> list[str]:
    texts = [label.text() for label in dialog.findChildren(QLabel) if label.isVisible()]
    return texts + [b.text() for b in dialog.findChildren(QPushButton) if b.isVisible()]


def test_without_companies_the_window_says_what_to_do(
    qtbot: QtBot, services: Services, owner: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    dialog = CompaniesDialog(services, owner)
    qtbot.addWidget(dialog)
    dialog.resize(1024, 600)
    dialog.show()
    texts = _visible_texts(dialog)
    assert "No companies yet: add the first one." in texts
    assert "Choose a company in the list." not in texts  # no empty card beside it
    assert not dialog.view.isVisible()
    # One Add button, the empty state's; Ctrl+N still reaches it.
    assert texts.count("&Add company...") == 1
    assert dialog.empty_add_button.isVisible()
    assert dialog.empty_add_button.shortcut() == QKeySequence(QKeySequence.StandardKey.New)

    def fill(editor: CompanyEditorDialog) -> int:
        editor.set_text("name", "Smeets & Zonen")
        editor.source_description.setText("Telefoon")
        return QDialog.DialogCode.Accepted.value

    monkeypatch.setattr(CompanyEditorDialog, "exec", fill)
    dialog.empty_add_button.click()
    assert dialog.model.rowCount() == 1
    assert dialog.view.isVisible()
    assert dialog.card.title.text() == "Smeets & Zonen"
    assert "No companies yet: add the first one." not in _visible_texts(dialog)
    # A search that finds nothing says so and offers to clear it.
    dialog.search.setText("Zzz")
    dialog.reload()
    assert "No company matches “Zzz”." in _visible_texts(dialog)
    assert dialog.add_button.isVisible()
    dialog.clear_search_button.click()
    qtbot.waitUntil(lambda: dialog.model.rowCount() == 1)
    assert dialog.view.isVisible()


def test_without_companies_a_read_only_role_is_not_offered_to_add(
    qtbot: QtBot, services: Services, owner: Actor
) -> None:
    services.auth.add_user(owner, "reader", "reader password 1", Role.READ_ONLY)
    reader = services.auth.login("reader", "reader password 1")
    dialog = CompaniesDialog(services, reader)
    qtbot.addWidget(dialog)
    dialog.show()
    texts = _visible_texts(dialog)
    assert "No companies yet." in texts
    assert "&Add company..." not in texts


@pytest.mark.parametrize("language", ["nl", "fr"])
def test_screenshots_of_the_companies_window(
    qtbot: QtBot, services: Services, owner: Actor, language: str
) -> None:
    apply_language(language)
    first = CompaniesDialog(services, owner)
    qtbot.addWidget(first)
    first.resize(1024, 600)
    first.show()
    assert first.empty_state.isVisible()
    save(first, f"{language}-companies-window-empty", settle=True)
    _fill(services, owner)
    dialog = CompaniesDialog(services, owner)
    qtbot.addWidget(dialog)
    dialog.resize(1024, 600)
    dialog.show()
    dialog.view.selectRow(1)
    # Nothing of the card is cut off at 1024x600: every label is as wide as it needs.
    for label in dialog.card.findChildren(QLabel):
        if label.isVisible() and not label.wordWrap():
            assert label.width() >= label.sizeHint().width() - 1, label.text()
    save(dialog, f"{language}-companies-window", settle=True)
    empty = CompaniesDialog(services, owner)
    qtbot.addWidget(empty)
    empty.resize(1024, 600)
    empty.show()
    empty.search.setText("Zzz")
    empty.reload()
    save(empty, f"{language}-companies-window-no-match", settle=True)
    editor = CompanyEditorDialog(BREWERY)
    qtbot.addWidget(editor)
    editor.show()
    assert editor.width() <= 1024
    assert editor.height() <= 600
    for edit in editor.findChildren(QLineEdit):
        assert edit.isVisible() or edit.parent() is not None
    save(editor, f"{language}-company-editor", settle=True)
    link = LinkPersonDialog(
        lambda query: services.contacts.page(owner, query=query),
        BREWERY.name,
        dt.date(2025, 3, 14),
    )
    qtbot.addWidget(link)
    link.show()
    link.query.setText("Peeters")
    link.find_contacts()
    link.function.setText("Aankoper")
    save(link, f"{language}-company-link-person", settle=True)
    # A label's "&" is a shortcut to its field, never shown as a character.
    for window in (dialog, editor, link):
        for label in window.findChildren(QLabel):
            if "&" in label.text().replace("&&", ""):
                assert label.buddy() is not None, label.text()
    apply_language("en")
    assert Qt.LayoutDirection.LeftToRight == editor.layoutDirection()


def test_a_person_is_linked_found_by_name_then_leaves_and_stays_as_history(
    qtbot: QtBot, services: Services, owner: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    _brewery, bakery = _fill(services, owner)
    services.contacts.create(owner, ContactInput(first_name="Noor", last_name="Vermeulen"), CARD)
    dialog = CompaniesDialog(services, owner)
    qtbot.addWidget(dialog)
    dialog.view.selectRow(0)
    assert dialog.card.title.text() == "Bakkerij Peeters"
    assert dialog.link_button.isEnabled()
    assert not dialog.left_button.isEnabled()

    def fill(link: LinkPersonDialog) -> int:
        link.query.setText("Vermeulen")
        link.find_contacts()
        assert link.results.count() == 1
        link.function.setText("Verkoopster")
        link.source_description.setText("E-mailhandtekening")
        return QDialog.DialogCode.Accepted.value

    monkeypatch.setattr(LinkPersonDialog, "exec", fill)
    assert dialog.link_person() is not None
    assert [(p.name, p.function) for p in dialog.card.people.rows] == [
        ("Noor Vermeulen", "Verkoopster")
    ]
    dialog.card.people_view.selectRow(0)
    assert dialog.left_button.isEnabled()
    monkeypatch.setattr(messages, "question", lambda *_args, **_kw: QMessageBox.StandardButton.Yes)
    assert dialog.end_link() is True
    person = dialog.card.people.rows[0]
    assert person.ended_on is not None
    assert services.companies.get(owner, bakery).people[0].ended_on is not None
    dialog.card.people_view.selectRow(0)
    assert not dialog.left_button.isEnabled()


def test_the_link_dialog_asks_for_a_person_first(qtbot: QtBot) -> None:
    link = LinkPersonDialog(lambda _query: [], "Bakkerij Peeters", dt.date(2025, 3, 14))
    qtbot.addWidget(link)
    link.query.setText("nobody")
    link.find_contacts()
    assert link.error.text()
    link._accept()
    assert link.result() != QDialog.DialogCode.Accepted.value
    assert link.errors["contact"].text()


def test_ctrl_s_saves_the_company(qtbot: QtBot) -> None:
    """As in the contact editor."""
    editor = CompanyEditorDialog(BREWERY)
    qtbot.addWidget(editor)
    editor.show()
    qtbot.waitExposed(editor)
    editor.activateWindow()
    qtbot.waitUntil(editor.isActiveWindow)
    saved: list[bool] = []
    editor.buttons.accepted.connect(lambda: saved.append(True))
    field = editor.findChild(QLineEdit)
    assert field is not None
    field.setFocus()
    qtbot.keyClick(field, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert saved == [True]


def _people(count: int) -> list[ContactRow]:
    return [
        ContactRow(n, f"Peeters, Jan {n}", "", "", "", "Gent", Relationship.PROSPECT, None)
        for n in range(1, count + 1)
    ]


def test_enter_in_the_person_search_searches_and_a_full_list_says_so(qtbot: QtBot) -> None:
    """Enter searches, and only that (it pressed OK too: a red "choose them" beside the
    results); a list as long as the search reads says more may match."""
    asked: list[str] = []

    def search(query: str) -> list[ContactRow]:
        asked.append(query)
        return _people(LinkPersonDialog.RESULTS if query == "peeters" else 3)

    link = LinkPersonDialog(search, BREWERY.name, dt.date(2025, 3, 14))
    qtbot.addWidget(link)
    link.show()
    qtbot.waitExposed(link)
    link.query.setFocus()
    qtbot.keyClicks(link.query, "peeters")
    qtbot.keyClick(link.query, Qt.Key.Key_Return)
    assert asked == ["peeters"]
    assert link.isVisible()
    assert not link.errors["contact"].text()
    assert link.results.count() == LinkPersonDialog.RESULTS
    assert link.more.isVisibleTo(link)
    assert link.more.text() == "Only the first 50 are listed: type more of the name."
    link.query.setText("peeters jan")
    qtbot.keyClick(link.query, Qt.Key.Key_Enter)
    assert not link.more.isVisibleTo(link)
