"""The marketing list builder, and the "Marketing" menu of the main window.

Choose a purpose, a channel and a product category: the dialog lists who may be reached
and why, counts those left out by reason, and exports the list as CSV for a named
recipient (logged). The menu also prints the register of processing and the short notice.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

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
    QMainWindow,
    QMenu,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from privacycrm_desktop.domain.access import Permission, has_permission
from privacycrm_desktop.domain.consent import CHANNEL_LABELS, Channel
from privacycrm_desktop.domain.errors import DomainError
from privacycrm_desktop.domain.fields import FIELDS_BY_NAME
from privacycrm_desktop.domain.marketing import REASON_LABELS, Reason
from privacycrm_desktop.i18n import _, describe_error, describe_explanation, ngettext
from privacycrm_desktop.services.consent_dto import MarketingList
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.ui.purposes_dialog import PurposesDialog
from privacycrm_desktop.ui.statement_dialog import StatementDialog
from privacycrm_desktop.ui.widgets import ErrorLabel

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


class MarketingListDialog(QDialog):
    """Build a marketing list and export it."""

    def __init__(self, services: Services, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._services = services
        self._actor = actor
        self.built: MarketingList | None = None
        self.setWindowTitle(_("Marketing list"))
        self.purpose = QComboBox()
        for purpose in services.statements.purposes(actor):
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
        form.addRow(_("Purpose:"), self.purpose)
        form.addRow(_("Channel:"), self.channel)
        form.addRow(_("Product category:"), self.category)
        form.addRow("", self.build_button)

        self.table = QTableWidget(0, 0)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.error = ErrorLabel()

        self.recipient = QLineEdit()
        self.recipient.setPlaceholderText(_("Who receives the file (empty: our own use)"))
        self.export_button = QPushButton(_("&Export as CSV..."))
        self.export_button.clicked.connect(self.export)
        self.export_button.setEnabled(False)
        self._may_export = has_permission(actor.role, Permission.EXPORT)
        export_row = QHBoxLayout()
        export_row.addWidget(QLabel(_("Recipient:")))
        export_row.addWidget(self.recipient, 1)
        export_row.addWidget(self.export_button)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.summary)
        layout.addLayout(export_row)
        layout.addWidget(buttons)
        self.resize(self.fontMetrics().averageCharWidth() * 150, 520)

    def _choice(self) -> tuple[str, Channel, str | None]:
        category = self.category.text().strip() or None
        return str(self.purpose.currentData()), Channel(self.channel.currentData()), category

    def build(self) -> None:
        """Build the list through the service and show it."""
        self.error.show_message("")
        purpose, channel, category = self._choice()
        try:
            result = self._services.marketing.build(self._actor, purpose, channel, category)
        except DomainError as exc:
            self.error.show_message(describe_error(exc))
            return
        self.built = result
        headers = [_(_COLUMN_LABELS[c]) for c in result.columns] + [_("Why")]
        self.table.clear()
        self.table.setColumnCount(len(headers))
        self.table.setHorizontalHeaderLabels(headers)
        self.table.setRowCount(len(result.entries))
        for row, entry in enumerate(result.entries):
            cells = [entry.values.get(c, "") for c in result.columns]
            cells.append(describe_explanation(entry.explanation))
            for column, value in enumerate(cells):
                self.table.setItem(row, column, QTableWidgetItem(value))
        lines = [
            ngettext(
                "{count} contact may be reached.",
                "{count} contacts may be reached.",
                len(result.entries),
            ).format(count=len(result.entries))
        ]
        for reason, count in result.excluded.items():
            lines.append(
                _("Left out: {reason}: {count}").format(
                    reason=_(REASON_LABELS[Reason(reason)]), count=count
                )
            )
        self.summary.setText("\n".join(lines))
        self.export_button.setEnabled(self._may_export and bool(result.entries))

    def export(self) -> None:
        """Ask where to save, then export the list as CSV (logged with its recipient)."""
        name, _filter = QFileDialog.getSaveFileName(
            self, _("Export as CSV"), "marketing.csv", _("CSV files (*.csv)")
        )
        if not name:
            return
        purpose, channel, category = self._choice()
        try:
            data, count = self._services.marketing.export_csv(
                self._actor, purpose, channel, category, self.recipient.text()
            )
        except DomainError as exc:
            self.error.show_message(describe_error(exc))
            return
        Path(name).write_bytes(data)
        self.summary.setText(
            self.summary.text()
            + "\n"
            + ngettext("{count} contact exported.", "{count} contacts exported.", count).format(
                count=count
            )
        )


def _save_pdf(window: QWidget, make: Callable[[], bytes], file_name: str) -> None:
    name, _filter = QFileDialog.getSaveFileName(window, _("Save PDF"), file_name, "PDF (*.pdf)")
    if not name:
        return
    try:
        data = make()
    except DomainError as exc:
        QMessageBox.warning(window, _("PrivacyCRM"), describe_error(exc))
        return
    Path(name).write_bytes(data)


def add_marketing_menu(window: QMainWindow, services: Services, actor: Actor) -> QMenu:
    """Add the "Marketing" menu: the list builder, the register and the short notice."""
    menu = window.menuBar().addMenu(_("&Marketing"))
    lists = menu.addAction(_("Marketing &list..."))
    lists.setEnabled(has_permission(actor.role, Permission.MARKETING_LISTS))
    lists.triggered.connect(lambda: MarketingListDialog(services, actor, window).exec())
    menu.addSeparator()
    languages = (("nl", _("Dutch")), ("fr", _("French")), ("en", _("English")))
    register = menu.addMenu(_("&Register of processing (PDF)"))
    register.setEnabled(has_permission(actor.role, Permission.EDIT_SETTINGS))
    purposes = menu.addAction(_("Register of &purposes..."))
    purposes.triggered.connect(lambda: PurposesDialog(services.statements, actor, window).exec())
    statement = menu.addAction(_("Privacy &statement..."))
    statement.triggered.connect(lambda: StatementDialog(services.statements, actor, window).exec())
    notice = menu.addMenu(_("Short privacy &notice (PDF)"))
    for code, label in languages:
        register.addAction(label).triggered.connect(
            lambda _checked=False, lang=code: _save_pdf(
                window,
                lambda: services.reports.processing_register(actor, lang),
                f"register-{lang}.pdf",
            )
        )
        notice.addAction(label).triggered.connect(
            lambda _checked=False, lang=code: _save_pdf(
                window, lambda: services.reports.short_notice(actor, lang), f"notice-{lang}.pdf"
            )
        )
    return menu
