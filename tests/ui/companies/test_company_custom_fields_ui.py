"""Custom fields on companies and the keep rule on screen (issue 21): the definition dialog
says what a field belongs to and how long each value is kept; the company editor grows a
section of the companies' fields (read-only or absent as the matrix says), the card and
the list show their values; screenshots at 1024 x 600 in nl and fr
(PRIVACYCRM_SCREENSHOT_DIR)."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtWidgets import QComboBox, QDialog, QLineEdit
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from privacycrm_desktop.domain.access import FieldAccess, Role
from privacycrm_desktop.domain.companies import CompanyInput
from privacycrm_desktop.domain.custom_fields import CustomFieldDefinition, CustomKind, CustomTarget
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.persistence.models import AuditEvent
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.ui.admin.custom_fields_dialog import CustomFieldsDialog
from privacycrm_desktop.ui.common import window_size
from privacycrm_desktop.ui.common.qt_i18n import apply_language
from privacycrm_desktop.ui.companies.companies_window import CompaniesDialog
from privacycrm_desktop.ui.companies.company_editor import CompanyEditorDialog

from ..screens import save

CARD = SourceInput(SourceKind.BUSINESS_CARD, "Salon Batibouw", dt.date(2025, 2, 20))
PASSWORD = "another good password"
COMPANY = CustomTarget.COMPANY
FIELDS = (
    CustomFieldDefinition(
        "sector",
        "Sector",
        CustomKind.TEXT,
        labels=(("nl", "Sector"), ("fr", "Secteur")),
        on=COMPANY,
    ),
    CustomFieldDefinition(
        "visit",
        "Last visit",
        CustomKind.DATE,
        on=COMPANY,
        keep_months=24,
        labels=(("nl", "Laatste bezoek"), ("fr", "Dernière visite")),
    ),
    CustomFieldDefinition("credit", "Credit limit", CustomKind.NUMBER, restricted=True, on=COMPANY),
    # A contact's field: never on a company.
    CustomFieldDefinition("hobby", "Hobby", CustomKind.TEXT),
)


@pytest.fixture
def small_screen(monkeypatch: pytest.MonkeyPatch) -> None:
    screen = QRect(0, 0, 1024, 600)
    monkeypatch.setattr(window_size.widgets, "available_geometry", lambda _widget: screen)


def _world(services: Services, owner: Actor) -> tuple[int, Actor]:
    for definition in FIELDS:
        services.custom_fields.define(owner, definition)
    services.auth.add_user(owner, "sales", PASSWORD, Role.SALES)
    sales = services.auth.login("sales", PASSWORD)
    values = {"sector": "Qsectorcanary brewing", "visit": "2025-03-01", "credit": "25000"}
    company = services.companies.add(
        owner, CompanyInput(name="Brouwerij Zoë NV", city="Gent"), CARD, values
    )
    return company, sales


def _editor(services: Services, actor: Actor, company: int | None) -> CompanyEditorDialog:
    detail = services.companies.get(actor, company) if company is not None else None
    return CompanyEditorDialog(
        detail.values if detail else None,
        custom_fields=services.companies.custom_fields(actor),
        access=services.companies.field_access(actor),
        stored=detail.custom if detail else (),
        today=dt.date(2025, 3, 14),
    )


def test_the_editor_shows_the_companies_fields_as_the_matrix_allows_and_saves_them(
    qtbot: QtBot, services: Services, owner: Actor
) -> None:
    company, sales = _world(services, owner)
    editor = _editor(services, owner, company)
    qtbot.addWidget(editor)
    # The companies' fields, in their order; never a contact's field.
    assert [d.key for d in editor.custom.definitions] == ["sector", "visit", "credit"]
    sector = editor.custom.editors["sector"]
    assert isinstance(sector, QLineEdit)
    assert sector.text() == "Qsectorcanary brewing"
    sector.setText("Bakeries")
    assert editor.custom_values()["sector"] == "Bakeries"
    editor.source_description.setText("Phoned back")
    saved = services.companies.update(
        owner,
        company,
        services.companies.get(owner, company).version,
        editor.company_input(),
        editor.source_input(),
        editor.custom_values(),
    )
    assert {c.key: c.value for c in saved.custom}["sector"] == "Bakeries"
    # Sales: the restricted field is absent; an override makes the sector read-only.
    services.access.set_field_access(owner, Role.SALES, "cf_sector", FieldAccess.READ)
    editor = _editor(services, sales, company)
    qtbot.addWidget(editor)
    assert [d.key for d in editor.custom.definitions] == ["sector", "visit"]
    sector = editor.custom.editors["sector"]
    assert isinstance(sector, QLineEdit)
    assert sector.isReadOnly()
    assert "sector" not in editor.custom_values()


def test_the_card_and_the_list_show_the_values_the_role_may_see(
    qtbot: QtBot, services: Services, owner: Actor
) -> None:
    company, sales = _world(services, owner)
    for actor in (owner, sales):
        dialog = CompaniesDialog(services, actor)
        qtbot.addWidget(dialog)
        dialog.view.selectRow(0)
        card = dialog.card.custom_values
        assert card["sector"].text() == "Qsectorcanary brewing"
        assert card["visit"].toolTip()  # its source
        # Restricted: never on the card, as on a contact's card (the editor shows it).
        assert "credit" not in card, actor.role
        column = dialog.model.custom_column("cf_sector")
        assert column is not None
        # Hidden until chosen in the header's menu, as the contact list's custom columns.
        assert dialog.view.isColumnHidden(column)
        # No column of the restricted credit limit, even for the owner who may read it:
        # its reading is audited, one company at a time (the editor).
        titles = [a.text() for a in dialog.column_menu().actions()]
        assert titles == ["Sector", "Last visit"]
        dialog.column_menu().actions()[0].setChecked(True)
        assert not dialog.view.isColumnHidden(column)
        dialog.reload()
        assert not dialog.view.isColumnHidden(column)
        index = dialog.model.index(0, column)
        assert dialog.model.data(index, Qt.ItemDataRole.DisplayRole) == "Qsectorcanary brewing"
        assert dialog.model.custom_column("cf_credit") is None
        assert dialog.model.custom_column("cf_hobby") is None
    assert company


def _restricted_reads(services: Services) -> int:
    with services.uow() as uow:
        return int(
            uow.session.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action == "company.read_restricted")
            )
            or 0
        )


def test_the_card_reads_no_restricted_value_and_the_editor_reads_it_audited(
    qtbot: QtBot, services: Services, owner: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The company card showed a restricted value (its reading audited at every selection)
    where the contact card hides the contact's: now the same rule, through the same
    function (``access.card_access``). The editor still shows it, its reading audited."""
    company, _sales = _world(services, owner)
    before = _restricted_reads(services)  # the add's answer showed it once
    dialog = CompaniesDialog(services, owner)
    qtbot.addWidget(dialog)
    for _ in range(3):
        dialog.view.clearSelection()
        dialog.view.selectRow(0)
    assert dialog.card.title.text() == "Brouwerij Zoë NV"
    assert set(dialog.card.custom_values) == {"sector", "visit"}
    assert _restricted_reads(services) == before  # nothing read, nothing to note
    seen: list[list[str]] = []

    def look(editor: CompanyEditorDialog) -> QDialog.DialogCode:
        seen.append(list(editor.custom.editors))
        return QDialog.DialogCode.Rejected

    monkeypatch.setattr(CompanyEditorDialog, "exec", look)
    assert dialog.edit_company() is False
    assert seen == [["sector", "visit", "credit"]]  # the editor has it
    assert _restricted_reads(services) == before + 1
    assert company


