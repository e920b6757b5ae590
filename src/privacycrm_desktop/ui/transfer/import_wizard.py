"""The import wizard: a CSV or vCard file becomes contacts, with their origin.

Pages (``Page``): the file; a preview with the detected encoding and separator (both can
be changed); the meaning of each column (``import_mapping``); where the contacts come from
and why they are kept, both mandatory, and what to do with contacts we already have
(``import_origin``); a dry run with the invalid rows (``import_check``); the import itself
with a progress bar and Stop, and the summary with "Undo this import" (``import_run``).
The history of imports is ``import_history``; all of them in this package.

The wizard only collects choices: reading, checking and importing are the import
service's (``services.imports``), and its refusals are shown in the user's language.
"""

from __future__ import annotations

from enum import IntEnum
from pathlib import Path

from PySide6.QtCore import QSize, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from privacycrm_desktop.domain.import_formats import (
    DELIMITER_CHOICES,
    ENCODING_CHOICES,
    FileFormat,
    FileShape,
)
from privacycrm_desktop.i18n import N_, _, format_number, ngettext
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.imports import ImportPlan, ImportPreview, ImportResult
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.ui.common.widgets import ErrorLabel
from privacycrm_desktop.ui.common.window_size import size_window
from privacycrm_desktop.ui.transfer.import_check import CheckPage
from privacycrm_desktop.ui.transfer.import_mapping import MappingPage
from privacycrm_desktop.ui.transfer.import_origin import DuplicatesPage, OriginPage, labelled
from privacycrm_desktop.ui.transfer.import_run import ImportPage, SummaryPage
from privacycrm_desktop.ui.transfer.import_state import ImportState


class Page(IntEnum):
    """The wizard's pages, in order."""

    FILE = 0
    PREVIEW = 1
    MAPPING = 2
    ORIGIN = 3
    DUPLICATES = 4
    CHECK = 5
    IMPORT = 6
    SUMMARY = 7


ENCODING_LABELS = {
    "utf-8-sig": N_("UTF-8 with byte order mark"),
    "utf-8": N_("UTF-8"),
    "utf-16": N_('UTF-16 (Excel "Unicode text")'),
    "cp1252": N_("Windows Western European (cp1252)"),
    "iso-8859-1": N_("Latin-1 (ISO 8859-1)"),
}
DELIMITER_LABELS = {
    ",": N_("Comma ( , )"),
    ";": N_("Semicolon ( ; )"),
    "\t": N_("Tab"),
    "|": N_("Vertical bar ( | )"),
}


class FilePage(QWizardPage):
    """Choose the file; it is read once to make sure it can be imported at all."""

    def __init__(self, state: ImportState) -> None:
        super().__init__()
        self._state = state
        self.setTitle(_("Choose the file"))
        self.setSubTitle(
            _(
                "A CSV file (from Outlook, Google Contacts or Excel) or a vCard file "
                "(.vcf) from a phone or an address book."
            )
        )
        self.path = QLineEdit()
        self.path.setMinimumWidth(self.fontMetrics().averageCharWidth() * 50)
        self.browse = QPushButton(_("&Browse..."))
        self.browse.clicked.connect(self.choose)
        self.error = ErrorLabel()
        about = QLabel(
            _(
                "Nothing is imported before you have seen the check of every row. An import "
                "can be undone afterwards, as long as its contacts were not changed "
                "(File > Import history)."
            )
        )
        about.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(labelled(_("&File:"), self.path))
        row.addWidget(self.path, 1)
        row.addWidget(self.browse)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.error)
        layout.addSpacing(self.fontMetrics().height())
        layout.addWidget(about)
        layout.addStretch(1)
        self.registerField("path*", self.path)

    def choose(self) -> None:
        """Ask for the file with the system's file dialog."""
        name, _filter = QFileDialog.getOpenFileName(
            self,
            _("Import contacts"),
            self.path.text(),
            _("Contact files (*.csv *.txt *.vcf *.vcard);;All files (*)"),
        )
        if name:
            self.path.setText(name)

    def validatePage(self) -> bool:
        path = Path(self.path.text().strip()).expanduser()
        if not path.is_file():
            self.error.show_message(_("There is no file by that name."))
            return False
        message = self._state.load_preview(path, None)
        self.error.show_message(message)
        return not message


