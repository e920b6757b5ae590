"""The main window's choices that take effect at the next start: the database and the
language (File menu). A mixin of ``MainWindow``."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QWidget

from privacycrm_desktop.ui.common.settings import UiSettings


class StartChoicesMixin:
    """Opens File > Database... and File > Language... for a window with ``_settings``."""

    _settings: UiSettings | None

    def _parent(self) -> QWidget:
        assert isinstance(self, QWidget)
        return self

    def choose_database(self) -> QDialog:
        """File > Database...: this computer's file or the office's server, from the next
        start."""
        from privacycrm_desktop.ui.startup.database_dialog import DatabaseDialog

        dialog = DatabaseDialog(self._parent())
        dialog.open()
        return dialog

    def choose_language(self) -> QDialog:
        """File > Language...: saved for the next start (this PC's UI settings)."""
        from privacycrm_desktop.i18n import current_language
        from privacycrm_desktop.ui.startup.language_dialog import LanguageDialog

        if self._settings is None:
            self._settings = UiSettings()
        dialog = LanguageDialog(self._settings, current_language(), self._parent())
        dialog.open()
        return dialog
