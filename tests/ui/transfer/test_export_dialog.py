"""'Export selected...': the main window's multi-selection and the export dialog."""

from __future__ import annotations

import csv
import io
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import vobject
from PySide6.QtCore import QItemSelection, QItemSelectionModel, QStandardPaths
from PySide6.QtWidgets import QFileDialog
from pytestqt.qtbot import QtBot

from privacycrm_desktop.domain.access import Role
from privacycrm_desktop.domain.export_formats import ExportFormat
from privacycrm_desktop.domain.purposes import RecipientKind
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.ui.common.qt_i18n import apply_language
from privacycrm_desktop.ui.common.row_ranges import merge_ranges
from privacycrm_desktop.ui.common.settings import UiSettings, shared_settings
from privacycrm_desktop.ui.main_window import MainWindow
from privacycrm_desktop.ui.transfer.export_dialog import FOLDER_KIND, ExportDialog

from ..conftest import SavedOffers
from ..screens import save

GOOD = "another good password"


@pytest.fixture
def many(services: Services, owner: Actor) -> Services:
    services.demo.generate(owner, 300, seed=5)
    return services


def window_for(qtbot: QtBot, services: Services, actor: Actor) -> MainWindow:
    window = MainWindow(services, actor)
    qtbot.addWidget(window)
    window.show()
    return window


def select_rows(window: MainWindow, *spans: tuple[int, int]) -> None:
    model, selection = window.model, QItemSelection()
    for first, last in spans:
        selection.select(model.index(first, 0), model.index(last, model.columnCount() - 1))
    window.view.selectionModel().select(selection, QItemSelectionModel.SelectionFlag.ClearAndSelect)


def fill(dialog: ExportDialog, out: Path, recipient: str = "Printer NV") -> None:
    dialog.purpose.setCurrentIndex(dialog.purpose.findData("invoicing"))
    dialog.recipient.setEditText(recipient)
    dialog.file.setText(str(out))


def run_export(qtbot: QtBot, dialog: ExportDialog) -> None:
    job = dialog.start_export()
    assert job is not None
    assert not dialog.export_button.isEnabled()
    with qtbot.waitSignal(job.finished, timeout=20_000):
        pass


def csv_ids(path: Path) -> list[int]:
    text = path.read_bytes().decode("utf-8-sig")
    return [int(row["PrivacyCRM no."]) for row in csv.DictReader(io.StringIO(text, newline=""))]


def test_merge_ranges() -> None:
    assert merge_ranges([(5, 5), (0, 2), (3, 3), (8, 9), (1, 4)]) == ((0, 5), (8, 9))
    assert merge_ranges([]) == ()


def test_the_chosen_rows_are_exported_as_csv(
    qtbot: QtBot, many: Services, owner: Actor, tmp_path: Path
) -> None:
    window = window_for(qtbot, many, owner)
    assert window.view.selectionMode() == window.view.SelectionMode.ExtendedSelection
    assert not window.export_action.isEnabled()  # nothing selected yet
    assert window.export_action in window.contacts_menu.actions()
    select_rows(window, (0, 2), (5, 5), (250, 251))
    assert window.export_action.isEnabled()
    wanted = [window.model.contact_at(r).id for r in (0, 1, 2, 5, 250, 251)]
    dialog = window.export_selected()
    assert isinstance(dialog, ExportDialog)
    assert "6 contacts selected" in dialog.summary.text()
    assert "Notes" in dialog.fields_note.text()
    out = tmp_path / "chosen.csv"
    fill(dialog, out)
    run_export(qtbot, dialog)
    assert dialog.result() == ExportDialog.DialogCode.Accepted
    assert dialog.result_value is not None
    assert dialog.result_value.count == 6
    assert csv_ids(out) == wanted
    assert window.statusBar().currentMessage() == "6 contacts exported to chosen.csv."
    ledger = many.disclosures.disclosures(owner, wanted[0])
    assert [d.recipient for d in ledger] == ["Printer NV"]


