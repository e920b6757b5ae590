"""File > Database...: keep the data on this computer, or use the office's shared server.

The choice is saved for this computer (app and CLI alike, services/connection.py) and
takes effect at the next start, like the language. "Try the connection" connects once in
the background with the password typed here, which is used for that try only and never
saved.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from privacycrm_desktop.domain.errors import DomainError
from privacycrm_desktop.i18n import N_, _, describe_error
from privacycrm_desktop.services import connection
from privacycrm_desktop.ui.common import messages
from privacycrm_desktop.ui.common.mnemonics import assign_window_mnemonics
from privacycrm_desktop.ui.common.window_size import size_window
from privacycrm_desktop.ui.common.workers import JobContext, run_in_background

CANNOT_SAVE = N_(
    "The choice could not be saved: this computer's settings folder cannot be written."
)
RESTART_NOTICE = N_("The change takes effect when you restart PrivacyCRM.")
SERVER_HELP = N_(
    "Several desks share one PostgreSQL server; a database file on a network share would "
    "be damaged. Your administrator gives you these details. The password is not saved."
)


class DatabaseDialog(QDialog):
    """Choose where this computer's PrivacyCRM keeps its data."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Database"))
        current = connection.current_choice()
        self.local = QRadioButton(_("&This computer (a database file)"))
        self.server = QRadioButton(_("A &shared PostgreSQL server"))
        group = QButtonGroup(self)
        group.addButton(self.local)
        group.addButton(self.server)
        file_label = QLabel(connection.local_file())
        file_label.setWordWrap(True)
        file_label.setIndent(24)

        self.server_box = self._server_box(current)

        note = QLabel(_(RESTART_NOTICE))
        note.setWordWrap(True)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.local)
        layout.addWidget(file_label)
        layout.addWidget(self.server)
        layout.addWidget(self.server_box)
        layout.addWidget(note)
        layout.addWidget(buttons)

        (self.server if current else self.local).setChecked(True)
        self.server.toggled.connect(self._follow_choice)
        self._follow_choice(self.server.isChecked())
        assign_window_mnemonics(self)
        self.setMinimumWidth(self.fontMetrics().averageCharWidth() * 70)
        size_window(self)

    def _server_box(self, current: connection.ServerChoice | None) -> QGroupBox:
        """The server's details, enabled while the server is chosen."""
        self.host = QLineEdit(current.host if current else "")
        self.port = QSpinBox()
        self.port.setRange(1, 65535)
        self.port.setValue(current.port if current else connection.DEFAULT_PORT)
        self.database = QLineEdit(current.database if current else "privacycrm")
        self.user = QLineEdit(current.user if current else "")
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.try_button = QPushButton(_("T&ry the connection"))
        self.try_button.clicked.connect(self.try_connection)
        self.outcome = QLabel()
        self.outcome.setWordWrap(True)

        form = QFormLayout()
        for text, widget in (
            (_("Server &name or address:"), self.host),
            (_("&Port:"), self.port),
            (_("&Database:"), self.database),
            (_("&User name:"), self.user),
            (_("Pass&word (for trying only):"), self.password),
        ):
            label = QLabel(text)
            label.setBuddy(widget)
            form.addRow(label, widget)
        box = QGroupBox()
        box_layout = QVBoxLayout(box)
        help_text = QLabel(_(SERVER_HELP))
        help_text.setWordWrap(True)
        box_layout.addWidget(help_text)
        box_layout.addLayout(form)
        box_layout.addWidget(self.try_button)
        box_layout.addWidget(self.outcome)

        return box

    def _follow_choice(self, server: bool) -> None:
        self.server_box.setEnabled(server)

    def choice(self) -> connection.ServerChoice | None:
        """The server as typed, or None when this computer keeps the data."""
        if not self.server.isChecked():
            return None
        return connection.ServerChoice(
            self.host.text(), self.port.value(), self.database.text(), self.user.text()
        )

    def try_connection(self) -> None:
        """Connect once in the background; say how it went below the button."""
        choice = self.choice()
        if choice is None:
            return
        password = self.password.text()
        self.try_button.setEnabled(False)
        self.outcome.setText(_("Connecting..."))

        def work(_context: JobContext) -> None:
            connection.try_server(choice, password)

        def done(_result: None) -> None:
            self.try_button.setEnabled(True)
            self.outcome.setText(_("The connection works."))

        def failed(error: BaseException) -> None:
            self.try_button.setEnabled(True)
            if isinstance(error, DomainError):
                self.outcome.setText(describe_error(error))
            else:
                self.outcome.setText(_(connection.SERVER_UNREACHABLE))

        run_in_background(work, done, on_failure=failed, parent=self)

    def save(self) -> None:
        """Save the choice for the next start; a server needs its name and database."""
        try:
            connection.save_choice(self.choice())
        except DomainError as exc:  # which detail is missing
            messages.warning(self, _("Database"), describe_error(exc))
            return
        except OSError:
            messages.warning(self, _("Database"), _(CANNOT_SAVE))
            return
        self.accept()
