"""Wording and cut text a GUI tester found: "1 maanden" in the keep period of a custom
field (the unit now agrees with the number, in every language); the call kind named one
way in the Log menu ("Oproep registreren") and another on the timeline ("Telefoongesprek");
the purposes of a new custom field cut ("Marketing direct a")."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QStyle
from pytestqt.qtbot import QtBot

from privacycrm_desktop import i18n
from privacycrm_desktop.domain.activities import ACTIVITY_KIND_LABELS
from privacycrm_desktop.i18n import LANGUAGES, _, ngettext
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.ui.admin.custom_fields_dialog import CustomFieldsDialog
from privacycrm_desktop.ui.common.qt_i18n import apply_language
from privacycrm_desktop.ui.contacts.timeline import LOG_LABELS

from ..screens import save


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_the_keep_period_says_month_or_months_as_the_number_wants(
    qtbot: QtBot, services: Services, owner: Actor, language: str
) -> None:
    apply_language(language)
    dialog = CustomFieldsDialog(services.custom_fields, owner)
    qtbot.addWidget(dialog)
    box = dialog.keep_months
    for months in (1, 2, 12, 1, 5):
        box.setValue(months)
        shown = box.text()
        assert shown == ngettext("{count} month", "{count} months", months).format(count=months)
    box.setValue(0)
    assert box.text() == _("As long as its contact or company")


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_the_log_menu_names_each_kind_as_the_timeline_does(language: str) -> None:
    i18n.set_language(language)
    for kind, label in ACTIVITY_KIND_LABELS.items():
        entry = _(LOG_LABELS[kind]).replace("&", "").casefold()
        assert _(label).casefold() in entry, (kind, entry)


@pytest.mark.parametrize("language", ["nl", "fr"])
def test_the_purposes_of_a_new_field_read_whole(
    qtbot: QtBot, services: Services, owner: Actor, language: str
) -> None:
    """At 1024x600 each purpose's name fits the list ("Marketing direct a" was cut)."""
    apply_language(language)
    dialog = CustomFieldsDialog(services.custom_fields, owner)
    qtbot.addWidget(dialog)
    dialog.resize(1024, 600)
    dialog.show()
    qtbot.waitExposed(dialog)
    save(dialog, f"{language}-custom-fields-purposes", settle=True)
    listed = dialog.purposes
    box = listed.style().pixelMetric(QStyle.PixelMetric.PM_IndicatorWidth) + 12
    assert listed.count() == len(services.custom_fields.purposes(owner))
    for row in range(listed.count()):
        item = listed.item(row)
        wanted = listed.fontMetrics().horizontalAdvance(item.text()) + box
        assert wanted <= listed.viewport().width(), item.text()
        assert item.toolTip() == item.text()
