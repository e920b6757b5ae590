"""Long work off the UI thread, in the spirit of Anki's ``QueryOp``.

``run_in_background`` runs a callable on a ``QThreadPool`` thread and calls back on the UI
thread: ``on_success(result)``, ``on_failure(exception)`` or ``on_cancelled()``, and
``on_progress(done, total)`` while it runs. The callable receives a ``JobContext``: a
thread-safe ``progress(done, total)`` and a ``cancelled()`` flag to check (or
``raise_if_cancelled()``). A job counts as cancelled only when the callable raises
``Cancelled``: a result that was computed is never thrown away behind the user's back.

The services open a unit of work per call and their SQLite connections are made per
session, so a service call may run on a worker thread; widgets may not, so the callable
touches none and the callbacks do the showing.

``ProgressPanel`` is the matching busy line: a text, a progress bar (indeterminate until
the first progress report) and a Cancel button.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

import shiboken6
from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMessageBox, QProgressBar, QPushButton, QWidget

from privacycrm_desktop.domain.errors import DomainError
from privacycrm_desktop.i18n import _, describe_error

T = TypeVar("T")

log = logging.getLogger(__name__)

#: Progress reports closer together than this are dropped (the last one always passes):
#: a loop over 50,000 contacts must not flood the UI thread's event queue.
PROGRESS_INTERVAL_S = 0.05


class Cancelled(Exception):
    """The user cancelled the job; raised by the work, reported through ``on_cancelled``."""


class JobContext:
    """What the work gets: report progress, and ask whether the user cancelled."""

    def __init__(self, report: Callable[[int, int], None]) -> None:
        self._report = report
        self._cancel = threading.Event()
        self._lock = threading.Lock()
        self._last = 0.0

    def progress(self, done: int, total: int) -> None:
        """Report *done* of *total* steps (thread-safe; shown on the UI thread, throttled)."""
        now = time.monotonic()
        with self._lock:
            if done < total and now - self._last < PROGRESS_INTERVAL_S:
                return
            self._last = now
        self._report(done, total)

    def cancelled(self) -> bool:
        """True once the user asked to stop."""
        return self._cancel.is_set()

    def raise_if_cancelled(self) -> None:
        """Raise ``Cancelled`` if the user asked to stop."""
        if self._cancel.is_set():
            raise Cancelled

    def progress_or_cancel(self, done: int, total: int) -> None:
        """A progress hook for a service: reports, and stops the service on a cancel.

        ``Cancelled`` raised inside a service leaves its unit of work, which rolls back.
        """
        self.raise_if_cancelled()
        self.progress(done, total)

    def cancel(self) -> None:
        """Ask the work to stop (it decides when, by checking ``cancelled()``)."""
        self._cancel.set()


class _Signals(QObject):
    """Lives on the UI thread; emitting from the worker queues the calls to it."""

    succeeded = Signal(object)
    failed = Signal(object)
    was_cancelled = Signal()
    progressed = Signal(int, int)
    finished = Signal()


class _Runnable(QRunnable):
    def __init__(
        self, work: Callable[[JobContext], object], context: JobContext, signals: _Signals
    ) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self._work = work
        self._context = context
        self._signals = signals

    def run(self) -> None:
        signals = self._signals
        try:
            result = self._work(self._context)
        except Cancelled:
            signals.was_cancelled.emit()
        except Exception as exc:  # every failure goes to the UI thread
            signals.failed.emit(exc)
        else:
            signals.succeeded.emit(result)
        finally:
            signals.finished.emit()


def show_failure(parent: QWidget | None, error: BaseException) -> None:
    """The default failure callback: a refusal in the user's words, never a traceback."""
    if not isinstance(error, DomainError):
        # A full disk, a read-only or locked file met outside a unit of work (bulk writes).
        from privacycrm_desktop.services.storage import as_storage_error

        error = as_storage_error(error) or error
    if isinstance(error, DomainError):
        QMessageBox.warning(parent, _("PrivacyCRM"), describe_error(error))
        return
    # Unforeseen: the details go to the log, the user gets a plain sentence.
    log.error("Background job failed", exc_info=error)
    QMessageBox.critical(
        parent,
        _("PrivacyCRM"),
        _("Something went wrong; the work was not done. Details are in the log."),
    )


