"""Signing in: user name, password and the language of the interface."""

from __future__ import annotations

from typing import Protocol

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from privacycrm_desktop.domain.contacts import LANGUAGE_LABELS, Language
from privacycrm_desktop.domain.errors import DomainError
from privacycrm_desktop.i18n import LANGUAGES, _, current_language, describe_error
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.ui.common.widgets import ErrorLabel
from privacycrm_desktop.ui.common.window_size import size_window


def language_combo(current: str) -> QComboBox:
    """A choice of the interface languages, each named in its own language's msgid."""
    combo = QComboBox()
    for code in LANGUAGES:
        combo.addItem(_(LANGUAGE_LABELS[Language(code)]), code)
    combo.setCurrentIndex(max(0, combo.findData(current)))
    return combo


class SignIn(Protocol):
    """What checks the credentials: the auth service, or, on a shared server, a connection
    to it as the person's own role."""

    def login(self, username: str, password: str) -> Actor:
        """The signed-in actor; raises a DomainError saying why not."""
        ...


class LoginDialog(QDialog):
    """Ask for credentials until they are right or the user cancels; ``actor`` on success."""

    def __init__(self, auth: SignIn, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._auth = auth
        self.actor: Actor | None = None
        self.username = QLineEdit()
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        # A width in characters follows the font and the screen scaling.
        self.username.setMinimumWidth(self.fontMetrics().averageCharWidth() * 30)
        self.language = language_combo(current_language())
        self.error = ErrorLabel()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.sign_in)
        self.buttons.rejected.connect(self.reject)
        self.language.currentIndexChanged.connect(self._on_language)

        self.labels = [QLabel(), QLabel(), QLabel()]
        form = QFormLayout()
        for label, field in zip(
            self.labels, (self.username, self.password, self.language), strict=True
        ):
            label.setBuddy(field)
            form.addRow(label, field)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.retranslate()
        size_window(self)

    def retranslate(self) -> None:
        """Set every text in the current language."""
        self.setWindowTitle(_("Sign in to PrivacyCRM"))
        for label, text in zip(
            self.labels, (_("&User name:"), _("&Password:"), _("&Language:")), strict=True
        ):
            label.setText(text)
        for index, code in enumerate(LANGUAGES):
            self.language.setItemText(index, _(LANGUAGE_LABELS[Language(code)]))
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText(_("Sign in"))
        cancel = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        cancel.setText(_("Cancel"))

    def _on_language(self) -> None:
        from privacycrm_desktop.ui.common.qt_i18n import apply_language

        apply_language(self.selected_language())
        self.retranslate()

    def selected_language(self) -> str:
        """The interface language chosen."""
        return str(self.language.currentData())

    def sign_in(self) -> None:
        """Check the credentials; stay open with the one message if they are wrong."""
        try:
            self.actor = self._auth.login(self.username.text(), self.password.text())
        except DomainError as exc:
            self.error.show_message(describe_error(exc))
            self.password.clear()
            self.password.setFocus()
            return
        self.error.show_message("")
        self.accept()
