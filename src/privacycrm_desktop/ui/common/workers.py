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

import contextlib
import functools
import itertools
import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Generic, TypeVar

import shiboken6
from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from privacycrm_desktop.domain.errors import DomainError
from privacycrm_desktop.i18n import _, describe_error
from privacycrm_desktop.ui.common import messages

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


class _Bridge(QObject):
    """The one receiver of every job's reports; lives on the UI thread and never goes away.

    A worker thread emits these signals, so each call is queued to the UI thread. The
    receiver is never a ``Job``: a job's callback may drop the last reference to the job
    (a dialog that closes), and PySide crashes when an object is destroyed inside a slot
    call on itself (seen as a segmentation fault in ``QDialog.exec``). A job is looked up
    by its key, so no thread but the UI thread ever holds a job.
    """

    succeeded = Signal(object, object)
    failed = Signal(object, object)
    was_cancelled = Signal(object)
    progressed = Signal(object, int, int)
    finished = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        self.succeeded.connect(self._succeeded)
        self.failed.connect(self._failed)
        self.was_cancelled.connect(self._cancelled)
        self.progressed.connect(self._progressed)
        self.finished.connect(self._finished)

    @Slot(object, object)
    def _succeeded(self, key: int, result: object) -> None:
        job = _RUNNING.get(key)
        if job is not None:
            job._succeeded(result)

    @Slot(object, object)
    def _failed(self, key: int, error: BaseException) -> None:
        job = _RUNNING.get(key)
        if job is not None:
            job._failed(error)

    @Slot(object)
    def _cancelled(self, key: int) -> None:
        job = _RUNNING.get(key)
        if job is not None:
            job._cancelled()

    @Slot(object, int, int)
    def _progressed(self, key: int, done: int, total: int) -> None:
        job = _RUNNING.get(key)
        if job is not None:
            job._progressed(done, total)

    @Slot(object)
    def _finished(self, key: int) -> None:
        job = _RUNNING.pop(key, None)
        if job is not None:
            job._finished()


_BRIDGE: list[_Bridge] = []


def _bridge() -> _Bridge:
    """The bridge, made on first use (on the UI thread, where jobs are started)."""
    if not _BRIDGE:
        _BRIDGE.append(_Bridge())
    return _BRIDGE[0]


class _Runnable(QRunnable):
    """The pool's side of a job. It holds the work only while it runs and lets go of
    everything before it reports ``finished``, so what the work refers to (a dialog, a
    window) is never destroyed on the worker thread: the job, on the UI thread, holds it
    too until that last report arrives."""

    def __init__(self, key: int, work: Callable[[JobContext], object], context: JobContext) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self._key = key
        self._work: Callable[[JobContext], object] | None = work
        self._context: JobContext | None = context

    def run(self) -> None:
        bridge, key = _bridge(), self._key
        work, context = self._work, self._context
        self._work = self._context = None
        assert work is not None  # run() runs once
        assert context is not None
        try:
            result = work(context)
        except Cancelled:
            _tell(bridge.was_cancelled, key)
        except Exception as exc:  # every failure goes to the UI thread
            _tell(bridge.failed, key, exc)
        else:
            _tell(bridge.succeeded, key, result)
            del result
        finally:
            del work, context
            _tell(bridge.finished, key)


def _tell(signal: Any, *args: object) -> None:
    """Emit *signal* of the bridge from a pool thread; nothing when the bridge is gone.

    The application may quit while a job still runs (a dialog closed during its backup
    check): the bridge is deleted with the rest, no window is left to tell, and the emit
    would raise on the worker thread (a traceback on stderr at every such quit)."""
    with contextlib.suppress(RuntimeError):
        signal.emit(*args)


def show_failure(parent: QWidget | None, error: BaseException) -> None:
    """The default failure callback: a refusal in the user's words, never a traceback."""
    if not isinstance(error, DomainError):
        # A full disk, a read-only or locked file met outside a unit of work (bulk writes).
        from privacycrm_desktop.services.storage import as_storage_error

        error = as_storage_error(error) or error
    if isinstance(error, DomainError):
        messages.warning(parent, _("PrivacyCRM"), describe_error(error))
        return
    # Unforeseen: the details go to the log, the user gets a plain sentence.
    log.error("Background job failed", exc_info=error)
    messages.critical(
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
        self._work: Callable[[JobContext], T] | None = work  # kept until the end: see _Runnable
        self.key = next(_KEYS)
        bridge = _bridge()
        self.context = JobContext(functools.partial(_tell, bridge.progressed, self.key))

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

    def _succeeded(self, result: T) -> None:
        if self._alive():
            self._on_success(result)

    def _failed(self, error: BaseException) -> None:
        if not self._alive():
            return
        if self._on_failure is not None:
            self._on_failure(error)
        else:
            show_failure(self._parent, error)

    def _cancelled(self) -> None:
        if self._alive() and self._on_cancelled is not None:
            self._on_cancelled()

    def _progressed(self, done: int, total: int) -> None:
        if self._running and self._alive() and self._on_progress is not None:
            self._on_progress(done, total)

    def _finished(self) -> None:
        # The bridge has taken the job out of _RUNNING and holds it while this runs.
        self._running = False
        self._work = None
        self.finished.emit()


#: Jobs by key, kept alive until they finish, whoever started them (UI thread only).
_RUNNING: dict[int, Job[Any]] = {}
_KEYS = itertools.count(1)


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
    _RUNNING[job.key] = job
    (pool or QThreadPool.globalInstance()).start(_Runnable(job.key, work, job.context))
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
        if self.job is not None and self.job.running:
            return  # an earlier job finished after a new one started: keep showing this one
        self.job = None
        self.hide()
