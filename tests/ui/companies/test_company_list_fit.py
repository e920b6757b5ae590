"""The company list at 1024x600 in nl and fr (a GUI tester saw "Brou… Het …"): a company's
name reads on one line, the Name column having the room the other columns leave; a name
longer than that is elided with the whole name as its tooltip."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QStyle
from pytestqt.qtbot import QtBot

from privacycrm_desktop.domain.companies import CompanyInput
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.ui.common.qt_i18n import apply_language
from privacycrm_desktop.ui.companies.companies_window import CompaniesDialog, CompanyColumn

from ..screens import save

CARD = SourceInput(SourceKind.BUSINESS_CARD, "Batibouw 2026", dt.date(2025, 2, 20))
NAMES = ("Brouwerij Het Anker NV", "Ébénisterie Lefèvre & Fils", "Bakkerij Peeters")
LONG = "Société Coopérative des Entrepreneurs Généraux de Wallonie et de Bruxelles-Capitale SC"


@pytest.mark.parametrize("language", ["nl", "fr"])
def test_company_names_read_whole_on_one_line(
    qtbot: QtBot, services: Services, owner: Actor, language: str
) -> None:
    for name in (*NAMES, LONG):
        services.companies.add(
            owner, CompanyInput(name=name, vat="BE 0403.170.701", city="Mechelen"), CARD
        )
    apply_language(language)
    dialog = CompaniesDialog(services, owner)
    qtbot.addWidget(dialog)
    dialog.resize(1024, 600)
    dialog.show()
    qtbot.waitExposed(dialog)
    save(dialog, f"{language}-companies-names", settle=True)
    view, model = dialog.view, dialog.view.model()
    margin = 2 * (view.style().pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin) + 1)
    width = view.columnWidth(CompanyColumn.NAME)
    metrics = view.fontMetrics()
    seen = set()
    for row in range(model.rowCount()):
        index = model.index(row, CompanyColumn.NAME)
        name = index.data()
        seen.add(name)
        assert index.data(Qt.ItemDataRole.ToolTipRole) == name
        if name != LONG:
            assert metrics.horizontalAdvance(name) + margin <= width, (name, width)
    assert seen == {*NAMES, LONG}
    assert not view.wordWrap()  # one line a company (the long name elided)
