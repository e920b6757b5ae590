"""UI state kept between runs (window geometry, last language) behind one QSettings wrapper.

Business settings live in the database; this holds only what is about this PC's screen.
"""

from __future__ import annotations

import os

from PySide6.QtCore import QByteArray, QLocale, QSettings, QSize

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

    def window_size(self, key: str) -> QSize | None:
        """Saved size of the dialog called *key*, if any (dialogs open centred on their
        window, so only the size is kept)."""
        value = self._settings.value(f"size/{key}")
        return value if isinstance(value, QSize) and value.isValid() else None

    def set_window_size(self, key: str, value: QSize) -> None:
        """Remember the size of the dialog called *key*."""
        self._settings.setValue(f"size/{key}", value)

    def state(self, key: str) -> QByteArray | None:
        """Saved state of the widget called *key* (a header's column widths, a splitter's
        sizes), if any."""
        value = self._settings.value(f"state/{key}")
        return value if isinstance(value, QByteArray) else None

    def set_state(self, key: str, value: QByteArray) -> None:
        """Remember the state of the widget called *key*."""
        self._settings.setValue(f"state/{key}", value)

    def last_folder(self, key: str) -> str:
        """The folder a file of kind *key* ("pdf", "letter") was last saved in; "" if none yet
        or it is gone."""
        value = str(self._settings.value(f"folders/{key}", "") or "")
        return value if value and os.path.isdir(value) else ""

    def set_last_folder(self, key: str, folder: str) -> None:
        """Remember the folder a file of kind *key* was saved in."""
        self._settings.setValue(f"folders/{key}", folder)

    def sync(self) -> None:
        """Write pending changes to disk."""
        self._settings.sync()


_shared: UiSettings | None = None


def share_settings(settings: UiSettings | None) -> None:
    """Make *settings* the ones every window remembers its size in (the app does this once;
    without it, as in most tests, windows take their default sizes and remember nothing)."""
    global _shared  # noqa: PLW0603 (one per process, like QSettings' own defaults)
    _shared = settings


def shared_settings() -> UiSettings | None:
    """The settings shared by :func:`share_settings`, if any."""
    return _shared


def system_language() -> str:
    """The system's language (``LANG`` on Linux, the region settings on Windows) when it is
    one of the app's, else English: a first start on a French desk is in French."""
    language = QLocale.system().name().split("_")[0].lower()
    return language if language in LANGUAGES else "en"
