"""User administration (owner only): add, deactivate, reactivate, reset password, change role.

The dialog calls ``AuthService`` only; refusals (such as demoting the last owner) appear
in its message line in the user's language.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import IntEnum
from typing import Any

from PySide6.QtCore import QObject, QSize, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
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

from privacycrm_desktop.domain.access import ROLE_LABELS, Role
from privacycrm_desktop.domain.errors import DomainError
from privacycrm_desktop.i18n import N_, _, describe_error
from privacycrm_desktop.services.auth import AuthService
from privacycrm_desktop.services.dto import Actor, UserInfo
from privacycrm_desktop.ui.common.rows_model import ROW_ROLE, RowsModel
from privacycrm_desktop.ui.common.widgets import ErrorLabel
from privacycrm_desktop.ui.common.window_size import size_window

USER_ROLE = ROW_ROLE


class UserColumn(IntEnum):
    """The user table's columns."""

    NAME = 0
    ROLE = 1
    ACTIVE = 2
    LOCKED = 3


USER_COLUMN_TITLES = {
    UserColumn.NAME: N_("User name"),
    UserColumn.ROLE: N_("Role"),
    UserColumn.ACTIVE: N_("Active"),
    UserColumn.LOCKED: N_("Locked"),
}


class UserTableModel(RowsModel[UserInfo]):
    """The users as the owner manages them; ``USER_ROLE`` gives a row's ``UserInfo``."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(USER_COLUMN_TITLES, parent)

    def user_at(self, row: int) -> UserInfo | None:
        """The user on *row*."""
        return self.row_at(row)

    def cell(self, row: UserInfo, column: int, role: int) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        shown = UserColumn(column)
        if shown is UserColumn.NAME:
            return row.username
        if shown is UserColumn.ROLE:
            return _(ROLE_LABELS[row.role])
        flag = row.active if shown is UserColumn.ACTIVE else row.locked
        return _("Yes") if flag else _("No")


def role_combo(current: Role = Role.OFFICE) -> QComboBox:
    """A choice of the roles, in the user's language."""
    combo = QComboBox()
    for role in Role:
        combo.addItem(_(ROLE_LABELS[role]), role.value)
    combo.setCurrentIndex(combo.findData(current.value))
    return combo


class UserFormDialog(QDialog):
    """Asks for what one administration step needs: name, role and/or a new password."""

    def __init__(
        self,
        title: str,
        *,
        name: bool = False,
        role: Role | None = None,
        password: bool = False,
        parent: QWidget | None = None,
        submit: Callable[[UserFormDialog], None] | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self._submit = submit
        form = QFormLayout()
        char = self.fontMetrics().averageCharWidth()
        self.name = QLineEdit()
        self.name.setMinimumWidth(char * 30)
        self.role = role_combo(role or Role.OFFICE)
        self.password = QLineEdit()
        self.password_again = QLineEdit()
        for edit in (self.password, self.password_again):
            edit.setEchoMode(QLineEdit.EchoMode.Password)
            edit.setMinimumWidth(char * 30)
        if name:
            form.addRow(_("&User name:"), self.name)
        if role is not None:
            form.addRow(_("&Role:"), self.role)
        if password:
            form.addRow(_("&Password:"), self.password)
            form.addRow(_("Password &again:"), self.password_again)
        self.error = ErrorLabel()
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self._check)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        size_window(self)

    def _check(self) -> None:
        if self.password.text() != self.password_again.text():
            self.error.show_message(_("The two passwords differ."))
            return
        if self._submit is not None:
            # Checked before closing: a refused password or name keeps what was typed.
            try:
                self._submit(self)
            except DomainError as exc:
                self.error.show_message(describe_error(exc))
                return
        self.accept()

    def chosen_role(self) -> Role:
        """The role picked."""
        return Role(str(self.role.currentData()))


