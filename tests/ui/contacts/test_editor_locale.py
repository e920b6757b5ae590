"""The editor in the user's language: country names from CLDR (Babel), the colon as each
language writes it, dates in the list and the cleanup wizard in the locale's format."""

from __future__ import annotations

import datetime as dt

import pytest
from pytestqt.qtbot import QtBot

from privacycrm_desktop.domain.contacts import ContactInput
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.ui.common.qt_i18n import apply_language
from privacycrm_desktop.ui.contacts.contact_editor import ContactEditorDialog
from privacycrm_desktop.ui.contacts.country_field import CountryCombo

SOURCE = SourceInput(SourceKind.PHONE_CALL, "Telefoon", dt.date(2025, 1, 2))


@pytest.mark.parametrize(
    ("language", "belgium", "netherlands", "first_name"),
    [
        ("nl", "België", "Nederland", "Voornaam:"),
        ("fr", "Belgique", "Pays-Bas", "Prénom :"),
        ("en", "Belgium", "Netherlands", "First name:"),
    ],
)
def test_countries_by_name_and_the_code_saved(
    qtbot: QtBot,
    services: Services,
    owner: Actor,
    language: str,
    belgium: str,
    netherlands: str,
    first_name: str,
) -> None:
    apply_language(language)
    cid = services.contacts.create(
        owner, ContactInput(last_name="Jansen", postcode="1012 AB", country="NL"), SOURCE
    )
    editor = ContactEditorDialog(services.contacts, owner, cid)
    qtbot.addWidget(editor)
    country = editor.editors["country"]
    assert isinstance(country, CountryCombo)
    assert country.currentText() == netherlands
    assert country.itemText(0) == belgium  # the neighbours first
    assert editor.labels["first_name"].text().replace("&", "") == first_name
    country.set_code("FR")
    editor.source_kind.setCurrentIndex(editor.source_kind.findData(SourceKind.PHONE_CALL))
    editor.source_description.setText("Telefoongesprek")
    editor.save()
    assert editor.saved_id == cid
    assert services.contacts.get(owner, cid).country == "FR"


def test_an_unknown_code_is_kept(qtbot: QtBot) -> None:
    combo = CountryCombo()
    qtbot.addWidget(combo)
    combo.set_code("XX")
    assert combo.code() == "XX"
    combo.set_code("be")
    assert combo.code() == "BE"
    assert combo.count() > 200


@pytest.mark.parametrize("language", ["nl", "fr"])
def test_the_lists_keep_until_date_is_written_the_locales_way(
    qtbot: QtBot, services: Services, owner: Actor, language: str
) -> None:
    from PySide6.QtCore import Qt

    from privacycrm_desktop.ui.common.date_fields import format_date
    from privacycrm_desktop.ui.contacts.contact_table_model import Column
    from privacycrm_desktop.ui.main_window import MainWindow

    apply_language(language)
    services.demo.generate(owner, 30, seed=3)
    window = MainWindow(services, owner)
    qtbot.addWidget(window)
    shown = 0
    for row in range(window.model.rowCount()):
        contact = window.model.contact_at(row)
        assert contact is not None
        if contact.keep_until is None:
            continue
        text = window.model.index(row, Column.KEEP_UNTIL).data(Qt.ItemDataRole.DisplayRole)
        assert text == format_date(contact.keep_until)
        assert "-" not in text  # 2/03/2026, not 2026-03-02
        shown += 1
    assert shown
