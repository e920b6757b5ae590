"""The disclosure ledger, the locked special-category section and opening evidence files.

Screenshots in nl, fr and en go to PRIVACYCRM_SCREENSHOT_DIR when it is set.
"""

from __future__ import annotations

import datetime as dt
import stat
from pathlib import Path

import pytest
from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from pytestqt.qtbot import QtBot

from privacycrm_desktop.domain.access import Permission, Role, has_permission
from privacycrm_desktop.domain.consent import Channel, ConsentMethod, ConsentStatus
from privacycrm_desktop.domain.contacts import ContactInput, Relationship
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.domain.special_categories import SpecialCategory
from privacycrm_desktop.services.consent_dto import ConsentInput
from privacycrm_desktop.services.disclosures import DisclosureInput
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.ui.common.date_fields import format_date
from privacycrm_desktop.ui.common.qt_i18n import apply_language
from privacycrm_desktop.ui.consent.consent_panel import ConsentDialog
from privacycrm_desktop.ui.consent.disclosure_dialog import DisclosureDialog

from ..screens import save


def customer(services: Services, owner: Actor) -> int:
    return services.contacts.create(
        owner,
        ContactInput(
            first_name="Zoë",
            last_name="Lefèvre",
            emails=("zoe@example.be",),
            postcode="4000",
            city="Liège",
            relationship=Relationship.CUSTOMER,
        ),
        SourceInput(SourceKind.SALE, "Invoice 17", dt.date(2025, 3, 1)),
    )


def consent_dialog(qtbot: QtBot, services: Services, actor: Actor, cid: int) -> ConsentDialog:
    dialog = ConsentDialog(
        services.consent, services.statements, actor, cid, "fr", disclosures=services.disclosures
    )
    qtbot.addWidget(dialog)
    return dialog


def disclosure_dialog(qtbot: QtBot, services: Services, actor: Actor, cid: int) -> DisclosureDialog:
    dialog = DisclosureDialog(
        services.disclosures, services.statements, actor, cid, dt.date(2025, 3, 14)
    )
    qtbot.addWidget(dialog)
    return dialog


def test_record_a_disclosure_and_list_the_recipients_to_notify(
    qtbot: QtBot, services: Services, owner: Actor
) -> None:
    cid = customer(services, owner)
    dialog = disclosure_dialog(qtbot, services, owner, cid)
    assert dialog.ledger.rowCount() == 0
    assert dialog.notify.count() == 0
    dialog.recipient.setEditText("Boekhouder Peeters BV")
    dialog.record()  # no purpose chosen: refused next to the field
    assert not dialog.errors["purpose"].isHidden()
    dialog.purpose.setCurrentIndex(dialog.purpose.findData("invoicing"))
    dialog.kind.setCurrentIndex(dialog.kind.findData("independent"))
    dialog.categories["identity"].setChecked(True)
    dialog.categories["address"].setChecked(True)
    dialog.informed_on.set_value(dt.date(2025, 3, 14))
    dialog.record()
    assert dialog.general_error.isHidden()
    assert dialog.ledger.rowCount() == 1
    assert dialog.ledger.item(0, 1).text() == "Boekhouder Peeters BV"
    assert dialog.ledger.item(0, 3).text() == "identity, address"
    assert dialog.ledger.item(0, 4).text() == format_date(dt.date(2025, 3, 14))
    assert dialog.notify.count() == 1
    assert dialog.notify.item(0).text().startswith("Boekhouder Peeters BV")
    # The recipient is now known: picking it brings its kind along.
    assert dialog.recipient.findText("Boekhouder Peeters BV") >= 0
    dialog.kind.setCurrentIndex(dialog.kind.findData("processor"))
    dialog.recipient.setCurrentIndex(dialog.recipient.findText("Boekhouder Peeters BV"))
    assert dialog.kind.currentData() == "independent"
    save(dialog, "disclosure-dialog")


