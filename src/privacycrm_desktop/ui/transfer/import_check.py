"""The import wizard's check page: a dry run of every row, its counts, its invalid rows and
the values it imports as they are, to look at.

The check runs on a worker thread (``ui.common.workers``) behind a progress bar; the invalid rows
are listed with their reasons and can be saved as CSV for correction (the service writes
the file).
"""

from __future__ import annotations

import dataclasses
from enum import IntEnum
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QObject,
    Qt,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
    QWizardPage,
)

from privacycrm_desktop.domain.errors import DomainError, ImportPlanInvalid
from privacycrm_desktop.domain.import_formats import SKIP_REASON_LABELS, RowProblem
from privacycrm_desktop.domain.import_values import NOTES_LEFT_OUT
from privacycrm_desktop.i18n import (
    N_,
    _,
    current_language,
    describe_error,
    describe_problem,
    format_number,
    ngettext,
)
from privacycrm_desktop.services.imports import (
    ImportResult,
    conflicts_line,
    defaults_lines,
    to_check_line,
)
from privacycrm_desktop.ui.common.rows_model import RowsModel
from privacycrm_desktop.ui.common.widgets import ErrorLabel
from privacycrm_desktop.ui.common.workers import Job, JobContext, run_in_background, show_failure
from privacycrm_desktop.ui.transfer.import_state import ImportState


class ProblemColumn(IntEnum):
    """Columns of the invalid rows table."""

    ROW = 0
    COLUMN = 1
    PROBLEM = 2


PROBLEM_TITLES = {
    ProblemColumn.ROW: N_("Row"),
    ProblemColumn.COLUMN: N_("Column"),
    ProblemColumn.PROBLEM: N_("Problem"),
}


def describe_row_problem(problem: RowProblem) -> str:
    """What is wrong with a cell, in the user's language."""
    try:
        return _(problem.message).format(**problem.params)
    except (KeyError, IndexError, ValueError):
        return _(problem.message)


