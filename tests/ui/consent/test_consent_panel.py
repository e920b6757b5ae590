"""The "Consent & marketing" dialog and the marketing list dialog.

Screenshots of both, in nl, fr and en, go to PRIVACYCRM_SCREENSHOT_DIR when it is set.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from PySide6.QtWidgets import QFileDialog, QMessageBox
from pytestqt.qtbot import QtBot

from privacycrm_desktop.domain.consent import Channel, ConsentMethod, ConsentStatus
from privacycrm_desktop.domain.contacts import ContactInput, Relationship
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.services.consent_dto import ConsentInput
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.ui.common import messages
from privacycrm_desktop.ui.common.qt_i18n import apply_language
from privacycrm_desktop.ui.common.workers import Job, ProgressPanel
from privacycrm_desktop.ui.consent.consent_panel import ConsentDialog
from privacycrm_desktop.ui.consent.marketing_dialog import MarketingListDialog
from privacycrm_desktop.ui.contacts.contact_editor import ContactEditorDialog
from privacycrm_desktop.ui.main_window import MainWindow

from ..screens import save


def finish(qtbot: QtBot, job: Job[object] | None) -> None:
    """Wait until a background job (a list, an export) has delivered its result."""
    assert job is not None
    if job.running:
        with qtbot.waitSignal(job.finished, timeout=10_000):
            pass
    qtbot.wait(1)  # let the layout follow the new texts before a screenshot


def customer(services: Services, owner: Actor) -> int:
    return services.contacts.create(
        owner,
        ContactInput(
            first_name="Zoë",
            last_name="Lefèvre",
            emails=("zoe@example.be",),
            phones=("0475 12 34 56",),
            street="Rue Haute 1",
            postcode="4000",
            city="Liège",
            relationship=Relationship.CUSTOMER,
        ),
        SourceInput(SourceKind.SALE, "Invoice 17", dt.date(2025, 3, 1)),
    )


def dialog_for(qtbot: QtBot, services: Services, owner: Actor, cid: int) -> ConsentDialog:
    dialog = ConsentDialog(services.consent, services.statements, owner, cid, "fr")
    qtbot.addWidget(dialog)
    return dialog


def test_every_choice_starts_unticked(qtbot: QtBot, services: Services, owner: Actor) -> None:
    dialog = dialog_for(qtbot, services, owner, customer(services, owner))
    assert not any(b.isChecked() for b in dialog.status_buttons.values())
    assert not dialog.opt_out_offered.isChecked()
    assert dialog.expires_on.value() is None
    assert dialog.purpose.currentData() is None
    assert dialog.method.currentData() is None
    assert dialog.statement_version.value() == 1
    assert dialog.history.rowCount() == 0
    assert "No e-mail marketing" in dialog.channel_labels[Channel.EMAIL].text()
    dialog.record()  # nothing chosen: refused next to each field, nothing recorded
    assert not dialog.errors["status"].isHidden()
    assert not dialog.errors["purpose"].isHidden()
    assert services.consent.history(owner, dialog._contact_id) == []


def test_record_an_opt_in_then_unsubscribe(
    qtbot: QtBot, services: Services, owner: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    cid = customer(services, owner)
    dialog = dialog_for(qtbot, services, owner, cid)
    dialog.purpose.setCurrentIndex(dialog.purpose.findData("direct_marketing_consent"))
    dialog.channel.setCurrentIndex(dialog.channel.findData(Channel.EMAIL))
    dialog.status_buttons[ConsentStatus.OPT_IN].setChecked(True)
    dialog.method.setCurrentIndex(dialog.method.findData(ConsentMethod.SIGNED_PAPER))
    dialog.record()  # no evidence: refused by the service, shown next to the field
    assert not dialog.errors["evidence"].isHidden()
    dialog.evidence.setText("Formulaire signé, réf. 12")
    dialog.record()
    assert dialog.history.rowCount() == 1
    assert "E-mail marketing allowed" in dialog.channel_labels[Channel.EMAIL].text()
    # The form is cleared: the next record starts unticked again.
    assert not any(b.isChecked() for b in dialog.status_buttons.values())
    save(dialog, "consent-dialog")

    monkeypatch.setattr(messages, "question", lambda *a, **k: QMessageBox.StandardButton.No)
    dialog.unsubscribe()
    assert dialog.history.rowCount() == 1
    monkeypatch.setattr(messages, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    dialog.unsubscribe()
    assert dialog.history.rowCount() == 1 + 8
    for label in dialog.channel_labels.values():
        assert label.text().startswith("✖")
        assert "Unsubscribed from all direct marketing" in label.text()


def test_the_editor_opens_the_consent_dialog(
    qtbot: QtBot, services: Services, owner: Actor
) -> None:
    cid = customer(services, owner)
    opened: list[tuple[int, str]] = []
    editor = ContactEditorDialog(
        services.contacts, owner, cid, open_consent=lambda i, lang: opened.append((i, lang))
    )
    qtbot.addWidget(editor)
    assert editor.consent_button is not None
    editor.consent_button.click()
    assert opened == [(cid, "nl")]
    new = ContactEditorDialog(services.contacts, owner, None, open_consent=print)
    qtbot.addWidget(new)
    assert new.consent_button is None


def test_marketing_list_dialog_builds_and_exports(
    qtbot: QtBot,
    services: Services,
    owner: Actor,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    cid = customer(services, owner)
    services.consent.record(
        owner,
        ConsentInput(
            cid,
            "direct_marketing_consent",
            Channel.EMAIL,
            ConsentStatus.OPT_IN,
            ConsentMethod.FORM_BOX_TICKED,
            "web form 1",
        ),
    )
    customer(services, owner)  # a second one, without consent
    dialog = MarketingListDialog(services, owner)
    qtbot.addWidget(dialog)
    finish(qtbot, dialog.build())
    assert dialog.model.rowCount() == 1
    assert dialog.model.index(0, 0).data() == "Zoë"
    assert "No consent recorded: 1" in dialog.summary.text()
    target = tmp_path / "list.csv"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    dialog.recipient.setText("Mailhouse BV")
    finish(qtbot, dialog.export())
    assert target.read_bytes().startswith(b"\xef\xbb\xbf")
    assert "1 contact exported." in dialog.summary.text()
    save(dialog, "marketing-list")
    # Soft opt-in without a category: the reason is shown, nothing is listed.
    dialog.purpose.setCurrentIndex(dialog.purpose.findData("direct_marketing_soft_opt_in"))
    finish(qtbot, dialog.build())
    assert not dialog.error.isHidden()


def test_the_main_window_has_the_marketing_menu(
    qtbot: QtBot,
    services: Services,
    owner: Actor,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    window = MainWindow(services, owner)
    qtbot.addWidget(window)
    titles = [a.text() for a in window.menuBar().actions()]
    assert "&Marketing" in titles
    menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Marketing")
    register = next(a.menu() for a in menu.actions() if a.menu() is not None)
    target = tmp_path / "register.pdf"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    register.actions()[0].trigger()  # Dutch
    panel = window.findChild(ProgressPanel)
    qtbot.waitUntil(lambda: not panel.busy, timeout=10_000)
    assert target.read_bytes().startswith(b"%PDF")


@pytest.mark.parametrize("language", ["nl", "fr", "en"])
def test_screenshots_of_the_consent_windows(
    qtbot: QtBot, services: Services, owner: Actor, language: str
) -> None:
    apply_language(language)
    cid = customer(services, owner)
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
    dialog = dialog_for(qtbot, services, owner, cid)
    dialog.show()
    qtbot.waitExposed(dialog)
    save(dialog, f"{language}-consent-dialog")
    lists = MarketingListDialog(services, owner)
    qtbot.addWidget(lists)
    lists.show()
    finish(qtbot, lists.build())
    save(lists, f"{language}-marketing-list")


def test_notes_with_special_category_words_are_confirmed_first(
    qtbot: QtBot, services: Services, owner: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    cid = customer(services, owner)
    editor = ContactEditorDialog(
        services.contacts, owner, cid, scan_notes=services.disclosures.scan_text
    )
    qtbot.addWidget(editor)
    editor.editors["notes"].setPlainText("Klant is diabeticus, lid van de vakbond")
    editor.source_kind.setCurrentIndex(1)  # an edit's source is always chosen
    editor.source_description.setText("Phone call")
    asked: list[str] = []

    def refuse(_parent: object, _title: str, text: str, *_a: object) -> object:
        asked.append(text)
        return QMessageBox.StandardButton.Cancel

    monkeypatch.setattr(messages, "warning", refuse)
    editor.save()
    assert editor.saved_id is None
    assert "Health" in asked[0]
    assert "Trade-union membership" in asked[0]
    assert "\u201cdiabeticus, vakbond\u201d" in asked[0]  # the words as typed, not stems
    monkeypatch.setattr(messages, "warning", lambda *a, **k: QMessageBox.StandardButton.Save)
    editor.save()
    assert editor.saved_id == cid
    assert "diabeticus" in services.contacts.get(owner, cid).notes


def test_the_owner_publishes_a_new_statement_version(
    qtbot: QtBot, services: Services, owner: Actor
) -> None:
    from privacycrm_desktop.ui.consent.statement_dialog import StatementDialog

    dialog = StatementDialog(services.statements, owner)
    qtbot.addWidget(dialog)
    assert dialog.version.text() == "1"
    assert "Privacyverklaring" in dialog.text.toPlainText()
    dialog.text.setPlainText("# Privacyverklaring\n\nNieuwe, kortere tekst van {company}.")
    dialog.publish()
    assert dialog.version.text() == "2"
    dialog.language.setCurrentIndex(dialog.language.findData("fr"))
    assert dialog.version.text() == "1"
    dialog.text.setPlainText("   ")
    dialog.publish()
    assert not dialog.error.isHidden()
    assert services.statements.current("nl").version == 2
    save(dialog, "statement-dialog")


def test_the_owner_edits_the_register_of_purposes(
    qtbot: QtBot, services: Services, owner: Actor
) -> None:
    from privacycrm_desktop.ui.consent.purposes_dialog import PurposesDialog

    dialog = PurposesDialog(services.statements, owner)
    qtbot.addWidget(dialog)
    assert dialog.list.count() == 5
    soft = next(
        i for i, p in enumerate(dialog._purposes) if p.code == "direct_marketing_soft_opt_in"
    )
    dialog.list.setCurrentRow(soft)
    assert dialog.similar.isEnabled()
    dialog.similar.setPlainText("coffee, tea\nshoes, socks")
    dialog.months.setValue(24)
    dialog.save()
    saved = next(
        p for p in services.statements.purposes(owner) if p.code == "direct_marketing_soft_opt_in"
    )
    assert saved.retention_months == 24
    assert saved.similar_categories == (("coffee", "tea"), ("shoes", "socks"))
    assert saved.name == "Direct marketing to customers (soft opt-in)"  # still a msgid
    dialog.name.setText("")
    dialog.save()
    assert not dialog.errors["name"].isHidden()
    save(dialog, "purposes-dialog")
