"""Start-up safety: open the database, explain what stops it, keep checking it.

``open_database`` is what app.py calls instead of opening the database directly:

- a damaged file (not a database, malformed, or its last integrity check failed and fails
  again) opens the recovery dialog, which restores the newest good backup;
- a file another program keeps locked: "in use by another program", Retry or Quit;
- a full disk, a file that cannot be opened, or a read-only file that still needs its
  schema updated: one clear sentence, then quit;
- a read-only file opens read-only (list, search, view and reports work; every save says
  why it cannot), with a notice now and a "Read-only" mark in the status bar;
- a write lock held by another program, or a nearly full disk: a warning, then the app.

``watch_storage`` runs after the main window shows: the read-only mark, and once a day
``PRAGMA quick_check`` in the background (never in the way of the first paint).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QDialog, QLabel, QMainWindow, QMessageBox, QWidget

from privacycrm_desktop.domain.errors import (
    StorageDamaged,
    StorageError,
    StorageLocked,
    StorageReadOnly,
    UpdateNeedsWritableFile,
)
from privacycrm_desktop.i18n import _, describe_error
from privacycrm_desktop.ui.common import messages

if TYPE_CHECKING:
    from privacycrm_desktop.services.registry import Services
    from privacycrm_desktop.services.storage import CheckOutcome, StorageStatus

log = logging.getLogger(__name__)

#: The daily check starts this long after the window shows, after the first paint.
QUICK_CHECK_DELAY_MS = 3000


def _title() -> str:
    return _("PrivacyCRM")


def ask_retry_locked(parent: QWidget | None = None) -> bool:
    """ "In use by another program": True when the user wants to try again."""
    box = QMessageBox(
        QMessageBox.Icon.Warning,
        _title(),
        _("Another program keeps the database locked, so PrivacyCRM cannot open it."),
        parent=parent,
    )
    box.setInformativeText(
        _("Close the other program that uses the database (or wait for it), then retry.")
    )
    retry = box.addButton(_("&Retry"), QMessageBox.ButtonRole.AcceptRole)
    box.addButton(_("&Quit"), QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(retry)
    box.exec()
    return box.clickedButton() is retry


def show_start_failure(error: StorageError, parent: QWidget | None = None) -> None:
    """The database cannot be used at all: say why, in one sentence."""
    text = describe_error(error)
    if isinstance(error, StorageReadOnly):
        # A read-only file that opens at all opens read-only; one that cannot must be
        # updated first (persistence/migrate.py raises it so; the same sentence here).
        text = describe_error(UpdateNeedsWritableFile())
    messages.critical(parent, _title(), text)


def offer_recovery(db_file: object, problem: str, parent: QWidget | None = None) -> bool:
    """The recovery dialog; True when a backup was restored (open the database again)."""
    from pathlib import Path

    from privacycrm_desktop.ui.startup.recovery_dialog import RecoveryDialog

    dialog = RecoveryDialog(Path(str(db_file)), problem, parent=parent)
    if dialog.exec() != QDialog.DialogCode.Accepted or dialog.result_info is None:
        return False
    result = dialog.result_info
    messages.information(
        parent,
        _title(),
        _(
            "The backup was restored. The damaged file was kept as {aside}. "
            "Anything entered after the backup was made must be entered again."
        ).format(aside=result.aside),
    )
    return True


def tell_status(status: StorageStatus, parent: QWidget | None = None) -> None:
    """Warn about a read-only file, another program's lock or a nearly full disk."""
    from privacycrm_desktop.services.storage import StorageState

    if status.state is StorageState.READ_ONLY:
        messages.information(
            parent,
            _title(),
            _(
                "The database file is read-only. You can search and look up contacts; "
                "anything that must be saved or recorded in the audit trail is refused "
                "until the file is writable again."
            ),
        )
    elif status.state is StorageState.LOCKED:
        messages.warning(
            parent,
            _title(),
            _(
                "Another program is writing to the database. You can look things up; "
                "saving waits for the other program and fails if it does not finish."
            ),
        )
    if status.low_space:
        from privacycrm_desktop.services.storage import LOW_SPACE_WARNING

        megabytes = (status.free_bytes or 0) // (1024 * 1024)
        messages.warning(
            parent,
            _title(),
            _(LOW_SPACE_WARNING).format(megabytes=megabytes),
        )