class PreviewPage(QWizardPage):
    """The first rows as read; the encoding and the separator can be changed."""

    def __init__(self, state: ImportState) -> None:
        super().__init__()
        self._state = state
        self.setTitle(_("Check how the file reads"))
        self.setSubTitle(
            _(
                "The first rows of the file. If accents look wrong or everything sits in one "
                "column, choose another encoding or separator."
            )
        )
        self.encoding = QComboBox()
        self.delimiter = QComboBox()
        self.rows = QLabel()
        self.error = ErrorLabel()
        form = QFormLayout()
        form.addRow(labelled(_("&Encoding:"), self.encoding), self.encoding)
        form.addRow(labelled(_("&Separator:"), self.delimiter), self.delimiter)
        self.table = QTableWidget()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setDefaultSectionSize(
            self.fontMetrics().averageCharWidth() * 16
        )
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.rows)
        layout.addWidget(self.error)
        layout.addWidget(self.table, 1)
        self.encoding.activated.connect(self._reread)
        self.delimiter.activated.connect(self._reread)

    def initializePage(self) -> None:
        self.error.show_message("")
        self.show_preview()

    def show_preview(self) -> None:
        """Fill the choices and the table from the current preview."""
        preview = self._state.preview
        if preview is None:
            return
        shape = preview.shape
        _fill(self.encoding, ENCODING_CHOICES, ENCODING_LABELS, shape.encoding)
        _fill(self.delimiter, DELIMITER_CHOICES, DELIMITER_LABELS, shape.delimiter)
        is_csv = shape.format is FileFormat.CSV
        self.delimiter.setEnabled(is_csv)
        if not is_csv:
            self.delimiter.clear()
            self.delimiter.addItem(_("None (vCard file)"), "")
        count, shown = format_number(preview.row_count), len(preview.sample)
        if shown < preview.row_count:
            rows = _("{file}: {count} rows; the first {shown} are shown.")
        else:
            rows = ngettext("{file}: {count} row.", "{file}: {count} rows.", preview.row_count)
        self.rows.setText(rows.format(file=preview.file_name, count=count, shown=shown))
        self.table.clear()
        self.table.setColumnCount(len(preview.headers))
        self.table.setRowCount(len(preview.sample))
        self.table.setHorizontalHeaderLabels(list(preview.headers))
        for r, row in enumerate(preview.sample):
            for c, value in enumerate(row[: len(preview.headers)]):
                item = QTableWidgetItem(value)
                item.setToolTip(value)
                self.table.setItem(r, c, item)
        # Wide enough to read, not so wide that one long note hides the other columns.
        self.table.resizeColumnsToContents()
        widest = self.fontMetrics().averageCharWidth() * 30
        for c in range(self.table.columnCount()):
            self.table.setColumnWidth(c, min(self.table.columnWidth(c), widest))

    def _reread(self) -> None:
        preview = self._state.preview
        if preview is None or self._state.path is None:
            return
        shape = FileShape(
            preview.shape.format,
            str(self.encoding.currentData()),
            str(self.delimiter.currentData() or ""),
        )
        message = self._state.load_preview(self._state.path, shape)
        self.error.show_message(message)
        if message:
            self.table.clear()
            self.table.setRowCount(0)
            self.table.setColumnCount(0)
        else:
            self.show_preview()
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        return self._state.preview is not None and not self.error.text()


def _fill(combo: QComboBox, choices: tuple[str, ...], labels: dict[str, str], value: str) -> None:
    combo.clear()
    known = list(choices)
    if value and value not in known:
        known.append(value)  # detected, but not in the usual list
    for choice in known:
        combo.addItem(_(labels[choice]) if choice in labels else choice, choice)
    combo.setCurrentIndex(max(0, combo.findData(value)))


class ImportWizard(QWizard):
    """Import contacts from a file; ``outcome`` is the import's outcome afterwards."""

    #: Contacts were added or removed (after the import, or its undo).
    contacts_changed = Signal()

    def __init__(self, services: Services, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        today = services.contacts.suggest_source(actor, None).obtained_on
        assert today is not None
        self.state = ImportState(
            services,
            actor,
            today,
            services.statements.purposes(actor),
            plan=self.plan,
            contacts_changed=self.contacts_changed.emit,
        )
        self.setWindowTitle(_("Import contacts"))
        self.setWizardStyle(QWizard.WizardStyle.ClassicStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnLastPage, True)
        self.setOption(QWizard.WizardOption.NoCancelButtonOnLastPage, True)
        self.file_page = FilePage(self.state)
        self.preview_page = PreviewPage(self.state)
        self.mapping_page = MappingPage(self.state)
        self.origin_page = OriginPage(self.state)
        self.duplicates_page = DuplicatesPage(self.state)
        self.check_page = CheckPage(self.state)
        self.import_page = ImportPage(self.state)
        self.summary_page = SummaryPage(self.state)
        for page_id, page in (
            (Page.FILE, self.file_page),
            (Page.PREVIEW, self.preview_page),
            (Page.MAPPING, self.mapping_page),
            (Page.ORIGIN, self.origin_page),
            (Page.DUPLICATES, self.duplicates_page),
            (Page.CHECK, self.check_page),
            (Page.IMPORT, self.import_page),
            (Page.SUMMARY, self.summary_page),
        ):
            self.setPage(page_id, page)
        self.setStartId(Page.FILE)
        for which, text in (
            (QWizard.WizardButton.BackButton, _("< &Back")),
            (QWizard.WizardButton.NextButton, _("&Next >")),
            (QWizard.WizardButton.CommitButton, _("&Import")),
            (QWizard.WizardButton.FinishButton, _("&Finish")),
            (QWizard.WizardButton.CancelButton, _("Cancel")),
        ):
            self.setButtonText(which, text)
        width, height = self.fontMetrics().averageCharWidth(), self.fontMetrics().height()
        size_window(self, QSize(width * 132, height * 38))

    @property
    def preview(self) -> ImportPreview | None:
        """The file as read, None before it was read."""
        return self.state.preview

    @property
    def checked(self) -> ImportResult | None:
        """The dry run's result, None until it is done."""
        return self.state.checked

    @property
    def outcome(self) -> ImportResult | None:
        """The import's result, None when it was stopped before writing or failed."""
        return self.state.outcome

    @outcome.setter
    def outcome(self, result: ImportResult | None) -> None:
        self.state.outcome = result

    def plan(self) -> ImportPlan:
        """The choices made so far, as the service takes them."""
        path, preview = self.state.path, self.state.preview
        assert path is not None
        assert preview is not None
        return ImportPlan(
            path=path,
            shape=preview.shape,
            mapping=self.mapping_page.mapping(),
            source=self.origin_page.source(),
            purpose_code=str(self.origin_page.purpose.currentData() or ""),
            legal_basis=str(self.origin_page.legal_basis.currentData() or ""),
            duplicates=self.duplicates_page.policy(),
            confirm_special=self.state.confirm_special,
        )

    def reject(self) -> None:
        """While the import runs, Cancel stops it (the summary says what was kept)."""
        if self.import_page.running:
            self.import_page.stop()
            return
        self.check_page.stop()
        super().reject()
