"""The import wizard's last pages: the import with a progress bar and Stop, the summary.

The import runs on a worker thread (``ui.common.workers``); it can be stopped at any moment and
the summary says what stopping did (the service keeps whole chunks already written, as a
batch that can be undone).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWizardPage,
)

from privacycrm_desktop.domain.errors import DomainError
from privacycrm_desktop.i18n import _, describe_error, format_number, ngettext
from privacycrm_desktop.services.imports import ImportResult
from privacycrm_desktop.ui.common.workers import Job, JobContext, run_in_background, show_failure
from privacycrm_desktop.ui.transfer.import_check import bullets, result_lines
from privacycrm_desktop.ui.transfer.import_history import undo_import
from privacycrm_desktop.ui.transfer.import_state import ImportState


class ImportPage(QWizardPage):
    """The import, with a progress bar and Stop; moves on to the summary by itself."""

    def __init__(self, state: ImportState) -> None:
        super().__init__()
        self._state = state
        self.setTitle(_("Importing"))
        self.setSubTitle(
            _(
                "You can stop at any moment. Contacts written before you stop stay, and the "
                "import can then be undone."
            )
        )
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.bar = QProgressBar()
        self.stop_button = QPushButton(_("&Stop the import"))
        self.stop_button.clicked.connect(self.stop)
        row = QHBoxLayout()
        row.addWidget(self.bar, 1)
        row.addWidget(self.stop_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.status)
        layout.addLayout(row)
        layout.addStretch(1)
        self.job: Job[ImportResult] | None = None
        self.stopped = False

    @property
    def running(self) -> bool:
        """True while the import runs."""
        return self.job is not None

    def initializePage(self) -> None:
        self._state.outcome = None
        self.stopped = False
        self._state.failure = ""
        self.bar.setRange(0, 0)
        self.stop_button.setEnabled(True)
        self.status.setText(_("Importing the contacts..."))
        imports, actor, plan = (
            self._state.services.imports,
            self._state.actor,
            self._state.plan(),
        )

        def work(context: JobContext) -> ImportResult:
            return imports.run(actor, plan, context.progress_or_cancel)

        self.job = run_in_background(
            work,
            self._done,
            on_failure=self._failed,
            on_progress=self._progress,
            on_cancelled=self._cancelled,
            parent=self,
        )

    def stop(self) -> None:
        """Ask the import to stop; the summary says what was kept."""
        if self.job is not None:
            self.job.cancel()
            self.stopped = True
            self.stop_button.setEnabled(False)
            self.status.setText(_("Stopping..."))

    def _progress(self, done: int, total: int) -> None:
        self.bar.setRange(0, max(total, 1))
        self.bar.setValue(done)

    def _finish(self) -> None:
        self.job = None
        self.stop_button.setEnabled(False)
        self.completeChanged.emit()
        wizard = self.wizard()
        if wizard is not None:
            wizard.next()

    def _done(self, result: ImportResult) -> None:
        self._state.outcome = result
        if result.imported or result.merged:
            self._state.contacts_changed()
        self._finish()

    def _cancelled(self) -> None:
        self._state.outcome = None
        self.stopped = True
        self._finish()

    def _failed(self, error: BaseException) -> None:
        # Chunks written before a failure stay (an undoable batch): the list must show them.
        self._state.contacts_changed()
        if isinstance(error, DomainError):
            self._state.failure = describe_error(error)
        else:
            show_failure(self, error)
            self._state.failure = _(
                "Something went wrong; the work was not done. Details are in the log."
            )
        self._finish()

    def isComplete(self) -> bool:
        return self.job is None


class SummaryPage(QWizardPage):
    """What the import did, and "Undo this import"."""

    def __init__(self, state: ImportState) -> None:
        super().__init__()
        self._state = state
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setTextFormat(Qt.TextFormat.RichText)
        self.undo_button = QPushButton(_("&Undo this import..."))
        self.undo_button.clicked.connect(self.undo)
        self.undo_message = QLabel()
        self.undo_message.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(self.undo_button)
        row.addWidget(self.undo_message, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addLayout(row)
        layout.addStretch(1)

    def initializePage(self) -> None:
        result = self._state.outcome
        failure = self._state.failure
        self.undo_message.setText("")
        if failure:
            self.setTitle(_("The import failed"))
            self.setSubTitle(_("The import did not finish."))
            written = _(
                "If contacts were written before the problem, File > Import history lists "
                "this import and can undo it."
            )
            self.text.setText(bullets([failure, written]))
        elif result is None or (result.cancelled and not result.batch_id):
            self.setTitle(_("Import stopped"))
            self.setSubTitle(_("The contact list is as it was."))
            self.text.setText(bullets([_("You stopped the import: nothing was imported.")]))
        else:
            lines = result_lines(result, dry_run=False)
            if result.cancelled:
                self.setTitle(_("Import stopped"))
                self.setSubTitle(_("You can undo what was imported with the button below."))
                lines.insert(
                    0, _("You stopped the import: the rows before that point were imported.")
                )
            else:
                self.setTitle(_("Import finished"))
                self.setSubTitle(_("The imported contacts are in the list now."))
            self.text.setText(bullets(lines))
        batch = result.batch_id if result is not None else None
        self.undo_button.setVisible(batch is not None)
        self.undo_button.setEnabled(batch is not None)

    def undo(self) -> int | None:
        """Undo the import just made, after asking."""
        result = self._state.outcome
        if result is None or result.batch_id is None or self._state.path is None:
            return None
        removed = undo_import(
            self,
            self._state.services,
            self._state.actor,
            result.batch_id,
            self._state.path.name,
            result.imported,
        )
        if removed is not None:
            self.undo_button.setEnabled(False)
            self.undo_message.setText(
                ngettext(
                    "Undone: {count} contact removed.", "Undone: {count} contacts removed.", removed
                ).format(count=format_number(removed))
            )
            self._state.contacts_changed()
        return removed
