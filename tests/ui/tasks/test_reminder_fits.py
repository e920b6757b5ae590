"""The reminder in the status bar is read whole at 1024 wide in nl and fr (a GUI tester saw
"… zie M"): the label is given its size hint beside the counts, the whole sentence with
the shortcut is its tooltip."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from privacycrm_desktop.domain.tasks import TaskDraft
from privacycrm_desktop.services.clock import FixedClock
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.ui.common.qt_i18n import apply_language
from privacycrm_desktop.ui.main_window import MainWindow

from ..screens import save


@pytest.mark.parametrize("language", ["nl", "fr"])
@pytest.mark.parametrize("ahead", [False, True])
def test_the_reminder_fits_the_status_bar(
    qtbot: QtBot,
    services: Services,
    owner: Actor,
    clock: FixedClock,
    language: str,
    ahead: bool,
) -> None:
    services.demo.generate(owner, 40, seed=7)  # expired and expiring counts beside it
    now = services.tasks.now()
    due = now + dt.timedelta(minutes=5 if ahead else 60)
    services.tasks.add(owner, TaskDraft("Ring Ann", due_on=due.date(), due_time=due.time()))
    apply_language(language)
    window = MainWindow(services, owner)
    qtbot.addWidget(window)
    window.resize(1024, 600)
    window.show()
    qtbot.waitExposed(window)
    if not ahead:
        clock.current = clock.current + dt.timedelta(minutes=61)
    assert window.task_actions.check_reminders() == 1
    notice = window.task_actions.notice
    save(window, f"{language}-reminder-{'ahead' if ahead else 'due'}", settle=True)
    bar = window.statusBar()
    assert bar.width() <= 1024
    assert notice.isVisible()
    assert notice.width() >= notice.sizeHint().width()
    assert notice.geometry().right() <= bar.rect().right()
    for other in bar.findChildren(QLabel):  # nothing in the bar lies over it
        if other is not notice and other.isVisible() and other.width() > 0:
            assert not other.geometry().intersects(notice.geometry()), other.text()
    assert "Ctrl+D" in notice.toolTip()
    # Whole also at 100,000 contacts: the labels' size hints, with room for counts of six
    # figures (five more digits and their spaces in the three counts), fit the bar.
    shown = [w for w in bar.findChildren(QLabel) if w.isVisible()]
    wider = 3 * notice.fontMetrics().horizontalAdvance("000 00")
    assert sum(w.sizeHint().width() for w in shown) + wider <= bar.width()
