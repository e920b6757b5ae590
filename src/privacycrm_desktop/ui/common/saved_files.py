"""Saving a document the app made (a PDF, a letter): where, and what next.

The save dialog starts in the folder last used for that kind of document, else in the
user's documents folder (never the program's working folder), and remembers the folder
chosen. Once the file is written, the app says where it is and offers to open the file
or its folder with the system's programs.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path

from PySide6.QtCore import QStandardPaths, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QAbstractButton, QFileDialog, QMessageBox, QWidget

from privacycrm_desktop.i18n import _
from privacycrm_desktop.ui.common.settings import UiSettings, shared_settings


def documents_folder() -> str:
    """The user's documents folder (home when the system names none)."""
    folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    return folder or str(Path.home())


def _settings(settings: UiSettings | None) -> UiSettings:
    """*settings*, else the app's shared ones, else this user's own on this PC."""
    return settings or shared_settings() or UiSettings()


def start_folder(kind: str, settings: UiSettings | None = None) -> str:
    """Where a save dialog for documents of *kind* starts: the last folder, else documents."""
    return _settings(settings).last_folder(kind) or documents_folder()


def remember_folder(kind: str, path: Path, settings: UiSettings | None = None) -> None:
    """Remember the folder of *path* for the next document of *kind*."""
    _settings(settings).set_last_folder(kind, str(path.parent))


def ask_save_path(
    parent: QWidget | None,
    title: str,
    file_name: str,
    filters: str,
    kind: str,
    settings: UiSettings | None = None,
) -> tuple[Path, str] | None:
    """Ask where to save *file_name*; the chosen path and filter, or None when cancelled.

    The dialog opens in the folder last used for *kind*; the folder chosen is remembered.
    """
    start = str(Path(start_folder(kind, settings)) / file_name)
    name, chosen = QFileDialog.getSaveFileName(parent, title, start, filters)
    if not name:
        return None
    path = Path(name)
    remember_folder(kind, path, settings)
    return path, chosen


def open_path(path: Path) -> bool:
    """Open *path* (a file or a folder) with the system's program for it."""
    return bool(QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))))


class Next(Enum):
    """What the person chose to do with a saved file."""

    OPEN_FILE = "open_file"
    OPEN_FOLDER = "open_folder"
    NOTHING = "nothing"


def ask_what_next(box: QMessageBox) -> QAbstractButton | None:
    """Show *box* (modal) and return the button clicked. Tests replace this function."""
    box.exec()
    return box.clickedButton()


def offer_to_open(parent: QWidget | None, path: Path, message: str = "") -> Next:
    """Say that *path* was saved and where; offer to open the file or its folder.

    *message* says what was saved (a sentence); the folder is named below it. "Open" is
    the default button: Enter opens the file.
    """
    box = QMessageBox(parent)
    box.setObjectName("saved_box")
    box.setIcon(QMessageBox.Icon.Information)
    box.setWindowTitle(_("Saved"))
    box.setText(message or _("Saved {file}.").format(file=path.name))
    box.setInformativeText(_("In the folder {folder}").format(folder=str(path.parent)))
    open_file = box.addButton(_("&Open"), QMessageBox.ButtonRole.AcceptRole)
    open_folder = box.addButton(_("Open the &folder"), QMessageBox.ButtonRole.ActionRole)
    close = box.addButton(_("&Close"), QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(open_file)
    box.setEscapeButton(close)
    clicked = ask_what_next(box)
    box.deleteLater()
    if clicked is open_file:
        open_path(path)
        return Next.OPEN_FILE
    if clicked is open_folder:
        open_path(path.parent)
        return Next.OPEN_FOLDER
    return Next.NOTHING
