"""What the main window shows while locked: no personal data, only a password field."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from privacycrm_desktop.domain.errors import AuthenticationFailed, DomainError
from privacycrm_desktop.i18n import _, describe_error
from privacycrm_desktop.services.auth import AuthService
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.ui.common.widgets import ErrorLabel


class LockScreen(QWidget):
    """Asks the signed-in user's password again; emits ``unlocked`` with the fresh actor."""

    unlocked = Signal(object)

    def __init__(self, auth: AuthService, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._auth = auth
        self._actor = actor
        self.title = QLabel(_("PrivacyCRM is locked"))
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.4)
        font.setBold(True)
        self.title.setFont(font)
        self.explanation = QLabel(self.idle_text())
        self.explanation.setWordWrap(True)
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setMinimumWidth(self.fontMetrics().averageCharWidth() * 30)
        self.password.returnPressed.connect(self.try_unlock)
        self.error = ErrorLabel()
        self.button = QPushButton(_("&Unlock"))
        self.button.clicked.connect(self.try_unlock)
        form = QFormLayout()
        label = QLabel(_("&Password for {user}:").format(user=actor.username))
        label.setBuddy(self.password)
        form.addRow(label, self.password)

        box = QWidget()
        # A fixed width lets the wrapped texts take the height they need.
        box.setFixedWidth(self.fontMetrics().averageCharWidth() * 70)
        inner = QVBoxLayout(box)
        inner.addWidget(self.title)
        inner.addWidget(self.explanation)
        inner.addLayout(form)
        inner.addWidget(self.error)
        inner.addWidget(self.button, 0, Qt.AlignmentFlag.AlignRight)
        # Stretches rather than an alignment flag: aligned widgets get their plain size
        # hint, which ignores the height wrapped text needs at the given width.
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(box)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addLayout(row)
        layout.addStretch(2)

    @staticmethod
    def idle_text() -> str:
        """Why the window is locked, the usual way: nobody used it for a while."""
        return _(
            "The window was locked after a period without activity. Enter your password to go on."
        )

    def reset(self, why: str | None = None) -> None:
        """Empty the field and the message, ready for the next lock; *why* says why the
        window locked (by default: a period without activity)."""
        self.explanation.setText(why or self.idle_text())
        self.password.clear()
        self.error.show_message("")
        self.password.setFocus()

    def try_unlock(self) -> None:
        """Check the password; stay locked with the message when it is wrong."""
        try:
            actor = self._auth.unlock(self._actor, self.password.text())
        except AuthenticationFailed:
            # Only the password was asked for: the sign-in's "user name or password" would
            # send the person looking for a user name field. A user the owner deactivated
            # meanwhile gives the right password in vain: the sentence names that too.
            self.password.clear()
            self.error.show_message(
                _(
                    "Wrong password, or the account is blocked or no longer active. After "
                    "too many wrong tries the account is blocked for a while."
                )
            )
            return
        except DomainError as exc:
            self.password.clear()
            self.error.show_message(describe_error(exc))
            return
        self.reset()
        self.unlocked.emit(actor)
