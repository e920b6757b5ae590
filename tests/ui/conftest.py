"""UI test fixtures: every test starts and ends in English; cycles collected on this thread."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from privacycrm_desktop import i18n


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    """Reset the interface language around each test (the wizard and login change it)."""
    from privacycrm_desktop.ui.common.qt_i18n import apply_language

    i18n.set_language("en")
    yield
    apply_language("en")


@pytest.fixture(autouse=True)
def collect_on_the_ui_thread() -> Iterator[None]:
    """As the app does (ui/common/main_thread_gc.py): no automatic collection while the test runs,
    so no worker thread ever destroys a Qt object; the test's cycles are collected here, on
    the UI thread, once its workers have ended.

    What survives is frozen (``gc.freeze``): later collections walk only what later tests
    make. Without that, every collection walked all a test worker had ever kept (caches,
    module fixtures), and teardowns grew to 3.5 s late in a full run."""
    from PySide6.QtCore import QThreadPool

    gc.disable()
    try:
        yield
        QThreadPool.globalInstance().waitForDone(10_000)
        gc.collect()
        gc.freeze()
    finally:
        gc.enable()


@pytest.fixture(autouse=True, scope="session")
def ui_settings_of_the_tests(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Remembered UI state (last folders, window sizes) goes to a folder of the test run,
    never to this computer's own settings."""
    from PySide6.QtCore import QSettings

    folder = str(tmp_path_factory.mktemp("qsettings"))
    for kind in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        QSettings.setPath(kind, QSettings.Scope.UserScope, folder)


@dataclass
class SavedOffers:
    """What the "saved; open it?" box said, the answer the test gives, what was opened."""

    messages: list[str] = field(default_factory=list)
    answer: str = "nothing"
    opened: list[str] = field(default_factory=list)
    #: The real box, for the test of the box itself.
    original: Callable[[Any], Any] | None = None


@pytest.fixture(autouse=True)
def saved_offers(monkeypatch: pytest.MonkeyPatch) -> SavedOffers:
    """The "saved; open it?" box never blocks a test: it is answered with ``answer``
    ("open_file", "open_folder", "nothing"), and nothing is really opened."""
    from PySide6.QtGui import QDesktopServices
    from PySide6.QtWidgets import QAbstractButton, QMessageBox

    from privacycrm_desktop.ui.common import saved_files

    offers = SavedOffers(original=saved_files.ask_what_next)

    def answer(box: QMessageBox) -> QAbstractButton | None:
        offers.messages.append(f"{box.text()}\n{box.informativeText()}")
        roles = {
            "open_file": QMessageBox.ButtonRole.AcceptRole,
            "open_folder": QMessageBox.ButtonRole.ActionRole,
            "nothing": QMessageBox.ButtonRole.RejectRole,
        }
        for button in box.buttons():
            if box.buttonRole(button) is roles[offers.answer]:
                return button
        return None

    monkeypatch.setattr(saved_files, "ask_what_next", answer)
    monkeypatch.setattr(
        QDesktopServices, "openUrl", lambda url: offers.opened.append(url.toLocalFile()) or True
    )
    return offers
