"""Cycle collection on the UI thread begins after the main window's first paint, with what
the start made frozen (issue 23: start-up near the floor)."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QObject
from pytestqt.qtbot import QtBot

from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.ui.common import main_thread_gc
from privacycrm_desktop.ui.main_window import MainWindow


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.freeze()  # as the UI tests' own collector leaves it (tests/ui/conftest.py)


def test_the_collector_begins_after_the_first_paint_and_freezes_the_start(
    qtbot: QtBot, services: Services, owner: Actor, unfrozen: None
) -> None:
    services.demo.generate(owner, 5, seed=1)
    parent = QObject()
    collector = main_thread_gc.install(parent)
    assert not gc.isenabled()
    window = MainWindow(services, owner)
    qtbot.addWidget(window)
    window.after_first_paint(collector.start)
    assert not collector.is_collecting()  # nothing collected while the start runs
    assert gc.get_freeze_count() == 0
    painted: list[bool] = []
    window.on_first_paint(lambda: painted.append(collector.is_collecting()))
    window.show()
    qtbot.waitUntil(collector.is_collecting, timeout=5_000)
    assert painted == [False]  # it began after the paint, not before
    assert gc.get_freeze_count() > 0  # what the start made is not walked again
    assert not gc.isenabled()  # still from the timer, never automatically


class _Node:
    def __init__(self) -> None:
        self.me = self  # a cycle: only the collector frees it


def test_the_collector_frees_cycles_once_started(qtbot: QtBot, unfrozen: None) -> None:
    parent = QObject()
    collector = main_thread_gc.install(parent)
    before = weakref.ref(_Node())
    for _ in range(gc.get_threshold()[0] * 2):
        _Node()  # enough for a collection to be due
    qtbot.wait(main_thread_gc.INTERVAL_MS + 200)
    assert before() is not None  # not started: nothing collected
    collector.start()  # freezes what exists, the start's garbage too (it makes none)
    after = weakref.ref(_Node())
    for _ in range(gc.get_threshold()[0] * 2):
        _Node()
    qtbot.waitUntil(lambda: after() is None, timeout=main_thread_gc.INTERVAL_MS * 4)
