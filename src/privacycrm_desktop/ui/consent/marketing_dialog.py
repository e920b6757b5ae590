"""The marketing list builder (the "Marketing" menu is in ``marketing_menu``).

Choose a purpose, a channel and a product category: the dialog lists who may be reached
and why, counts those left out by reason, and exports the list as CSV for a named
recipient (logged).

Building a list reads every contact (seconds on 50,000): it runs on a worker thread
(``ui.common.workers``) behind a progress bar with a Cancel button, so the window keeps
answering.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSize,
    Qt,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from privacycrm_desktop.domain.access import Permission, has_permission
from privacycrm_desktop.domain.consent import CHANNEL_LABELS, Channel
from privacycrm_desktop.domain.errors import DomainError
from privacycrm_desktop.domain.fields import FIELDS_BY_NAME
from privacycrm_desktop.domain.marketing import REASON_LABELS, Reason
from privacycrm_desktop.i18n import (
    _,
    describe_error,
    describe_explanation,
    format_number,
    language_name,
    ngettext,
)
from privacycrm_desktop.services.consent_dto import MarketingList
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.private_files import write_private
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.ui.common.widgets import ErrorLabel
from privacycrm_desktop.ui.common.window_size import size_window
from privacycrm_desktop.ui.common.workers import (
    Job,
    JobContext,
    ProgressPanel,
    run_in_background,
    show_failure,
)

_COLUMN_LABELS = {
    "first_name": FIELDS_BY_NAME["first_name"].label,
    "last_name": FIELDS_BY_NAME["last_name"].label,
    "organisation": FIELDS_BY_NAME["organisation"].label,
    "language": FIELDS_BY_NAME["language"].label,
    "email": "E-mail",
    "phone": "Phone",
    "street": FIELDS_BY_NAME["street"].label,
    "postcode": FIELDS_BY_NAME["postcode"].label,
    "city": FIELDS_BY_NAME["city"].label,
    "country": FIELDS_BY_NAME["country"].label,
}


_Index = QModelIndex | QPersistentModelIndex


class MarketingListModel(QAbstractTableModel):
    """The rows of a built list, read lazily: 50,000 entries make no 300,000 items."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.result: MarketingList | None = None
        self._headers: list[str] = []

    def set_list(self, result: MarketingList | None) -> None:
        """Show *result* (None: nothing)."""
        self.beginResetModel()
        self.result = result
        self._headers = (
            [_(_COLUMN_LABELS[c]) for c in result.columns] + [_("Why")] if result else []
        )
        self.endResetModel()

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        if parent.isValid() or self.result is None:
            return 0
        return len(self.result.entries)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._headers)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if (
            role != Qt.ItemDataRole.DisplayRole
            or self.result is None
            or not index.isValid()
            or index.row() >= len(self.result.entries)
        ):
            return None
        entry = self.result.entries[index.row()]
        columns = self.result.columns
        if index.column() < len(columns):
            value = entry.values.get(columns[index.column()], "")
            if columns[index.column()] == "language" and value:
                return language_name(value)  # "Nederlands", "néerlandais", not "nl"
            return value
        if index.column() == len(columns):
            return describe_explanation(entry.explanation)
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        if (
            role == Qt.ItemDataRole.DisplayRole
            and orientation is Qt.Orientation.Horizontal
            and 0 <= section < len(self._headers)
        ):
            return self._headers[section]
        return None


