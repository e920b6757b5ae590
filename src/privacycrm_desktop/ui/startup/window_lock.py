"""The main window's lock: the lock screen in the list's place until the password is
given again, and the actor the window goes on with after it. A mixin of ``MainWindow``.

The idle lock hides the open dialogs; a lock for a change on another desk (a changed
role, a deactivated account, a reset password: ``ChangeWatcher``) closes them unsaved
(lock_switches.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from PySide6.QtGui import QAction, QShortcut
from PySide6.QtWidgets import QDialog, QLineEdit, QMainWindow, QStackedWidget

from privacycrm_desktop.i18n import _
from privacycrm_desktop.ui.common import messages
from privacycrm_desktop.ui.startup import lock_switches as locks

if TYPE_CHECKING:
    from PySide6.QtCore import QTimer

    from privacycrm_desktop.services.dto import Actor
    from privacycrm_desktop.ui.startup.idle import IdleWatcher
    from privacycrm_desktop.ui.startup.lock_screen import LockScreen


class _ListModel(Protocol):
    """What the lock does with the contact list's model (described, not imported: the
    features stay apart)."""

    def clear(self) -> None: ...

    def set_query(self, text: str) -> None: ...

    def refresh(self) -> None: ...


class _ChangeWatch(Protocol):
    """The watch of other desks' changes, told whom to check."""

    def signed_in_as(self, actor: Actor) -> None: ...


class WindowLockMixin:
    """Locks and unlocks a window whose ``pages`` hold the list and ``lock_screen``."""

    _actor: Actor
    _before_lock: dict[locks.Switch, bool]
    _hidden_by_lock: list[QDialog]
    lock_screen: LockScreen
    pages: QStackedWidget
    search_timer: QTimer
    search: QLineEdit
    model: _ListModel
    idle: IdleWatcher
    quit_action: QAction
    change_watch: _ChangeWatch | None

    def _update_export_action(self) -> None:
        raise NotImplementedError

    def _window(self) -> QMainWindow:
        assert isinstance(self, QMainWindow)
        return self

    @property
    def locked(self) -> bool:
        """True while the lock screen shows."""
        return self.pages.currentWidget() is self.lock_screen

    def lock(self, why: str | None = None) -> None:
        """Hide every personal datum and ask for the password again; *why* tells the
        person why (by default: a period without activity)."""
        window = self._window()
        if self.locked:
            if why is not None:  # access changed while the idle lock shows
                locks.close_dialogs(window, self._hidden_by_lock)
                self._hidden_by_lock = []
            return
        # Open dialogs hold personal data: hidden, or closed unsaved (lock_switches.py).
        if why is None:
            self._hidden_by_lock = locks.hide_dialogs(window)
        else:
            locks.close_dialogs(window)
        self.search_timer.stop()
        self.search.blockSignals(True)
        self.search.clear()
        self.search.blockSignals(False)
        self.model.clear()
        self._before_lock = locks.switch_off_all_but(window, self.unlocking_actions())
        self.pages.setCurrentWidget(self.lock_screen)
        self.lock_screen.reset(why)

    def unlocking_actions(self) -> list[QAction | QShortcut]:
        """What stays usable while locked: the lock screen's own, and Quit."""
        own: list[QAction | QShortcut] = [*self.lock_screen.findChildren(QAction)]
        own += self.lock_screen.findChildren(QShortcut)
        return [*own, self.quit_action]

    def unlock(self, actor: Actor) -> None:
        """Back to the list once the password was right."""
        window = self._window()
        if actor.role is not self._actor.role:
            # The owner changed this user's role meanwhile: menus and columns differ.
            messages.information(
                window, _("PrivacyCRM"), _("Your role was changed; start PrivacyCRM again.")
            )
            window.close()
            return
        self.signed_in_again(actor)
        locks.switch_back(self._before_lock)
        locks.show_dialogs(self._hidden_by_lock)
        self._hidden_by_lock = []
        self._update_export_action()  # the selection went with the list
        self.model.set_query("")
        self.model.refresh()
        self.pages.setCurrentIndex(0)
        self.idle.touch()
        self.search.setFocus()

    def signed_in_again(self, actor: Actor) -> None:
        """Go on as *actor*: the same user, signed in again (a new password after a reset,
        given at the unlock, or their own password reset on this desk). The watch of other
        desks' changes checks against it, or it would lock again at the next change."""
        self._actor = actor
        if self.change_watch is not None:
            self.change_watch.signed_in_as(actor)
