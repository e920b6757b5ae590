"""The Backups dialog (Administration menu; owner and privacy officer; restore: owner only).

Lists the backups (time, tier, contacts, encrypted, verified), makes one now in the
background, edits the settings (folder, second folder, maximum age, passphrase entered
twice), and restores: the plan is worked out in the background on a checked copy, shown in
``RestoreConfirmDialog``, and only a confirmed restore goes ahead. After a restore the app
closes (the window reads ``restored``).
"""

from __future__ import annotations

import datetime as dt
from enum import IntEnum
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QSize, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from privacycrm_desktop.domain.access import Permission, has_permission
from privacycrm_desktop.domain.errors import BackupOtherDatabase, DomainError, ValidationFailed
from privacycrm_desktop.i18n import (
    N_,
    _,
    describe_error,
    format_moment,
    format_number,
    ngettext,
)
from privacycrm_desktop.services.backup import (
    MAX_MAX_AGE_DAYS,
    MIN_MAX_AGE_DAYS,
    NOT_RECOGNISED,
    UNSEALED,
    BackupInfo,
    BackupService,
    BackupTier,
    RestorePlan,
    RestoreResult,
)
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.ui.common import messages
from privacycrm_desktop.ui.common.rows_model import RowsModel
from privacycrm_desktop.ui.common.widgets import ErrorLabel, show_problems
from privacycrm_desktop.ui.common.window_size import scrolling, size_window
from privacycrm_desktop.ui.common.workers import JobContext, ProgressPanel, run_in_background

TIER_LABELS = {
    BackupTier.DAILY: N_("Daily"),
    BackupTier.WEEKLY: N_("Weekly"),
    BackupTier.MONTHLY: N_("Monthly"),
    BackupTier.MANUAL: N_("Made by hand"),
    BackupTier.EXIT: N_("At closing"),
    BackupTier.BEFORE_RESTORE: N_("Set aside at a restore (removed after 7 days)"),
}


class BackupColumn(IntEnum):
    """The backup table's columns."""

    TIME = 0
    TIER = 1
    CONTACTS = 2
    ENCRYPTED = 3
    VERIFIED = 4


COLUMN_TITLES = {
    BackupColumn.TIME: N_("Made on"),
    BackupColumn.TIER: N_("Kind"),
    BackupColumn.CONTACTS: N_("Contacts"),
    BackupColumn.ENCRYPTED: N_("Encrypted"),
    BackupColumn.VERIFIED: N_("Checked"),
}


def local_time(moment: dt.datetime, *, long: bool = False) -> str:
    """A stored UTC time as the user's local date and time in the UI language's format
    ("14/03/2025 11:00"; long: "14 maart 2025 om 11:00")."""
    return format_moment(moment, long=long)


def where_kept(info: BackupInfo) -> str:
    """Where a backup is and when it was made, in words (its file name is in UTC)."""
    return _("Made on {time}, in the folder {folder}").format(
        time=local_time(info.created_at, long=True), folder=info.path.parent
    )


def tier_label(tier: str) -> str:
    """A tier in the user's language."""
    try:
        return _(TIER_LABELS[BackupTier(tier)])
    except ValueError:
        return tier


def _seal_mark(info: BackupInfo) -> str:
    """What the "Checked" column says instead of yes/no: another database's backup, or a
    seal missing or not recognised ("" for a sealed backup of this database)."""
    if info.other_database:
        return _("Another database's backup")
    if info.seal == UNSEALED:
        return _("Not sealed (made by an older version)")
    if info.seal == NOT_RECOGNISED:
        return _("Seal not recognised: changed, or not made here")
    return ""


def _display(info: BackupInfo, column: BackupColumn) -> str:
    if column is BackupColumn.TIME:
        return local_time(info.created_at)
    if column is BackupColumn.TIER:
        return tier_label(info.tier)
    if column is BackupColumn.CONTACTS:
        return format_number(info.contact_count)
    if column is BackupColumn.VERIFIED and (mark := _seal_mark(info)):
        return mark
    flag = info.encrypted if column is BackupColumn.ENCRYPTED else info.verified
    return _("Yes") if flag else _("No")


