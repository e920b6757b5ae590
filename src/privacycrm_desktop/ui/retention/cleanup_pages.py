"""The cleanup wizard's other pages: the scan, the dry run and the execution.

The execution runs on a worker thread (each contact its own transaction) with a progress
bar and Cancel, and ends with the PDF cleanup report. Apply is not the default button, and
asks first, naming how many people it erases.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWizardPage,
)

from privacycrm_desktop.domain.errors import DomainError
from privacycrm_desktop.domain.retention import CLEANUP_ACTION_LABELS, CleanupAction
from privacycrm_desktop.i18n import _, current_language, format_number, ngettext
from privacycrm_desktop.services.cleanup import CleanupOutcome
from privacycrm_desktop.services.private_files import write_private
from privacycrm_desktop.ui.common import messages
from privacycrm_desktop.ui.common.saved_files import ask_save_path, offer_to_open
from privacycrm_desktop.ui.common.workers import Job, JobContext, run_in_background, show_failure
from privacycrm_desktop.ui.retention.cleanup_state import CleanupState, Page

#: The most companies the scan names (the others are counted).
COMPANIES_NAMED = 10


def _outcome_text(outcome: CleanupOutcome, labels: dict[str, str]) -> str:
    lines = []
    for action in CleanupAction:
        count = outcome.by_action.get(action.value, 0)
        if count:
            # "Effacer : 74": the colon's spacing is the language's.
            lines.append(
                _("{label}: {count}").format(
                    label=_(CLEANUP_ACTION_LABELS[action]), count=format_number(count)
                )
            )
    if outcome.values_erased:
        lines.append(_values_text(outcome.values_erased, outcome.dry_run))
    if not lines:
        lines.append(_("Nothing to do."))
    if outcome.skipped:
        lines.append(_("Left as they were: {count}").format(count=format_number(outcome.skipped)))
    if outcome.by_reason:
        lines.append("")
        lines.append(_("Why the contacts had expired"))
        for reason, count in sorted(outcome.by_reason.items()):
            label = _(labels.get(reason, reason))
            lines.append(
                "  " + _("{label}: {count}").format(label=label, count=format_number(count))
            )
    return "\n".join(lines)


def _values_text(count: int, dry_run: bool) -> str:
    """How many custom field values the cleanup erases (or erased): their keep period
    has passed."""
    if dry_run:
        text = ngettext(
            "{count} custom field value is past its keep period and will be erased.",
            "{count} custom field values are past their keep period and will be erased.",
            count,
        )
    else:
        text = ngettext(
            "{count} custom field value past its keep period was erased.",
            "{count} custom field values past their keep period were erased.",
            count,
        )
    return text.format(count=format_number(count))


class ScanPage(QWizardPage):
    """The summary of expired contacts by reason, with the proposed action."""

    def __init__(self, state: CleanupState) -> None:
        super().__init__()
        self._state = state
        self.setTitle(_("Contacts past their keep-until date"))
        self.setSubTitle(
            _(
                "Each purpose keeps a contact for a limited time. "
                "These contacts have no purpose left."
            )
        )
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(
            [_("Why it expired"), _("Contacts"), _("Proposed action")]
        )
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.horizontalHeader().setSectionResizeMode(
            1, QHeaderView.ResizeMode.ResizeToContents
        )
        self.table.horizontalHeader().setSectionResizeMode(
            2, QHeaderView.ResizeMode.ResizeToContents
        )
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.total_label = QLabel()
        self.total_label.setWordWrap(True)
        #: Companies without people and without a purpose of their own, to review.
        self.companies_label = QLabel()
        self.companies_label.setObjectName("cleanup_companies")
        self.companies_label.setWordWrap(True)
        #: Custom field values past their keep period (erased by Apply, the record stays).
        self.values_label = QLabel()
        self.values_label.setObjectName("cleanup_values")
        self.values_label.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(self.total_label)
        layout.addWidget(self.companies_label)
        layout.addWidget(self.values_label)

    def initializePage(self) -> None:
        services, actor = self._state.services, self._state.actor
        services.retention.fill_missing()
        summary = services.cleanup.summary(actor)
        self._state.labels = {r.reason: r.label for r in summary}
        self.table.setRowCount(len(summary))
        for i, row in enumerate(summary):
            count = QTableWidgetItem(format_number(row.count))
            count.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.table.setItem(i, 0, QTableWidgetItem(_(row.label)))
            self.table.setItem(i, 1, count)
            self.table.setItem(i, 2, QTableWidgetItem(_(CLEANUP_ACTION_LABELS[row.action])))
        total = sum(r.count for r in summary)
        self._state.total = total
        self.total_label.setText(
            ngettext("{count} contact to review.", "{count} contacts to review.", total).format(
                count=format_number(total)
            )
            if total
            else _("No contact is past its keep-until date.")
        )

        self.companies_label.setText(self._companies_text())
        self.companies_label.setVisible(bool(self.companies_label.text()))
        expired = services.cleanup.expired_values(actor)
        self._state.values = len(expired)
        language = current_language()
        fields = sorted({e.label_in(language) for e in expired}, key=str.casefold)
        self.values_label.setText(
            _values_text(len(expired), dry_run=True)
            + " "
            + _("Fields: {fields}. The contacts and companies stay.").format(
                fields=", ".join(fields)
            )
            if expired
            else ""
        )
        self.values_label.setVisible(bool(expired))

    def _companies_text(self) -> str:
        """The companies without people or purpose, by name (at most ten named)."""
        companies = self._state.services.companies
        actor = self._state.actor
        try:
            ids = companies.cleanup_candidates(actor)
            # The card's read: a name needs no restricted value (nor its audit).
            names = [companies.card(actor, cid).values.name for cid in ids[:COMPANIES_NAMED]]
        except DomainError:
            return ""
        if not ids:
            return ""
        named = ", ".join(n for n in names if n)
        if len(ids) > len(names):
            named += " …"
        return ngettext(
            "{count} company has no people and no purpose of its own: {names}. Review it "
            "in Contacts > Companies.",
            "{count} companies have no people and no purpose of their own: {names}. Review "
            "them in Contacts > Companies.",
            len(ids),
        ).format(count=format_number(len(ids)), names=named)

    def nextId(self) -> int:
        # The review lists the contacts and the values past their keep period.
        return Page.REVIEW if self._state.total or self._state.values else -1


class DryRunPage(QWizardPage):
    """What the cleanup would do, without doing it."""

    def __init__(self, state: CleanupState) -> None:
        super().__init__()
        self._state = state
        self.setTitle(_("Dry run"))
        self.setSubTitle(_("Nothing has changed yet. Apply carries out these actions."))
        self.bar = QProgressBar()
        self.report = QPlainTextEdit()
        self.report.setReadOnly(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.bar)
        layout.addWidget(self.report)
        self.outcome: CleanupOutcome | None = None
        self.job: Job[CleanupOutcome] | None = None
        #: Counts the runs started; a run's answer is taken only while it is the last.
        self._runs = 0

    def initializePage(self) -> None:
        # Working out a cleanup of hundreds of thousands of contacts takes a second or
        # more: on a worker thread, so the window keeps answering (Back, Cancel).
        self.outcome = None
        self.report.setPlainText(_("Working out what the cleanup would do..."))
        self.bar.setRange(0, 0)
        self.bar.show()
        services, actor, plan = self._state.services, self._state.actor, self._state.plan

        def work(context: JobContext) -> CleanupOutcome:
            return services.cleanup.apply(
                actor, plan, dry_run=True, progress=context.progress_or_cancel
            )

        self._runs += 1
        run = self._runs
        self.job = run_in_background(
            work,
            lambda outcome: self._done(outcome) if run == self._runs else None,
            on_failure=lambda error: self._failed(error) if run == self._runs else None,
            on_progress=self._progress,
            parent=self,
        )

    def cleanupPage(self) -> None:
        """Back: the dry run being worked out is no longer wanted."""
        self._runs += 1  # what the run still reports is dropped
        if self.job is not None:
            self.job.cancel()
            self.job = None
        super().cleanupPage()

    def _progress(self, done: int, total: int) -> None:
        self.bar.setRange(0, max(total, 1))
        self.bar.setValue(done)

    def _done(self, outcome: CleanupOutcome) -> None:
        self.job = None
        self.outcome = outcome
        self.bar.hide()
        self.report.setPlainText(_outcome_text(outcome, self._state.labels))
        self.completeChanged.emit()

    def _failed(self, error: BaseException) -> None:
        self.job = None
        self.bar.hide()
        self.report.clear()
        show_failure(self, error)
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        """Apply is offered once the dry run has said what it does."""
        return self.outcome is not None

    def people_erased(self) -> int:
        """How many people Apply removes (erased or anonymised), as the dry run says."""
        if self.outcome is None:
            return 0
        by_action = self.outcome.by_action
        return by_action.get(CleanupAction.ERASE.value, 0) + by_action.get(
            CleanupAction.ANONYMISE.value, 0
        )

    def validatePage(self) -> bool:
        if self.outcome is None:  # still being worked out: Apply confirms what it does
            return False
        count = self.people_erased()
        if not count:
            return True
        answer = messages.question(
            self,
            _("Apply the cleanup"),
            ngettext(
                "Apply erases {count} person for good (anonymised contacts count too). "
                "This cannot be undone. Apply now?",
                "Apply erases {count} people for good (anonymised contacts count too). "
                "This cannot be undone. Apply now?",
                count,
            ).format(count=format_number(count)),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        return answer == QMessageBox.StandardButton.Yes


class ExecutePage(QWizardPage):
    """Applies the plan on a worker thread, with progress and Cancel; then the report."""

    def __init__(self, state: CleanupState) -> None:
        super().__init__()
        self._state = state
        self.setTitle(_("Cleanup"))
        self.setSubTitle(_("Each contact is handled on its own: cancelling keeps what is done."))
        self.bar = QProgressBar()
        self.cancel_button = QPushButton(_("&Stop"))
        self.cancel_button.clicked.connect(self.cancel)
        self.result = QPlainTextEdit()
        self.result.setReadOnly(True)
        self.save_button = QPushButton(_("Save the cleanup &report (PDF)..."))
        self.save_button.setEnabled(False)
        self.save_button.clicked.connect(self.save_report)
        row = QHBoxLayout()
        row.addWidget(self.bar, 1)
        row.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.result, 1)
        layout.addWidget(self.save_button)
        self.job: Job[CleanupOutcome] | None = None
        self.outcome: CleanupOutcome | None = None

    def initializePage(self) -> None:
        self.outcome = None
        self.save_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.bar.setRange(0, 0)
        services, actor, plan = self._state.services, self._state.actor, self._state.plan

        def work(context: JobContext) -> CleanupOutcome:
            return services.cleanup.apply(
                actor, plan, progress=context.progress, should_stop=context.cancelled
            )

        self.job = run_in_background(
            work,
            self._done,
            on_failure=self._failed,
            on_progress=self._progress,
            parent=self,
        )

    def _progress(self, done: int, total: int) -> None:
        self.bar.setRange(0, max(total, 1))
        self.bar.setValue(done)

    def _done(self, outcome: CleanupOutcome) -> None:
        self.outcome = outcome
        self.job = None
        self.cancel_button.setEnabled(False)
        text = _outcome_text(outcome, self._state.labels)
        if outcome.cancelled:
            text = _("Stopped: the contacts not handled yet stay as they were.") + "\n\n" + text
        if outcome.scrub_pending:
            text += "\n\n" + _(
                "Erased, but another program still has the database open: the erased data "
                "is removed from the file as soon as it lets go."
            )
        self.result.setPlainText(text)
        self.bar.setRange(0, 1)
        self.bar.setValue(1)
        self.save_button.setEnabled(True)
        self.completeChanged.emit()

    def _failed(self, error: BaseException) -> None:
        self.job = None
        self.cancel_button.setEnabled(False)
        show_failure(self, error)
        self.completeChanged.emit()

    def cancel(self) -> None:
        """Stop after the contact being handled."""
        if self.job is not None:
            self.job.cancel()
            self.cancel_button.setEnabled(False)

    def isComplete(self) -> bool:
        return self.job is None

    def save_report(self) -> str | None:
        """Ask where, then write the PDF report (no personal data)."""
        if self.outcome is None:
            return None
        name = f"cleanup-{self.outcome.at.date().isoformat()}.pdf"
        asked = ask_save_path(
            self, _("Save the cleanup report"), name, _("PDF files (*.pdf)"), "pdf"
        )
        if asked is None:
            return None
        path = asked[0]
        # In the language the person reads the wizard in, not the one stored for them.
        pdf = self._state.services.cleanup.report_pdf(
            self._state.actor, self.outcome, current_language()
        )
        write_private(path, pdf)
        offer_to_open(self, path)
        return str(path)
