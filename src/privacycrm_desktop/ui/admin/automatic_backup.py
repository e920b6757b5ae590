"""Automatic backups: one when the main window closes, and one a day while the app runs.

``install_automatic_backups(window, services)`` (called by app.py) watches the window's
close event. The first close is held back: a backup runs in the background (tier "daily"
when today has none yet, else "exit") behind a small progress dialog whose button closes
at once without waiting; after ``EXIT_WAIT_S`` seconds the wait ends by itself. When the
backup ends (made, failed or given up) the window closes for real. A failed backup never
touches the database: the user is told, and the app closes. A timer checks every hour
whether the daily backup is due and makes it in the background.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QMainWindow, QProgressDialog, QWidget

from privacycrm_desktop.domain.errors import DomainError
from privacycrm_desktop.i18n import _, describe_error
from privacycrm_desktop.ui.common import messages
from privacycrm_desktop.ui.common.workers import Cancelled, Job, JobContext, run_in_background

if TYPE_CHECKING:
    from privacycrm_desktop.services.backup import BackupInfo, BackupService

EXIT_WAIT_S = 60
FIRST_CHECK_MS = 30_000
CHECK_EVERY_MS = 3_600_000


class AutomaticBackups(QObject):
    """Backs up at closing and daily; see the module text."""

    def __init__(self, window: QWidget, backups: BackupService) -> None:
        super().__init__(window)
        self._window = window
        self._backups = backups
        self._job: Job[BackupInfo] | None = None
        self._closing = False
        #: True once the window may close without a backup (done, failed, given up, or
        #: turned off after a restore).
        self.done = False
        self.progress: QProgressDialog | None = None
        window.installEventFilter(self)
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.daily)
        self.timer.start(CHECK_EVERY_MS)
        QTimer.singleShot(FIRST_CHECK_MS, self, self.daily)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._window and event.type() == QEvent.Type.Close and not self.done:
            event.ignore()
            if not self._closing:
                self._closing = True
                self._back_up_then_close()
            return True
        return super().eventFilter(watched, event)

    def _tier(self) -> str:
        from privacycrm_desktop.services.backup import BackupTier

        return BackupTier.DAILY if self._backups.due() else BackupTier.EXIT

    def _start(self, tier: str, ctx_progress: bool) -> Job[BackupInfo]:
        backups = self._backups

        def work(ctx: JobContext) -> BackupInfo:
            hook = ctx.progress_or_cancel if ctx_progress else None
            return backups.create(None, tier=tier, progress=hook)

        return run_in_background(
            work,
            self._made,
            on_failure=self._failed,
            on_cancelled=self._finish_closing,
            on_progress=self._progressed,
            parent=self._window,
        )

    def daily(self) -> None:
        """Make the daily backup in the background when it is due (quietly)."""
        if self._job is not None or self._closing or self.done:
            return
        try:
            if not self._backups.due():
                return
        except DomainError:
            return
        from privacycrm_desktop.services.backup import BackupTier

        self._job = self._start(BackupTier.DAILY, ctx_progress=False)
        self._job.finished.connect(self._daily_finished)

    def _daily_finished(self) -> None:
        self._job = None
        if self._closing and not self.done:
            self._back_up_then_close()

    def _back_up_then_close(self) -> None:
        if self._job is not None:
            return  # a daily backup is running: closing follows when it ends
        progress = QProgressDialog(
            _("Making a backup before closing..."), _("Close without waiting"), 0, 4, self._window
        )
        progress.setWindowTitle(_("PrivacyCRM"))
        progress.setMinimumDuration(0)
        progress.setAutoClose(False)
        progress.setAutoReset(False)
        progress.canceled.connect(self.give_up)
        self.progress = progress
        progress.show()
        QTimer.singleShot(EXIT_WAIT_S * 1000, self, self.give_up)
        self._job = self._start(self._tier(), ctx_progress=True)

    def give_up(self) -> None:
        """Stop waiting: the backup stops at its next step, and the window closes now."""
        if self._job is not None and self._closing:
            self._job.cancel()
            self._finish_closing()

    def _progressed(self, done: int, total: int) -> None:
        if self.progress is not None:
            self.progress.setMaximum(total)
            self.progress.setValue(done)

    def _made(self, info: BackupInfo) -> None:
        if self.done:
            return
        if info.second_copy_error:
            self._tell(_(info.second_copy_error))
        if self._closing:
            self._finish_closing()

    def _failed(self, error: BaseException) -> None:
        if self.done:
            return
        reason = (
            describe_error(error)
            if isinstance(error, DomainError)
            else _("Something went wrong; the work was not done.")
        )
        if isinstance(error, Cancelled):
            return
        self._tell(
            _("The automatic backup failed: {reason} Your data is safe in the database.").format(
                reason=reason
            )
        )
        if self._closing:
            self._finish_closing()

    def _tell(self, text: str) -> None:
        """At closing a message box; while working, the status bar (no interruption)."""
        if not self._closing and isinstance(self._window, QMainWindow):
            self._window.statusBar().showMessage(text, 60_000)
            return
        messages.warning(self._window, _("PrivacyCRM"), text)

    def _finish_closing(self) -> None:
        if self.done:
            return
        self.done = True
        self.timer.stop()
        if self.progress is not None:
            self.progress.close()
        if self._closing:
            self._window.close()


def install_automatic_backups(window: QWidget, backups: BackupService) -> AutomaticBackups:
    """Back up when *window* closes and once a day while it is open."""
    return AutomaticBackups(window, backups)