class BackupTableModel(RowsModel[BackupInfo]):
    """The backups, newest first."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(COLUMN_TITLES, parent)

    def backup_at(self, row: int) -> BackupInfo | None:
        """The backup on *row*."""
        return self.row_at(row)

    def cell(self, row: BackupInfo, column: int, role: int) -> Any:
        shown = BackupColumn(column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return where_kept(row)
        if role == Qt.ItemDataRole.TextAlignmentRole and shown is BackupColumn.CONTACTS:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        return _display(row, shown)


def plan_lines(plan: RestorePlan) -> list[str]:
    """What the restore changes, sentence by sentence, in the user's language."""
    lines = [
        ngettext(
            "Backup made on {time}, with {count} contact.",
            "Backup made on {time}, with {count} contacts.",
            plan.contacts_in_backup,
        ).format(
            time=local_time(plan.backup.created_at, long=True),
            count=format_number(plan.contacts_in_backup),
        ),
        ngettext(
            "The database now holds {count} contact.",
            "The database now holds {count} contacts.",
            plan.contacts_now,
        ).format(count=format_number(plan.contacts_now)),
        ngettext(
            "{count} person erased since this backup will be erased again.",
            "{count} people erased since this backup will be erased again.",
            plan.erasures_to_replay,
        ).format(count=format_number(plan.erasures_to_replay)),
        _(
            "Everything entered or changed since the backup is not in it. The current "
            "database is kept aside as a backup for 7 days."
        ),
    ]
    if plan.unsealed:
        lines.append(
            _(
                "This backup is not sealed (made by an older version): nothing proves it "
                "was not changed since."
            )
        )
    if plan.other_database:
        lines.append(
            _(
                "This backup is of another database: this company's data will be replaced "
                "by that database's, and nobody erased here will be erased in it."
            )
        )
    if plan.schema_migrates:
        lines.append(_("The backup comes from an older version and will be updated."))
    lines.append(_("PrivacyCRM closes after the restore; start it again to go on."))
    return lines