def test_the_program_is_chosen_with_the_format(
    qtbot: QtBot, many: Services, owner: Actor, tmp_path: Path
) -> None:
    window = window_for(qtbot, many, owner)
    select_rows(window, (0, 1))
    dialog = window.export_selected()
    assert isinstance(dialog, ExportDialog)
    profiles = [dialog.variant.itemData(i) for i in range(dialog.variant.count())]
    assert profiles == ["privacycrm", "outlook", "google", "excel-nl", "excel-fr"]
    dialog.variant.setCurrentIndex(dialog.variant.findData("excel-fr"))
    out = tmp_path / "excel.csv"
    fill(dialog, out)
    run_export(qtbot, dialog)
    assert dialog.result_value is not None
    assert dialog.result_value.variant == "excel-fr"
    assert out.read_bytes().decode("utf-8-sig").startswith("Prénom;Nom;")

    dialog = window.export_selected()
    assert isinstance(dialog, ExportDialog)
    dialog.format.setCurrentIndex(dialog.format.findData(ExportFormat.VCARD))
    versions = [dialog.variant.itemData(i) for i in range(dialog.variant.count())]
    assert versions == ["4.0", "3.0"]
    dialog.variant.setCurrentIndex(dialog.variant.findData("3.0"))
    fill(dialog, tmp_path / "old.vcf")
    run_export(qtbot, dialog)
    cards = list(vobject.readComponents((tmp_path / "old.vcf").read_text(encoding="utf-8")))
    assert [c.version.value for c in cards] == ["3.0", "3.0"]


def test_the_whole_list_and_a_search_result(
    qtbot: QtBot, many: Services, owner: Actor, tmp_path: Path
) -> None:
    window = window_for(qtbot, many, owner)
    window.view.selectAll()
    dialog = window.export_selected()
    assert isinstance(dialog, ExportDialog)
    assert dialog.selection.everything
    dialog.format.setCurrentIndex(dialog.format.findData(ExportFormat.VCARD))
    fill(dialog, tmp_path / "all.csv")
    dialog._format_changed()
    assert dialog.file.text().endswith("all.vcf")
    dialog.kind.setCurrentIndex(dialog.kind.findData(None))
    run_export(qtbot, dialog)
    cards = list(vobject.readComponents((tmp_path / "all.vcf").read_text(encoding="utf-8")))
    assert len(cards) == 300
    assert dialog.result_value is not None
    assert dialog.result_value.recipient_id is None  # internal: no disclosure

    # A search narrows the list: the selected rows are those of the search result.
    window.search.setText("Gent")
    window.apply_search()
    total = window.model.rowCount()
    assert 0 < total < 300
    window.view.selectAll()
    dialog = window.export_selected()
    assert isinstance(dialog, ExportDialog)
    assert not dialog.selection.everything
    fill(dialog, tmp_path / "gent.csv")
    run_export(qtbot, dialog)
    ids = csv_ids(tmp_path / "gent.csv")
    assert len(ids) == total
    assert ids == [window.model.contact_at(r).id for r in range(total)]


def test_own_use_is_refused_with_a_clear_message(
    qtbot: QtBot, many: Services, owner: Actor, tmp_path: Path
) -> None:
    window = window_for(qtbot, many, owner)
    select_rows(window, (0, 3))
    dialog = window.export_selected()
    assert isinstance(dialog, ExportDialog)
    out = tmp_path / "sister.csv"
    fill(dialog, out, "Sister Company NV")
    dialog.own_use.setChecked(True)
    run_export(qtbot, dialog)
    assert dialog.isVisible()
    assert "Refused" in dialog.general_error.text()
    assert dialog.general_error.isVisible()
    assert not out.exists()
    assert dialog.export_button.isEnabled()


def test_missing_values_show_next_to_their_fields(
    qtbot: QtBot, many: Services, owner: Actor, tmp_path: Path
) -> None:
    window = window_for(qtbot, many, owner)
    select_rows(window, (0, 0))
    dialog = window.export_selected()
    assert isinstance(dialog, ExportDialog)
    dialog.file.setText("")
    assert dialog.start_export() is None
    assert dialog.errors["file"].text() == "Choose where to save the file."
    fill(dialog, tmp_path / "a.csv", "   ")
    run_export(qtbot, dialog)
    assert dialog.errors["recipient"].text() == "Name the recipient."
    assert dialog.errors["file"].isHidden()
    assert not (tmp_path / "a.csv").exists()


def test_a_known_recipient_brings_its_kind(
    qtbot: QtBot, many: Services, owner: Actor, tmp_path: Path
) -> None:
    window = window_for(qtbot, many, owner)
    select_rows(window, (0, 0))
    dialog = window.export_selected()
    assert isinstance(dialog, ExportDialog)
    fill(dialog, tmp_path / "a.csv", "Accountant BV")
    dialog.kind.setCurrentIndex(dialog.kind.findData(RecipientKind.INDEPENDENT.value))
    run_export(qtbot, dialog)
    select_rows(window, (1, 1))
    dialog = window.export_selected()
    assert isinstance(dialog, ExportDialog)
    assert dialog.kind.currentData() == RecipientKind.PROCESSOR.value
    dialog.recipient.setCurrentIndex(dialog.recipient.findText("Accountant BV"))
    assert dialog.kind.currentData() == RecipientKind.INDEPENDENT.value
    assert dialog.request().recipient_kind is RecipientKind.INDEPENDENT