def test_the_definition_dialog_sets_what_a_field_belongs_to_and_its_keep_rule(
    qtbot: QtBot, services: Services, owner: Actor
) -> None:
    dialog = CustomFieldsDialog(services.custom_fields, owner)
    qtbot.addWidget(dialog)
    assert dialog.keep_months.value() == 0  # kept as its record, by default
    assert dialog.definition().keep_months is None
    assert dialog.definition().on is CustomTarget.CONTACT
    dialog.label.setText("Audit date")
    dialog.kind.setCurrentIndex(dialog.kind.findData(CustomKind.DATE.value))
    dialog.target.setCurrentIndex(dialog.target.findData(CustomTarget.COMPANY.value))
    dialog.keep_months.setValue(18)
    dialog.add_field()
    (defined,) = services.custom_fields.definitions(owner)
    assert (defined.key, defined.on, defined.keep_months) == ("audit_date", COMPANY, 18)
    assert dialog.table.rowCount() == 1
    cells = [dialog.table.item(0, c).text() for c in range(dialog.table.columnCount())]
    assert "18 months" in cells
    assert "Companies" in cells


@pytest.mark.parametrize("language", ["nl", "fr"])
def test_company_custom_field_screenshots(
    qtbot: QtBot, services: Services, owner: Actor, language: str, small_screen: None
) -> None:
    apply_language(language)
    company, _sales = _world(services, owner)
    dialog = CustomFieldsDialog(services.custom_fields, owner)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.label.setText("Laatste audit" if language == "nl" else "Dernier audit")
    dialog.kind.setCurrentIndex(dialog.kind.findData(CustomKind.DATE.value))
    dialog.target.setCurrentIndex(dialog.target.findData(CustomTarget.COMPANY.value))
    dialog.keep_months.setValue(36)
    save(dialog, f"{language}-custom-fields-dialog-keep-rule", settle=True)
    assert dialog.width() <= 1024
    assert dialog.height() <= 600
    editor = _editor(services, owner, company)
    qtbot.addWidget(editor)
    editor.show()
    save(editor, f"{language}-company-editor-custom-fields", settle=True)
    assert editor.width() <= 1024
    assert editor.height() <= 600
    assert all(isinstance(e, (QLineEdit, QComboBox)) or e for e in editor.custom.editors.values())
    window = CompaniesDialog(services, owner)
    qtbot.addWidget(window)
    window.resize(1024, 600)
    window.show()
    window.choose_column("cf_sector", True)
    window.view.selectRow(0)
    save(window, f"{language}-company-card-custom-fields", settle=True)
    apply_language("en")