class RestoreConfirmDialog(QDialog):
    """Shows the restore plan; only "Restore" goes ahead."""

    def __init__(self, plan: RestorePlan, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Restore a backup"))
        layout = QVBoxLayout(self)
        for line in plan_lines(plan):
            label = QLabel(line)
            label.setWordWrap(True)
            layout.addWidget(label)
        layout.addStretch(1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.restore_button = buttons.addButton(
            _("&Restore"), QDialogButtonBox.ButtonRole.DestructiveRole
        )
        self.restore_button.clicked.connect(self.accept)
        buttons.rejected.connect(self.reject)
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setDefault(True)
        layout.addWidget(buttons)
        self.setMinimumWidth(self.fontMetrics().averageCharWidth() * 70)
        size_window(self)


def _folder_row(edit: QLineEdit, parent: QWidget) -> QWidget:
    row = QWidget(parent)
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(edit, 1)
    choose = QPushButton(_("Choose..."), row)

    def pick() -> None:
        folder = QFileDialog.getExistingDirectory(parent, _("Choose a folder"), edit.text())
        if folder:
            edit.setText(folder)

    choose.clicked.connect(pick)
    layout.addWidget(choose)
    row.setFocusProxy(edit)
    return row


class BackupDialog(QDialog):
    """Backups: list, back up now, settings, restore (see the module text)."""

    def __init__(self, backups: BackupService, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._backups = backups
        self._actor = actor
        self.restored: RestoreResult | None = None
        self.setWindowTitle(_("Backups"))
        char = self.fontMetrics().averageCharWidth()

        self.model = BackupTableModel(self)
        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.backup_button = QPushButton(_("&Back up now"))
        self.backup_button.clicked.connect(self.back_up_now)
        self.restore_button = QPushButton(_("&Restore..."))
        self.restore_button.clicked.connect(self.ask_restore)
        self.restore_button.setVisible(has_permission(actor.role, Permission.RESTORE))
        self.progress = ProgressPanel(self)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.error = ErrorLabel()
        actions = QHBoxLayout()
        actions.addWidget(self.backup_button)
        actions.addWidget(self.restore_button)
        actions.addStretch(1)

        settings_box = self._build_settings(char)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addLayout(actions)
        layout.addWidget(self.progress)
        layout.addWidget(self.message)
        layout.addWidget(self.error)
        # The settings scroll on a screen too low for them and the list together (600
        # pixels at a large desktop font); the list keeps room for a few backups.
        layout.addWidget(scrolling(settings_box))
        layout.addWidget(buttons)
        self.table.setMinimumHeight(self.fontMetrics().height() * 8)
        self.refresh()
        size_window(self, QSize(char * 110, max(self.sizeHint().height(), char * 90)))

    def _build_settings(self, char: int) -> QGroupBox:
        self.folder = QLineEdit()
        self.folder.setMinimumWidth(char * 45)
        self.second_folder = QLineEdit()
        self.second_folder.setPlaceholderText(_("none (for example a USB drive or network share)"))
        self.max_age = QSpinBox()
        self.max_age.setRange(MIN_MAX_AGE_DAYS, MAX_MAX_AGE_DAYS)
        self.max_age.setSuffix(_(" days"))
        self.passphrase = QLineEdit()
        self.passphrase_again = QLineEdit()
        for edit in (self.passphrase, self.passphrase_again):
            edit.setEchoMode(QLineEdit.EchoMode.Password)
            edit.setPlaceholderText(_("leave empty to keep the current setting"))
        self.stop_encrypting = QCheckBox(_("Stop encrypting new backups"))
        self.encryption_state = QLabel()
        note = QLabel(
            _(
                "The passphrase is not stored anywhere: keep it safe, without it an encrypted "
                "backup cannot be restored. Backups at closing and daily are encrypted "
                "without asking for it."
            )
        )
        note.setWordWrap(True)
        self.problems = {
            name: ErrorLabel() for name in ("folder", "second_folder", "max_age_days", "passphrase")
        }
        form = QFormLayout()
        form.addRow(_("&Folder:"), _folder_row(self.folder, self))
        form.addRow("", self.problems["folder"])
        form.addRow(_("&Second folder:"), _folder_row(self.second_folder, self))
        form.addRow("", self.problems["second_folder"])
        form.addRow(_("&Keep backups for at most:"), self.max_age)
        form.addRow("", self.problems["max_age_days"])
        form.addRow(_("Encryption:"), self.encryption_state)
        form.addRow(_("&Passphrase:"), self.passphrase)
        form.addRow(_("Passphrase &again:"), self.passphrase_again)
        form.addRow("", self.problems["passphrase"])
        form.addRow("", self.stop_encrypting)
        self.save_button = QPushButton(_("Sa&ve settings"))
        self.save_button.clicked.connect(self.save_settings)
        save_row = QHBoxLayout()
        save_row.addStretch(1)
        save_row.addWidget(self.save_button)
        settings_box = QGroupBox(_("Settings"))
        box = QVBoxLayout(settings_box)
        box.addLayout(form)
        box.addWidget(note)
        box.addLayout(save_row)
        return settings_box

    # -- showing -------------------------------------------------------------------------

    def refresh(self) -> None:
        """Read the settings and the list again."""
        settings = self._backups.settings(self._actor)
        self.folder.setText(str(settings.folder))
        self.second_folder.setText(str(settings.second_folder or ""))
        self.max_age.setValue(settings.max_age_days)
        self.encryption_state.setText(
            _("New backups are encrypted.")
            if settings.encrypted
            else _("New backups are not encrypted.")
        )
        self.stop_encrypting.setVisible(settings.encrypted)
        self.stop_encrypting.setChecked(False)
        # This database's backups, then other databases' (a shared folder), marked.
        self.model.set_rows(
            self._backups.list(self._actor) + self._backups.list_others(self._actor)
        )
        if self.model.rowCount():
            self.table.selectRow(0)

    def selected(self) -> BackupInfo | None:
        """The backup the user picked."""
        rows = self.table.selectionModel().selectedRows()
        return self.model.backup_at(rows[0].row()) if rows else None

    # -- settings ------------------------------------------------------------------------

    def save_settings(self) -> bool:
        """Save folders, maximum age and passphrase; problems appear next to the fields."""
        show_problems(self.problems, [], self.error)
        self.message.setText("")
        first, again = self.passphrase.text(), self.passphrase_again.text()
        if first != again:
            self.problems["passphrase"].show_message(_("The two passphrases differ."))
            return False
        second = self.second_folder.text().strip()
        try:
            self._backups.update_settings(
                self._actor,
                folder=Path(self.folder.text().strip()).expanduser(),
                second_folder=Path(second).expanduser() if second else None,
                max_age_days=self.max_age.value(),
            )
            if first:
                self._backups.set_passphrase(self._actor, first)
            elif self.stop_encrypting.isChecked():
                self._backups.set_passphrase(self._actor, None)
        except ValidationFailed as exc:
            show_problems(self.problems, exc.problems, self.error)
            return False
        except DomainError as exc:
            self.error.show_message(describe_error(exc))
            return False
        self.passphrase.clear()
        self.passphrase_again.clear()
        self.refresh()
        self.message.setText(_("Settings saved."))
        return True

    # -- back up now ---------------------------------------------------------------------

    def back_up_now(self) -> None:
        """Make a backup in the background, with progress."""
        if self.progress.busy:
            return
        self.error.show_message("")
        self.message.setText("")
        backups, actor = self._backups, self._actor

        def work(ctx: JobContext) -> BackupInfo:
            return backups.create(actor, progress=ctx.progress_or_cancel)

        job = run_in_background(
            work,
            self._backed_up,
            on_failure=self._failed,
            on_progress=self.progress.set_progress,
            parent=self,
        )
        self.backup_button.setEnabled(False)
        job.finished.connect(lambda: self.backup_button.setEnabled(True))
        self.progress.start(_("Making a backup..."), job)

    def _backed_up(self, info: BackupInfo) -> None:
        self.refresh()
        text = _("Backup made on {time}, in the folder {folder}.").format(
            time=local_time(info.created_at, long=True), folder=info.path.parent
        )
        if info.second_copy_error:
            self.error.show_message(_(info.second_copy_error))
        self.message.setText(text)

    def _failed(self, error: BaseException) -> None:
        if isinstance(error, DomainError):
            self.error.show_message(describe_error(error))
        else:
            self.error.show_message(_("Something went wrong; the work was not done."))

    # -- restore -------------------------------------------------------------------------

    def ask_restore(self) -> None:
        """Passphrase if needed, the plan (worked out in the background), then confirm."""
        info = self.selected()
        if info is None or self.progress.busy:
            return
        self.error.show_message("")
        passphrase: str | None = None
        if info.encrypted:
            text, ok = QInputDialog.getText(
                self, _("Restore a backup"), _("Passphrase:"), QLineEdit.EchoMode.Password
            )
            if not ok:
                return
            passphrase = text
        unsealed = not info.sealed
        if unsealed and not self.confirm_unsealed():
            return
        self._plan(info.path, passphrase, replace_other=False, accept_unsealed=unsealed)

    def _plan(
        self,
        path: Path,
        passphrase: str | None,
        *,
        replace_other: bool,
        accept_unsealed: bool = False,
    ) -> None:
        backups, actor = self._backups, self._actor

        def work(_ctx: JobContext) -> RestorePlan:
            return backups.plan_restore(
                actor,
                path,
                passphrase,
                replace_other=replace_other,
                accept_unsealed=accept_unsealed,
            )

        def failed(error: BaseException) -> None:
            if isinstance(error, BackupOtherDatabase) and self.confirm_other_database():
                self._plan(path, passphrase, replace_other=True, accept_unsealed=accept_unsealed)
                return
            self._failed(error)

        job = run_in_background(
            work,
            lambda plan: self.confirm_restore(plan, passphrase),
            on_failure=failed,
            parent=self,
        )
        self.progress.start(_("Checking the backup..."), job)

    def confirm_unsealed(self) -> bool:
        """Ask before a backup without a seal (an older version's) is restored; No by
        default."""
        answer = messages.warning(
            self,
            _("Restore a backup"),
            _(
                "This backup is not sealed: it was made by an older version of PrivacyCRM, "
                "or written by someone else. Nothing proves it was not changed since. "
                "Restore it only if you know you made it. Restore it anyway?"
            ),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        return answer == QMessageBox.StandardButton.Yes

    def confirm_other_database(self) -> bool:
        """Ask before a backup of another database replaces this company's data."""
        answer = messages.warning(
            self,
            _("Restore a backup"),
            _(
                "This backup was made from another database, not from this one. Restoring "
                "it replaces all of this company's data with that database's; nobody "
                "erased here is erased in it. Replace this company's data with it?"
            ),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        return answer == QMessageBox.StandardButton.Yes

    def confirm_restore(self, plan: RestorePlan, passphrase: str | None) -> None:
        """Show the plan; restore when the user confirms."""
        confirm = RestoreConfirmDialog(plan, self)
        if confirm.exec() != QDialog.DialogCode.Accepted:
            return
        backups, actor = self._backups, self._actor

        def work(_ctx: JobContext) -> RestoreResult:
            return backups.restore(
                actor,
                plan.backup.path,
                passphrase,
                replace_other=plan.other_database,
                accept_unsealed=plan.unsealed,
            )

        job = run_in_background(work, self._restored, on_failure=self._failed, parent=self)
        self.progress.start(_("Restoring..."), job)
        self.progress.cancel_button.setEnabled(False)

    def _restored(self, result: RestoreResult) -> None:
        self.restored = result
        messages.information(
            self,
            _("Backups"),
            _(
                "The backup was restored. The previous database was kept as {path}. "
                "PrivacyCRM closes now; start it again."
            ).format(path=result.aside),
        )
        self.accept()
