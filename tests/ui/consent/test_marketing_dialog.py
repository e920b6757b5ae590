"""The marketing list dialog and the PDF menu run their work off the UI thread."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QFileDialog, QMenu
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from privacycrm_desktop.services.audit import AuditFilter
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.ui.common.workers import ProgressPanel
from privacycrm_desktop.ui.consent.marketing_dialog import MarketingListDialog
from privacycrm_desktop.ui.main_window import MainWindow

from ..screens import save


@pytest.fixture
def many(services: Services, owner: Actor) -> Services:
    """Enough contacts that a list takes a noticeable moment."""
    services.demo.generate(owner, 2000, seed=3)
    return services


def test_building_shows_progress_and_disables_the_buttons(
    qtbot: QtBot, many: Services, owner: Actor, qtmodeltester: ModelTester
) -> None:

    dialog = MarketingListDialog(many, owner)
    qtbot.addWidget(dialog)
    dialog.show()
    job = dialog.build()
    assert job is not None
    assert not dialog.build_button.isEnabled()
    assert not dialog.export_button.isEnabled()
    assert dialog.progress.isVisible()
    assert dialog.build() is None  # one job at a time
    save(dialog, "marketing-list-building")
    with qtbot.waitSignal(job.finished, timeout=20_000):
        pass
    assert dialog.build_button.isEnabled()
    assert dialog.progress.isHidden()
    assert dialog.built is not None
    assert dialog.model.rowCount() == len(dialog.built.entries)
    assert "may be reached" in dialog.summary.text()
    assert dialog.error.isHidden()
    qtmodeltester.check(dialog.model)


def _gated(monkeypatch: pytest.MonkeyPatch, service: object, name: str) -> threading.Event:
    """Hold the service call until the test opens the gate: the cancel lands first, always."""
    gate = threading.Event()
    original: Callable[..., Any] = getattr(service, name)

    def wait_then_call(*args: Any, **kwargs: Any) -> Any:
        gate.wait(10)
        return original(*args, **kwargs)

    monkeypatch.setattr(service, name, wait_then_call)
    return gate


def test_cancel_stops_the_build(
    qtbot: QtBot, many: Services, owner: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    dialog = MarketingListDialog(many, owner)
    qtbot.addWidget(dialog)
    dialog.show()
    gate = _gated(monkeypatch, many.marketing, "build")
    job = dialog.build()
    assert job is not None
    dialog.progress.cancel_button.click()
    gate.set()
    with qtbot.waitSignal(job.finished, timeout=20_000):
        pass
    assert dialog.built is None
    assert dialog.model.rowCount() == 0
    assert "Stopped" in dialog.error.text()
    assert dialog.build_button.isEnabled()


def test_a_cancelled_export_writes_and_logs_nothing(
    qtbot: QtBot,
    many: Services,
    owner: Actor,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    dialog = MarketingListDialog(many, owner)
    qtbot.addWidget(dialog)
    target = tmp_path / "list.csv"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    gate = _gated(monkeypatch, many.marketing, "export_csv")
    job = dialog.export()
    assert job is not None
    dialog.progress.cancel()
    gate.set()
    with qtbot.waitSignal(job.finished, timeout=20_000):
        pass
    assert not target.exists()
    where = AuditFilter(action="export.marketing_csv")
    assert many.audit.count_events(owner, where) == 0


def test_a_refusal_is_shown_in_the_dialog(qtbot: QtBot, services: Services, owner: Actor) -> None:
    dialog = MarketingListDialog(services, owner)
    qtbot.addWidget(dialog)
    dialog.purpose.setCurrentIndex(dialog.purpose.findData("direct_marketing_soft_opt_in"))
    job = dialog.build()
    assert job is not None
    with qtbot.waitSignal(job.finished, timeout=10_000):
        pass
    assert "product category" in dialog.error.text()
    assert "Traceback" not in dialog.error.text()


def test_the_pdf_menus_wait_while_a_pdf_is_made(
    qtbot: QtBot,
    services: Services,
    owner: Actor,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    window = MainWindow(services, owner)
    qtbot.addWidget(window)
    menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Marketing")
    register, notice = (a.menu() for a in menu.actions() if isinstance(a.menu(), QMenu))
    target = tmp_path / "notice.pdf"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    notice.actions()[1].trigger()  # French
    panel = window.findChild(ProgressPanel)
    assert panel.busy
    assert not register.isEnabled()
    assert not notice.isEnabled()
    assert panel.bar.maximum() == 0  # no progress hook: a busy bar
    qtbot.waitUntil(lambda: not panel.busy, timeout=10_000)
    assert target.read_bytes().startswith(b"%PDF")
    assert register.isEnabled()
    assert notice.isEnabled()
    assert "notice.pdf" in window.statusBar().currentMessage()


def test_the_marketing_menu_opens_its_dialogs_imported_when_asked(
    qtbot: QtBot, services: Services, owner: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The menu is made without its dialogs' modules (the first paint does not need them);
    each entry still opens its own dialog."""
    from privacycrm_desktop.ui.consent.purposes_dialog import PurposesDialog
    from privacycrm_desktop.ui.consent.statement_dialog import StatementDialog

    opened: list[str] = []
    for dialog in (MarketingListDialog, PurposesDialog, StatementDialog):
        monkeypatch.setattr(dialog, "exec", lambda self: opened.append(type(self).__name__))
    window = MainWindow(services, owner)
    qtbot.addWidget(window)
    menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Marketing")
    assert isinstance(menu, QMenu)
    entries = {a.text(): a for a in menu.actions()}
    for text in ("Marketing &list...", "Register of &purposes...", "Privacy &statement..."):
        entries[text].trigger()
    assert opened == ["MarketingListDialog", "PurposesDialog", "StatementDialog"]