def test_a_transfer_for_the_recipient_s_own_marketing_is_refused_with_the_reason(
    qtbot: QtBot, services: Services, owner: Actor
) -> None:
    cid = customer(services, owner)
    dialog = disclosure_dialog(qtbot, services, owner, cid)
    dialog.recipient.setEditText("Zusterbedrijf NV")
    dialog.purpose.setCurrentIndex(dialog.purpose.findData("customer_relationship"))
    dialog.own_marketing.setChecked(True)
    dialog.record()
    assert not dialog.general_error.isHidden()
    assert "not even one of the same group" in dialog.general_error.text()
    assert dialog.ledger.rowCount() == 0
    assert dialog.notify.count() == 0
    assert services.disclosures.disclosures(owner, cid) == []
    # Remembered: choosing it again ticks the flag, and it stays refused.
    dialog.own_marketing.setChecked(False)
    dialog.recipient.setEditText("")
    dialog.recipient.setEditText("Zusterbedrijf  NV")
    assert dialog.own_marketing.isChecked()
    dialog.record()
    assert "not even one of the same group" in dialog.general_error.text()


def test_the_consent_dialog_opens_the_disclosures(
    qtbot: QtBot, services: Services, owner: Actor
) -> None:
    cid = customer(services, owner)
    services.disclosures.record(
        owner,
        DisclosureInput(
            cid, "Mailhouse BV", "customer_relationship", ("contact",), dt.date(2025, 3, 1)
        ),
    )
    dialog = consent_dialog(qtbot, services, owner, cid)
    assert dialog.disclosures_button is not None
    dialog.disclosures_button.click()
    opened = dialog.findChild(DisclosureDialog)
    assert opened is not None
    assert opened.ledger.rowCount() == 1
    assert opened.ledger.item(0, 4).text() == "not yet"
    opened.close()


@pytest.mark.parametrize("role", list(Role))
def test_the_disclosures_button_only_for_roles_that_may_record_one(
    qtbot: QtBot, services: Services, owner: Actor, role: Role
) -> None:
    cid = customer(services, owner)
    actor = owner
    if role is not Role.OWNER:
        services.auth.add_user(owner, "staff", "staff password 1", role)
        actor = services.auth.login("staff", "staff password 1")
    dialog = consent_dialog(qtbot, services, actor, cid)
    assert dialog.disclosures_button is not None
    may_record = has_permission(role, Permission.EXPORT)
    assert dialog.disclosures_button.isEnabled() is may_record
    if role is Role.READ_ONLY:
        assert not may_record
        assert "may not record" in dialog.disclosures_button.toolTip()


def test_special_categories_are_locked_until_written_consent(
    qtbot: QtBot, services: Services, owner: Actor
) -> None:
    cid = customer(services, owner)
    dialog = consent_dialog(qtbot, services, owner, cid)
    box = dialog.special_box
    assert box is not None
    box.category.setCurrentIndex(box.category.findData(SpecialCategory.HEALTH))
    assert "Locked" in box.state.text()
    assert not box.value.isEnabled()
    assert not box.record_value_button.isEnabled()
    assert box.record_consent_button.isEnabled()
    # Written consent needs evidence: refused, still locked.
    box.record_consent()
    assert not box.error.isHidden()
    assert not box.value.isEnabled()
    box.consent_method.setCurrentIndex(box.consent_method.findData(ConsentMethod.SIGNED_PAPER))
    box.consent_evidence.setText("Formulaire signé, réf. 12")
    box.record_consent()
    assert box.error.isHidden()
    assert "Written consent for Health on record" in box.state.text()
    assert dialog.history.rowCount() == 1  # the history shows the new consent at once
    assert dialog.history.item(0, 5).text() == "Formulaire signé, réf. 12 (Health)"
    assert box.value.isEnabled()
    box.value.setText("Diabète de type 1")
    box.source_description.setText("Told us at the counter")
    box.record_value()
    assert box.error.isHidden()
    assert "Recorded: Diabète de type 1" in box.state.text()
    # Another category stays locked.
    box.category.setCurrentIndex(box.category.findData(SpecialCategory.RELIGION))
    assert "Locked" in box.state.text()
    assert not box.value.isEnabled()
    box.category.setCurrentIndex(box.category.findData(SpecialCategory.HEALTH))
    save(dialog, "consent-dialog-special")


