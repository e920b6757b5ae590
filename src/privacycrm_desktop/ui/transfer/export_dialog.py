""" "Export selected...": the chosen contacts to a CSV or vCard file.

The dialog asks for the format and the program it is for (a CSV profile: ours, Outlook,
Google, a Belgian Excel; or the vCard version), the purpose (from the register), the
recipient and its kind, the declaration that the recipient would use the data for its
own purposes (which is refused, rule 6), and the file. It shows which fields the file
will hold: those the user's role may see. The export runs off the UI thread with a
progress bar and a Cancel button; a cancelled export leaves no file.

The selection arrives as row ranges of the list (the list is lazy: a million rows are not
turned into a million ids on the UI thread); the worker turns them into contact ids
through the contact service, or exports every contact when the whole list is selected.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from privacycrm_desktop.domain.errors import DomainError, FieldProblem, ValidationFailed
from privacycrm_desktop.domain.export_csv import CSV_PROFILE_LABELS, CsvProfile
from privacycrm_desktop.domain.export_formats import (
    EXPORT_FORMAT_LABELS,
    FILE_SUFFIXES,
    ExportFormat,
)
from privacycrm_desktop.domain.export_vcard import VCARD_VERSION_LABELS, VcardVersion
from privacycrm_desktop.domain.fields import FIELDS_BY_NAME
from privacycrm_desktop.domain.purposes import RECIPIENT_KIND_LABELS, RecipientKind
from privacycrm_desktop.i18n import (
    N_,
    _,
    current_language,
    describe_error,
    format_number,
    ngettext,
)
from privacycrm_desktop.services.contacts import MAX_PAGE, ContactService
from privacycrm_desktop.services.dto import Actor, ContactSort, ListFilter
from privacycrm_desktop.services.exports import ExportRequest, ExportResult
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.ui.common.saved_files import offer_to_open, remember_folder, start_folder
from privacycrm_desktop.ui.common.widgets import ErrorLabel, show_problems
from privacycrm_desktop.ui.common.window_size import size_window
from privacycrm_desktop.ui.common.workers import Job, JobContext, ProgressPanel, run_in_background
from privacycrm_desktop.ui.common.workers import show_failure as show_unforeseen


@dataclass(frozen=True)
class SelectedContacts:
    """Rows of the contact list, as the list showed them when the user chose them.

    ``ranges`` are (first, last) row numbers, inclusive, sorted and not overlapping.
    """

    query: str
    sort: ContactSort
    descending: bool
    ranges: tuple[tuple[int, int], ...]
    total: int
    #: The list's saved view (expired, opted in by e-mail...), None for the whole list.
    view: ListFilter | None = None
    #: The id of the tag the list was filtered by, None when it was not.
    tag: int | None = None

    @property
    def count(self) -> int:
        """How many contacts are selected."""
        return sum(last - first + 1 for first, last in self.ranges)

    @property
    def everything(self) -> bool:
        """True when every contact is selected (the whole list, no search)."""
        whole = self.ranges == ((0, self.total - 1),)
        return not self.query and self.view is None and self.tag is None and whole


def selected_ids(
    contacts: ContactService,
    actor: Actor,
    selection: SelectedContacts,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[int, ...] | None:
    """The ids of the selected rows, in list order; None when everything is selected."""
    if selection.everything:
        return None
    ids: list[int] = []
    for first, last in selection.ranges:
        for offset in range(first, last + 1, MAX_PAGE):
            if progress is not None:
                progress(0, 0)  # lets a cancel stop the look-up; the bar stays busy
            rows = contacts.page(
                actor,
                query=selection.query,
                sort=selection.sort,
                descending=selection.descending,
                offset=offset,
                limit=min(MAX_PAGE, last + 1 - offset),
                total=selection.total,
                view=selection.view,
                tag=selection.tag,
            )
            ids += [row.id for row in rows]
    return tuple(ids)


#: The kind of file whose folder the save dialogs remember (``UiSettings.last_folder``).
FOLDER_KIND = "export"


class ExportDialog(QDialog):
    """Export the selected contacts; emits ``exported`` with a sentence saying what was done."""

    exported = Signal(str)

    def __init__(
        self,
        services: Services,
        actor: Actor,
        selection: SelectedContacts,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._services = services
        self._actor = actor
        self.selection = selection
        self.job: Job[object] | None = None
        self.result_value: ExportResult | None = None
        self.setWindowTitle(_("Export contacts"))

        count = selection.count
        self.summary = QLabel(
            ngettext("{count} contact selected.", "{count} contacts selected.", count).format(
                count=format_number(count)
            )
        )
        self.summary.setWordWrap(True)
        self.errors = {name: ErrorLabel() for name in ("purpose", "recipient", "file")}
        self.general_error = ErrorLabel()
        form = self._make_form()
        labels = [_(FIELDS_BY_NAME[f].label) for f in services.exports.fields(actor)]
        self.fields_note = QLabel(
            _("The file holds the fields your role may see: {fields}.").format(
                fields=", ".join(labels)
            )
        )
        self.fields_note.setWordWrap(True)
        self.progress = ProgressPanel()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.export_button = QPushButton(_("&Export"))
        self.export_button.setDefault(True)
        self.buttons.addButton(self.export_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.export_button.clicked.connect(self.start_export)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addLayout(form)
        layout.addWidget(self.fields_note)
        layout.addWidget(self.general_error)
        layout.addWidget(self.progress)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(self.fontMetrics().averageCharWidth() * 80)
        size_window(self)

    def _make_form(self) -> QFormLayout:
        self.format = QComboBox()
        for fmt in ExportFormat:
            self.format.addItem(_(EXPORT_FORMAT_LABELS[fmt]), fmt)
        self.format.currentIndexChanged.connect(self._format_changed)
        self.variant = QComboBox()
        self._fill_variants()
        self.purpose = QComboBox()
        for purpose in self._services.statements.purposes(self._actor):
            self.purpose.addItem(_(purpose.name), purpose.code)
        # A known recipient can be picked; a new one is typed.
        self.recipient = QComboBox()
        self.recipient.setEditable(True)
        self.recipient.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        known = self._services.disclosures.recipients(self._actor)
        self._known = {r.name: r.kind for r in known if not r.own_marketing}
        self.recipient.addItems(list(self._known))
        self.recipient.setEditText("")
        self.recipient.currentTextChanged.connect(self._recipient_changed)
        line = self.recipient.lineEdit()
        assert line is not None
        line.setPlaceholderText(_("Who receives the file"))
        self.kind = QComboBox()
        for kind, kind_label in RECIPIENT_KIND_LABELS.items():
            self.kind.addItem(_(kind_label), kind.value)
        self.kind.addItem(_("Ourselves: the file stays within the company"), None)
        self.own_use = QCheckBox(_("The recipient uses the data for its own purposes"))
        self.own_use.setToolTip(
            _(
                "Contacts may not be handed to another company for its own use, not even one "
                "of the same group: such an export is refused and logged."
            )
        )
        # The folder the last export went to, else the documents folder.
        self.file = QLineEdit(
            str(Path(start_folder(FOLDER_KIND)) / ("contacts" + FILE_SUFFIXES[ExportFormat.CSV]))
        )
        browse = QPushButton(_("&Browse..."))
        browse.clicked.connect(self.choose_file)
        file_row = QHBoxLayout()
        file_row.addWidget(self.file, 1)
        file_row.addWidget(browse)
        file_box = QWidget()
        file_box.setLayout(file_row)
        file_row.setContentsMargins(0, 0, 0, 0)

        form = QFormLayout()
        rows: list[tuple[str, QWidget, str | None]] = [
            (_("&Format:"), self.format, None),
            (_("For pro&gram:"), self.variant, None),
            (_("&Purpose:"), self.purpose, "purpose"),
            (_("&Recipient:"), self.recipient, "recipient"),
            (_("&Kind of recipient:"), self.kind, None),
            ("", self.own_use, None),
            (_("F&ile:"), file_box, "file"),
        ]
        for text, field, error in rows:
            editor: QWidget = field
            if error is not None:
                editor = QWidget()
                box = QVBoxLayout(editor)
                box.setContentsMargins(0, 0, 0, 0)
                box.setSpacing(2)
                box.addWidget(field)
                box.addWidget(self.errors[error])
            if text:
                label = QLabel(text)
                label.setBuddy(self.file if field is file_box else field)
                form.addRow(label, editor)
            else:
                form.addRow("", editor)
        return form

    # -- behaviour ----------------------------------------------------------------------

    def chosen_format(self) -> ExportFormat:
        """The format picked in the combo box."""
        return ExportFormat(self.format.currentData())

    def _recipient_changed(self, name: str) -> None:
        """A known recipient brings its kind along."""
        kind = self._known.get(" ".join(name.split()))
        index = self.kind.findData(kind) if kind else -1
        if index >= 0:
            self.kind.setCurrentIndex(index)

    def _fill_variants(self) -> None:
        """The CSV profiles or the vCard versions, as the format asks."""
        self.variant.clear()
        labels: dict[CsvProfile, str] | dict[VcardVersion, str]
        labels = (
            CSV_PROFILE_LABELS if self.chosen_format() is ExportFormat.CSV else VCARD_VERSION_LABELS
        )
        for value, label in labels.items():
            self.variant.addItem(_(label), value.value)

    def _format_changed(self) -> None:
        """Offer the new format's programs; give the file name the new format's ending."""
        self._fill_variants()
        path = Path(self.file.text().strip())
        if path.name and path.suffix.lower() in (".csv", ".vcf"):
            self.file.setText(str(path.with_suffix(FILE_SUFFIXES[self.chosen_format()])))

    def choose_file(self) -> None:
        """Ask where to save the file."""
        fmt = self.chosen_format()
        pattern = _("CSV files (*.csv)") if fmt is ExportFormat.CSV else _("vCard files (*.vcf)")
        name, _filter = QFileDialog.getSaveFileName(
            self, _("Export contacts"), self.file.text(), pattern
        )
        if name:
            self.file.setText(name)

    def request(self) -> ExportRequest:
        """The export as the form describes it (the service checks it)."""
        kind = self.kind.currentData()
        value = str(self.variant.currentData())
        csv = self.chosen_format() is ExportFormat.CSV
        return ExportRequest(
            format=self.chosen_format(),
            purpose=str(self.purpose.currentData() or ""),
            recipient=self.recipient.currentText(),
            recipient_kind=RecipientKind(kind) if kind is not None else None,
            recipient_own_use=self.own_use.isChecked(),
            csv_profile=CsvProfile(value) if csv else CsvProfile.PRIVACYCRM,
            vcard_version=VcardVersion.V4 if csv else VcardVersion(value),
            language=current_language(),
        )

    def start_export(self) -> Job[object] | None:
        """Run the export off the UI thread; the dialog closes when it is done."""
        if self.job is not None:
            return None
        show_problems(self.errors, [], self.general_error)
        target = self.file.text().strip()
        if not target:
            show_problems(
                self.errors, [FieldProblem("file", N_("Choose where to save the file."))], None
            )
            return None
        request, out = self.request(), Path(target).expanduser()
        services, actor, selection = self._services, self._actor, self.selection

        def work(context: JobContext) -> object:
            ids = selected_ids(services.contacts, actor, selection, context.progress_or_cancel)
            chosen = dataclasses.replace(request, contact_ids=ids)
            return services.exports.export(actor, chosen, out, context.progress_or_cancel)

        self.export_button.setEnabled(False)
        job = run_in_background(
            work,
            self._done,
            on_failure=self._failed,
            on_progress=self.progress.set_progress,
            on_cancelled=self._cancelled,
            parent=self,
        )
        self.job = job
        job.finished.connect(self._finished)
        self.progress.start(_("Exporting..."), job)
        return job

    def _finished(self) -> None:
        self.job = None
        self.export_button.setEnabled(True)

    def _done(self, result: object) -> None:
        assert isinstance(result, ExportResult)
        self.result_value = result
        remember_folder(FOLDER_KIND, result.path)
        message = ngettext(
            "{count} contact exported to {file}.",
            "{count} contacts exported to {file}.",
            result.count,
        ).format(count=format_number(result.count), file=result.path.name)
        self.exported.emit(message)
        self.accept()
        # Where the file went, and Open / Open the folder, as for the other saved files.
        offer_to_open(self.parentWidget(), result.path, message)

    def _failed(self, error: BaseException) -> None:
        if isinstance(error, ValidationFailed):
            show_problems(self.errors, error.problems, self.general_error)
        elif isinstance(error, DomainError):
            self.general_error.show_message(describe_error(error))
        else:
            show_unforeseen(self, error)

    def _cancelled(self) -> None:
        self.general_error.show_message(_("Stopped before the end; no file was written."))

    def done(self, result: int) -> None:
        """Closing stops a running export (it then writes no file and logs nothing)."""
        if self.job is not None:
            self.job.cancel()
        super().done(result)
