"""The label sheet's measures in fr and nl (a GUI tester saw "Largeur d'étiquett"): at the
dialog's narrowest, each title beside a measure is whole (wrapped when it must)."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QAbstractSpinBox, QLabel
from pytestqt.qtbot import QtBot

from privacycrm_desktop.services.dto import Actor, ContactSort
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.ui.common.qt_i18n import apply_language
from privacycrm_desktop.ui.post.labels_dialog import LabelsDialog
from privacycrm_desktop.ui.transfer.export_dialog import SelectedContacts

from .screens import save


@pytest.mark.parametrize("language", ["nl", "fr"])
def test_the_measures_titles_are_whole_at_the_narrowest(
    qtbot: QtBot, services: Services, owner: Actor, language: str
) -> None:
    services.demo.generate(owner, 3, seed=2)
    apply_language(language)
    selection = SelectedContacts("", next(iter(ContactSort)), False, ((0, 0),), 1)
    dialog = LabelsDialog(services, owner, selection)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.resize(dialog.minimumWidth(), dialog.height())
    qtbot.wait(20)
    save(dialog, f"{language}-labels-narrowest", settle=True)
    titles = [
        label
        for label in dialog.findChildren(QLabel)
        if isinstance(label.buddy(), QAbstractSpinBox) and label.isVisible()
    ]
    assert len(titles) >= 9  # the eight measures and where to start
    for label in titles:
        text = label.text().replace("&", "")
        if label.wordWrap():
            assert label.heightForWidth(label.width()) <= label.height() + 1, text
        else:
            assert label.sizeHint().width() <= label.width() + 1, text
