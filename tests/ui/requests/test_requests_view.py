"""The requests register: model, new request with contact search, extension, closing,
carrying out, letters, the access report off the UI thread, the start-up notice;
screenshots in nl and fr (PRIVACYCRM_SCREENSHOT_DIR)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDialog, QFileDialog, QInputDialog, QMessageBox
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from privacycrm_desktop.domain.access import Role
from privacycrm_desktop.domain.contacts import ContactInput
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.domain.requests import RequestKind, RequestStatus
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.services.requests import RequestInput
from privacycrm_desktop.ui.common import messages
from privacycrm_desktop.ui.common.qt_i18n import apply_language
from privacycrm_desktop.ui.main_window import MainWindow
from privacycrm_desktop.ui.requests.request_dialogs import LetterDialog, NewRequestDialog
from privacycrm_desktop.ui.requests.requests_view import RequestColumn, RequestsDialog

from ..screens import save

SOURCE = SourceInput(SourceKind.WEB_FORM, "Contactformulier", dt.date(2025, 1, 2))


def zoe(services: Services, owner: Actor, language: str = "fr") -> int:
    return services.contacts.create(
        owner,
        ContactInput(
            first_name="Zoë",
            last_name="Lefèvre",
            emails=("zoe@example.be",),
            city="Liège",
            language=language,
        ),
        SOURCE,
    )


def test_register_flow(
    qtbot: QtBot, services: Services, owner: Actor, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    cid = zoe(services, owner)
    # Today is 14 March 2025: one overdue, one due soon, one later.
    late = services.requests.add(
        owner, RequestInput(RequestKind.ACCESS, (cid,), dt.date(2025, 2, 1))
    )
    services.requests.add(owner, RequestInput(RequestKind.ERASURE, (cid,), dt.date(2025, 2, 17)))
    dialog = RequestsDialog(services, owner)
    qtbot.addWidget(dialog)
    assert dialog.model.rowCount() == 2
    due = dialog.model.index(0, RequestColumn.DUE)
    assert "overdue" in dialog.model.data(due)
    assert dialog.model.data(due, Qt.ItemDataRole.ForegroundRole) is not None
    assert "due soon" in dialog.model.data(dialog.model.index(1, RequestColumn.DUE))
    # Who asked, by name, in the list and below it; no contact ids.
    assert dialog.model.data(dialog.model.index(0, RequestColumn.PERSON)) == "Lefèvre, Zoë"
    dialog.view.selectRow(0)
    assert "About: Lefèvre, Zoë" in dialog.details.text()
    assert "#" not in dialog.details.text()
    assert "1 request overdue" in dialog.summary.text()

    # New request: search, pick, save.
    def fill(new: NewRequestDialog) -> int:
        new.kind.setCurrentIndex(new.kind.findData("objection"))
        new.query.setText("Lefèvre")
        new.find_contacts()
        assert new.results.count() == 1
        # The person by name and what tells people apart, not by a database number.
        found = new.results.item(0).text()
        assert found.startswith("Lefèvre, Zoë")
        assert "#" not in found
        new.channel.setText("e-mail")
        return QDialog.DialogCode.Accepted.value

    monkeypatch.setattr(NewRequestDialog, "exec", fill)
    dialog.new_request()
    assert dialog.model.rowCount() == 3
    objection = dialog.selected()
    assert objection is not None
    assert objection.kind is RequestKind.OBJECTION
    assert dialog.carry_button.isEnabled()
    dialog.carry_out()
    done = services.requests.get(owner, objection.id)
    assert done.status is RequestStatus.DONE

    # The erasure request can be carried out, after a confirmation (refused here).
    dialog.view.selectRow(1)
    erasure = dialog.selected()
    assert erasure is not None
    assert erasure.kind is RequestKind.ERASURE
    assert dialog.carry_button.isEnabled()
    monkeypatch.setattr(messages, "question", lambda *a, **k: QMessageBox.StandardButton.No)
    dialog.carry_out()
    assert services.requests.get(owner, erasure.id).status is RequestStatus.OPEN

    # Extension with a reason, then closing.
    dialog.refresh(select=late)
    monkeypatch.setattr(QInputDialog, "getInt", lambda *a, **k: (2, True))
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("Complex request", True))
    dialog.extend()
    assert services.requests.get(owner, late).due_on == dt.date(2025, 5, 1)

    # "Where did we get the data?" goes to the clipboard in the person's language.
    text = dialog.copy_where_from()
    assert "Contactformulier" in text
    assert "Formulaire web" in text
    assert QGuiApplication.clipboard().text() == text

    # The access report: made in the background, PDF and JSON saved.
    target = tmp_path / "report.pdf"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    job = dialog.save_report()
    assert job is not None
    with qtbot.waitSignal(job.finished, timeout=20_000):
        pass
    assert target.read_bytes().startswith(b"%PDF")
    assert json.loads(target.with_suffix(".json").read_text(encoding="utf-8"))["language"] == "fr"
    assert "Saved report.pdf" in dialog.summary.text()

    monkeypatch.setattr(QInputDialog, "getItem", lambda *a, **k: ("Done", True))
    monkeypatch.setattr(QInputDialog, "getMultiLineText", lambda *a, **k: ("Report sent", True))
    dialog.close_request()
    assert services.requests.get(owner, late).status is RequestStatus.DONE

    # Letters: preview in the person's language, refusal needs a reason.
    letters = LetterDialog(services, owner, services.requests.get(owner, late), dialog)
    qtbot.addWidget(letters)
    assert "Bonjour Zoë Lefèvre" in letters.preview.toPlainText()
    letters.letter.setCurrentIndex(letters.letter.findData("refusal"))
    letters.reason.setText("")
    letters.refresh()
    assert letters.preview.toPlainText() == ""
    assert letters.error.isVisibleTo(letters)


def test_model_passes_the_model_tester(
    qtbot: QtBot, qtmodeltester: ModelTester, services: Services, owner: Actor
) -> None:
    cid = zoe(services, owner)
    services.requests.add(owner, RequestInput(RequestKind.ACCESS, (cid,), dt.date(2025, 2, 1)))
    dialog = RequestsDialog(services, owner)
    qtbot.addWidget(dialog)
    qtmodeltester.check(dialog.model)


def test_main_window_shows_pressing_requests_and_the_menu_by_role(
    qtbot: QtBot, services: Services, owner: Actor
) -> None:
    cid = zoe(services, owner)
    services.requests.add(owner, RequestInput(RequestKind.ACCESS, (cid,), dt.date(2025, 2, 1)))
    window = MainWindow(services, owner)
    qtbot.addWidget(window)
    assert window.requests_menu is not None
    notice = window.statusBar().findChild(type(window.count_label), "requests_notice")
    assert notice is not None
    qtbot.waitUntil(lambda: "1 request overdue" in notice.text())
    services.auth.add_user(owner, "office", "office password 1", Role.OFFICE)
    office = services.auth.login("office", "office password 1")
    other = MainWindow(services, office)
    qtbot.addWidget(other)
    assert other.requests_menu is None


@pytest.mark.parametrize("language", ["nl", "fr"])
def test_screenshots_of_the_register(
    qtbot: QtBot, services: Services, owner: Actor, language: str
) -> None:
    apply_language(language)
    cid = zoe(services, owner)
    services.requests.add(
        owner,
        RequestInput(RequestKind.ACCESS, (cid,), dt.date(2025, 2, 1), "e-mail", "Zoë Lefèvre"),
    )
    services.requests.add(owner, RequestInput(RequestKind.ERASURE, (cid,), dt.date(2025, 2, 17)))
    services.requests.add(owner, RequestInput(RequestKind.OBJECTION, (cid,)))
    dialog = RequestsDialog(services, owner)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.view.selectRow(0)
    save(dialog, f"{language}-requests-register")
    new = NewRequestDialog(
        lambda q: services.contacts.page(owner, query=q), services.requests.today()
    )
    qtbot.addWidget(new)
    new.show()
    new.query.setText("Liège")
    new.find_contacts()
    save(new, f"{language}-requests-new")
    letters = LetterDialog(services, owner, dialog.model.row(0))
    qtbot.addWidget(letters)
    letters.show()
    save(letters, f"{language}-requests-letter")


def test_rectify_from_the_register(
    qtbot: QtBot, services: Services, owner: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    cid = zoe(services, owner)
    rid = services.requests.add(owner, RequestInput(RequestKind.RECTIFICATION, (cid,)))
    dialog = RequestsDialog(services, owner)
    qtbot.addWidget(dialog)
    dialog.refresh(select=rid)
    assert dialog.rectify_button.isEnabled()
    items = iter(["City", "Phone call"])
    texts = iter([("Luik", True), ("Wrong city", True)])
    monkeypatch.setattr(QInputDialog, "getItem", lambda *a, **k: (next(items), True))
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: next(texts))
    done = dialog.rectify()
    assert done is not None
    assert (done.old_value, done.new_value) == ("Liège", "Luik")
    assert services.contacts.get(owner, cid).city == "Luik"
    assert "Recipients to tell" in dialog.summary.text()
