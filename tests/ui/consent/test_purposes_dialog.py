"""The register of purposes: data categories ticked in a list in the UI language; the
register keeps their codes, and the owner's own categories as typed."""

from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from privacycrm_desktop.domain.purposes import DATA_CATEGORY_LABELS
from privacycrm_desktop.i18n import tr_in
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.ui.common.qt_i18n import apply_language
from privacycrm_desktop.ui.consent.purposes_dialog import PurposesDialog

from ..screens import save


def _items(dialog: PurposesDialog) -> dict[str, tuple[str, bool]]:
    found = {}
    for row in range(dialog.categories.count()):
        item = dialog.categories.item(row)
        code = str(item.data(Qt.ItemDataRole.UserRole))
        found[code] = (item.text(), item.checkState() == Qt.CheckState.Checked)
    return found


def test_categories_are_ticked_in_words_and_kept_as_codes(
    qtbot: QtBot, services: Services, owner: Actor
) -> None:
    apply_language("nl")
    dialog = PurposesDialog(services.statements, owner)
    qtbot.addWidget(dialog)
    dialog.show()
    purpose = dialog._purposes[dialog.list.currentRow()]
    items = _items(dialog)
    # Every shipped category, by its Dutch name; the purpose's own ones ticked.
    for code, label in DATA_CATEGORY_LABELS.items():
        assert items[code][0] == tr_in("nl", label)
        assert items[code][1] == (code in purpose.data_categories)
    assert not any(text in DATA_CATEGORY_LABELS for text, _ticked in items.values())
    save(dialog, "nl-purposes-categories", settle=True)

    address = next(
        dialog.categories.item(r)
        for r in range(dialog.categories.count())
        if dialog.categories.item(r).data(Qt.ItemDataRole.UserRole) == "address"
    )
    address.setCheckState(Qt.CheckState.Checked)
    dialog.other_categories.setText("Voorkeuren , address")
    dialog.save()
    saved = next(p for p in services.statements.purposes(owner) if p.code == purpose.code)
    assert "address" in saved.data_categories
    assert saved.data_categories.count("address") == 1
    assert saved.data_categories[-1] == "Voorkeuren"  # the owner's own, as typed
    # Shown again: the owner's own category is in the list, ticked, as typed.
    assert _items(dialog)["Voorkeuren"] == ("Voorkeuren", True)
