"""On a server where each user has a login role of their own, the owner's reset ends the
person's sessions: their window, whose connections the server ended and now refuses,
locks saying the password was reset, unlocks with the new password only, and follows the
other desks again (before, its old connections kept working until they closed)."""

from __future__ import annotations

import datetime as dt

import psycopg
import pytest
from pytestqt.qtbot import QtBot
from sqlalchemy.engine import make_url

from helpers.pg_users import NEEDS_SERVER, SAM_NEW_PASSWORD, SAM_PASSWORD, bar_over, server
from privacycrm_desktop.app import OwnRoleSignIn
from privacycrm_desktop.cli import main as cli
from privacycrm_desktop.domain.contacts import ContactInput
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.i18n import _
from privacycrm_desktop.persistence.postgres import roles
from privacycrm_desktop.ui.main_window import MainWindow

__all__ = ["server"]  # the fixture (helpers.pg_users)

pytestmark = NEEDS_SERVER

CARD = SourceInput(SourceKind.BUSINESS_CARD, "Batibouw 2025, stand 12", dt.date(2025, 2, 20))


def _sessions(admin: str, username: str) -> int:
    """How many server sessions *username*'s login role has open."""
    role = roles.login_role(make_url(admin).database or "", username)
    with psycopg.connect(admin, autocommit=True) as conn:
        row = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE usename = %s", (role,))
        return int(row.fetchone()[0])


def test_a_reset_locks_the_window_whose_sessions_it_ended(
    qtbot: QtBot, server: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    admin, desk = server
    door = OwnRoleSignIn(desk)
    sam = door.login("sam", SAM_PASSWORD)
    services = door.services
    assert services is not None
    window = MainWindow(services, sam)
    qtbot.addWidget(window)
    window.show()
    window.start_change_watch(poll_interval=0.1)
    watcher = window.change_watch
    assert watcher is not None
    qtbot.waitUntil(lambda: watcher.refreshes == 1, timeout=5000)
    try:
        monkeypatch.setenv("PRIVACYCRM_NEW_PASSWORD", SAM_NEW_PASSWORD)
        assert cli(["--db", admin, "--user", "owner", "user", "reset-password", "sam"]) == 0
        assert _sessions(admin, "sam") == 0  # the window's and its feed's: ended
        # What reads on a timer before the window locks meets the refused connection:
        # no exception in the event loop (the reminders' check raised it).
        if not window.locked:
            window.task_actions._reminded = None
            assert window.task_actions.check_reminders() == 0
        qtbot.waitUntil(lambda: window.locked, timeout=10000)
        screen = window.lock_screen
        assert screen.explanation.text() == _(
            "The owner reset your password on another desk. Enter your new password to go on."
        )
        screen.password.setText(SAM_PASSWORD)
        screen.try_unlock()
        assert window.locked
        bar_over(admin, "sam")  # the old password's sign-ins are over
        screen.password.setText(SAM_NEW_PASSWORD)
        screen.try_unlock()
        assert not window.locked
        assert window.model.rowCount() == 0
        qtbot.waitUntil(lambda: _sessions(admin, "sam") >= 1, timeout=10000)
        # The desk's connections (and its change feed) go on with the new password.
        own = OwnRoleSignIn(desk)
        owner = own.login("owner", "owner-password-long-1")
        assert own.services is not None
        aaron = ContactInput(first_name="Aaron", last_name="Aalst")
        own.services.contacts.create(owner, aaron, CARD)
        qtbot.waitUntil(lambda: window.model.rowCount() == 1, timeout=10000)
        assert not window.locked
        own.services.uow.engine.dispose()
    finally:
        window.close()
        services.uow.engine.dispose()


@pytest.mark.parametrize("language", ["en", "nl", "fr"])
def test_the_users_window_says_when_the_new_password_opens(
    qtbot: QtBot, server: tuple[str, str], language: str
) -> None:
    """On the user's own login role the new password waits for the reset's bar: the
    owner is told, not left to find the person's sign-in refused."""
    from privacycrm_desktop.ui.admin.user_admin import UserAdminDialog
    from privacycrm_desktop.ui.common.qt_i18n import apply_language

    from ..screens import save

    _admin_url, desk = server
    door = OwnRoleSignIn(desk)
    owner = door.login("owner", "owner-password-long-1")
    assert door.services is not None
    apply_language(language)
    try:
        dialog = UserAdminDialog(door.services.auth, owner)
        qtbot.addWidget(dialog)
        dialog.resize(1024, 600)
        dialog.show()
        dialog.select("sam")
        assert dialog.reset_selected(SAM_NEW_PASSWORD)
        assert dialog.note.isVisible()
        assert "sam" in dialog.note.text()
        assert any(str(seconds) in dialog.note.text() for seconds in range(3, 603))
        save(dialog, f"users-reset-wait-{language}", settle=True)
        dialog.select("owner")
        assert dialog.reset_selected("owner-new-password-long-5")
        assert dialog.note.isHidden()  # their own: this desk goes on at once
    finally:
        apply_language("en")
        door.services.uow.engine.dispose()
