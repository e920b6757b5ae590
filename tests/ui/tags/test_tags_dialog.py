"""The tag dialog and Tag selected contacts...: what they change through the services,
what each role may press, and screenshots in nl and fr."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import QItemSelection, QItemSelectionModel, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QColorDialog, QInputDialog, QLabel, QMessageBox, QPushButton
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from privacycrm_desktop.domain.access import Role
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.ui.common import messages
from privacycrm_desktop.ui.common.qt_i18n import apply_language
from privacycrm_desktop.ui.main_window import MainWindow
from privacycrm_desktop.ui.tags.tag_selected import TagSelectedDialog
from privacycrm_desktop.ui.tags.tags_dialog import TagColumn, TagsDialog

from ..screens import save

GOOD = "another good password"


def _answer_text(monkeypatch: pytest.MonkeyPatch, text: str, ok: bool = True) -> None:
    monkeypatch.setattr(QInputDialog, "getText", staticmethod(lambda *_a, **_k: (text, ok)))


@pytest.fixture
def tagged(services: Services, owner: Actor) -> dict[str, int]:
    services.demo.generate(owner, 30, seed=5)
    vip = services.tags.create(owner, "VIP", "#d62728")
    fair = services.tags.create(owner, "Beurs Gent", "#1f77b4")
    services.tags.assign(owner, vip, [1, 2, 3])
    services.tags.assign(owner, fair, [3, 4])
    return {"VIP": vip, "Beurs Gent": fair}


def test_the_tag_table_model_is_sound_and_shows_colours(
    qtmodeltester: ModelTester, qtbot: QtBot, services: Services, owner: Actor, tagged: Any
) -> None:
    dialog = TagsDialog(services.tags, owner)
    qtbot.addWidget(dialog)
    qtmodeltester.check(dialog.model)
    model = dialog.model
    names = [model.index(r, TagColumn.NAME).data() for r in range(model.rowCount())]
    assert names == ["Beurs Gent", "VIP"]
    assert [model.index(r, TagColumn.CONTACTS).data() for r in range(2)] == [2, 3]
    swatch = model.index(1, TagColumn.NAME).data(Qt.ItemDataRole.DecorationRole)
    assert isinstance(swatch, QColor)
    assert swatch.name() == "#d62728"


def test_the_dialog_adds_renames_recolours_merges_and_deletes(
    qtbot: QtBot,
    monkeypatch: pytest.MonkeyPatch,
    services: Services,
    owner: Actor,
    tagged: dict[str, int],
) -> None:
    dialog = TagsDialog(services.tags, owner)
    qtbot.addWidget(dialog)
    dialog.show()
    _answer_text(monkeypatch, "Nieuwsbrief é")
    dialog.ask_add()
    made = dialog.selected_tag()
    assert made is not None
    assert made.name == "Nieuwsbrief é"
    # A name taken (folded) is refused in the dialog's message line; nothing changes.
    _answer_text(monkeypatch, "vip")
    dialog.ask_add()
    assert dialog.error.isVisible()
    assert "VIP" in dialog.error.text() or "vip" in dialog.error.text()
    assert len(services.tags.list(owner)) == 3
    # Rename and recolour the selected tag.
    dialog.select("VIP")
    _answer_text(monkeypatch, "Topklant")
    dialog.ask_rename()
    assert not dialog.error.isVisible()
    monkeypatch.setattr(QColorDialog, "getColor", staticmethod(lambda *_a, **_k: QColor("#2ca02c")))
    dialog.ask_colour()
    assert {t.name: t.colour for t in services.tags.list(owner)}["Topklant"] == "#2ca02c"
    # Merge Beurs Gent into Topklant: its contacts get Topklant.
    dialog.select("Beurs Gent")
    monkeypatch.setattr(QInputDialog, "getItem", staticmethod(lambda *_a, **_k: ("Topklant", True)))
    with qtbot.waitSignal(dialog.changed):
        dialog.ask_merge()
    assert {t.name: t.contacts for t in services.tags.list(owner)} == {
        "Nieuwsbrief é": 0,
        "Topklant": 4,
    }
    # Delete asks first; No keeps the tag, Yes deletes it.
    dialog.select("Topklant")
    monkeypatch.setattr(
        messages, "question", staticmethod(lambda *_a, **_k: QMessageBox.StandardButton.No)
    )
    dialog.ask_delete()
    assert len(services.tags.list(owner)) == 2
    monkeypatch.setattr(
        messages, "question", staticmethod(lambda *_a, **_k: QMessageBox.StandardButton.Yes)
    )
    dialog.ask_delete()
    assert [t.name for t in services.tags.list(owner)] == ["Nieuwsbrief é"]
    assert [t.name for t in dialog.model.rows] == ["Nieuwsbrief é"]


def test_office_staff_cannot_merge_or_delete_and_read_only_staff_change_nothing(
    qtbot: QtBot, services: Services, owner: Actor, tagged: Any
) -> None:
    services.auth.add_user(owner, "olga", GOOD, Role.OFFICE)
    services.auth.add_user(owner, "rita", GOOD, Role.READ_ONLY)
    for name, enabled in (
        ("olga", {"add", "rename", "colour"}),
        ("rita", set()),
    ):
        actor = services.auth.login(name, GOOD)
        dialog = TagsDialog(services.tags, actor)
        qtbot.addWidget(dialog)
        dialog.select("VIP")
        buttons = {
            "add": dialog.add_button,
            "rename": dialog.rename_button,
            "colour": dialog.colour_button,
            "merge": dialog.merge_button,
            "delete": dialog.delete_button,
        }
        # Every action button of the dialog is one of these (the tree walked, so a
        # button added later is counted too).
        actions = [b for b in dialog.findChildren(QPushButton) if b.parent() is not None]
        assert set(buttons.values()) <= set(actions)
        assert {b for b in actions if b.isEnabled()} - set(buttons.values()) <= {
            b for b in actions if b.text() in ("&Close", "Close")
        }
        assert {k for k, b in buttons.items() if b.isEnabled()} == enabled, name


@pytest.fixture
def window(qtbot: QtBot, services: Services, owner: Actor, tagged: Any) -> MainWindow:
    window = MainWindow(services, owner)
    qtbot.addWidget(window)
    window.show()
    return window


def _select_rows(window: MainWindow, first: int, last: int) -> None:
    model = window.model
    selection = QItemSelection(model.index(first, 0), model.index(last, model.columnCount() - 1))
    window.view.selectionModel().select(selection, QItemSelectionModel.SelectionFlag.Select)


def test_the_contacts_menu_opens_the_tags_and_tags_the_selected_rows(
    qtbot: QtBot, window: MainWindow, services: Services, owner: Actor
) -> None:
    texts = [a.text() for a in window.contacts_menu.actions()]
    assert "Ta&gs..." in texts
    assert "&Tag selected contacts..." in texts
    actions = window.tag_actions
    assert actions.tag_selected() is None  # nothing selected yet: the status bar says so
    assert window.statusBar().currentMessage() == "Select the contacts to tag in the list first."
    dialog = actions.open_tags()
    assert isinstance(dialog, TagsDialog)
    dialog.close()
    _select_rows(window, 0, 4)
    assert actions.tag_selected_action.isEnabled()
    chosen = {r.id for r in services.contacts.page(owner, limit=5)}
    tagging = actions.tag_selected()
    assert isinstance(tagging, TagSelectedDialog)
    tagging.tag.setEditText("Mailing mei")
    tagging.apply()
    assert tagging.result() == TagSelectedDialog.DialogCode.Accepted
    mailing = services.tags.find(owner, "mailing mei").id
    assert {r.id for r in services.contacts.page(owner, tag=mailing)} == chosen
    assert window.statusBar().currentMessage() == "Tag put on 5 contacts."
    # Take it off two of them.
    window.view.clearSelection()
    _select_rows(window, 0, 1)
    tagging = actions.tag_selected()
    assert tagging is not None
    tagging.tag.setEditText("Mailing mei")
    tagging.take_off.setChecked(True)
    tagging.apply()
    assert services.contacts.count(owner, tag=mailing) == 3


def test_the_whole_list_is_tagged_in_one_statement_and_a_refusal_shows(
    qtbot: QtBot, window: MainWindow, services: Services, owner: Actor
) -> None:
    window.view.setFocus()
    qtbot.keyClick(window.view, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    tagging = window.tag_actions.tag_selected()
    assert isinstance(tagging, TagSelectedDialog)
    tagging.tag.setEditText("Iedereen")
    tagging.apply()
    everyone = services.tags.find(owner, "Iedereen").id
    assert services.contacts.count(owner, tag=everyone) == 30
    tagging = window.tag_actions.tag_selected()
    assert tagging is not None
    tagging.tag.setEditText("a;b")
    tagging.apply()
    assert tagging.error.isVisible()
    assert tagging.result() != TagSelectedDialog.DialogCode.Accepted


def test_a_role_that_may_not_tag_has_the_entry_disabled(
    qtbot: QtBot, services: Services, owner: Actor, tagged: Any
) -> None:
    services.auth.add_user(owner, "rita", GOOD, Role.READ_ONLY)
    window = MainWindow(services, services.auth.login("rita", GOOD))
    qtbot.addWidget(window)
    _select_rows(window, 0, 1)
    assert not window.tag_actions.tag_selected_action.isEnabled()
    assert window.tag_actions.tag_selected() is None


@pytest.mark.parametrize("language", ["nl", "fr"])
def test_tag_screenshots(
    qtbot: QtBot, services: Services, owner: Actor, tagged: Any, language: str
) -> None:
    apply_language(language)
    window = MainWindow(services, owner)
    qtbot.addWidget(window)
    window.resize(1024, 600)
    window.show()
    dialog = window.tag_actions.open_tags()
    assert isinstance(dialog, TagsDialog)
    dialog.select("VIP")
    assert dialog.width() <= 1024
    assert dialog.height() <= 600
    save(dialog, f"{language}-tags-dialog", settle=True)
    dialog.close()
    _select_rows(window, 0, 2)
    tagging = window.tag_actions.tag_selected()
    assert tagging is not None
    tagging.tag.setEditText("a;b")
    tagging.apply()  # refused: the message in the user's language
    assert tagging.width() <= 1024
    save(tagging, f"{language}-tags-selected", settle=True)
    save(window, f"{language}-tags-main-window", settle=True)


def test_the_counts_are_grouped_in_the_language(
    qtbot: QtBot, services: Services, owner: Actor
) -> None:
    """ "1.937 contacten geselecteerd.", as every other count, not "1937"."""
    from privacycrm_desktop.services.dto import ContactSort
    from privacycrm_desktop.ui.transfer.export_dialog import SelectedContacts

    apply_language("nl")
    try:
        selection = SelectedContacts("", ContactSort.NAME, False, ((0, 1936),), 1937)
        dialog = TagSelectedDialog(services, owner, selection)
        qtbot.addWidget(dialog)
        texts = [label.text() for label in dialog.findChildren(QLabel)]
        assert "1.937 contacten geselecteerd." in texts, texts
    finally:
        apply_language("en")
