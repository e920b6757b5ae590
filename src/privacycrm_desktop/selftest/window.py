"""The self-test's last step: the main window opens and paints the list (Qt).

Kept apart from checks.py so that the CLI's self-test stays free of Qt; app.py hands
``open_main_window`` to ``checks.run_self_test``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from privacycrm_desktop.i18n import _
from privacycrm_desktop.selftest.checks import SelfTestFailed

if TYPE_CHECKING:
    from privacycrm_desktop.services.dto import Actor
    from privacycrm_desktop.services.registry import Services

PAINT_TIMEOUT_MS = 20_000


def open_main_window(services: Services, actor: Actor, folder: Path) -> None:
    """Show the main window and wait until its list has painted the contact."""
    if (
        sys.platform.startswith("linux")
        and not os.environ.get("QT_QPA_PLATFORM")
        and not os.environ.get("DISPLAY")
        and not os.environ.get("WAYLAND_DISPLAY")
    ):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6.QtCore import (
        QEventLoop,
        QLibraryInfo,
        QSettings,
        QThreadPool,
        QTimer,
        QTranslator,
        qInstallMessageHandler,
    )
    from PySide6.QtWidgets import QApplication

    from privacycrm_desktop.i18n import current_language
    from privacycrm_desktop.ui.common.qt_i18n import apply_language
    from privacycrm_desktop.ui.common.settings import UiSettings
    from privacycrm_desktop.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else "privacycrm"])
    qt_catalogues = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    for lang in ("nl", "fr"):
        if not QTranslator().load(f"qtbase_{lang}", qt_catalogues):
            raise SelfTestFailed(
                _("Qt's {language} catalogue is missing from {folder}").format(
                    language=lang, folder=qt_catalogues
                )
            )
    settings = UiSettings(QSettings(str(folder / "ui.ini"), QSettings.Format.IniFormat))
    painted: list[bool] = []
    loop = QEventLoop()

    def on_paint() -> None:
        painted.append(True)
        loop.quit()

    language = current_language()
    previous_handler = qInstallMessageHandler(_quiet_offscreen)
    apply_language("nl")  # the window in another language than the messages
    try:
        window = MainWindow(services, actor, settings)
        window.on_first_paint(on_paint)
        QTimer.singleShot(PAINT_TIMEOUT_MS, loop.quit)
        window.show()
        if not painted:
            loop.exec()
        rows = window.model.rowCount()
        window.close()
        window.deleteLater()
        QThreadPool.globalInstance().waitForDone(10_000)
        app.processEvents()
    finally:
        apply_language(language)
        qInstallMessageHandler(previous_handler)
    if not painted:
        raise SelfTestFailed(
            _("the list did not paint within {seconds} s").format(seconds=PAINT_TIMEOUT_MS // 1000)
        )
    if rows != 1:
        raise SelfTestFailed(_("the list shows {rows} rows, not 1").format(rows=rows))


def _quiet_offscreen(_mode: object, _context: object, message: str) -> None:
    """Qt's messages to stderr, less the offscreen platform's harmless size-hint notice."""
    if "propagateSizeHints" not in message:
        print(message, file=sys.stderr)
