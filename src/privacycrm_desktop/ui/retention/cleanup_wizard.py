"""The annual cleanup wizard (rules 8 and 9): scan, review, dry run, execution, report.

Pages (``Page``): the summary of expired contacts by reason; the review list (a lazily
fetched table model with a checkbox and an editable action per contact, and bulk
selection); the dry-run report; the execution with a progress bar and Cancel, run on a
worker thread (each contact its own transaction), ending with the PDF cleanup report.

The checkboxes stand for a ``Selection`` of the whole candidate set ("all except these" or
"none except these"), not for the rows loaded so far: "Check none" means none, also of the
rows the list has not fetched yet. Apply is not the default button, and asks first, naming
how many people it erases.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import IntEnum
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from privacycrm_desktop.domain.retention import CLEANUP_ACTION_LABELS, CleanupAction, Selection
from privacycrm_desktop.i18n import N_, _, format_number, ngettext
from privacycrm_desktop.services.cleanup import CleanupOutcome, CleanupPlan, ReviewRow
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.private_files import write_private
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.ui.common.date_fields import format_date
from privacycrm_desktop.ui.common.workers import Job, JobContext, run_in_background, show_failure

PAGE_SIZE = 500
_Index = QModelIndex | QPersistentModelIndex


class Page(IntEnum):
    """The wizard's pages, in order."""

    SCAN = 0
    REVIEW = 1
    DRY_RUN = 2
    EXECUTE = 3


class ReviewColumn(IntEnum):
    """Columns of the review list."""

    NAME = 0
    KEEP_UNTIL = 1
    REASON = 2
    ACTION = 3


REVIEW_TITLES = {
    ReviewColumn.NAME: N_("Contact"),
    ReviewColumn.KEEP_UNTIL: N_("Keep until"),
    ReviewColumn.REASON: N_("Why it expired"),
    ReviewColumn.ACTION: N_("Action"),
}