class MarketingListDialog(QDialog):
    """Build a marketing list and export it; both run off the UI thread."""

    def __init__(self, services: Services, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._services = services
        self._actor = actor
        self.built: MarketingList | None = None
        self.job: Job[object] | None = None
        self.setWindowTitle(_("Marketing list"))
        form = self._make_form()
        self.model = MarketingListModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setDefaultSectionSize(
            self.fontMetrics().averageCharWidth() * 18
        )
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.error = ErrorLabel()
        self.progress = ProgressPanel()

        self.recipient = QLineEdit()
        self.recipient.setPlaceholderText(_("Who receives the file (empty: our own use)"))
        self.export_button = QPushButton(_("&Export as CSV..."))
        self.export_button.clicked.connect(self.export)
        self.export_button.setEnabled(False)
        self._may_export = has_permission(actor.role, Permission.EXPORT)
        export_row = QHBoxLayout()
        recipient_label = QLabel(_("&Recipient:"))
        recipient_label.setBuddy(self.recipient)
        export_row.addWidget(recipient_label)
        export_row.addWidget(self.recipient, 1)
        export_row.addWidget(self.export_button)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.progress)
        layout.addWidget(self.summary)
        layout.addLayout(export_row)
        layout.addWidget(buttons)
        size_window(
            self,
            QSize(self.fontMetrics().averageCharWidth() * 150, self.fontMetrics().height() * 32),
        )

    def _make_form(self) -> QFormLayout:
        self.purpose = QComboBox()
        for purpose in self._services.statements.purposes(self._actor):
            if purpose.is_marketing:
                self.purpose.addItem(_(purpose.name), purpose.code)
        self.channel = QComboBox()
        for channel in Channel:
            self.channel.addItem(_(CHANNEL_LABELS[channel]), channel)
        self.category = QLineEdit()
        self.category.setPlaceholderText(_("For example: coffee machines"))
        self.build_button = QPushButton(_("&Build the list"))
        self.build_button.clicked.connect(self.build)
        form = QFormLayout()
        for text, field in (
            (_("&Purpose:"), self.purpose),
            (_("C&hannel:"), self.channel),
            (_("Product c&ategory:"), self.category),
        ):
            label = QLabel(text)
            label.setBuddy(field)
            form.addRow(label, field)
        form.addRow("", self.build_button)
        return form

    def _choice(self) -> tuple[str, Channel, str | None]:
        category = self.category.text().strip() or None
        return str(self.purpose.currentData()), Channel(self.channel.currentData()), category

    def _start(
        self,
        text: str,
        work: Callable[[JobContext], object],
        on_success: Callable[[object], None],
    ) -> Job[object]:
        self.error.show_message("")
        self.build_button.setEnabled(False)
        self.export_button.setEnabled(False)
        job = run_in_background(
            work,
            on_success,
            on_failure=self._failed,
            on_progress=self.progress.set_progress,
            on_cancelled=self._cancelled,
            parent=self,
        )
        self.job = job
        job.finished.connect(self._finished)
        self.progress.start(text, job)
        return job

    def _finished(self) -> None:
        self.job = None
        self.build_button.setEnabled(True)
        self.export_button.setEnabled(
            self._may_export and self.built is not None and bool(self.built.entries)
        )

    def _failed(self, error: BaseException) -> None:
        if isinstance(error, DomainError):
            self.error.show_message(describe_error(error))
        else:
            show_failure(self, error)

    def _cancelled(self) -> None:
        self.error.show_message(_("Stopped before the end; nothing was changed."))

    def build(self) -> Job[object] | None:
        """Build the list through the service, off the UI thread, and show it."""
        if self.job is not None:
            return None
        purpose, channel, category = self._choice()
        marketing, actor = self._services.marketing, self._actor

        def work(context: JobContext) -> MarketingList:
            return marketing.build(actor, purpose, channel, category, context.progress_or_cancel)

        self.built = None
        self.model.set_list(None)
        self.summary.setText("")
        return self._start(_("Building the list..."), work, self._show)

    def _show(self, built: object) -> None:
        assert isinstance(built, MarketingList)
        self.built = result = built
        self.model.set_list(result)
        lines = [
            ngettext(
                "{count} contact may be reached.",
                "{count} contacts may be reached.",
                len(result.entries),
            ).format(count=format_number(len(result.entries)))
        ]
        for reason, count in result.excluded.items():
            lines.append(
                _("Left out: {reason}: {count}").format(
                    reason=_(REASON_LABELS[Reason(reason)]), count=format_number(count)
                )
            )
        self.summary.setText("\n".join(lines))

    def export(self) -> Job[object] | None:
        """Ask where to save, then export the list as CSV (logged with its recipient)."""
        if self.job is not None:
            return None
        name, _filter = QFileDialog.getSaveFileName(
            self, _("Export as CSV"), "marketing.csv", _("CSV files (*.csv)")
        )
        if not name:
            return None
        purpose, channel, category = self._choice()
        marketing, actor, recipient = self._services.marketing, self._actor, self.recipient.text()

        def work(context: JobContext) -> int:
            data, count = marketing.export_csv(
                actor, purpose, channel, category, recipient, context.progress_or_cancel
            )
            write_private(name, data)
            return count

        return self._start(_("Exporting..."), work, self._exported)

    def _exported(self, count: object) -> None:
        assert isinstance(count, int)
        self.summary.setText(
            self.summary.text()
            + "\n"
            + ngettext("{count} contact exported.", "{count} contacts exported.", count).format(
                count=format_number(count)
            )
        )

    def done(self, result: int) -> None:
        """Closing stops a running build or export (an export stops before it is logged)."""
        if self.job is not None:
            self.job.cancel()
        super().done(result)
