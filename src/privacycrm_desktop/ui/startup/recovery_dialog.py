"""The "damaged database" dialog at start-up: offer the newest good backup and restore it.

Shown before anyone signs in, when the database file is not a database, is malformed or
failed its integrity check. It looks for backups beside the data (services/backup/:
``find_backups``), checks them newest first in the background (``verify_backup``) and
offers the first good one; "Restore" puts it in place with ``restore_unopenable``, which
sets the damaged file aside (renamed, never deleted) and records the restore in the audit
trail. An encrypted backup asks for its passphrase.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QDateTime, QLocale, Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from privacycrm_desktop.domain.errors import BackupFailed, BackupInvalid, DomainError
from privacycrm_desktop.i18n import _, describe_error, format_number, ngettext
from privacycrm_desktop.ui.common.widgets import ErrorLabel
from privacycrm_desktop.ui.common.window_size import size_window
from privacycrm_desktop.ui.common.workers import JobContext, ProgressPanel, run_in_background

if TYPE_CHECKING:
    from privacycrm_desktop.services.backup import BackupInfo, RestoreResult


def find_good_backup(
    folder: Path,
    context: JobContext | None = None,
    skip: frozenset[Path] = frozenset(),
    db_file: Path | None = None,
) -> BackupInfo | None:
    """The newest backup in *folder* that passes its check (encrypted ones: the file's),
    leaving out *skip* (backups a restore already failed on) and, given the damaged
    *db_file*, other databases' backups (a shared folder; services/storage.own_backups_of).
    A backup a newer version wrote fails the check: it cannot be restored here."""
    from privacycrm_desktop.services.backup import find_backups, verify_backup
    from privacycrm_desktop.services.storage import own_backups_of

    found = find_backups(folder) if db_file is None else own_backups_of(db_file, folder)
    backups = [info for info in found if info.path not in skip]
    for number, info in enumerate(backups):
        if context is not None:
            context.progress_or_cancel(number, len(backups))
        try:
            verify_backup(info)
        except DomainError:
            continue
        return info
    return None


def describe_backup(info: BackupInfo, now: dt.datetime | None = None) -> str:
    """ "Backup of <local date and time> (3 days old), 1,234 contacts"."""
    created = info.created_at.replace(tzinfo=dt.UTC)
    moment = QDateTime.fromSecsSinceEpoch(int(created.timestamp()))
    when = QLocale().toString(moment, QLocale.FormatType.ShortFormat)
    days = max(0, ((now or dt.datetime.now(dt.UTC)) - created).days)
    age = ngettext("{days} day old", "{days} days old", days).format(days=days)
    contacts = ngettext("{count} contact", "{count} contacts", info.contact_count).format(
        count=format_number(info.contact_count)
    )
    return _("Backup of {when} ({age}), {contacts}").format(when=when, age=age, contacts=contacts)


class RecoveryDialog(QDialog):
    """Explain the damage; restore the newest good backup or quit.

    ``result_info`` holds the restore's result once it succeeded (the dialog is accepted).
    """

    def __init__(
        self,
        db_file: Path,
        problem: str,
        backup_folder: Path | None = None,
        parent: QWidget | None = None,
        *,
        search: bool = True,
    ) -> None:
        super().__init__(parent)
        from privacycrm_desktop.services.storage import backup_folder_of

        self.db_file = db_file
        self.folder = backup_folder or backup_folder_of(db_file)
        self.backup: BackupInfo | None = None
        self.result_info: RestoreResult | None = None
        #: Backups a restore failed on: the search goes on with the next older one.
        self.failed_backups: set[Path] = set()
        self.setWindowTitle(_("Damaged database"))
        self.setMinimumWidth(self.fontMetrics().averageCharWidth() * 80)

        intro = QLabel(
            _(
                "PrivacyCRM cannot use the database file {path}: {problem}\n\n"
                "You can put the newest good backup in its place. The damaged file is not "
                "deleted: it is kept beside it under another name, for your IT support."
            ).format(path=db_file, problem=problem)
        )
        intro.setWordWrap(True)
        intro.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.backup_label = QLabel(
            _("Looking for backups in {folder}...").format(folder=self.folder)
        )
        self.backup_label.setWordWrap(True)
        self.passphrase = QLineEdit()
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase_label = QLabel(_("&Passphrase of the backup:"))
        self.passphrase_label.setBuddy(self.passphrase)
        form = QFormLayout()
        form.addRow(self.passphrase_label, self.passphrase)
        self.passphrase.hide()
        self.passphrase_label.hide()
        self.error = ErrorLabel()
        self.progress = ProgressPanel()

        buttons = QDialogButtonBox()
        self.restore_button = QPushButton(_("&Restore this backup"))
        self.restore_button.setEnabled(False)
        self.quit_button = QPushButton(_("&Quit"))
        buttons.addButton(self.restore_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(self.quit_button, QDialogButtonBox.ButtonRole.RejectRole)
        self.restore_button.clicked.connect(self.restore)
        self.quit_button.clicked.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.backup_label)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.progress)
        layout.addStretch(1)
        layout.addWidget(buttons)
        size_window(self)
        if search:
            self.search()

    def search(self) -> None:
        """Check the backups, newest first, in the background."""
        job = run_in_background(
            lambda context: find_good_backup(
                self.folder, context, frozenset(self.failed_backups), self.db_file
            ),
            self.show_backup,
            on_failure=self._failed,
            parent=self,
        )
        self.progress.start(_("Checking the backups..."), job)

    def show_backup(self, info: BackupInfo | None) -> None:
        """Offer *info*, or say that no usable backup exists."""
        self.backup = info
        if info is None:
            self.backup_label.setText(
                _(
                    "No usable backup was found in {folder}. Quit, and ask your IT support "
                    "to look at the damaged file; PrivacyCRM left it untouched."
                ).format(folder=self.folder)
            )
            self.restore_button.setEnabled(False)
            self.quit_button.setFocus()
            return
        self.backup_label.setText(
            _("Newest good backup: {backup}").format(backup=describe_backup(info))
        )
        self.passphrase.setVisible(info.encrypted)
        self.passphrase_label.setVisible(info.encrypted)
        self.restore_button.setEnabled(True)
        self.restore_button.setDefault(True)
        self.restore_button.setFocus()

    def restore(self) -> None:
        """Put the offered backup in place of the damaged file (in the background)."""
        if self.backup is None or self.progress.busy:
            return
        from privacycrm_desktop.services.backup import restore_unopenable

        backup, db_file = self.backup.path, self.db_file
        passphrase = self.passphrase.text() if self.backup.encrypted else None
        self.error.show_message("")
        self.restore_button.setEnabled(False)
        job = run_in_background(
            lambda _context: restore_unopenable(db_file, backup, passphrase),
            self._restored,
            on_failure=self._failed,
            parent=self,
        )
        self.progress.start(_("Restoring the backup..."), job)
        self.progress.cancel_button.hide()

    def _restored(self, result: RestoreResult) -> None:
        self.result_info = result
        self.accept()

    def _failed(self, error: BaseException) -> None:
        self.restore_button.setEnabled(self.backup is not None)
        if isinstance(error, (BackupInvalid, BackupFailed)) and self.backup is not None:
            # This backup cannot be restored after all: fall back to the next older one.
            self.failed_backups.add(self.backup.path)
            self.backup = None
            self.restore_button.setEnabled(False)
            self.error.show_message(
                _("That backup could not be restored ({reason}); looking for an older one.").format(
                    reason=describe_error(error)
                )
            )
            # The failed job is still winding down (its panel clears when it finishes):
            # search again once it has.
            failed_job = self.progress.job
            if failed_job is not None and failed_job.running:
                failed_job.finished.connect(self.search)
            else:
                self.search()
            return
        if isinstance(error, DomainError):
            self.error.show_message(describe_error(error))
        else:
            self.error.show_message(
                _("The backup could not be restored: {reason}").format(reason=error)
            )
