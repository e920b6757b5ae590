"""UI state kept between runs (window geometry, last language) behind one QSettings wrapper.

Business settings live in the database; this holds only what is about this PC's screen.
"""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QLocale, QSettings

from privacycrm_desktop.config import APP_NAME
from privacycrm_desktop.i18n import LANGUAGES


class UiSettings:
    """Typed access to the few UI values remembered per user and PC."""

    def __init__(self, settings: QSettings | None = None) -> None:
        self._settings = settings if settings is not None else QSettings(APP_NAME, APP_NAME)

    def language(self, default: str | None = None) -> str:
        """The UI language chosen last time (nl, fr or en); before any choice, *default* or
        the system's language."""
        fallback = default if default is not None else system_language()
        value = self._settings.value("ui/language", fallback)
        return str(value) if str(value) in LANGUAGES else fallback

    def set_language(self, language: str) -> None:
        """Remember the UI language."""
        self._settings.setValue("ui/language", language)

    def geometry(self, key: str) -> QByteArray | None:
        """Saved geometry of the window called *key*, if any."""
        value = self._settings.value(f"geometry/{key}")
        return value if isinstance(value, QByteArray) else None

    def set_geometry(self, key: str, value: QByteArray) -> None:
        """Remember the geometry of the window called *key*."""
        self._settings.setValue(f"geometry/{key}", value)

    def state(self, key: str) -> QByteArray | None:
        """Saved state of the widget called *key* (a header's column widths, a splitter's
        sizes), if any."""
        value = self._settings.value(f"state/{key}")
        return value if isinstance(value, QByteArray) else None

    def set_state(self, key: str, value: QByteArray) -> None:
        """Remember the state of the widget called *key*."""
        self._settings.setValue(f"state/{key}", value)

    def sync(self) -> None:
        """Write pending changes to disk."""
        self._settings.sync()


def system_language() -> str:
    """The system's language (``LANG`` on Linux, the region settings on Windows) when it is
    one of the app's, else English: a first start on a French desk is in French."""
    language = QLocale.system().name().split("_")[0].lower()
    return language if language in LANGUAGES else "en"
