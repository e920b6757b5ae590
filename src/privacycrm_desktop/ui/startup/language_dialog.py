"""File > Language...: choose the interface language for the next start.

Every window is built in one language; rather than rebuild them all, the choice is saved
(UiSettings, this PC only) and the dialog says, in the language shown now, that it takes
effect after a restart.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from privacycrm_desktop.i18n import N_, _
from privacycrm_desktop.ui.common import messages
from privacycrm_desktop.ui.common.mnemonics import assign_window_mnemonics
from privacycrm_desktop.ui.common.settings import UiSettings
from privacycrm_desktop.ui.common.window_size import size_window
from privacycrm_desktop.ui.startup.login_dialog import language_combo

RESTART_NOTICE = N_("The new language takes effect when you restart PrivacyCRM.")


class LanguageDialog(QDialog):
    """Choose the interface language; saved on OK, applied at the next start."""

    def __init__(self, settings: UiSettings, current: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._settings = settings
        self._current = current
        self.setWindowTitle(_("Language"))
        # Preselect what the next start will use (a choice made earlier in this session).
        self.language = language_combo(settings.language(current))
        label = QLabel(_("&Language of the interface:"))
        label.setBuddy(self.language)
        form = QFormLayout()
        form.addRow(label, self.language)
        note = QLabel(_(RESTART_NOTICE))
        note.setWordWrap(True)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(buttons)
        assign_window_mnemonics(self)
        # Room for the note on two short lines in every language (widths in characters).
        self.setMinimumWidth(self.fontMetrics().averageCharWidth() * 64)
        size_window(self)

    def selected_language(self) -> str:
        """The language chosen (nl, fr or en)."""
        return str(self.language.currentData())

    def accept(self) -> None:
        """Save the choice; say it takes effect after a restart (when it changes anything)."""
        chosen = self.selected_language()
        changed = chosen != self._settings.language(self._current)
        self._settings.set_language(chosen)
        self._settings.sync()
        super().accept()
        if changed or chosen != self._current:
            # In the language shown now: the person may not read the new one.
            messages.information(self.parentWidget(), _("Language"), _(RESTART_NOTICE))


__all__ = ["RESTART_NOTICE", "LanguageDialog"]
