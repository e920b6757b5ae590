"""The access report starts from the contact selected in the list, the saved PDF is
offered to open, letters save as PDF, and Enter in the new request's contact search only
searches. Screenshots in nl and fr (PRIVACYCRM_SCREENSHOT_DIR)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtWidgets import QApplication, QDialog, QFileDialog
from pytestqt.qtbot import QtBot

from privacycrm_desktop.domain.access import Permission, Role, has_permission
from privacycrm_desktop.domain.requests import RequestKind
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.services.requests import RequestInput
from privacycrm_desktop.ui.common.qt_i18n import apply_language
from privacycrm_desktop.ui.common.settings import UiSettings
from privacycrm_desktop.ui.main_window import MainWindow
from privacycrm_desktop.ui.requests.access_report_dialog import AccessReportDialog
from privacycrm_desktop.ui.requests.request_dialogs import LetterDialog, NewRequestDialog

from ..conftest import SavedOffers
from ..screens import save
from .test_requests_view import zoe


def _window(qtbot: QtBot, services: Services, owner: Actor, tmp_path: Path) -> MainWindow:
    settings = UiSettings()
    settings.set_last_folder("pdf", str(tmp_path))
    window = MainWindow(services, owner, settings)
    qtbot.addWidget(window)
    window.resize(1024, 600)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    return window


def _select_first(qtbot: QtBot, window: MainWindow) -> None:
    # The list fills after the window shows (slowly on a busy machine): a row to select.
    qtbot.waitUntil(lambda: window.model.rowCount() > 0, timeout=20_000)
    window.view.setFocus()
    # Through the selection model: a view's selectRow follows the keyboard modifiers a
    # test before may have left pressed (Ctrl toggles the row off again).
    flags = QItemSelectionModel.SelectionFlag
    index = window.model.index(0, 0)
    window.view.selectionModel().setCurrentIndex(index, flags.ClearAndSelect | flags.Rows)
    qtbot.waitUntil(lambda: window.view.selectionModel().hasSelection(), timeout=20_000)


def test_the_access_report_of_the_selected_contact_in_four_actions_at_most(
    qtbot: QtBot,
    services: Services,
    owner: Actor,
    tmp_path: Path,
    saved_offers: SavedOffers,
) -> None:
    cid = zoe(services, owner)
    request = services.requests.add(
        owner, RequestInput(RequestKind.ACCESS, (cid,), dt.date(2025, 3, 1))
    )
    reference = services.requests.get(owner, request).reference
    window = _window(qtbot, services, owner, tmp_path)
    _select_first(qtbot, window)
    actions = 0

    # 1. Ctrl+R on the list: the dialog opens filled in with the contact and its request.
    qtbot.keyClick(window.view, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    actions += 1
    qtbot.waitUntil(lambda: isinstance(QApplication.activeModalWidget(), AccessReportDialog))
    dialog = QApplication.activeModalWidget()
    assert isinstance(dialog, AccessReportDialog)
    # It has the keyboard: Enter goes to it, not to the list behind.
    qtbot.waitUntil(dialog.isActiveWindow)
    assert dialog.isAncestorOf(QApplication.focusWidget())
    assert "Lefèvre, Zoë" in dialog.who.text()
    assert dialog.request.currentData() == request
    target = tmp_path / f"{reference}.pdf"
    assert Path(dialog.path.text()) == target

    # 2. Enter: the report is made and saved, with its JSON copy.
    saved_offers.answer = "open_file"
    qtbot.keyClick(dialog, Qt.Key.Key_Return)
    actions += 1
    assert dialog.job is not None
    with qtbot.waitSignal(dialog.job.finished, timeout=20_000):
        pass
    assert target.read_bytes().startswith(b"%PDF")
    document = json.loads(target.with_suffix(".json").read_text(encoding="utf-8"))
    assert document["reference"] == reference

    # 3. The "saved; open it?" box: Enter opens the PDF.
    actions += 1
    assert len(saved_offers.messages) == 1
    assert str(tmp_path) in saved_offers.messages[0]
    assert saved_offers.opened == [str(target)]
    print(f"access report from the selected contact: {actions} actions")
    assert actions <= 4


def test_without_a_request_the_report_stands_alone_and_the_folder_is_remembered(
    qtbot: QtBot,
    services: Services,
    owner: Actor,
    tmp_path: Path,
    saved_offers: SavedOffers,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cid = zoe(services, owner, language="nl")
    window = _window(qtbot, services, owner, tmp_path)
    _select_first(qtbot, window)
    dialog = window.export_access_report_for_selected()
    assert isinstance(dialog, AccessReportDialog)
    assert dialog.request.currentData() is None
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.setattr(
        QFileDialog, "getSaveFileName", lambda *a, **k: (str(elsewhere / "zoe.pdf"), "")
    )
    dialog.browse()
    dialog.language.setCurrentIndex(dialog.language.findData("fr"))
    saved_offers.answer = "open_folder"
    dialog.accept()
    assert dialog.job is not None
    with qtbot.waitSignal(dialog.job.finished, timeout=20_000):
        pass
    assert (elsewhere / "zoe.pdf").exists()
    document = json.loads((elsewhere / "zoe.json").read_text(encoding="utf-8"))
    assert document["language"] == "fr"
    assert document["contact_id"] == cid
    assert saved_offers.opened == [str(elsewhere)]
    assert UiSettings().last_folder("pdf") == str(elsewhere)


def test_nothing_selected_no_dialog(
    qtbot: QtBot, services: Services, owner: Actor, tmp_path: Path
) -> None:
    window = _window(qtbot, services, owner, tmp_path)
    assert window.export_access_report_for_selected() is None


def test_enter_in_the_contact_search_only_searches(
    qtbot: QtBot, services: Services, owner: Actor
) -> None:
    zoe(services, owner)
    dialog = NewRequestDialog(
        lambda query: services.contacts.page(owner, query=query, limit=50),
        services.requests.today(),
    )
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    accepted: list[int] = []
    dialog.accepted.connect(lambda: accepted.append(1))
    assert not dialog.ok_button.isEnabled()
    dialog.query.setFocus()
    dialog.query.setText("Lefèvre")
    qtbot.keyClick(dialog.query, Qt.Key.Key_Return)
    assert dialog.results.count() == 1
    assert dialog.contact_ids()
    assert not accepted
    assert dialog.result() != QDialog.DialogCode.Accepted.value
    # OK waits for the channel and the requester (and how the identity was checked).
    assert not dialog.ok_button.isEnabled()
    assert "the channel" in dialog.ok_button.toolTip()
    dialog.channel.setText("e-mail")
    dialog.requester.setText("Zoë Lefèvre")
    dialog.verified.setChecked(True)
    assert not dialog.ok_button.isEnabled()
    dialog.method.setText("known e-mail address")
    assert dialog.ok_button.isEnabled()
    qtbot.keyClick(dialog.requester, Qt.Key.Key_Return)
    assert accepted == [1]


def test_a_letter_saves_as_pdf_or_text_and_offers_to_open(
    qtbot: QtBot,
    services: Services,
    owner: Actor,
    tmp_path: Path,
    saved_offers: SavedOffers,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cid = zoe(services, owner)
    request = services.requests.add(owner, RequestInput(RequestKind.ACCESS, (cid,)))
    letters = LetterDialog(services, owner, services.requests.get(owner, request))
    qtbot.addWidget(letters)
    starts: list[str] = []

    def choose(name: str, kind: str) -> None:
        def pick(_parent: object, _title: str, start: str, filters: str) -> tuple[str, str]:
            starts.append(start)
            pdf_filter, text_filter = filters.split(";;")
            return str(tmp_path / name), pdf_filter if kind == "pdf" else text_filter

        monkeypatch.setattr(QFileDialog, "getSaveFileName", pick)

    choose("letter.pdf", "pdf")
    path = letters.save()
    assert path == tmp_path / "letter.pdf"
    assert path.read_bytes().startswith(b"%PDF")
    assert starts[0].endswith(".pdf")
    assert "letter.pdf" in saved_offers.messages[-1]
    choose("letter", "text")
    path = letters.save()
    assert path == tmp_path / "letter.txt"
    assert "Zoë Lefèvre" in path.read_text(encoding="utf-8")
    # The second dialog started in the folder the first one chose.
    assert Path(starts[1]).parent == tmp_path


@pytest.mark.parametrize("language", ["nl", "fr"])
def test_screenshots_of_the_access_report_dialog(
    qtbot: QtBot, services: Services, owner: Actor, tmp_path: Path, language: str
) -> None:
    apply_language(language)
    cid = zoe(services, owner)
    services.requests.add(owner, RequestInput(RequestKind.ACCESS, (cid,), dt.date(2025, 3, 1)))
    window = _window(qtbot, services, owner, tmp_path)
    _select_first(qtbot, window)
    dialog = window.export_access_report_for_selected()
    assert dialog is not None
    qtbot.waitExposed(dialog)
    save(dialog, f"access-report-dialog-{language}", settle=True)
    new = NewRequestDialog(lambda _q: [], services.requests.today())
    qtbot.addWidget(new)
    new.resize(520, 480)
    new.show()
    save(new, f"new-request-{language}", settle=True)
    dialog.reject()


@pytest.mark.parametrize(
    "role", [r for r in Role if not has_permission(r, Permission.ACCESS_REPORT)]
)
def test_ctrl_r_says_why_for_a_role_that_may_not_make_access_reports(
    qtbot: QtBot, services: Services, owner: Actor, tmp_path: Path, role: Role
) -> None:
    zoe(services, owner)
    services.auth.add_user(owner, "staff", "staff password 1", role)
    staff = services.auth.login("staff", "staff password 1")
    window = _window(qtbot, services, staff, tmp_path)
    assert window.access_report_action not in window.contacts_menu.actions()
    _select_first(qtbot, window)
    qtbot.keyClick(window.view, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyRelease(window.view, Qt.Key.Key_Control)  # no Ctrl left held for later tests
    assert window.statusBar().currentMessage() == "Your role may not make access reports."
    assert not window.findChildren(AccessReportDialog)