class Job(QObject, Generic[T]):
    """A running piece of work; ``finished`` fires on the UI thread after the callback."""

    finished = Signal()

    def __init__(
        self,
        work: Callable[[JobContext], T],
        on_success: Callable[[T], None],
        on_failure: Callable[[BaseException], None] | None,
        on_progress: Callable[[int, int], None] | None,
        on_cancelled: Callable[[], None] | None,
        parent: QWidget | None,
    ) -> None:
        super().__init__()
        self._on_success = on_success
        self._on_failure = on_failure
        self._on_progress = on_progress
        self._on_cancelled = on_cancelled
        self._parent = parent
        self._running = True
        self._signals = _Signals()
        self.context = JobContext(self._signals.progressed.emit)
        self._signals.succeeded.connect(self._succeeded)
        self._signals.failed.connect(self._failed)
        self._signals.was_cancelled.connect(self._cancelled)
        self._signals.progressed.connect(self._progressed)
        self._signals.finished.connect(self._finished)
        self._runnable = _Runnable(work, self.context, self._signals)

    @property
    def running(self) -> bool:
        """True until the work returned, failed or was cancelled."""
        return self._running

    def cancel(self) -> None:
        """Ask the work to stop; ``on_cancelled`` follows if it does."""
        self.context.cancel()

    def _alive(self) -> bool:
        # The window may have been closed and deleted while the work ran.
        return self._parent is None or shiboken6.isValid(self._parent)

    @Slot(object)
    def _succeeded(self, result: T) -> None:
        if self._alive():
            self._on_success(result)

    @Slot(object)
    def _failed(self, error: BaseException) -> None:
        if not self._alive():
            return
        if self._on_failure is not None:
            self._on_failure(error)
        else:
            show_failure(self._parent, error)

    @Slot()
    def _cancelled(self) -> None:
        if self._alive() and self._on_cancelled is not None:
            self._on_cancelled()

    @Slot(int, int)
    def _progressed(self, done: int, total: int) -> None:
        if self._running and self._alive() and self._on_progress is not None:
            self._on_progress(done, total)

    @Slot()
    def _finished(self) -> None:
        self._running = False
        _RUNNING.discard(self)
        self.finished.emit()


#: Jobs keep themselves alive until they finish, whoever started them.
_RUNNING: set[Job[object]] = set()


def run_in_background(
    work: Callable[[JobContext], T],
    on_success: Callable[[T], None],
    *,
    on_failure: Callable[[BaseException], None] | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    on_cancelled: Callable[[], None] | None = None,
    parent: QWidget | None = None,
    pool: QThreadPool | None = None,
) -> Job[T]:
    """Run *work* on a pool thread; the callbacks run on the UI thread.

    Args:
        work: Called with a ``JobContext`` on a worker thread; must not touch widgets.
        on_success: Gets the work's result.
        on_failure: Gets the exception; by default a ``DomainError`` is shown as a message
            in the user's language and anything else as a plain sentence (details logged).
        on_progress: Gets ``(done, total)`` as the work reports it.
        on_cancelled: Called when the work raised ``Cancelled``.
        parent: The window the job belongs to; once it is deleted no callback runs.
        pool: The thread pool (the global one by default).

    Returns:
        The job, to cancel it or wait for its ``finished`` signal.
    """
    job: Job[T] = Job(work, on_success, on_failure, on_progress, on_cancelled, parent)
    _RUNNING.add(job)  # type: ignore[arg-type]
    (pool or QThreadPool.globalInstance()).start(job._runnable)
    return job


class ProgressPanel(QWidget):
    """A busy line: what runs, a progress bar and a Cancel button; hidden while idle."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = QLabel()
        self.bar = QProgressBar()
        self.bar.setTextVisible(False)
        self.bar.setMinimumWidth(self.fontMetrics().averageCharWidth() * 20)
        self.cancel_button = QPushButton(_("Cancel"))
        self.cancel_button.clicked.connect(self.cancel)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.bar, 1)
        layout.addWidget(self.cancel_button)
        self.job: Job[object] | None = None
        self.hide()

    def start(self, text: str, job: Job[T]) -> None:
        """Show *text* and a busy bar until *job* finishes."""
        self.job = job  # type: ignore[assignment]
        self.label.setText(text)
        self.bar.setRange(0, 0)  # indeterminate until the first report
        self.cancel_button.setEnabled(True)
        self.cancel_button.setText(_("Cancel"))
        job.finished.connect(self._on_finished)
        self.show()

    def set_progress(self, done: int, total: int) -> None:
        """Show *done* of *total* (a busy bar while *total* is unknown)."""
        if total <= 0:
            self.bar.setRange(0, 0)
            return
        self.bar.setRange(0, total)
        self.bar.setValue(min(done, total))

    def cancel(self) -> None:
        """Ask the running job to stop."""
        if self.job is not None:
            self.job.cancel()
            self.cancel_button.setEnabled(False)
            self.cancel_button.setText(_("Cancelling..."))

    @property
    def busy(self) -> bool:
        """True while a job runs."""
        return self.job is not None and self.job.running

    def _on_finished(self) -> None:
        self.job = None
        self.hide()