class InvalidRowsModel(RowsModel[RowProblem]):
    """Every problem of every invalid row: row number, column, reason."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(PROBLEM_TITLES, parent)

    def cell(self, row: RowProblem, column: int, role: int) -> Any:
        shown = ProblemColumn(column)
        if role == Qt.ItemDataRole.TextAlignmentRole and shown is ProblemColumn.ROW:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return None
        if shown is ProblemColumn.ROW:
            return str(row.row_number)
        if shown is ProblemColumn.COLUMN:
            return row.column or _("(whole row)")
        return describe_row_problem(row)


def _n(count: int) -> str:
    return format_number(count)


def result_lines(result: ImportResult, *, dry_run: bool) -> list[str]:
    """The counts of a check (what would happen) or an import (what happened)."""
    if dry_run:
        lines = [
            ngettext(
                "{count} contact will be imported.",
                "{count} contacts will be imported.",
                result.imported,
            ).format(count=_n(result.imported)),
        ]
        merged = ngettext(
            "{count} existing contact will be completed (merged).",
            "{count} existing contacts will be completed (merged).",
            result.merged,
        )
    else:
        lines = [
            ngettext(
                "{count} contact imported.", "{count} contacts imported.", result.imported
            ).format(count=_n(result.imported)),
        ]
        merged = ngettext(
            "{count} existing contact completed (merged).",
            "{count} existing contacts completed (merged).",
            result.merged,
        )
    if result.merged:
        lines.append(merged.format(count=_n(result.merged)))
    if result.conflicts:
        lines.append(conflicts_line(result, _n))
    for reason, count in result.skipped.items():
        if count:
            lines.append(
                ngettext("{count} skipped: {reason}", "{count} skipped: {reason}", count).format(
                    count=_n(count), reason=_(SKIP_REASON_LABELS[reason])
                )
            )
    if result.to_check:
        lines.append(to_check_line(result, _n))
    lines += defaults_lines(result, _n)
    for message, count in result.invalid_by_reason().items():
        first = next(p for p in result.invalid if p.message == message)
        # The first row's own value, so the reason reads as it does in the table below
        # ("“jan@” is not a valid e-mail address (row 4 and 2 more)").
        example = (
            _("{reason} (row {row})") if count == 1 else _("{reason} (row {row} and {more} more)")
        ).format(reason=describe_row_problem(first), row=_n(first.row_number), more=_n(count - 1))
        lines.append(
            ngettext(
                "{count} invalid row: {reason}", "{count} invalid rows: {reason}", count
            ).format(count=_n(count), reason=example)
        )
    return lines


def bullets(lines: list[str]) -> str:
    from html import escape

    return "<ul>" + "".join(f"<li>{escape(line)}</li>" for line in lines) + "</ul>"


class CheckPage(QWizardPage):
    """A dry run of the whole file: what would be imported, merged, skipped, refused."""

    def __init__(self, state: ImportState) -> None:
        super().__init__()
        self._state = state
        self.setTitle(_("Check before importing"))
        self.setSubTitle(_("Nothing is imported yet: this is what the import would do."))
        self.setCommitPage(True)
        self.status = QLabel()
        self.bar = QProgressBar()
        self.counts = QLabel()
        self.counts.setWordWrap(True)
        self.counts.setTextFormat(Qt.TextFormat.RichText)
        self.error = ErrorLabel()
        self.model = InvalidRowsModel(self)
        self.table = self._problem_table(self.model)
        # The values imported as they are, for someone to correct (the data-quality
        # review lists them again once imported).
        self.looks = InvalidRowsModel(self)
        self.looks_table = self._problem_table(self.looks)
        self.looks_label = QLabel(_("&Values to look at (they are imported as they are):"))
        self.looks_label.setBuddy(self.looks_table)
        self.table_label = QLabel(_("Invalid &rows (they are not imported):"))
        self.table_label.setBuddy(self.table)
        # Notes that suggest special-category data are left out unless the user says the
        # persons gave their written consent (rule 10; the import's audit event counts them).
        self.keep_special = QCheckBox()
        self.keep_special.toggled.connect(self._keep_special)
        self.save_button = QPushButton(_("&Save invalid rows..."))
        self.save_button.clicked.connect(self.save_invalid)
        save_row = QHBoxLayout()
        save_row.addWidget(self.table_label, 1)
        save_row.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.status)
        layout.addWidget(self.bar)
        layout.addWidget(self.error)
        layout.addWidget(self.counts)
        layout.addLayout(save_row)
        layout.addWidget(self.table, 1000)
        layout.addWidget(self.looks_label)
        layout.addWidget(self.looks_table, 1000)
        layout.addWidget(self.keep_special)
        layout.addStretch(1)  # keeps the lines at the top while there is no table
        QWidget.setTabOrder(self.save_button, self.table)  # as they are laid out
        QWidget.setTabOrder(self.table, self.looks_table)
        self.job: Job[ImportResult] | None = None
        self._generation = 0

    def _problem_table(self, model: InvalidRowsModel) -> QTableView:
        table = QTableView()
        table.setModel(model)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.verticalHeader().hide()
        table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        table.setWordWrap(False)
        header = table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        return table

    def initializePage(self) -> None:
        self._state.checked = None
        self.error.show_message("")
        self.counts.setText("")
        self.model.set_rows(())
        self._show_invalid(False)
        self.looks.set_rows(())
        self._show_looks(False)
        self.keep_special.hide()
        self.bar.setRange(0, 0)
        self.bar.show()
        self.status.setText(_("Checking every row..."))
        self._generation += 1
        generation = self._generation
        imports, actor, plan = (
            self._state.services.imports,
            self._state.actor,
            # Checked as without confirmation, so the notes it would leave out are listed
            # and the choice to keep them stays offered.
            dataclasses.replace(self._state.plan(), confirm_special=False),
        )

        def work(context: JobContext) -> ImportResult:
            return imports.check(actor, plan, context.progress_or_cancel)

        self.job = run_in_background(
            work,
            lambda result: self._done(generation, result),
            on_failure=lambda error: self._failed(generation, error),
            on_progress=self._progress,
            on_cancelled=lambda: None,
            parent=self,
        )
        self.completeChanged.emit()

    def stop(self) -> None:
        """Stop a running check (going back, or closing the wizard)."""
        if self.job is not None:
            self.job.cancel()
            self.job = None
            self._generation += 1

    def cleanupPage(self) -> None:
        self.stop()

    def _progress(self, done: int, total: int) -> None:
        self.bar.setRange(0, max(total, 1))
        self.bar.setValue(done)

    def _done(self, generation: int, result: ImportResult) -> None:
        if generation != self._generation:
            return
        self.job = None
        self._state.checked = result
        self.bar.hide()
        self.status.setText(
            ngettext("{count} row checked.", "{count} rows checked.", result.total_rows).format(
                count=result.total_rows
            )
        )
        self.counts.setText(bullets(result_lines(result, dry_run=True)))
        self.model.set_rows(result.invalid)
        self._show_invalid(bool(result.invalid))
        self.looks.set_rows(
            RowProblem(v.row_number, v.column, v.message, v.params) for v in result.to_check
        )
        self._show_looks(bool(result.to_check))
        special_rows = len({v.row_number for v in result.to_check if v.message == NOTES_LEFT_OUT})
        self.keep_special.setText(
            ngettext(
                "&Keep the notes that suggest special-category data ({count} row): the person "
                "gave written consent",
                "&Keep the notes that suggest special-category data ({count} rows): the persons "
                "gave written consent",
                special_rows,
            ).format(count=_n(special_rows))
        )
        self.keep_special.setVisible(bool(special_rows))
        if not result.imported and not result.merged:
            self.error.show_message(_("Nothing to import: go back to change your choices."))
        self.completeChanged.emit()

    def _failed(self, generation: int, error: BaseException) -> None:
        if generation != self._generation:
            return
        self.job = None
        self.bar.hide()
        self.status.setText("")
        if isinstance(error, ImportPlanInvalid):
            lines = [describe_error(error)] + [describe_problem(p) for p in error.problems]
            self.error.show_message("\n".join(lines))
        elif isinstance(error, DomainError):
            self.error.show_message(describe_error(error))
        else:
            show_failure(self, error)
        self.completeChanged.emit()

    def _keep_special(self, keep: bool) -> None:
        self._state.confirm_special = keep

    def _show_invalid(self, visible: bool) -> None:
        for widget in (self.table_label, self.save_button, self.table):
            widget.setVisible(visible)

    def _show_looks(self, visible: bool) -> None:
        for widget in (self.looks_label, self.looks_table):
            widget.setVisible(visible)

    def isComplete(self) -> bool:
        result = self._state.checked
        return self.job is None and result is not None and bool(result.imported or result.merged)

    def save_invalid(self) -> Path | None:
        """Ask where, then write the invalid rows with their reasons (CSV)."""
        result = self._state.checked
        if result is None or not result.invalid:
            return None
        name, _filter = QFileDialog.getSaveFileName(
            self, _("Save invalid rows"), "invalid-rows.csv", _("CSV files (*.csv)")
        )
        if not name:
            return None
        try:
            count = self._state.services.imports.save_invalid_rows(
                self._state.actor,
                self._state.plan(),
                result,
                Path(name),
                language=current_language(),
            )
        except DomainError as exc:
            self.error.show_message(describe_error(exc))
            return None
        except OSError:
            self.error.show_message(_("The file could not be written."))
            return None
        self.status.setText(
            ngettext(
                "{count} invalid row saved in {file}.",
                "{count} invalid rows saved in {file}.",
                count,
            ).format(count=_n(count), file=Path(name).name)
        )
        return Path(name)
