"""The background job helper: callbacks on the UI thread, progress, cancel, failures."""

from __future__ import annotations

import threading
import time
from itertools import pairwise

import pytest
from PySide6.QtCore import QThread, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from privacycrm_desktop.domain.errors import FieldProblem, PermissionDenied, ValidationFailed
from privacycrm_desktop.ui.workers import (
    Cancelled,
    JobContext,
    ProgressPanel,
    run_in_background,
)


def ui_thread() -> QThread:
    app = QApplication.instance()
    assert app is not None
    return app.thread()


def test_success_is_delivered_on_the_ui_thread(qtbot: QtBot) -> None:
    seen: dict[str, object] = {}

    def work(context: JobContext) -> int:
        seen["worker"] = threading.current_thread()
        return 6 * 7

    def done(result: int) -> None:
        seen["result"] = result
        seen["thread"] = QThread.currentThread()

    job = run_in_background(work, done)
    with qtbot.waitSignal(job.finished, timeout=5000):
        pass
    assert seen["result"] == 42
    assert seen["worker"] is not threading.main_thread()
    assert seen["thread"] is ui_thread()
    assert not job.running


def test_a_failure_goes_to_on_failure(qtbot: QtBot) -> None:
    errors: list[BaseException] = []

    def work(context: JobContext) -> None:
        raise PermissionDenied(permission="export")

    job = run_in_background(work, lambda _r: pytest.fail("no success"), on_failure=errors.append)
    with qtbot.waitSignal(job.finished, timeout=5000):
        pass
    assert len(errors) == 1
    assert isinstance(errors[0], PermissionDenied)


def test_a_domain_error_is_shown_in_the_users_words(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    from privacycrm_desktop.domain.text import N_

    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _p, _t, text, *a: shown.append(text))

    def work(context: JobContext) -> None:
        raise ValidationFailed([FieldProblem("language", N_("Choose Dutch, French or English."))])

    parent = QWidget()
    qtbot.addWidget(parent)
    job = run_in_background(work, lambda _r: None, parent=parent)
    with qtbot.waitSignal(job.finished, timeout=5000):
        pass
    assert shown == ["Choose Dutch, French or English."]
    assert "Traceback" not in shown[0]


def test_an_unforeseen_error_is_a_plain_sentence(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "critical", lambda _p, _t, text, *a: shown.append(text))

    def work(context: JobContext) -> None:
        raise OSError("disk full")

    job = run_in_background(work, lambda _r: None)
    with qtbot.waitSignal(job.finished, timeout=5000):
        pass
    assert len(shown) == 1
    assert "disk full" not in shown[0]
    assert "disk full" in caplog.text  # the details are in the log


def test_progress_reaches_the_ui_thread_in_order(qtbot: QtBot) -> None:
    reports: list[tuple[int, int]] = []
    threads: set[QThread] = set()

    def work(context: JobContext) -> str:
        for done in range(1, 6):
            time.sleep(0.06)  # longer than the throttle: every report passes
            context.progress(done, 5)
        return "ok"

    def progressed(done: int, total: int) -> None:
        reports.append((done, total))
        threads.add(QThread.currentThread())

    job = run_in_background(work, lambda _r: None, on_progress=progressed)
    with qtbot.waitSignal(job.finished, timeout=5000):
        pass
    assert reports == [(1, 5), (2, 5), (3, 5), (4, 5), (5, 5)]
    assert threads == {ui_thread()}


def test_progress_is_throttled_but_the_end_always_shows(qtbot: QtBot) -> None:
    reports: list[tuple[int, int]] = []

    def work(context: JobContext) -> None:
        for done in range(10_001):
            context.progress(done, 10_000)

    job = run_in_background(work, lambda _r: None, on_progress=lambda d, t: reports.append((d, t)))
    with qtbot.waitSignal(job.finished, timeout=5000):
        pass
    assert len(reports) < 100
    assert reports[-1] == (10_000, 10_000)