class ReviewTableModel(QAbstractTableModel):
    """Expired contacts, fetched a page at a time; checked rows are handled, the action
    per row can be changed. Only the user's changes are kept apart (a plan): the checks
    as a ``Selection`` of every candidate, loaded or not."""

    def __init__(self, services: Services, actor: Actor, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._services = services
        self._actor = actor
        self._rows: list[ReviewRow] = []
        self._total = 0
        self.selection = Selection.all()
        self.overrides: dict[int, CleanupAction] = {}

    def load(self, total: int) -> None:
        """Start over with *total* expired contacts (from the scan)."""
        self.beginResetModel()
        self._rows = []
        self._total = total
        self.selection = Selection.all()
        self.overrides.clear()
        self.endResetModel()

    def plan(self, keep_reason: str = "") -> CleanupPlan:
        """The user's decisions."""
        return CleanupPlan(dict(self.overrides), self.selection, keep_reason)

    @property
    def total(self) -> int:
        """How many candidates there are (loaded or not)."""
        return self._total

    def checked_count(self) -> int:
        """How many candidates are checked (loaded or not)."""
        return self.selection.count(self._total)

    def action_of(self, row: ReviewRow) -> CleanupAction:
        return self.overrides.get(row.contact_id, row.action)

    # -- lazy fetching ------------------------------------------------------------------

    def canFetchMore(self, parent: _Index = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and len(self._rows) < self._total

    def fetchMore(self, parent: _Index = QModelIndex()) -> None:  # noqa: B008
        if parent.isValid():
            return
        page = self._services.cleanup.review(self._actor, len(self._rows), PAGE_SIZE)
        if not page:
            self._total = len(self._rows)
            return
        self.beginInsertRows(QModelIndex(), len(self._rows), len(self._rows) + len(page) - 1)
        self._rows.extend(page)
        self.endInsertRows()

    # -- QAbstractTableModel ------------------------------------------------------------

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(ReviewColumn)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        column = ReviewColumn(index.column())
        if role == Qt.ItemDataRole.CheckStateRole and column is ReviewColumn.NAME:
            checked = self.selection.includes(row.contact_id)
            return Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked
        if role == Qt.ItemDataRole.EditRole and column is ReviewColumn.ACTION:
            return self.action_of(row).value
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return None
        shown: dict[ReviewColumn, Callable[[], str]] = {
            ReviewColumn.NAME: lambda: row.name or f"#{row.contact_id}",
            ReviewColumn.KEEP_UNTIL: lambda: format_date(row.keep_until),
            ReviewColumn.REASON: lambda: _(row.label),
            ReviewColumn.ACTION: lambda: _(CLEANUP_ACTION_LABELS[self.action_of(row)]),
        }
        return shown[column]()

    def setData(self, index: _Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if not index.isValid():
            return False
        row = self._rows[index.row()]
        column = ReviewColumn(index.column())
        if role == Qt.ItemDataRole.CheckStateRole and column is ReviewColumn.NAME:
            checked = Qt.CheckState(value) == Qt.CheckState.Checked
            self.selection = self.selection.with_checked([row.contact_id], checked)
        elif role == Qt.ItemDataRole.EditRole and column is ReviewColumn.ACTION:
            action = CleanupAction(value)
            if action is row.action:
                self.overrides.pop(row.contact_id, None)
            else:
                self.overrides[row.contact_id] = action
        else:
            return False
        self.dataChanged.emit(index, index, [role])
        return True

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if index.column() == ReviewColumn.NAME:
            flags |= Qt.ItemFlag.ItemIsUserCheckable
        if index.column() == ReviewColumn.ACTION:
            flags |= Qt.ItemFlag.ItemIsEditable
        return flags

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if (
            role == Qt.ItemDataRole.DisplayRole
            and orientation == Qt.Orientation.Horizontal
            and 0 <= section < len(ReviewColumn)
        ):
            return _(REVIEW_TITLES[ReviewColumn(section)])
        return None

    # -- bulk ---------------------------------------------------------------------------

    def set_checked(self, rows: list[int], checked: bool) -> None:
        """Check or uncheck the given rows; when empty, every candidate (the rows not
        loaded yet too)."""
        if rows:
            ids = [self._rows[r].contact_id for r in rows]
            self.selection = self.selection.with_checked(ids, checked)
        else:
            self.selection = Selection.all() if checked else Selection.none()
        targets = rows or list(range(len(self._rows)))
        if targets:
            self.dataChanged.emit(
                self.index(min(targets), 0),
                self.index(max(targets), 0),
                [Qt.ItemDataRole.CheckStateRole],
            )

    def set_action(self, rows: list[int], action: CleanupAction) -> None:
        """Give the given rows *action*."""
        for r in rows:
            self.setData(self.index(r, ReviewColumn.ACTION), action.value)


class ActionDelegate(QStyledItemDelegate):
    """A combo box to choose a row's action."""

    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem, index: _Index) -> QWidget:
        combo = QComboBox(parent)
        for action, label in CLEANUP_ACTION_LABELS.items():
            combo.addItem(_(label), action.value)
        return combo

    def setEditorData(self, editor: QWidget, index: _Index) -> None:
        assert isinstance(editor, QComboBox)
        editor.setCurrentIndex(max(0, editor.findData(index.data(Qt.ItemDataRole.EditRole))))

    def setModelData(self, editor: QWidget, model: Any, index: _Index) -> None:
        assert isinstance(editor, QComboBox)
        model.setData(index, editor.currentData(), Qt.ItemDataRole.EditRole)


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


class ScanPage(QWizardPage):
    """The summary of expired contacts by reason, with the proposed action."""

    def __init__(self, wizard: CleanupWizard) -> None:
        super().__init__()
        self._wizard = wizard
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
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(self.total_label)

    def initializePage(self) -> None:
        services, actor = self._wizard.services, self._wizard.actor
        services.retention.fill_missing()
        summary = services.cleanup.summary(actor)
        self._wizard.labels = {r.reason: r.label for r in summary}
        self.table.setRowCount(len(summary))
        for i, row in enumerate(summary):
            count = QTableWidgetItem(format_number(row.count))
            count.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.table.setItem(i, 0, QTableWidgetItem(_(row.label)))
            self.table.setItem(i, 1, count)
            self.table.setItem(i, 2, QTableWidgetItem(_(CLEANUP_ACTION_LABELS[row.action])))
        total = sum(r.count for r in summary)
        self._wizard.total = total
        self.total_label.setText(
            ngettext("{count} contact to review.", "{count} contacts to review.", total).format(
                count=format_number(total)
            )
            if total
            else _("No contact is past its keep-until date.")
        )

    def nextId(self) -> int:
        return Page.REVIEW if self._wizard.total else -1


class ReviewPage(QWizardPage):
    """The expired contacts, each with why and the action; checkboxes for bulk choices."""

    def __init__(self, wizard: CleanupWizard) -> None:
        super().__init__()
        self._wizard = wizard
        self.setTitle(_("Review"))
        self.setSubTitle(_("Uncheck contacts to leave them as they are, or change their action."))
        self.model = ReviewTableModel(wizard.services, wizard.actor, self)
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setItemDelegateForColumn(ReviewColumn.ACTION, ActionDelegate(self.view))
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.SelectedClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
        )
        self.view.verticalHeader().hide()
        self.view.setWordWrap(False)
        self.view.horizontalHeader().setSectionResizeMode(
            ReviewColumn.NAME, QHeaderView.ResizeMode.Stretch
        )
        for column in (ReviewColumn.KEEP_UNTIL, ReviewColumn.REASON):
            self.view.horizontalHeader().setSectionResizeMode(
                column, QHeaderView.ResizeMode.ResizeToContents
            )
        # Wide enough for the longest action, whichever the rows get later.
        metrics = self.view.fontMetrics()
        widest = max(metrics.horizontalAdvance(_(t)) for t in CLEANUP_ACTION_LABELS.values())
        self.view.setColumnWidth(ReviewColumn.ACTION, widest + 4 * metrics.averageCharWidth())
        self.check_all = QPushButton(_("Check &all"))
        self.check_none = QPushButton(_("Check &none"))
        self.bulk_action = QComboBox()
        for action, label in CLEANUP_ACTION_LABELS.items():
            self.bulk_action.addItem(_(label), action.value)
        self.apply_bulk = QPushButton(_("Set for &selected rows"))
        self.check_all.clicked.connect(lambda: self.model.set_checked([], True))
        self.check_none.clicked.connect(lambda: self.model.set_checked([], False))
        self.apply_bulk.clicked.connect(self._bulk)
        # What the checks mean for every candidate, not only the rows on screen.
        self.checked_label = QLabel()
        self.model.dataChanged.connect(self._show_checked)
        self.model.modelReset.connect(self._show_checked)
        bar = QHBoxLayout()
        for widget in (self.check_all, self.check_none):
            bar.addWidget(widget)
        bar.addWidget(self.checked_label)
        bar.addStretch(1)
        bar.addWidget(self.bulk_action)
        bar.addWidget(self.apply_bulk)
        self.keep_reason = QLineEdit()
        self.keep_reason.setPlaceholderText(_('Why these contacts are kept (for "keep")'))
        keep_label = QLabel(_("&Reason for keeping:"))
        keep_label.setBuddy(self.keep_reason)
        keep = QHBoxLayout()
        keep.addWidget(keep_label)
        keep.addWidget(self.keep_reason, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.view, 1)
        layout.addLayout(keep)

    def _show_checked(self) -> None:
        total = self.model.total
        self.checked_label.setText(
            ngettext("{checked} of {total} checked", "{checked} of {total} checked", total).format(
                checked=format_number(self.model.checked_count()), total=format_number(total)
            )
        )

    def _bulk(self) -> None:
        rows = sorted({i.row() for i in self.view.selectionModel().selectedRows()})
        self.model.set_action(rows, CleanupAction(self.bulk_action.currentData()))

    def initializePage(self) -> None:
        self.model.load(self._wizard.total)
        if self.model.canFetchMore():
            self.model.fetchMore()

    def validatePage(self) -> bool:
        if (
            CleanupAction.KEEP in self.model.overrides.values()
            and not self.keep_reason.text().strip()
        ):
            QMessageBox.warning(self, _("Review"), _("Give the reason for keeping these contacts."))
            return False
        self._wizard.plan = self.model.plan(self.keep_reason.text())
        return True


class DryRunPage(QWizardPage):
    """What the cleanup would do, without doing it."""

    def __init__(self, wizard: CleanupWizard) -> None:
        super().__init__()
        self._wizard = wizard
        self.setTitle(_("Dry run"))
        self.setSubTitle(_("Nothing has changed yet. Apply carries out these actions."))
        self.report = QPlainTextEdit()
        self.report.setReadOnly(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.report)
        self.outcome: CleanupOutcome | None = None

    def initializePage(self) -> None:
        self.outcome = self._wizard.services.cleanup.apply(
            self._wizard.actor, self._wizard.plan, dry_run=True
        )
        self.report.setPlainText(_outcome_text(self.outcome, self._wizard.labels))

    def people_erased(self) -> int:
        """How many people Apply removes (erased or anonymised), as the dry run says."""
        if self.outcome is None:
            return 0
        by_action = self.outcome.by_action
        return by_action.get(CleanupAction.ERASE.value, 0) + by_action.get(
            CleanupAction.ANONYMISE.value, 0
        )

    def validatePage(self) -> bool:
        count = self.people_erased()
        if not count:
            return True
        answer = QMessageBox.question(
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

    def __init__(self, wizard: CleanupWizard) -> None:
        super().__init__()
        self._wizard = wizard
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
        services, actor, plan = self._wizard.services, self._wizard.actor, self._wizard.plan

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
        text = _outcome_text(outcome, self._wizard.labels)
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
        path, _filter = QFileDialog.getSaveFileName(
            self, _("Save the cleanup report"), name, _("PDF files (*.pdf)")
        )
        if not path:
            return None
        pdf = self._wizard.services.cleanup.report_pdf(
            self._wizard.actor, self.outcome, self._wizard.actor.language
        )
        write_private(path, pdf)
        return path


class CleanupWizard(QWizard):
    """The annual cleanup, from the scan to the report."""

    def __init__(self, services: Services, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.actor = actor
        self.total = 0
        self.labels: dict[str, str] = {}
        self.plan = CleanupPlan()
        self.setWindowTitle(_("Annual cleanup"))
        self.setWizardStyle(QWizard.WizardStyle.ClassicStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnLastPage, True)
        self.scan_page = ScanPage(self)
        self.review_page = ReviewPage(self)
        self.dry_run_page = DryRunPage(self)
        self.execute_page = ExecutePage(self)
        self.setPage(Page.SCAN, self.scan_page)
        self.setPage(Page.REVIEW, self.review_page)
        self.setPage(Page.DRY_RUN, self.dry_run_page)
        self.setPage(Page.EXECUTE, self.execute_page)
        self.setButtonText(QWizard.WizardButton.CommitButton, _("&Apply"))
        self.dry_run_page.setCommitPage(True)
        # Enter must never apply: QWizard makes the commit button the default one, so the
        # dry-run page has no default button at all.
        self.currentIdChanged.connect(
            lambda page: self.setOption(QWizard.WizardOption.NoDefaultButton, page == Page.DRY_RUN)
        )
        self.resize(920, 560)

    def reject(self) -> None:
        if self.execute_page.job is not None:
            return  # stop first: the job writes to the database
        super().reject()