def test_roles_that_may_not_see_special_categories_do_not_get_the_section(
    qtbot: QtBot, services: Services, owner: Actor
) -> None:
    cid = customer(services, owner)
    services.auth.add_user(owner, "sales", "sales password 1", Role.SALES)
    sales = services.auth.login("sales", "sales password 1")
    dialog = consent_dialog(qtbot, services, sales, cid)
    assert dialog.special_box is None
    assert services.contacts.field_access(sales)["special_categories"].value == "hidden"
    # The owner's override opens it read-only: shown, but nothing can be recorded.
    from privacycrm_desktop.domain.access import FieldAccess

    services.access.set_field_access(owner, Role.SALES, "special_categories", FieldAccess.READ)
    dialog = consent_dialog(qtbot, services, sales, cid)
    assert dialog.special_box is not None
    assert not dialog.special_box.record_consent_button.isEnabled()
    assert not dialog.special_box.value.isEnabled()


def test_open_evidence_writes_a_private_temporary_file(
    qtbot: QtBot, services: Services, owner: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    cid = customer(services, owner)
    services.consent.record(
        owner,
        ConsentInput(
            cid,
            "direct_marketing_consent",
            Channel.EMAIL,
            ConsentStatus.OPT_IN,
            ConsentMethod.SIGNED_PAPER,
            evidence_file=b"%PDF-1.4 scanned form",
            evidence_file_name="formulaire Zoë.pdf",
        ),
    )
    services.consent.record(
        owner,
        ConsentInput(
            cid,
            "direct_marketing_consent",
            Channel.PHONE,
            ConsentStatus.OPT_OUT,
            ConsentMethod.VERBAL_PHONE,
        ),
    )
    opened: list[QUrl] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url) or True)
    dialog = consent_dialog(qtbot, services, owner, cid)
    assert not dialog.evidence_button.isEnabled()
    rows = [dialog.history.item(r, 2).text() for r in range(dialog.history.rowCount())]
    dialog.history.selectRow(rows.index("Phone"))
    assert not dialog.evidence_button.isEnabled()
    dialog.history.selectRow(rows.index("E-mail"))
    assert dialog.evidence_button.isEnabled()
    dialog.evidence_button.click()
    assert len(opened) == 1
    path = Path(opened[0].toLocalFile())
    assert path.read_bytes() == b"%PDF-1.4 scanned form"
    assert path.suffix == ".pdf"
    assert "Zo" not in path.name  # the original name may be personal
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    dialog.reject()
    assert not path.exists()


@pytest.mark.parametrize("language", ["nl", "fr", "en"])
def test_screenshots_of_the_new_windows(
    qtbot: QtBot, services: Services, owner: Actor, language: str
) -> None:
    apply_language(language)
    cid = customer(services, owner)
    services.disclosures.record(
        owner,
        DisclosureInput(
            cid,
            "Boekhouder Peeters BV",
            "invoicing",
            ("identity", "address"),
            dt.date(2025, 3, 1),
            dt.date(2025, 3, 2),
        ),
    )
    services.disclosures.record_special_consent(
        owner, cid, SpecialCategory.HEALTH, ConsentMethod.SIGNED_PAPER, "ref. 12"
    )
    dialog = consent_dialog(qtbot, services, owner, cid)
    dialog.show()
    qtbot.waitExposed(dialog)
    save(dialog, f"{language}-consent-dialog-full")
    ledger = disclosure_dialog(qtbot, services, owner, cid)
    ledger.recipient.setEditText("Zusterbedrijf NV")
    ledger.purpose.setCurrentIndex(ledger.purpose.findData("customer_relationship"))
    ledger.own_marketing.setChecked(True)
    ledger.show()
    qtbot.waitExposed(ledger)
    ledger.record()
    assert not ledger.general_error.isHidden()
    save(ledger, f"{language}-disclosure-dialog")