def test_browse_sets_the_file(
    qtbot: QtBot, many: Services, owner: Actor, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = window_for(qtbot, many, owner)
    select_rows(window, (0, 0))
    dialog = window.export_selected()
    assert isinstance(dialog, ExportDialog)
    target = tmp_path / "picked.csv"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    dialog.choose_file()
    assert dialog.file.text() == str(target)


def test_cancel_leaves_no_file(
    qtbot: QtBot, many: Services, owner: Actor, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate = threading.Event()
    original: Callable[..., Any] = many.exports.export

    def wait_then_export(*args: Any, **kwargs: Any) -> Any:
        gate.wait(10)
        return original(*args, **kwargs)

    monkeypatch.setattr(many.exports, "export", wait_then_export)
    window = window_for(qtbot, many, owner)
    window.view.selectAll()
    dialog = window.export_selected()
    assert isinstance(dialog, ExportDialog)
    out = tmp_path / "all.csv"
    fill(dialog, out)
    job = dialog.start_export()
    assert job is not None
    assert dialog.progress.isVisible()
    dialog.progress.cancel()
    gate.set()
    with qtbot.waitSignal(job.finished, timeout=20_000):
        pass
    assert dialog.general_error.text() == "Stopped before the end; no file was written."
    assert list(tmp_path.glob("*.csv")) == []
    assert list(tmp_path.glob(".all.csv*")) == []


def test_only_roles_that_may_export_get_the_action(
    qtbot: QtBot, many: Services, owner: Actor
) -> None:
    for role in (Role.OFFICE, Role.READ_ONLY):
        many.auth.add_user(owner, role.value, GOOD, role)
        actor = many.auth.login(role.value, GOOD)
        window = window_for(qtbot, many, actor)
        select_rows(window, (0, 1))
        assert window.export_action not in window.contacts_menu.actions()
        assert not window.export_action.isEnabled()
        assert window.export_selected() is None
    window.lock()
    assert not window.export_action.isEnabled()


@pytest.mark.parametrize("language", ["nl", "fr"])
def test_screenshots(
    qtbot: QtBot, many: Services, owner: Actor, tmp_path: Path, language: str
) -> None:
    apply_language(language)
    window = window_for(qtbot, many, owner)
    select_rows(window, (0, 4), (9, 9))
    save(window, f"{language}-export-selection")
    dialog = window.export_selected()
    assert isinstance(dialog, ExportDialog)
    dialog.adjustSize()
    save(dialog, f"{language}-export-dialog")
    fill(dialog, tmp_path / "x.csv", "Zuster NV")
    dialog.own_use.setChecked(True)
    dialog.kind.setCurrentIndex(dialog.kind.findData(RecipientKind.INDEPENDENT.value))
    run_export(qtbot, dialog)
    assert dialog.general_error.isVisible()
    assert "Refused" not in dialog.general_error.text()  # translated
    dialog.adjustSize()
    save(dialog, f"{language}-export-refused")
    # Nothing in the dialog is left in English.
    assert dialog.windowTitle() != "Export contacts"
    assert not dialog.fields_note.text().startswith("The file holds")
    assert dialog.own_use.text() != "The recipient uses the data for its own purposes"
    assert "selected" not in dialog.summary.text()


def test_the_file_goes_where_the_last_export_went_and_can_be_opened(
    qtbot: QtBot, many: Services, owner: Actor, tmp_path: Path, saved_offers: SavedOffers
) -> None:
    (shared_settings() or UiSettings()).set_last_folder(FOLDER_KIND, "")
    window = window_for(qtbot, many, owner)
    select_rows(window, (0, 1))
    dialog = window.export_selected()
    assert isinstance(dialog, ExportDialog)
    # The documents folder at first (not the home folder), then the last export's.
    documents = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    assert Path(dialog.file.text()) == Path(documents or Path.home()) / "contacts.csv"
    folder = tmp_path / "exports"
    folder.mkdir()
    saved_offers.answer = "open_folder"
    fill(dialog, folder / "two.csv")
    run_export(qtbot, dialog)
    assert dialog.result() == ExportDialog.DialogCode.Accepted
    # It says where the file went and opens the folder when asked.
    assert saved_offers.messages == [f"2 contacts exported to two.csv.\nIn the folder {folder}"]
    assert saved_offers.opened == [str(folder)]

    again = window.export_selected()
    assert isinstance(again, ExportDialog)
    assert Path(again.file.text()) == folder / "contacts.csv"