class UserAdminDialog(QDialog):
    """The owner's list of users with the actions on the selected one."""

    #: The owner reset their own password: the actor with its new generation.
    signed_in_again = Signal(object)

    def __init__(self, auth: AuthService, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._auth = auth
        self._actor = actor
        self.setWindowTitle(_("Users"))
        self.model = UserTableModel(self)
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.verticalHeader().hide()
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.error = ErrorLabel()

        self.add_button = QPushButton(_("&Add user..."))
        self.deactivate_button = QPushButton(_("&Deactivate"))
        self.reactivate_button = QPushButton(_("Re&activate"))
        self.reset_button = QPushButton(_("&Reset password..."))
        self.role_button = QPushButton(_("Change &role..."))
        self.add_button.clicked.connect(self.ask_add)
        self.deactivate_button.clicked.connect(self.deactivate_selected)
        self.reactivate_button.clicked.connect(self.reactivate_selected)
        self.reset_button.clicked.connect(self.ask_reset_password)
        self.role_button.clicked.connect(self.ask_role)
        buttons = QVBoxLayout()
        for button in (
            self.add_button,
            self.deactivate_button,
            self.reactivate_button,
            self.reset_button,
            self.role_button,
        ):
            buttons.addWidget(button)
        buttons.addStretch(1)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)

        row = QHBoxLayout()
        row.addWidget(self.view, 1)
        row.addLayout(buttons)
        layout = QVBoxLayout(self)
        layout.addLayout(row, 1)
        layout.addWidget(self.error)
        # What the last change means beyond the list (not an error): a reset's wait.
        self.note = QLabel()
        self.note.setObjectName("user_admin_note")
        self.note.setWordWrap(True)
        self.note.setTextFormat(Qt.TextFormat.PlainText)
        self.note.hide()
        layout.addWidget(self.note)
        layout.addWidget(close)
        self.reload()
        self._fit()

    def _fit(self) -> None:
        self.view.resizeColumnsToContents()
        table = sum(self.view.columnWidth(c) for c in range(self.model.columnCount()))
        buttons = max(b.sizeHint().width() for b in self.findChildren(QPushButton))
        margin = self.fontMetrics().height()
        width = table + buttons + margin * 4
        size_window(self, QSize(width, self.fontMetrics().height() * 22))

    # -- reading ------------------------------------------------------------------------

    def reload(self) -> None:
        """Fetch the users again (keeps the selection on the same user name)."""
        selected = self.selected_user()
        self.model.set_rows(self._auth.list_users(self._actor))
        for row in range(self.model.rowCount()):
            user = self.model.user_at(row)
            if selected is not None and user is not None and user.username == selected.username:
                self.view.selectRow(row)

    def selected_user(self) -> UserInfo | None:
        """The user whose row is selected."""
        rows = self.view.selectionModel().selectedRows() if self.view.selectionModel() else []
        return self.model.user_at(rows[0].row()) if rows else None

    def select(self, username: str) -> None:
        """Select *username*'s row."""
        for row in range(self.model.rowCount()):
            user = self.model.user_at(row)
            if user is not None and user.username == username:
                self.view.selectRow(row)

    # -- acting -------------------------------------------------------------------------

    def _run(self, action: Callable[[], None]) -> bool:
        self.note.hide()
        try:
            action()
        except DomainError as exc:
            self.error.show_message(describe_error(exc))
            return False
        self.error.show_message("")
        self.reload()
        return True

    def add_user(self, name: str, role: Role, password: str) -> bool:
        """Create a user; False (with the reason shown) when refused."""

        def act() -> None:
            self._auth.add_user(self._actor, name, password, role)

        return self._run(act)

    def deactivate_selected(self) -> bool:
        """Deactivate the selected user."""
        user = self.selected_user()
        return user is not None and self._run(
            lambda: self._auth.deactivate_user(self._actor, user.username)
        )

    def reactivate_selected(self) -> bool:
        """Reactivate the selected user."""
        user = self.selected_user()
        return user is not None and self._run(
            lambda: self._auth.reactivate_user(self._actor, user.username)
        )

    def reset_selected(self, password: str) -> bool:
        """Give the selected user a new password; the owner's own goes on on this desk
        (``signed_in_again``), where another user's desks lock."""
        user = self.selected_user()

        def act() -> None:
            assert user is not None
            actor = self._auth.reset_password(self._actor, user.username, password)
            if actor != self._actor:
                self._actor = actor
                self.signed_in_again.emit(actor)

        if user is None or not self._run(act):
            return False
        wait = self._auth.new_password_wait(self._actor, user.username)
        if wait:
            # On a server with their own login role: sign-ins begun with the old password
            # must be over first (the reset's bar).
            self.note.setText(
                _("{user} can sign in with the new password in about {seconds} seconds.").format(
                    user=user.username, seconds=wait
                )
            )
            self.note.show()
        return True

    def change_selected_role(self, role: Role) -> bool:
        """Give the selected user another role."""
        user = self.selected_user()
        return user is not None and self._run(
            lambda: self._auth.change_role(self._actor, user.username, role)
        )

    def ask_add(self) -> None:
        """Ask for name, role and password, then add the user."""

        def add(form: UserFormDialog) -> None:
            self._auth.add_user(
                self._actor, form.name.text(), form.password.text(), form.chosen_role()
            )

        form = UserFormDialog(
            _("Add user"), name=True, role=Role.OFFICE, password=True, parent=self, submit=add
        )
        if form.exec() == QDialog.DialogCode.Accepted:
            self.error.show_message("")
            self.reload()
            self.select(form.name.text())

    def ask_reset_password(self) -> None:
        """Ask for a new password for the selected user."""
        user = self.selected_user()
        if user is None:
            return
        title = _("New password for {user}").format(user=user.username)
        form = UserFormDialog(title, password=True, parent=self)
        if form.exec() == QDialog.DialogCode.Accepted:
            self.reset_selected(form.password.text())

    def ask_role(self) -> None:
        """Ask for the selected user's new role."""
        user = self.selected_user()
        if user is None:
            return
        title = _("Role of {user}").format(user=user.username)
        form = UserFormDialog(title, role=user.role, parent=self)
        if form.exec() == QDialog.DialogCode.Accepted:
            self.change_selected_role(form.chosen_role())