def open_database(
    database: str,
    build: Callable[[str], Services],
    parent: QWidget | None = None,
) -> Services | None:
    """Open *database* with *build*; explain and recover; None when the user quits."""
    from privacycrm_desktop.services.storage import database_file

    file = database_file(database)
    while True:
        try:
            services = build(database)
        except StorageDamaged:
            problem = _("the file is damaged, or it is not a PrivacyCRM database.")
            if file is None or not offer_recovery(file, problem, parent):
                return None
            continue
        except StorageLocked:
            if not ask_retry_locked(parent):
                return None
            continue
        except StorageError as exc:
            show_start_failure(exc, parent)
            return None
        storage = services.storage
        last = storage.last_check()
        if last is not None and not last.ok:
            # Damage found last time (by any check): check again in full now, rebuild what
            # is derived, and offer recovery while the file itself is still damaged.
            outcome = storage.run_check()
            if outcome.damaged:
                storage.close()
                problem = _("its integrity check found damage ({details}).").format(
                    details="; ".join(outcome.problems[:2])
                )
                if file is None or not offer_recovery(file, problem, parent):
                    return None
                continue
            if outcome.repaired:
                tell_repaired(outcome.repaired, parent)
        try:
            status = storage.status()
        except StorageError as exc:
            storage.close()
            show_start_failure(exc, parent)
            return None
        tell_status(status, parent)
        return services


def add_read_only_notice(window: QMainWindow) -> QLabel:
    """A permanent "Read-only" mark in the status bar, with the reason as its tooltip."""
    label = QLabel(_("Read-only"))
    label.setObjectName("readOnlyNotice")
    label.setStyleSheet("color: #b00020; font-weight: bold;")
    label.setToolTip(_("The database file is read-only: nothing can be saved."))
    window.statusBar().addPermanentWidget(label)
    return label


def report_damage(window: QWidget, problems: list[str]) -> None:
    """The daily check found damage: say so, and offer to close (recovery at next start)."""
    if not problems:
        return
    log.error("quick_check found %d problem(s)", len(problems))
    box = QMessageBox(
        QMessageBox.Icon.Critical,
        _title(),
        _(
            "The daily check of the database file found damage. Close PrivacyCRM now: "
            "at the next start it offers to restore the newest good backup."
        ),
        parent=window,
    )
    box.setDetailedText("\n".join(problems[:20]))
    close = box.addButton(_("&Close PrivacyCRM"), QMessageBox.ButtonRole.AcceptRole)
    box.addButton(_("&Continue"), QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(close)
    box.exec()
    if box.clickedButton() is close:
        window.close()


def tell_repaired(parts: tuple[str, ...], parent: QWidget | None = None) -> None:
    """One sentence: a check found the search index or the counts out of step with the
    data and rebuilt them from it."""
    from privacycrm_desktop.services.storage import repaired_message

    messages.information(parent, _title(), _(repaired_message(parts)))


def _show_rebuild_progress(window: QWidget, done: int, total: int) -> None:
    if isinstance(window, QMainWindow) and total:
        window.statusBar().showMessage(
            _("Rebuilding the search index from the data: {done} of {total} contacts").format(
                done=done, total=total
            ),
            5000,
        )


def _after_check(window: QWidget, outcome: CheckOutcome) -> None:
    if isinstance(window, QMainWindow):
        window.statusBar().clearMessage()
    if outcome.problems:
        report_damage(window, list(outcome.problems))
    elif outcome.repaired:
        tell_repaired(outcome.repaired, window)


def start_quick_check(window: QWidget, services: Services) -> bool:
    """Run the daily check in the background if it is due (rebuilding the search index or
    counts when they do not match the data, with progress in the status bar); True when
    it started."""
    from privacycrm_desktop.ui.common.workers import run_in_background

    storage = services.storage
    if not storage.quick_check_due():
        return False
    run_in_background(
        lambda context: storage.run_check(quick=True, progress=context.progress),
        lambda outcome: _after_check(window, outcome),
        on_progress=lambda done, total: _show_rebuild_progress(window, done, total),
        parent=window,
    )
    return True


def watch_storage(window: QMainWindow, services: Services, *, check: bool = True) -> None:
    """After the window shows: the read-only mark; the daily check a little later."""
    from privacycrm_desktop.services.storage import StorageState

    status = services.storage.last_status
    if status is not None and status.state is StorageState.READ_ONLY:
        add_read_only_notice(window)
    if check:
        QTimer.singleShot(QUICK_CHECK_DELAY_MS, window, lambda: start_quick_check(window, services))
