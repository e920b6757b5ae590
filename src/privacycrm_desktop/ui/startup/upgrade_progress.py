"""A window that says the database is being brought up to date while that runs.

A new version may update the schema of an existing database at its first start
(``persistence/migrate.py``). Most updates take a moment; some rewrite or fill a table
for every contact (the stored suppression digests: about a minute at a million
contacts on SQLite). The update runs on a thread of its own while this window, shown
after ``SHOW_AFTER_MS``, says what is happening, so the start never looks hung. It cannot
be cancelled: each step is one transaction, so a killed program starts the step again at
the next start. Imported only when an update is due (never before an ordinary first
paint).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from PySide6.QtCore import QEventLoop, Qt, QTimer
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QDialog, QLabel, QProgressBar, QVBoxLayout, QWidget

from privacycrm_desktop.i18n import _
from privacycrm_desktop.ui.common.window_size import size_window

T = TypeVar("T")

#: An update that ends sooner shows no window at all.
SHOW_AFTER_MS = 400
#: How often the UI thread looks whether the update has ended.
POLL_MS = 30


class UpgradeDialog(QDialog):
    """A busy bar and one sentence; Escape does nothing."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Updating the database"))
        self.setWindowModality(Qt.WindowModality.ApplicationModal)
        self.setWindowFlag(Qt.WindowType.WindowCloseButtonHint, False)
        self.label = QLabel(
            _(
                "This version of PrivacyCRM updates the database before it opens. A large "
                "database can take a few minutes; please wait."
            )
        )
        self.label.setWordWrap(True)
        self.bar = QProgressBar()
        self.bar.setRange(0, 0)
        layout = QVBoxLayout(self)
        layout.addWidget(self.label)
        layout.addWidget(self.bar)
        self.setMinimumWidth(420)
        size_window(self)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Escape does not hide the window: the update goes on (it cannot be stopped half
        way), and a start with nothing on screen would look hung."""
        if event.key() == Qt.Key.Key_Escape:
            event.ignore()
            return
        super().keyPressEvent(event)


def run_with_progress(work: Callable[[], T], parent: QWidget | None = None) -> T:
    """Run *work* on a thread of its own and return what it returns (or raise what it
    raised, here on the UI thread), keeping the UI thread's events going meanwhile and
    showing ``UpgradeDialog`` once it has taken ``SHOW_AFTER_MS``."""
    results: list[T] = []
    errors: list[BaseException] = []
    done = threading.Event()

    def target() -> None:
        try:
            results.append(work())
        except BaseException as exc:  # handed to the UI thread, raised there
            errors.append(exc)
        finally:
            done.set()

    thread = threading.Thread(target=target, name="database-update")
    thread.start()
    dialog = UpgradeDialog(parent)
    loop = QEventLoop()
    shown = QTimer()
    shown.setSingleShot(True)
    shown.timeout.connect(dialog.show)
    shown.start(SHOW_AFTER_MS)
    poll = QTimer()
    poll.timeout.connect(lambda: loop.quit() if done.is_set() else None)
    poll.start(POLL_MS)
    if not done.is_set():
        loop.exec()
    poll.stop()
    shown.stop()
    thread.join()
    dialog.hide()
    dialog.deleteLater()
    if errors:
        raise errors[0]
    return results[0]
