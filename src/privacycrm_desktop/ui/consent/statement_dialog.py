"""The owner edits the privacy statement per language; each save is a new version (rule 2).

Consent records point at the version that was shown, so a published version never
changes: "Publish" always adds the next one.
"""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from privacycrm_desktop.domain.access import Permission, has_permission
from privacycrm_desktop.domain.errors import DomainError
from privacycrm_desktop.i18n import _, describe_error
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.statements import StatementService
from privacycrm_desktop.ui.common.widgets import ErrorLabel
from privacycrm_desktop.ui.common.window_size import size_window


class StatementDialog(QDialog):
    """Read the current privacy statement per language; the owner publishes a new version."""

    def __init__(
        self, statements: StatementService, actor: Actor, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._statements = statements
        self._actor = actor
        self.setWindowTitle(_("Privacy statement"))
        self.language = QComboBox()
        for code, label in (("nl", _("Dutch")), ("fr", _("French")), ("en", _("English"))):
            self.language.addItem(label, code)
        self.language.currentIndexChanged.connect(self.load)
        self.version = QLabel()
        self.text = QPlainTextEdit()
        self.text.setTabChangesFocus(True)
        self.error = ErrorLabel()
        self.publish_button = QPushButton(_("&Publish as a new version"))
        self.publish_button.clicked.connect(self.publish)
        may_edit = has_permission(actor.role, Permission.EDIT_SETTINGS)
        self.publish_button.setEnabled(may_edit)
        self.text.setReadOnly(not may_edit)
        hint = QLabel(
            _(
                "{company}, {address}, {privacy_email} and {authority} are filled in when "
                "the notice is printed."
            )
        )
        hint.setWordWrap(True)
        form = QFormLayout()
        form.addRow(_("Language:"), self.language)
        form.addRow(_("Current version:"), self.version)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.publish_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.text, 1)
        layout.addWidget(hint)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        size_window(self, QSize(self.fontMetrics().averageCharWidth() * 100, 560))
        self.load()

    def _code(self) -> str:
        return str(self.language.currentData())

    def load(self) -> None:
        """Show the newest version of the chosen language."""
        current = self._statements.current(self._code())
        self.version.setText(str(current.version))
        self.text.setPlainText(current.text)
        self.error.show_message("")

    def publish(self) -> None:
        """Publish the text as the next version of the chosen language."""
        try:
            version = self._statements.publish(self._actor, self._code(), self.text.toPlainText())
        except DomainError as exc:
            self.error.show_message(describe_error(exc))
            return
        self.version.setText(str(version))
