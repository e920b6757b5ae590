"""The contact editor: sources are required and shown, problems sit next to their field."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from privacycrm_desktop.domain.access import Role
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.i18n import _
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.imports import ImportPlan
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.ui.common.date_fields import OptionalDateEdit
from privacycrm_desktop.ui.contacts.contact_editor import ContactEditorDialog


def new_editor(
    qtbot: QtBot, services: Services, actor: Actor, cid: int | None = None
) -> ContactEditorDialog:
    dialog = ContactEditorDialog(services.contacts, actor, cid)
    qtbot.addWidget(dialog)
    return dialog


def describe(
    dialog: ContactEditorDialog, text: str, kind: SourceKind = SourceKind.PHONE_CALL
) -> None:
    """Name the source of the values typed (an edit's source is always chosen)."""
    dialog.source_kind.setCurrentIndex(dialog.source_kind.findData(kind))
    dialog.source_description.setText(text)


def fill_person(dialog: ContactEditorDialog, email: str = "zoe@example.be") -> None:
    dialog.editors["first_name"].setText("Zoë")
    dialog.editors["last_name"].setText("Peeters")
    dialog.editors["emails"].setPlainText(email)
    dialog.editors["city"].setText("Liège")


def test_save_without_source_description_is_refused(
    qtbot: QtBot, services: Services, owner: Actor
) -> None:
    dialog = new_editor(qtbot, services, owner)
    fill_person(dialog)
    dialog.source_description.setText("")
    dialog.save()
    assert dialog.saved_id is None
    assert not dialog.source_error.isHidden()
    assert "nothing is saved without a source" in dialog.source_error.text()
    assert services.contacts.count(owner) == 0


def test_invalid_email_is_shown_next_to_the_field(
    qtbot: QtBot, services: Services, owner: Actor
) -> None:
    dialog = new_editor(qtbot, services, owner)
    fill_person(dialog, email="not an address")
    describe(dialog, "Business card at the fair")
    dialog.save()
    assert dialog.saved_id is None
    assert not dialog.errors["emails"].isHidden()
    assert dialog.errors["emails"].text()
    assert dialog.errors["first_name"].isHidden()
    assert dialog.general_error.isHidden()
    assert services.contacts.count(owner) == 0


def test_saved_contact_shows_its_source_per_field(
    qtbot: QtBot, services: Services, owner: Actor
) -> None:
    dialog = new_editor(qtbot, services, owner)
    fill_person(dialog)
    dialog.source_kind.setCurrentIndex(dialog.source_kind.findData(SourceKind.BUSINESS_CARD))
    dialog.source_description.setText("Business card at the Ghent fair")
    with qtbot.waitSignal(dialog.accepted):
        dialog.save()
    assert dialog.saved_id is not None

    reopened = new_editor(qtbot, services, owner, dialog.saved_id)
    assert reopened.editors["first_name"].text() == "Zoë"
    for field in ("first_name", "last_name", "city", "emails"):
        tip = reopened.source_buttons[field].toolTip()
        assert "Business card at the Ghent fair" in tip
        assert _("Business card") in tip
        assert "owner" in tip
    assert "zoe@example.be" in reopened.source_buttons["emails"].toolTip()
    # An edit's source is chosen, never taken over from the last one (which Ctrl+S would
    # then credit with any change); the last one is mentioned as a hint.
    assert reopened.source_kind.currentData() is None
    assert reopened.source_description.text() == ""
    assert "Business card at the Ghent fair" in reopened.source_description.placeholderText()


def test_edit_conflict_is_reported(qtbot: QtBot, services: Services, owner: Actor) -> None:
    dialog = new_editor(qtbot, services, owner)
    fill_person(dialog)
    describe(dialog, "Phone call")
    dialog.save()
    assert dialog.saved_id is not None
    first = new_editor(qtbot, services, owner, dialog.saved_id)
    second = new_editor(qtbot, services, owner, dialog.saved_id)
    first.editors["city"].setText("Gent")
    describe(first, "Phone call")
    first.save()
    assert first.result() == ContactEditorDialog.DialogCode.Accepted
    second.editors["city"].setText("Namur")
    describe(second, "Phone call")
    second.save()
    assert not second.general_error.isHidden()
    assert "somebody else changed this contact" in second.general_error.text()
    # Both values to choose from (tests/ui/contacts/test_conflict_dialog.py).
    assert second.conflict_dialog is not None
    assert list(second.conflict_dialog.groups) == ["city"]


@pytest.fixture
def office(services: Services, owner: Actor) -> Actor:
    services.auth.add_user(owner, "anne", "another good password", Role.OFFICE)
    return services.auth.login("anne", "another good password")


def test_office_does_not_see_notes_or_birth_date(
    qtbot: QtBot, services: Services, owner: Actor, office: Actor
) -> None:
    dialog = new_editor(qtbot, services, office)
    assert "notes" not in dialog.source_buttons
    assert dialog.editors["notes"].parent() is None
    assert dialog.editors["birth_date"].parent() is None
    assert dialog.editors["first_name"].parent() is not None
    fill_person(dialog)
    describe(dialog, "Walked into the shop")
    dialog.save()
    assert dialog.saved_id is not None
    reopened = new_editor(qtbot, services, office, dialog.saved_id)
    assert reopened.editors["notes"].parent() is None
    assert reopened.editors["city"].text() == "Liège"


@pytest.mark.parametrize(
    "birth", [dt.date(1604, 5, 17), dt.date(1604, 2, 29), dt.date(1850, 3, 4), dt.date(1980, 1, 2)]
)
def test_a_birthday_without_a_year_or_before_1900_is_shown_and_kept(
    qtbot: QtBot, services: Services, owner: Actor, birth: dt.date, tmp_path: Path
) -> None:
    # Imported: the only way in for a number that cannot be read (kept as typed).
    cell = f"--{birth:%m-%d}" if birth.year == 1604 else birth.isoformat()
    path = tmp_path / "phone.csv"
    path.write_text(f"First Name,Mobile Phone,Birthday\nBob,(905) 555-1234,{cell}\n")
    preview = services.imports.preview(owner, path)
    source = SourceInput(SourceKind.IMPORT_FILE, "phone.csv", None)
    plan = ImportPlan(
        path, preview.shape, preview.mapping, source, "customer_relationship", "contract"
    )
    assert services.imports.run(owner, plan).imported == 1
    [row] = services.contacts.page(owner, query="Bob")
    cid = row.id
    dialog = new_editor(qtbot, services, owner, cid)
    field = dialog.editors["birth_date"]
    assert isinstance(field, OptionalDateEdit)
    assert field.value() == birth  # never clamped to the field's range
    assert field.no_year is not None
    assert field.no_year.isChecked() is (birth.year == 1604)
    if birth.year == 1604:
        assert "1604" not in field.edit.text()
    # Saving another field keeps the birthday and the number the import kept as typed.
    dialog.editors["city"].setText("Toronto")
    describe(dialog, "Phone call")
    with qtbot.waitSignal(dialog.accepted):
        dialog.save()
    saved = services.contacts.get(owner, cid)
    assert (saved.city, saved.birth_date) == ("Toronto", birth)
    assert [p.value for p in saved.phones] == ["(905) 555-1234"]


def test_the_year_of_a_birthday_can_be_said_unknown(
    qtbot: QtBot, services: Services, owner: Actor
) -> None:
    field = OptionalDateEdit(dt.date(2026, 3, 2), no_year=1604)
    qtbot.addWidget(field)
    field.set_value(dt.date(1980, 5, 17))
    assert field.no_year is not None
    field.no_year.setChecked(True)
    assert field.value() == dt.date(1604, 5, 17)
    field.no_year.setChecked(False)
    assert field.value() == dt.date(1980, 5, 17)


def test_a_contact_without_a_country_is_not_made_belgian_by_a_save(
    qtbot: QtBot, services: Services, owner: Actor, tmp_path: Path
) -> None:
    path = tmp_path / "far.csv"
    path.write_text(
        "First Name,E-mail Address,Postal Code,Country\nEve,eve@example.com,X1,Atlantis\n"
    )
    preview = services.imports.preview(owner, path)
    source = SourceInput(SourceKind.IMPORT_FILE, "far.csv", None)
    plan = ImportPlan(
        path, preview.shape, preview.mapping, source, "customer_relationship", "contract"
    )
    assert services.imports.run(owner, plan).imported == 1
    [row] = services.contacts.page(owner, query="Eve")
    assert services.contacts.get(owner, row.id).country == ""
    dialog = new_editor(qtbot, services, owner, row.id)
    assert dialog.editors["country"].currentText() == "(no country)"
    dialog.editors["city"].setText("Poseidonis")
    describe(dialog, "Phone call")
    with qtbot.waitSignal(dialog.accepted):
        dialog.save()
    saved = services.contacts.get(owner, row.id)
    assert (saved.city, saved.country, saved.postcode) == ("Poseidonis", "", "X1")
