"""The idle lock: a controlled clock, no sleeping; suspend counts as idle time."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction, QKeyEvent, QShortcut
from PySide6.QtWidgets import QDialog
from pytestqt.qtbot import QtBot

from privacycrm_desktop.domain.access import Role
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.ui.common import messages
from privacycrm_desktop.ui.contacts.contact_editor import ContactEditorDialog
from privacycrm_desktop.ui.main_window import MainWindow
from privacycrm_desktop.ui.startup.idle import IdleWatcher, ManualClock, SuspendAwareClock

OWNER_PASSWORD = "correct horse battery"
PASSWORD = "a staff member's password"
SHIFT = Qt.KeyboardModifier.ShiftModifier


def make_user(services: Services, owner: Actor, role: Role) -> Actor:
    services.auth.add_user(owner, role.value, PASSWORD, role)
    return services.auth.login(role.value, PASSWORD)


def test_the_default_clock_counts_suspend() -> None:
    clock = SuspendAwareClock()
    if hasattr(time, "CLOCK_BOOTTIME"):
        boot = time.clock_gettime(time.CLOCK_BOOTTIME)
        assert abs(clock.seconds() - boot) < 5
    readings = iter([100.0, 160.0])
    assert SuspendAwareClock(lambda: next(readings)).seconds() == 100.0


def test_watcher_fires_once_after_the_timeout(qtbot: QtBot) -> None:
    clock = ManualClock()
    fired: list[int] = []
    watcher = IdleWatcher(dt.timedelta(minutes=15), lambda: fired.append(1), clock)
    clock.advance(dt.timedelta(minutes=14, seconds=59))
    assert not watcher.check()
    # Activity resets the idle time.
    target = QObject()
    watcher.eventFilter(
        target, QKeyEvent(QEvent.Type.KeyPress, Qt.Key.Key_A, Qt.KeyboardModifier.NoModifier)
    )
    clock.advance(dt.timedelta(minutes=14))
    assert not watcher.check()
    # A suspended laptop: the clock jumps by an hour between two checks.
    clock.advance(dt.timedelta(hours=1))
    assert watcher.check()
    assert not watcher.check()  # once per idle spell
    assert fired == [1]
    watcher.touch()
    clock.advance(dt.timedelta(minutes=15))
    assert watcher.check()
    assert fired == [1, 1]


def _window(qtbot: QtBot, services: Services, actor: Actor, clock: ManualClock) -> MainWindow:
    window = MainWindow(services, actor, idle_clock=clock)
    qtbot.addWidget(window)
    window.show()
    window.start_idle_lock()
    return window


def test_window_locks_hides_data_and_unlocks(
    qtbot: QtBot, services: Services, owner: Actor
) -> None:
    clock = ManualClock()
    services.demo.generate(owner, 20, seed=2)
    window = _window(qtbot, services, owner, clock)
    window.search.setText("an")
    window.apply_search()
    assert window.model.rowCount() > 0
    clock.advance(dt.timedelta(minutes=15))
    assert window.idle.check()
    assert window.locked
    assert window.model.rowCount() == 0
    assert window.model.contact_at(0) is None
    assert window.search.text() == ""
    assert not window.menuBar().isEnabled()
    assert not window.new_action.isEnabled()
    window.lock_screen.password.setText("wrong password")
    window.lock_screen.try_unlock()
    assert window.locked
    # Only a password was asked for: no "user name" in the answer.
    assert window.lock_screen.error.text().startswith("Wrong password,")
    assert "user name" not in window.lock_screen.error.text()
    window.lock_screen.password.setText(OWNER_PASSWORD)
    window.lock_screen.try_unlock()
    assert not window.locked
    assert window.model.rowCount() == 20
    assert window.menuBar().isEnabled()
    window.close()


def _switches(window: MainWindow) -> list[QAction | QShortcut]:
    return [*window.findChildren(QAction), *window.findChildren(QShortcut)]


def _name(switch: QAction | QShortcut) -> str:
    if isinstance(switch, QAction):
        return f"{switch.text()!r} {switch.shortcut().toString()}"
    return f"shortcut {switch.key().toString()}"


@pytest.mark.parametrize("role", list(Role))
def test_lock_disables_every_action_and_shortcut_but_unlocking(
    qtbot: QtBot, services: Services, owner: Actor, role: Role
) -> None:
    services.demo.generate(owner, 5, seed=2)
    actor = owner if role is Role.OWNER else make_user(services, owner, role)
    window = _window(qtbot, services, actor, ManualClock())
    window.view.selectRow(0)
    before = {switch: switch.isEnabled() for switch in _switches(window)}
    assert window.companies_action in before  # a shortcut added by another module
    window.lock()
    # Unlocking needs only the lock screen's own; Quit leaves without showing anything.
    allowed = {window.quit_action, *window.lock_screen.findChildren(QAction)}
    enabled = [_name(s) for s in _switches(window) if s.isEnabled() and s not in allowed]
    assert enabled == []
    assert not window.menuBar().isEnabled()
    # Ctrl+Shift+K and the like reach nothing.
    opened: list[str] = []
    window.companies_action.triggered.connect(lambda: opened.append("companies"))
    qtbot.keyClick(window, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier | SHIFT)
    qtbot.keyRelease(window, Qt.Key.Key_Control)  # no modifier left held for later tests
    assert opened == []
    assert not any(d.isVisible() for d in window.findChildren(QDialog))
    window.lock_screen.password.setText(OWNER_PASSWORD if role is Role.OWNER else PASSWORD)
    window.lock_screen.try_unlock()
    assert not window.locked
    after = {switch: switch.isEnabled() for switch in _switches(window)}
    # As before, except what follows the (now empty) selection: export and the post.
    changed = {_name(s) for s in before if after.get(s) != before[s]}
    follows = [window.export_action]
    if window.post_actions is not None:
        follows += [window.post_actions.labels_action, window.post_actions.letter_action]
    assert changed <= {_name(a) for a in follows}
    assert window.statusBar().isEnabled()
    window.close()


def test_idle_time_comes_from_the_business_setting(
    qtbot: QtBot, services: Services, owner: Actor
) -> None:
    services.auth.set_idle_timeout(owner, 5)
    clock = ManualClock()
    window = _window(qtbot, services, owner, clock)
    clock.advance(dt.timedelta(minutes=4, seconds=59))
    assert not window.idle.check()
    clock.advance(dt.timedelta(seconds=1))
    assert window.idle.check()
    assert window.locked
    window.close()


def test_lock_closes_an_open_editor(qtbot: QtBot, services: Services, owner: Actor) -> None:
    clock = ManualClock()
    services.demo.generate(owner, 3, seed=2)
    window = _window(qtbot, services, owner, clock)
    row = window.model.contact_at(0)
    assert row is not None
    editor = ContactEditorDialog(services.contacts, owner, row.id, window)
    editor.show()
    assert editor.isVisible()
    window.lock()
    assert not editor.isVisible()
    window.close()


def test_a_changed_role_closes_the_window_on_unlock(
    qtbot: QtBot, services: Services, owner: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:

    shown: list[str] = []
    monkeypatch.setattr(messages, "information", lambda *a, **k: shown.append(a[2]))
    services.auth.add_user(owner, "anne", "another good password", Role.SALES)
    anne = services.auth.login("anne", "another good password")
    window = _window(qtbot, services, anne, ManualClock())
    window.lock()
    services.auth.change_role(owner, "anne", Role.OFFICE)
    window.lock_screen.password.setText("another good password")
    window.lock_screen.try_unlock()
    assert shown
    assert not window.isVisible()


def test_owner_sets_the_idle_time_from_the_menu(
    qtbot: QtBot, services: Services, owner: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtWidgets import QInputDialog

    monkeypatch.setattr(QInputDialog, "getInt", lambda *a, **k: (3, True))
    clock = ManualClock()
    window = _window(qtbot, services, owner, clock)
    assert window.idle_action in window.admin_menu.actions()
    window.ask_idle_time()
    assert services.auth.idle_timeout() == dt.timedelta(minutes=3)
    clock.advance(dt.timedelta(minutes=3))
    assert window.idle.check()
    window.close()
