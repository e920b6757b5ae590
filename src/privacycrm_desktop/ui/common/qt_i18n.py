"""Switching the UI language: our gettext catalogue plus Qt's own qtbase translations."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

from privacycrm_desktop import i18n

_installed: list[QTranslator] = []


def apply_language(language: str) -> None:
    """Make *language* current for ``_()`` and for Qt's standard buttons and dialogs."""
    i18n.set_language(language)
    language = i18n.current_language()
    app = QCoreApplication.instance()
    # Belgian conventions for dates and numbers (d/MM/yyyy, 1.000.000 or 1 000 000).
    QLocale.setDefault(QLocale(f"{language}_BE"))
    if app is None:
        return
    while _installed:
        app.removeTranslator(_installed.pop())
    if language == "en":
        return
    translator = QTranslator(app)
    folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    if translator.load(f"qtbase_{language}", folder):
        app.installTranslator(translator)
        _installed.append(translator)
