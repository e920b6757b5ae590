"""The background job helper: callbacks on the UI thread, progress, cancel, failures."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from itertools import pairwise
from pathlib import Path

import pytest
from PySide6.QtCore import QThread, QTimer
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from privacycrm_desktop.domain.errors import FieldProblem, PermissionDenied, ValidationFailed
from privacycrm_desktop.ui.common import messages
from privacycrm_desktop.ui.common.workers import (
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
    monkeypatch.setattr(messages, "warning", lambda _p, _t, text, *a: shown.append(text))

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
    monkeypatch.setattr(messages, "critical", lambda _p, _t, text, *a: shown.append(text))

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


#: A dialog that runs jobs one after another (the next one starting when the last one
#: finished, as the recovery dialog's fallback does) and closes itself from a job's
#: callback, a thousand times. Each job's last reference goes in its own callbacks.
CLOSE_FROM_A_CALLBACK = """
import sys
import time
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QDialog, QVBoxLayout
from privacycrm_desktop.ui.common.workers import ProgressPanel, run_in_background

app = QApplication([])


class Dialog(QDialog):
    def __init__(self):
        super().__init__()
        self.progress = ProgressPanel()
        QVBoxLayout(self).addWidget(self.progress)
        self.done_jobs = 0
        QTimer.singleShot(0, self.start)

    def start(self):
        job = run_in_background(lambda context: time.sleep(0.0002), self.job_done, parent=self)
        self.progress.start("...", job)

    def job_done(self, result):
        self.done_jobs += 1
        if self.done_jobs == 4:
            self.accept()
        else:
            self.progress.job.finished.connect(self.start)


for _ in range(int(sys.argv[1])):
    dialog = Dialog()
    dialog.exec()
    del dialog
print("done")
"""


def test_a_job_may_be_let_go_of_in_its_own_callbacks(tmp_path: Path) -> None:
    """PySide crashes when an object is destroyed inside a slot call on itself; a job whose
    callbacks drop the last reference to it crashed the process (a segmentation fault in
    QDialog.exec, 1 start-up test in 8). Run in a child process: a crash fails this test
    instead of killing the test run."""
    script = tmp_path / "close_from_a_callback.py"
    script.write_text(CLOSE_FROM_A_CALLBACK, encoding="utf-8")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [sys.executable, str(script), "1000"],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().endswith("done")


def test_an_earlier_jobs_end_leaves_the_panel_with_the_running_one(qtbot: QtBot) -> None:
    panel = ProgressPanel()
    qtbot.addWidget(panel)
    panel.show()
    first_may_end, second_may_end = threading.Event(), threading.Event()
    first = run_in_background(lambda context: first_may_end.wait(10), lambda result: None)
    panel.start("first", first)
    second = run_in_background(lambda context: second_may_end.wait(10), lambda result: None)
    panel.start("second", second)
    with qtbot.waitSignal(first.finished, timeout=10_000):
        first_may_end.set()
    assert panel.job is second
    assert panel.busy
    assert panel.isVisible()
    with qtbot.waitSignal(second.finished, timeout=10_000):
        second_may_end.set()
    assert panel.job is None
    assert not panel.isVisible()


QUIT_WHILE_A_JOB_RUNS = """
import threading, sys
import shiboken6
from PySide6.QtCore import QThreadPool
from PySide6.QtWidgets import QApplication, QWidget
from privacycrm_desktop.ui.common import workers

app = QApplication([])
window = QWidget()
release = threading.Event()

def work(context):
    release.wait(5)
    context.progress(1, 2)
    return "late"

workers.run_in_background(work, print, parent=window)
# The application quits: its objects, the jobs' bridge among them, are deleted while the
# job still runs on its pool thread.
window.deleteLater()
shiboken6.delete(workers._BRIDGE[0])
release.set()
QThreadPool.globalInstance().waitForDone(5000)
print("quit")
"""


def test_quitting_while_a_job_runs_prints_no_traceback(tmp_path: Path) -> None:
    """A job still running when the application quits (the recovery dialog closed while it
    checked the backups) raised on its pool thread, emitting to the deleted bridge: a
    traceback on stderr at the quit."""
    script = tmp_path / "quit_while_a_job_runs.py"
    script.write_text(QUIT_WHILE_A_JOB_RUNS, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(script)],
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "quit"
    assert "Traceback" not in done.stderr, done.stderr[-2000:]
