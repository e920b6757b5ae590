"""Custom fields on screen (issue 21): the owner defines them in Administration > Custom
fields..., the contact editor grows a section built from the definitions (each editor of
the field's kind, with its source, read-only or absent as the matrix says), the card shows
them; screenshots at 1024 x 600 in nl and fr (PRIVACYCRM_SCREENSHOT_DIR)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtWidgets import QComboBox, QLineEdit
from pytestqt.qtbot import QtBot

from privacycrm_desktop.domain.access import FieldAccess, Role
from privacycrm_desktop.domain.contacts import ContactInput
from privacycrm_desktop.domain.custom_fields import CustomFieldDefinition, CustomKind
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.ui.admin.custom_fields_dialog import CustomFieldsDialog
from privacycrm_desktop.ui.common import window_size
from privacycrm_desktop.ui.common.date_fields import OptionalDateEdit
from privacycrm_desktop.ui.common.qt_i18n import apply_language
from privacycrm_desktop.ui.contacts.contact_card import ContactCardWidget
from privacycrm_desktop.ui.contacts.contact_editor import ContactEditorDialog

from ..screens import save

CARD = SourceInput(SourceKind.BUSINESS_CARD, "Salon Batibouw", dt.date(2025, 2, 20))
CALL = SourceInput(SourceKind.PHONE_CALL, "Phoned back", dt.date(2025, 3, 1))
PASSWORD = "another good password"
FIELDS = (
    CustomFieldDefinition(
        "hobby", "Hobby", CustomKind.TEXT, labels=(("nl", "Hobby's"), ("fr", "Loisirs"))
    ),
    CustomFieldDefinition("shoe", "Shoe size", CustomKind.NUMBER, labels=(("fr", "Pointure"),)),
    CustomFieldDefinition("visit", "Last visit", CustomKind.DATE),
    CustomFieldDefinition("tier", "Tier", CustomKind.CHOICE, choices=("Gold", "Silver")),
    CustomFieldDefinition("vip", "VIP", CustomKind.YESNO, restricted=True),
)
EDITORS = {
    CustomKind.TEXT: QLineEdit,
    CustomKind.NUMBER: QLineEdit,
    CustomKind.DATE: OptionalDateEdit,
    CustomKind.CHOICE: QComboBox,
    CustomKind.YESNO: QComboBox,
}


@pytest.fixture
def small_screen(monkeypatch: pytest.MonkeyPatch) -> None:
    screen = QRect(0, 0, 1024, 600)
    monkeypatch.setattr(window_size.widgets, "available_geometry", lambda _widget: screen)


def _world(services: Services, owner: Actor) -> tuple[int, Actor]:
    for definition in FIELDS:
        services.custom_fields.define(owner, definition)
    values = {"hobby": "Qhobbycanary", "shoe": "43,5", "visit": "02/03/2026", "tier": "gold"}
    values["vip"] = "ja"
    cid = services.contacts.create(
        owner, ContactInput(first_name="Zoë", last_name="Lefèvre", extra=values), CARD
    )
    services.auth.add_user(owner, "sam", PASSWORD, Role.SALES)
    return cid, services.auth.login("sam", PASSWORD)


def test_the_editor_shows_and_saves_custom_fields_as_the_matrix_allows(
    qtbot: QtBot, services: Services, owner: Actor
) -> None:
    cid, sales = _world(services, owner)
    editor = ContactEditorDialog(services.contacts, owner, cid)
    qtbot.addWidget(editor)
    section = editor.custom_section
    assert section is not None
    # An editor per field, of the field's kind, holding the stored value with its source.
    assert {d.key for d in section.definitions} == {d.key for d in FIELDS}
    for definition in FIELDS:
        assert isinstance(section.editors[definition.key], EDITORS[definition.kind])
        assert section.source_buttons[definition.key].isEnabled()
    assert section.values() == {
        "hobby": "Qhobbycanary",
        "shoe": "43.5",
        "visit": "2026-03-02",
        "tier": "Gold",
        "vip": "yes",
    }
    # A change is saved with the source named for it.
    hobby = section.editors["hobby"]
    assert isinstance(hobby, QLineEdit)
    hobby.setText("Qchanged chess")
    editor.source_kind.setCurrentIndex(editor.source_kind.findData(CALL.kind))
    editor.source_description.setText(CALL.description)
    editor.save()
    stored = {v.key: v for v in services.contacts.get(owner, cid).custom}
    assert stored["hobby"].value == "Qchanged chess"
    assert stored["hobby"].source is not None
    assert stored["hobby"].source.description == "Phoned back"
    assert stored["shoe"].source is not None
    assert stored["shoe"].source.description == "Salon Batibouw"  # unchanged, its own source
    # Sales: the restricted field is not in the form at all.
    theirs = ContactEditorDialog(services.contacts, sales, cid)
    qtbot.addWidget(theirs)
    assert theirs.custom_section is not None
    assert "vip" not in theirs.custom_section.editors
    assert "hobby" in theirs.custom_section.values()


def test_the_card_shows_the_custom_values_the_role_may_see(
    qtbot: QtBot, services: Services, owner: Actor
) -> None:
    cid, sales = _world(services, owner)
    services.access.set_field_access(owner, Role.SALES, "cf_hobby", FieldAccess.HIDDEN)
    for actor, shown in ((owner, True), (sales, False)):
        card = ContactCardWidget(services.contacts, actor)
        qtbot.addWidget(card)
        card.show_contact(cid)
        text = card.body.text()
        assert ("Qhobbycanary" in text) == shown, actor.role
        assert "Tier: Gold" in text  # its label and the value as chosen
        # Restricted fields stay off the card (as notes and birth dates do).
        assert "VIP" not in text


@pytest.mark.parametrize("language", ["nl", "fr"])
def test_custom_field_screenshots(
    qtbot: QtBot, services: Services, owner: Actor, language: str, small_screen: None
) -> None:
    apply_language(language)
    cid, _sales = _world(services, owner)
    dialog = CustomFieldsDialog(services.custom_fields, owner)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.label.setText("Taal van de nieuwsbrief" if language == "nl" else "Langue")
    dialog.kind.setCurrentIndex(dialog.kind.findData(CustomKind.CHOICE.value))
    dialog.choices.setText("nl, fr, en")
    save(dialog, f"{language}-custom-fields-dialog", settle=True)
    assert dialog.table.rowCount() == len(FIELDS)
    editor = ContactEditorDialog(services.contacts, owner, cid)
    qtbot.addWidget(editor)
    editor.show()
    assert editor.custom_section is not None
    editor._scroll.ensureWidgetVisible(editor.custom_section)
    save(editor, f"{language}-custom-fields-editor", settle=True)
    assert editor.width() <= 1024
    assert editor.height() <= 600


def test_the_list_offers_a_column_per_custom_field_the_role_sees(
    qtbot: QtBot, services: Services, owner: Actor
) -> None:
    from privacycrm_desktop.ui.contacts.contact_table_model import Column
    from privacycrm_desktop.ui.main_window import MainWindow

    cid, sales = _world(services, owner)
    services.contacts.create(owner, ContactInput(first_name="Jan", last_name="Smet"), CARD)
    # Every field the role sees but the restricted ones ("vip"): their reading is audited,
    # one contact at a time, on the card.
    assert [d.key for d in FIELDS if d.restricted] == ["vip"]
    for actor, wanted in (
        (owner, [d.key for d in FIELDS if not d.restricted]),
        (sales, ["hobby", "shoe", "visit", "tier"]),
    ):
        window = MainWindow(services, actor)
        qtbot.addWidget(window)
        model, view = window.model, window.view
        assert [d.key for d in model.custom_fields] == wanted
        columns = range(len(Column), model.columnCount())
        titles = [model.headerData(c, Qt.Orientation.Horizontal) for c in columns]
        assert titles == [d.label for d in FIELDS if d.key in wanted]
        # Hidden until chosen in the header's menu; then shown, with each contact's value.
        assert all(view.isColumnHidden(c) for c in columns)
        menu = window.column_menu()
        entry = next(a for a in menu.actions() if a.text() == "Hobby")
        entry.setChecked(True)
        hobby = len(Column)
        assert not view.isColumnHidden(hobby)
        row = next(r for r in range(model.rowCount()) if model.contact_at(r).id == cid)
        assert model.data(model.index(row, hobby)) == "Qhobbycanary"
        assert model.data(model.index(row, hobby + 1)) == "43.5"  # shoe size, in English
        other = 1 - row
        assert model.data(model.index(other, hobby)) == ""


def test_the_import_wizard_maps_a_column_to_a_custom_field(
    qtbot: QtBot, services: Services, owner: Actor, tmp_path: Path
) -> None:
    from privacycrm_desktop.domain.import_formats import ColumnTarget, ImportField
    from privacycrm_desktop.ui.transfer.import_wizard import ImportWizard, Page

    for definition in FIELDS:
        services.custom_fields.define(owner, definition)
    path = tmp_path / "list.csv"
    path.write_text("First name,Last name,Hobby,Passie\nAn,Peeters,Chess,Go\n", encoding="utf-8")
    wizard = ImportWizard(services, owner)
    qtbot.addWidget(wizard)
    wizard.show()
    wizard.file_page.path.setText(str(path))
    wizard.next()
    wizard.next()
    assert wizard.currentId() == Page.MAPPING
    page = wizard.mapping_page
    # A column named as the field is taken for it; any other may be chosen for one.
    assert page.mapping()[2] == ColumnTarget(ImportField.CUSTOM, key="hobby")
    assert page.mapping()[3] is None
    texts = [page.combos[3].itemText(i) for i in range(page.combos[3].count())]
    assert [t for t in texts if t.startswith("Custom field:")] == [
        f"Custom field: {d.label}" for d in FIELDS
    ]
    page.combos[3].setCurrentIndex(texts.index("Custom field: Tier"))
    assert page.mapping()[3] == ColumnTarget(ImportField.CUSTOM, key="tier")
    wizard.reject()


def test_the_field_matrix_has_a_row_per_custom_field(
    qtbot: QtBot, services: Services, owner: Actor
) -> None:
    from privacycrm_desktop.ui.admin.field_matrix import FieldMatrixDialog

    _world(services, owner)
    apply_language("fr")
    matrix = FieldMatrixDialog(services.access, owner)
    qtbot.addWidget(matrix)
    assert matrix.fields[-len(FIELDS) :] == tuple(d.name for d in FIELDS)
    rows = matrix.table.rowCount()
    labels = [item.text() for r in range(rows) if (item := matrix.table.verticalHeaderItem(r))]
    assert labels[-len(FIELDS) :] == ["Loisirs", "Pointure", "Last visit", "Tier", "VIP *"]
    assert matrix.level(Role.SALES, "cf_vip") is FieldAccess.HIDDEN
    matrix.set_level(Role.SALES, "cf_vip", FieldAccess.READ)
    assert services.access.access_for(Role.SALES)["cf_vip"] is FieldAccess.READ
