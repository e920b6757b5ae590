"""Qt's own dialogs (file dialogs, standard buttons) speak the UI language too."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QApplication, QDialogButtonBox

from privacycrm_desktop.ui.common.qt_i18n import apply_language

#: Qt's words in each language, from its qtbase catalogues.
EXPECTED = {
    "nl": ("Zoeken in:", "&Annuleren"),
    "fr": ("Voir dans\u00a0:", "&Annuler"),
    "en": ("Look in:", "&Cancel"),
}


@pytest.mark.parametrize("language", ["nl", "fr", "en"])
def test_qt_dialogs_follow_the_language(qapp: QApplication, language: str) -> None:
    look_in, cancel = EXPECTED[language]
    try:
        apply_language(language)
        assert QCoreApplication.translate("QFileDialog", "Look in:") == look_in
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        button = buttons.button(QDialogButtonBox.StandardButton.Cancel)
        assert button.text().replace("&", "") == cancel.replace("&", "")
    finally:
        apply_language("en")
    assert QCoreApplication.translate("QFileDialog", "Look in:") == "Look in:"