def test_cancel_stops_the_work_and_calls_on_cancelled(qtbot: QtBot) -> None:
    started = threading.Event()
    outcome: list[str] = []
    steps: list[int] = []

    def work(context: JobContext) -> str:
        started.set()
        for step in range(1000):
            context.raise_if_cancelled()
            steps.append(step)
            time.sleep(0.01)
        return "finished"

    job = run_in_background(
        work,
        lambda _r: outcome.append("success"),
        on_cancelled=lambda: outcome.append("cancelled"),
    )
    assert started.wait(5)
    job.cancel()
    with qtbot.waitSignal(job.finished, timeout=5000):
        pass
    assert outcome == ["cancelled"]
    assert len(steps) < 1000


def test_a_service_stops_through_its_progress_hook(qtbot: QtBot) -> None:
    outcome: list[str] = []

    def service(progress: object) -> str:
        assert callable(progress)
        for done in range(100):
            progress(done, 100)
            time.sleep(0.01)
        return "finished"

    job = run_in_background(
        lambda context: service(context.progress_or_cancel),
        lambda _r: outcome.append("success"),
        on_cancelled=lambda: outcome.append("cancelled"),
    )
    job.cancel()
    with qtbot.waitSignal(job.finished, timeout=5000):
        pass
    assert outcome == ["cancelled"]


def test_work_that_ignores_the_cancel_still_delivers_its_result(qtbot: QtBot) -> None:
    results: list[str] = []
    job = run_in_background(lambda context: "done", results.append)
    job.cancel()
    with qtbot.waitSignal(job.finished, timeout=5000):
        pass
    assert results == ["done"]


def test_the_ui_thread_keeps_running_during_a_slow_job(qtbot: QtBot) -> None:
    ticks: list[float] = []
    timer = QTimer()
    timer.setInterval(20)
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    timer.start()

    def slow(context: JobContext) -> str:
        time.sleep(0.6)  # blocks only the worker
        return "slow"

    results: list[str] = []
    job = run_in_background(slow, results.append)
    with qtbot.waitSignal(job.finished, timeout=5000):
        pass
    timer.stop()
    assert results == ["slow"]
    assert len(ticks) >= 10  # ~30 expected; a blocked UI thread would give 0 or 1
    gaps = [b - a for a, b in pairwise(ticks)]
    assert max(gaps) < 0.3


def test_no_callback_reaches_a_deleted_window(qtbot: QtBot) -> None:
    release = threading.Event()
    results: list[str] = []
    parent = QWidget()
    job = run_in_background(
        lambda context: release.wait(5) and "late", results.append, parent=parent
    )
    parent.deleteLater()
    qtbot.waitUntil(lambda: not _alive(parent))
    release.set()
    with qtbot.waitSignal(job.finished, timeout=5000):
        pass
    assert results == []


def _alive(widget: QWidget) -> bool:
    import shiboken6

    return shiboken6.isValid(widget)


def test_the_progress_panel_shows_a_busy_bar_then_counts(qtbot: QtBot) -> None:
    panel = ProgressPanel()
    qtbot.addWidget(panel)
    go, end = threading.Event(), threading.Event()

    def work(context: JobContext) -> None:
        go.wait(5)
        context.progress(3, 10)
        end.wait(5)

    job = run_in_background(work, lambda _r: None, on_progress=panel.set_progress)
    panel.start("Working...", job)
    assert panel.busy
    assert not panel.isHidden()
    assert (panel.bar.minimum(), panel.bar.maximum()) == (0, 0)  # busy, not a number
    go.set()
    qtbot.waitUntil(lambda: panel.bar.maximum() == 10, timeout=5000)
    assert panel.bar.value() == 3
    end.set()
    with qtbot.waitSignal(job.finished, timeout=5000):
        pass
    assert panel.isHidden()
    assert not panel.busy


def test_the_panels_cancel_button_cancels(qtbot: QtBot) -> None:
    panel = ProgressPanel()
    qtbot.addWidget(panel)
    cancelled: list[bool] = []

    def work(context: JobContext) -> None:
        while not context.cancelled():
            time.sleep(0.01)
        raise Cancelled

    job = run_in_background(work, lambda _r: None, on_cancelled=lambda: cancelled.append(True))
    panel.start("Working...", job)
    panel.cancel_button.click()
    assert not panel.cancel_button.isEnabled()
    with qtbot.waitSignal(job.finished, timeout=5000):
        pass
    assert cancelled == [True]
