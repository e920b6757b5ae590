"""``privacycrm-cli contacts list`` starts without the desktop's or other commands' code
(issue 23: start-up near the floor; the CLI is timed with its start in bench/)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from helpers.cli import PASSWORD, cli_env

pytestmark = pytest.mark.sqlite_only

#: Not needed to list contacts: Qt, PDF reports, Alembic (one SELECT says the schema is
#: current), the cleanup (imported by ``cleanup`` when it runs), the backup package.
NOT_FOR_A_LIST = (
    "PySide6",
    "reportlab",
    "alembic",
    "privacycrm_desktop.ui",
    "privacycrm_desktop.services.cleanup",
    "privacycrm_desktop.services.backup",
)


def test_a_plain_list_imports_no_qt_no_reports_no_cleanup(tmp_path: Path) -> None:
    from privacycrm_desktop.persistence.database import create_engine_for
    from privacycrm_desktop.persistence.migrate import migrate
    from privacycrm_desktop.services.registry import Services
    from privacycrm_desktop.services.setup import CompanyInput

    database = tmp_path / "list.db"
    engine = create_engine_for(database)
    migrate(engine)
    services = Services.build(engine)
    owner = services.setup.initialise(CompanyInput("Acme BV", "Gent"), "owner", PASSWORD)
    services.demo.generate(owner, 20, seed=4)
    engine.dispose()
    script = (
        "import sys\n"
        "from privacycrm_desktop.cli import main\n"
        f"code = main(['--db', {str(database)!r}, '--user', 'owner', 'contacts', 'list'])\n"
        f"print('loaded', [m for m in {NOT_FOR_A_LIST!r} if m in sys.modules])\n"
        "sys.exit(code)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        env=cli_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) > 20  # the contacts, then the modules line
    assert result.stdout.splitlines()[-1] == "loaded []"
