"""What the labels dialog and the letter dialog share: who is chosen, the purpose (a
marketing purpose keeps only whom the rules allow by post), who prints it outside the
company, the file, and afterwards how many were made and who was left out, and why.

The work runs on the UI thread with a wait cursor: a mailing is hundreds of people, and
the PDF is written under a temporary name, so a failure leaves no half file.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from babel.numbers import format_decimal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from privacycrm_desktop.domain.errors import DomainError, FieldProblem, ValidationFailed
from privacycrm_desktop.i18n import N_, _, babel_locale, describe_error, format_number, ngettext
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.post import PostResult, PostSelection
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.ui.common.saved_files import remember_folder, start_folder
from privacycrm_desktop.ui.common.widgets import ErrorLabel, show_problems
from privacycrm_desktop.ui.common.workers import Job, JobContext, ProgressPanel, run_in_background
from privacycrm_desktop.ui.common.workers import show_failure as show_unforeseen
from privacycrm_desktop.ui.transfer.export_dialog import SelectedContacts, selected_ids

#: The kind of file whose folder the save dialogs remember.
FOLDER_KIND = "post"


def millimetres(value: float) -> str:
    """A length in mm as the reader writes numbers: "63,5" in Dutch and French."""
    return str(format_decimal(value, format="#,##0.##", locale=babel_locale()))


class PostFormMixin(QDialog):
    """The frame of a labels or letter dialog; a subclass adds its own part and ``make``."""

    def __init__(
        self,
        services: Services,
        actor: Actor,
        selection: SelectedContacts | None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._services = services
        self._actor = actor
        self.selection = selection
        self.result_value: PostResult | None = None
        self.job: Job[PostResult] | None = None
        self.progress = ProgressPanel()
        count = selection.count if selection is not None else 0
        self.summary = QLabel(
            ngettext("{count} contact selected.", "{count} contacts selected.", count).format(
                count=format_number(count)
            )
        )
        self.summary.setWordWrap(True)
        self.errors = {name: ErrorLabel() for name in ("purpose", "recipient", "file")}
        self.general_error = ErrorLabel()
        self.purpose = QComboBox()
        self.purpose.addItem(_("No particular purpose"), "")
        for purpose in services.statements.purposes(actor):
            self.purpose.addItem(_(purpose.name), purpose.code)
        self.purpose_note = QLabel(
            _("With a marketing purpose only people who may receive marketing by post are in.")
        )
        self.purpose_note.setWordWrap(True)
        self.recipient = QLineEdit()
        self.recipient.setPlaceholderText(_("Empty when it is printed within the company"))
        self.file = QLineEdit(str(Path(start_folder(FOLDER_KIND)) / self.default_name()))
        browse = QPushButton(_("&Browse..."))
        browse.clicked.connect(self.choose_file)
        file_row = QHBoxLayout()
        file_row.setContentsMargins(0, 0, 0, 0)
        file_row.addWidget(self.file, 1)
        file_row.addWidget(browse)
        self.file_box = QWidget()
        self.file_box.setLayout(file_row)
        self.outcome = QLabel()
        self.outcome.setWordWrap(True)
        self.outcome.hide()
        self.left_out = QListWidget()
        self.left_out.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.make_button = QPushButton(_("&Save PDF"))
        self.make_button.setDefault(True)
        self.buttons.addButton(self.make_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.make_button.clicked.connect(self.make_pdf)
        self.buttons.rejected.connect(self.reject)

    def default_name(self) -> str:
        """The file name offered first."""
        return "post.pdf"

    def shared_form(self) -> QFormLayout:
        """Purpose, recipient and file, each with its error line."""
        form = QFormLayout()
        for text, field, error in (
            (_("&Purpose:"), self.purpose, "purpose"),
            (_("Printed &by:"), self.recipient, "recipient"),
            (_("F&ile:"), self.file_box, "file"),
        ):
            editor = QWidget()
            box = QVBoxLayout(editor)
            box.setContentsMargins(0, 0, 0, 0)
            box.setSpacing(2)
            box.addWidget(field)
            if field is self.purpose:
                box.addWidget(self.purpose_note)
            box.addWidget(self.errors[error])
            label = QLabel(text)
            label.setBuddy(self.file if field is self.file_box else field)
            form.addRow(label, editor)
        return form

    def finish_layout(self, middle: QWidget) -> None:
        """Lay the dialog out: summary, the subclass's part, the shared form, results."""
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(middle, 1)
        layout.addLayout(self.shared_form())
        layout.addWidget(self.general_error)
        layout.addWidget(self.progress)
        layout.addWidget(self.outcome)
        layout.addWidget(self.left_out)
        layout.addWidget(self.buttons)

    def choose_file(self) -> None:
        """Ask where to save the PDF."""
        name, _filter = QFileDialog.getSaveFileName(
            self, self.windowTitle(), self.file.text(), _("PDF files (*.pdf)")
        )
        if name:
            self.file.setText(name)

    def post_selection(self) -> Callable[[], PostSelection]:
        """The chosen people, purpose and recipient as the service takes them: read from
        the form now, the list's rows turned into ids when called (off the UI thread)."""
        services, actor, chosen = self._services, self._actor, self.selection
        purpose = str(self.purpose.currentData() or "")
        recipient = self.recipient.text()

        def selection() -> PostSelection:
            ids = None if chosen is None else selected_ids(services.contacts, actor, chosen)
            return PostSelection(contact_ids=ids, purpose=purpose, recipient=recipient)

        return selection

    def maker(self) -> Callable[[PostSelection, Path], PostResult]:
        """The service call that makes the PDF, with the form's values read now."""
        raise NotImplementedError

    def made_message(self, result: PostResult) -> str:
        """What was made, in a sentence."""
        raise NotImplementedError

    def make_pdf(self) -> Job[PostResult] | None:
        """Make the PDF off the UI thread; then show what was done and who was left out."""
        if self.job is not None:
            return None
        show_problems(self.errors, [], self.general_error)
        target = self.file.text().strip()
        if not target:
            problem = FieldProblem("file", N_("Choose where to save the file."))
            show_problems(self.errors, [problem], None)
            return None
        make, selection, out = self.maker(), self.post_selection(), Path(target).expanduser()

        def work(_context: JobContext) -> PostResult:
            return make(selection(), out)

        self.make_button.setEnabled(False)
        self.outcome.hide()
        self.left_out.hide()
        job = run_in_background(work, self._made, on_failure=self._failed, parent=self)
        self.job = job
        job.finished.connect(self._finished)
        self.progress.start(_("Making the PDF..."), job)
        return job

    def _finished(self) -> None:
        self.job = None
        self.make_button.setEnabled(True)

    def _failed(self, error: BaseException) -> None:
        if isinstance(error, ValidationFailed):
            show_problems(self.errors, error.problems, self.general_error)
        elif isinstance(error, DomainError):
            self.general_error.show_message(describe_error(error))
        else:
            show_unforeseen(self, error)

    def _made(self, result: PostResult) -> None:
        self.result_value = result
        remember_folder(FOLDER_KIND, result.path)
        self.outcome.setText(self.made_message(result))
        self.outcome.show()
        self.left_out.clear()
        for left in result.left_out:
            name = left.name or _("Contact no. {id}").format(id=left.contact_id)
            self.left_out.addItem(_("{name}: {reason}").format(name=name, reason=_(left.reason)))
        self.left_out.setVisible(bool(result.left_out))

    def done(self, result: int) -> None:
        """Closing lets a running job end without showing anything."""
        if self.job is not None:
            self.job.cancel()
        super().done(result)

    def left_out_sentence(self, result: PostResult) -> str:
        """ "3 left out:" when some were, else ""."""
        if not result.left_out:
            return ""
        count = len(result.left_out)
        return " " + ngettext("{count} person left out:", "{count} people left out:", count).format(
            count=format_number(count)
        )
