"""The canary test, on screen: what the list model and the editor show per role.

Widgets only display what services return; this proves it for the contact list (every
cell and tooltip) and the editor (every text field, tooltip and date), with the shipped
matrix and with owner overrides.
"""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit, QPlainTextEdit, QWidget
from pytestqt.qtbot import QtBot

from privacycrm_desktop.domain.access import FieldAccess, Role, mask
from privacycrm_desktop.domain.contacts import ContactInput
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.ui.common.date_fields import OptionalDateEdit
from privacycrm_desktop.ui.contacts.contact_editor import ContactEditorDialog
from privacycrm_desktop.ui.contacts.contact_table_model import ContactTableModel

GOOD = "another good password"
CARD = SourceInput(SourceKind.BUSINESS_CARD, "Trade fair", dt.date(2025, 2, 20))
#: field -> (stored value, token found only in that value)
CANARIES = {
    "first_name": ("Qfirstcanary", "Qfirstcanary"),
    "last_name": ("Qlastcanary", "Qlastcanary"),
    "organisation": ("Qorgcanary BV", "Qorgcanary"),
    "emails": ("qmailcanary@example.be", "qmailcanary"),
    "phones": ("+32470987654", "470987654"),
    "street": ("Qstreetcanary 5", "Qstreetcanary"),
    "postcode": ("8793", "8793"),
    "city": ("Qcitycanary", "Qcitycanary"),
    "notes": ("Qnotescanary secret", "Qnotescanary"),
    "birth_date": ("1931-07-13", "1931-07-13"),
}
LIST_FIELDS = {"first_name", "last_name", "organisation", "emails", "phones", "city"}
OVERRIDES = {
    (Role.OFFICE, "city"): FieldAccess.HIDDEN,
    (Role.OFFICE, "emails"): FieldAccess.MASKED,
    (Role.OFFICE, "notes"): FieldAccess.READ,
    (Role.READ_ONLY, "first_name"): FieldAccess.MASKED,
    (Role.SALES, "organisation"): FieldAccess.HIDDEN,
    (Role.PRIVACY_OFFICER, "birth_date"): FieldAccess.HIDDEN,
}
READABLE = (FieldAccess.READ, FieldAccess.WRITE)


def list_text(model: ContactTableModel) -> str:
    cells = []
    for row in range(model.rowCount()):
        for column in range(model.columnCount()):
            index = model.index(row, column)
            for role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
                value = model.data(index, role)
                cells.append("" if value is None else str(value))
    return "\n".join(cells)


def editor_text(editor: QWidget) -> str:
    texts = [w.text() for w in editor.findChildren(QLineEdit)]
    texts += [w.toPlainText() for w in editor.findChildren(QPlainTextEdit)]
    texts += [w.toolTip() for w in editor.findChildren(QWidget)]
    texts += [str(w.value()) for w in editor.findChildren(OptionalDateEdit)]
    return "\n".join(texts)


@pytest.mark.parametrize("overridden", [False, True], ids=["defaults", "overrides"])
def test_screens_show_canaries_only_where_the_matrix_allows(
    qtbot: QtBot, services: Services, owner: Actor, overridden: bool
) -> None:
    actors = {Role.OWNER: owner}
    for role in Role:
        if role is not Role.OWNER:
            services.auth.add_user(owner, role.value, GOOD, role)
            actors[role] = services.auth.login(role.value, GOOD)
    values = {f: v for f, (v, _t) in CANARIES.items() if f not in ("emails", "phones")}
    values["birth_date"] = dt.date(1931, 7, 13)
    data = ContactInput(
        **values,
        emails=(CANARIES["emails"][0],),
        phones=(CANARIES["phones"][0],),
    )
    contact_id = services.contacts.create(owner, data, CARD)
    if overridden:
        for (role, field), level in OVERRIDES.items():
            services.access.set_field_access(owner, role, field, level)
    for role, actor in actors.items():
        access = services.contacts.field_access(actor)
        model = ContactTableModel(services.contacts, actor)
        shown_list = list_text(model)
        editor = ContactEditorDialog(services.contacts, actor, contact_id)
        qtbot.addWidget(editor)
        shown_editor = editor_text(editor)
        for field, (stored, token) in CANARIES.items():
            level = access[field]
            in_list = field in LIST_FIELDS and level in READABLE
            # The list shows numbers grouped for reading ("0470 98 76 54").
            listed = shown_list.replace(" ", "") if field == "phones" else shown_list
            assert (token in listed) is in_list, (role, field, "list")
            assert (token in shown_editor) is (level in READABLE), (role, field, "editor")
            if level is FieldAccess.MASKED and field != "birth_date":
                assert mask(stored) in shown_editor, (role, field)
