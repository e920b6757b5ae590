"""Saving a document: the dialog starts in the documents folder, then in the folder last
chosen; once saved, the box names the folder and opens the file or the folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QStandardPaths
from PySide6.QtWidgets import QFileDialog, QMessageBox
from pytestqt.qtbot import QtBot

from privacycrm_desktop.ui.common import saved_files
from privacycrm_desktop.ui.common.saved_files import Next, ask_save_path, offer_to_open
from privacycrm_desktop.ui.common.settings import UiSettings

from ..conftest import SavedOffers


def test_the_first_save_starts_in_the_documents_folder_then_where_the_last_went(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = UiSettings()
    settings.set_last_folder("report-test", "")
    starts: list[str] = []
    chosen = tmp_path / "out" / "register.pdf"
    chosen.parent.mkdir()

    def pick(_parent: object, _title: str, start: str, _filters: str) -> tuple[str, str]:
        starts.append(start)
        return str(chosen), "PDF (*.pdf)"

    monkeypatch.setattr(QFileDialog, "getSaveFileName", pick)
    assert ask_save_path(None, "Save", "register.pdf", "PDF (*.pdf)", "report-test") == (
        chosen,
        "PDF (*.pdf)",
    )
    documents = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    assert Path(starts[0]) == Path(documents or Path.home()) / "register.pdf"
    assert Path(starts[0]).parent != Path.cwd()
    ask_save_path(None, "Save", "notice.pdf", "PDF (*.pdf)", "report-test")
    assert Path(starts[1]) == chosen.parent / "notice.pdf"
    # Cancelled: nothing chosen, nothing remembered.
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a: ("", ""))
    assert ask_save_path(None, "Save", "x.pdf", "PDF (*.pdf)", "report-test") is None


def test_a_folder_since_removed_is_forgotten(tmp_path: Path) -> None:
    settings = UiSettings()
    settings.set_last_folder("gone-test", str(tmp_path / "gone"))
    assert settings.last_folder("gone-test") == ""


@pytest.mark.parametrize(
    ("role", "expected", "opened"),
    [
        (None, Next.OPEN_FILE, "file"),  # Enter: the default button
        (QMessageBox.ButtonRole.ActionRole, Next.OPEN_FOLDER, "folder"),
        (QMessageBox.ButtonRole.RejectRole, Next.NOTHING, None),
    ],
)
def test_the_box_names_the_folder_and_opens_what_is_chosen(
    qtbot: QtBot,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    saved_offers: SavedOffers,
    role: QMessageBox.ButtonRole | None,
    expected: Next,
    opened: str | None,
) -> None:
    assert saved_offers.original is not None
    monkeypatch.setattr(saved_files, "ask_what_next", saved_offers.original)
    seen: list[str] = []

    def press(box: QMessageBox) -> int:
        seen.append(box.informativeText())
        buttons = [b for b in box.buttons() if role is not None and box.buttonRole(b) == role]
        (buttons[0] if buttons else box.defaultButton()).click()
        return 0

    monkeypatch.setattr(QMessageBox, "exec", press)
    path = tmp_path / "R-2025-0001.pdf"
    assert offer_to_open(None, path, "Saved R-2025-0001.pdf.") is expected
    assert str(tmp_path) in seen[0]
    wanted = {"file": [str(path)], "folder": [str(tmp_path)], None: []}[opened]
    assert saved_offers.opened == wanted


@pytest.mark.parametrize("language", ["nl", "fr"])
def test_screenshot_of_the_saved_box(
    qtbot: QtBot,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    saved_offers: SavedOffers,
    language: str,
) -> None:
    from privacycrm_desktop.i18n import _
    from privacycrm_desktop.ui.common.qt_i18n import apply_language

    from ..screens import save

    apply_language(language)
    assert saved_offers.original is not None
    monkeypatch.setattr(saved_files, "ask_what_next", saved_offers.original)

    def look(box: QMessageBox) -> int:
        box.show()
        qtbot.waitExposed(box)
        save(box, f"saved-box-{language}", settle=True)
        assert box.defaultButton().text() == _("&Open")
        box.escapeButton().click()
        return 0

    monkeypatch.setattr(QMessageBox, "exec", look)
    path = tmp_path / "R-2025-0001.pdf"
    message = _("Saved the access report {file} and its machine-readable copy.")
    assert offer_to_open(None, path, message.format(file=path.name)) is Next.NOTHING
