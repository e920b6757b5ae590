"""``privacycrm-cli`` run as a separate program, as a script or an administrator runs it.

``cli(db, *argv)`` starts it in a fresh interpreter (``python -m privacycrm_desktop.cli``,
or with ``installed=True`` the ``privacycrm-cli`` script next to this Python when there is
one) on database *db*, with the owner's password in ``PRIVACYCRM_PASSWORD`` and messages in
English; the end-to-end tests read its exit code, stdout and stderr. In-process runs
(``main(argv)`` with capsys) stay in each test file.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

#: The owner's password the tests set their databases up with.
PASSWORD = "owner-password-1"
#: The entry point pyproject.toml installs (``privacycrm_desktop.cli:main``).
SCRIPT = Path(sys.executable).with_name("privacycrm-cli")


def cli_command(*, installed: bool = False) -> list[str]:
    """The command that starts the CLI: the installed script (*installed*, where this
    environment has one), else ``python -m privacycrm_desktop.cli``."""
    if installed and SCRIPT.exists():
        return [str(SCRIPT)]
    return [sys.executable, "-m", "privacycrm_desktop.cli"]


def cli_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """This process's environment, the owner's password and English messages, then *extra*."""
    return {**os.environ, "PRIVACYCRM_PASSWORD": PASSWORD, "LANG": "C.UTF-8", **(extra or {})}


def cli_argv(db: Path | str, *argv: str, installed: bool = False) -> list[str]:
    """The command line of ``privacycrm-cli --db DB ARGV...``."""
    return [*cli_command(installed=installed), "--db", str(db), *argv]


def cli(
    db: Path | str,
    *argv: str,
    installed: bool = False,
    env: Mapping[str, str] | None = None,
    timeout: float = 120,
    preexec_fn: Callable[[], object] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``privacycrm-cli --db DB ARGV...`` to its end; never raises on its exit code.

    *env* adds to (or overrides) the environment of ``cli_env``; *preexec_fn* runs in the
    child before the program (a resource limit, dropped capabilities).
    """
    return subprocess.run(
        cli_argv(db, *argv, installed=installed),
        capture_output=True,
        text=True,
        env=cli_env(env),
        preexec_fn=preexec_fn,
        timeout=timeout,
        check=False,
    )
