"""Issue 23: the main window's modules are imported while the sign-in waits (on the password
check's thread, or on the person typing into the login dialog), not after it."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from privacycrm_desktop import app
from privacycrm_desktop.domain.access import Role
from privacycrm_desktop.domain.errors import AuthenticationFailed
from privacycrm_desktop.services.dto import Actor

PASSWORD = "a long enough password"


def test_the_sign_in_runs_on_a_thread_while_the_window_is_imported() -> None:
    ran_on: list[str] = []
    actor = Actor(1, "owner", Role.OWNER)  # no database here: what login gives comes back

    def login() -> Actor:
        ran_on.append(threading.current_thread().name)
        return actor

    assert app._while_importing_the_window(login) is actor
    assert ran_on == ["sign-in"]
    assert "privacycrm_desktop.ui.main_window" in sys.modules


def test_a_refused_sign_in_is_raised_to_the_caller() -> None:
    def login() -> Actor:
        raise AuthenticationFailed

    with pytest.raises(AuthenticationFailed):
        app._while_importing_the_window(login)


def test_the_window_is_imported_while_the_login_dialog_waits(tmp_path: Path) -> None:
    """Without credentials in the environment the login dialog asks; while it waits, the
    main window's modules are imported (the person then leaves: the app ends)."""
    from privacycrm_desktop.persistence.database import create_engine_for
    from privacycrm_desktop.persistence.migrate import migrate
    from privacycrm_desktop.services.registry import Services
    from privacycrm_desktop.services.setup import CompanyInput

    database = tmp_path / "start.db"
    engine = create_engine_for(database)
    migrate(engine)
    Services.build(engine).setup.initialise(CompanyInput("Acme BV", "Gent"), "owner", PASSWORD)
    engine.dispose()
    env = {
        k: v for k, v in os.environ.items() if k not in ("PRIVACYCRM_USER", "PRIVACYCRM_PASSWORD")
    }
    env.update(
        QT_QPA_PLATFORM="offscreen",
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        PRIVACYCRM_DATA_DIR=str(tmp_path / "data"),
    )
    script = (
        "import sys\n"
        "from PySide6.QtCore import QCoreApplication\n"
        "from privacycrm_desktop import app\n"
        "from privacycrm_desktop.ui.startup.login_dialog import LoginDialog\n"
        "seen = []\n"
        "def waits(dialog):\n"
        "    QCoreApplication.processEvents()\n"
        "    seen.append('privacycrm_desktop.ui.main_window' in sys.modules)\n"
        "    return 0\n"
        "LoginDialog.exec = waits\n"
        f"code = app.run(['privacycrm', '--db', {str(database)!r}])\n"
        "print('exit', code, 'window imported while waiting', seen)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert "exit 1 window imported while waiting [True]" in result.stdout, result.stderr
