"""The first-run wizard sets up a fresh database and refuses bad input on its page."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.ui.startup.first_run_wizard import FirstRunWizard, Page


def fill_company(wizard: FirstRunWizard, vat: str = "0403.170.701") -> None:
    page = wizard.company_page
    page.name.setText("Brasserie Zoë")
    page.address.setText("Place Saint-Lambert 1, 4000 Liège")
    page.vat_number.setText(vat)
    page.privacy_email.setText("privacy@zoe.be")


def test_wizard_creates_the_owner(qtbot: QtBot, bare_services: Services) -> None:
    wizard = FirstRunWizard(bare_services.setup)
    qtbot.addWidget(wizard)
    wizard.show()
    wizard.language_page.language.setCurrentIndex(wizard.language_page.language.findData("fr"))
    assert wizard.currentId() == Page.LANGUAGE
    wizard.next()
    assert wizard.currentId() == Page.COMPANY
    fill_company(wizard)
    wizard.next()
    assert wizard.currentId() == Page.OWNER
    wizard.owner_page.username.setText("zoe")
    wizard.owner_page.password.setText("a long enough password")
    wizard.owner_page.password_again.setText("a long enough password")
    wizard.accept()
    assert wizard.result() == FirstRunWizard.DialogCode.Accepted
    assert wizard.actor is not None
    assert wizard.actor.username == "zoe"
    assert bare_services.setup.is_initialised()
    assert bare_services.setup.company().language == "fr"
    assert bare_services.setup.company().vat_number == "BE0403170701"
    assert bare_services.auth.login("zoe", "a long enough password").username == "zoe"


def test_wizard_stays_on_a_page_with_problems(qtbot: QtBot, bare_services: Services) -> None:
    wizard = FirstRunWizard(bare_services.setup)
    qtbot.addWidget(wizard)
    wizard.show()
    wizard.next()
    # Mandatory fields empty: Next is refused by the registered fields.
    assert not wizard.button(FirstRunWizard.WizardButton.NextButton).isEnabled()
    fill_company(wizard, vat="BE 1234")
    wizard.next()
    assert wizard.currentId() == Page.COMPANY
    assert not wizard.company_page.errors["vat_number"].isHidden()
    assert "BE 1234" in wizard.company_page.errors["vat_number"].text()
    wizard.company_page.vat_number.setText("")
    wizard.next()
    assert wizard.currentId() == Page.OWNER
    assert wizard.company_page.errors["vat_number"].isHidden()

    owner = wizard.owner_page
    owner.username.setText("zoe")
    owner.password.setText("a long enough password")
    owner.password_again.setText("another long password")
    wizard.accept()
    assert wizard.result() != FirstRunWizard.DialogCode.Accepted
    assert not owner.errors["password_again"].isHidden()
    owner.password.setText("short")
    owner.password_again.setText("short")
    wizard.accept()
    assert not owner.errors["password"].isHidden()
    assert "10" in owner.errors["password"].text()
    assert not bare_services.setup.is_initialised()
