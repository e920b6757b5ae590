"""My day at 1024x600 in nl and fr (a GUI tester's finding): the What column's lines are not
cut to "O…", the group headings span the row, and a very long company name in About is
elided instead of taking all the width."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtWidgets import QStyle, QTreeWidgetItem
from pytestqt.qtbot import QtBot

from privacycrm_desktop.domain.companies import CompanyInput
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.domain.requests import RequestKind
from privacycrm_desktop.domain.tasks import TaskDraft
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.services.requests import RequestInput
from privacycrm_desktop.ui.common.qt_i18n import apply_language
from privacycrm_desktop.ui.tasks.my_day import ITEM_ROLE, MyDayDialog
from privacycrm_desktop.ui.tasks.task_rows import TASK_ID_ROLE

from ..screens import save

LONG = "Société Coopérative des Entrepreneurs Généraux de Wallonie et de Bruxelles-Capitale SC"


@pytest.mark.parametrize("language", ["nl", "fr"])
def test_my_day_lines_fit_and_headings_span_the_row(
    qtbot: QtBot, services: Services, owner: Actor, language: str
) -> None:
    services.demo.generate(owner, 5, seed=3)
    card = SourceInput(SourceKind.BUSINESS_CARD, "Batibouw", dt.date(2025, 2, 20))
    company = services.companies.add(owner, CompanyInput(name=LONG), card)
    today = services.tasks.now().date()
    first = services.contacts.page(owner, limit=1)[0].id
    services.tasks.add(owner, TaskDraft("Send the offer", due_on=today, company_id=company))
    services.tasks.add(owner, TaskDraft("Te laat", due_on=today - dt.timedelta(2)))
    received = today - dt.timedelta(days=28)
    services.requests.add(owner, RequestInput(RequestKind.ACCESS, (first,), received))
    apply_language(language)
    dialog = MyDayDialog(services, owner)
    qtbot.addWidget(dialog)
    dialog.resize(1024, 600)
    dialog.show()
    qtbot.waitExposed(dialog)
    save(dialog, f"{language}-my-day-fit", settle=True)
    tree = dialog.tree
    metrics = tree.fontMetrics()
    box = tree.style().pixelMetric(QStyle.PixelMetric.PM_IndicatorWidth) + 16
    lines: list[QTreeWidgetItem] = [tree.topLevelItem(n) for n in range(tree.topLevelItemCount())]
    rows = [i for i in lines if i.data(0, TASK_ID_ROLE) is not None or i.data(0, ITEM_ROLE)]
    rows += [i for i in lines if i.data(0, ITEM_ROLE) == 0]
    assert len(rows) >= 3  # two tasks and the request's deadline
    for row in rows:
        assert not tree.isFirstColumnSpanned(tree.indexFromItem(row).row(), tree.rootIndex())
        wanted = metrics.horizontalAdvance(row.text(0)) + box
        assert wanted <= tree.columnWidth(0), row.text(0)
    others = [i for i in lines if i not in rows]
    assert len(others) >= 3  # the group headings
    for line in others:  # headings, "Nothing." and "And n more" span the row
        at = tree.indexFromItem(line)
        assert tree.isFirstColumnSpanned(at.row(), at.parent()), line.text(0)
        assert tree.visualRect(at).width() >= metrics.horizontalAdvance(line.text(0))
    about = next(r for r in rows if r.text(1) == LONG)
    assert tree.columnWidth(1) < metrics.horizontalAdvance(LONG)  # elided, not all the width
    assert tree.columnWidth(1) <= tree.viewport().width() // 3
    assert about.toolTip(1) == LONG
    assert tree.columnWidth(0) > tree.columnWidth(1)
