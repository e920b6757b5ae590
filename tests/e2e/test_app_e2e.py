"""The app's real start-up path on a temporary data folder: set up, add, restart, find."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from privacycrm_desktop import app, config
from privacycrm_desktop.domain.provenance import SourceKind
from privacycrm_desktop.ui.common.qt_i18n import apply_language
from privacycrm_desktop.ui.common.settings import UiSettings
from privacycrm_desktop.ui.contacts.contact_editor import ContactEditorDialog
from privacycrm_desktop.ui.contacts.contact_table_model import ROW_ROLE
from privacycrm_desktop.ui.startup.first_run_wizard import FirstRunWizard
from privacycrm_desktop.ui.startup.login_dialog import LoginDialog

#: The program runs in its own processes here and signs in with the real costs, so the
#: in-process parts keep them too (a cheap hash would be rehashed at the first sign-in).
pytestmark = pytest.mark.real_key_costs

PASSWORD = "a long enough password"


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("PRIVACYCRM_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("PRIVACYCRM_DB", raising=False)
    monkeypatch.delenv("PRIVACYCRM_USER", raising=False)
    monkeypatch.delenv("PRIVACYCRM_PASSWORD", raising=False)
    yield tmp_path / "data"
    apply_language("en")


def later(callback: object) -> None:
    """Run *callback* once the next modal dialog is up."""
    QTimer.singleShot(0, callback)


def test_set_up_add_restart_and_find(qtbot: QtBot, data_dir: Path, tmp_path: Path) -> None:
    settings = UiSettings(QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat))
    database = app.parse_args([]).db
    assert database == str(data_dir / config.DB_FILE_NAME)

    # First start: the wizard.
    services = app.build_services(database)

    def complete_wizard() -> None:
        wizard = QApplication.activeModalWidget()
        assert isinstance(wizard, FirstRunWizard)
        wizard.language_page.language.setCurrentIndex(wizard.language_page.language.findData("en"))
        wizard.next()
        wizard.company_page.name.setText("Acme BV")
        wizard.company_page.address.setText("Kerkstraat 1, 9000 Gent")
        wizard.next()
        wizard.owner_page.username.setText("owner")
        wizard.owner_page.password.setText(PASSWORD)
        wizard.owner_page.password_again.setText(PASSWORD)
        wizard.accept()

    later(complete_wizard)
    actor = app.sign_in(services, settings)
    assert actor is not None
    assert actor.username == "owner"
    window = app.create_window(services, actor, settings)
    qtbot.addWidget(window)
    window.show()

    def add_contact() -> None:
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, ContactEditorDialog)
        dialog.editors["first_name"].setText("Zoë")
        dialog.editors["last_name"].setText("Dupont")
        dialog.editors["city"].setText("Liège")
        dialog.source_kind.setCurrentIndex(dialog.source_kind.findData(SourceKind.EVENT))
        dialog.source_description.setText("Met at the Liège wine fair")
        dialog.save()

    later(add_contact)
    window.new_action.trigger()
    assert window.model.rowCount() == 1
    window.close()

    # Restart: a fresh engine and services on the same file, the login dialog this time.
    services = app.build_services(app.parse_args([]).db)

    def log_in() -> None:
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, LoginDialog)
        dialog.username.setText("owner")
        dialog.password.setText(PASSWORD)
        dialog.sign_in()

    later(log_in)
    actor = app.sign_in(services, settings)
    assert actor is not None
    window = app.create_window(services, actor, settings)
    qtbot.addWidget(window)
    window.show()
    window.search.setText("liege")
    qtbot.waitUntil(lambda: window.model.query == "liege", timeout=2000)
    assert window.model.rowCount() == 1
    row = window.model.index(0, 0).data(ROW_ROLE)
    assert row.name == "Dupont, Zoë"
    assert row.city == "Liège"
    detail = services.contacts.get(actor, row.id)
    assert detail.provenance["city"].description == "Met at the Liège wine fair"


@pytest.mark.parametrize("contacts", [50, 0])
def test_bench_paint_hook_with_env_sign_in(tmp_path: Path, contacts: int) -> None:
    """The packaged entry point starts, signs in from the environment, paints and quits;
    on an empty database too (the list's place then shows a sentence, not the table)."""
    from privacycrm_desktop.persistence.database import create_engine_for
    from privacycrm_desktop.persistence.migrate import migrate
    from privacycrm_desktop.services.registry import Services
    from privacycrm_desktop.services.setup import CompanyInput

    database = tmp_path / "bench.db"
    engine = create_engine_for(database)
    migrate(engine)
    services = Services.build(engine)
    owner = services.setup.initialise(CompanyInput("Acme BV", "Gent"), "owner", PASSWORD)
    if contacts:
        services.demo.generate(owner, contacts, seed=1)
    engine.dispose()
    env = dict(
        os.environ,
        QT_QPA_PLATFORM="offscreen",
        PRIVACYCRM_USER="owner",
        PRIVACYCRM_PASSWORD=PASSWORD,
        PRIVACYCRM_BENCH_PAINT="1",
        XDG_CONFIG_HOME=str(tmp_path / "config"),
    )
    result = subprocess.run(
        [sys.executable, "-m", "privacycrm_desktop", "--db", str(database)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    lines = dict(line.split(" ", 1) for line in result.stdout.splitlines())
    assert float(lines["first_paint"]) > 0
    assert 0 < float(lines["cpu_s"]) < 60
    assert int(lines["rss_kb"]) > 0


#: Code the first paint of the list does not need: backups and restores, the contact
#: editor, Alembic and the migrations (one SELECT says the schema is current), PDF reports,
#: the erasure code (a pending scrub is looked at after the paint), the custom fields'
#: dialog, the server's grants on a SQLite file, the e-mail validator, the card's list of
#: interactions (made right after the paint), the tasks' queries and model (the reminders
#: start after the paint), the Marketing menu's dialogs, the access report's dialog,
#: Babel (the count's whole number is grouped without its locale data), SQLAlchemy's
#: PostgreSQL dialect on SQLite, saving a contact (and the consent, retention and
#: interactions code it brings), the companies' and merges' tables and
#: services, the editor's companies-and-tags section, the card's consent verdicts. Each is
#: imported when first used (issue 23: start-up near the floor).
NOT_BEFORE_PAINT = (
    "babel",
    "sqlalchemy.dialects.postgresql",
    "privacycrm_desktop.services.contact_saving",
    "privacycrm_desktop.services.consent",
    "privacycrm_desktop.services.retention",
    "privacycrm_desktop.persistence.activity_models",
    "privacycrm_desktop.persistence.company_models",
    "privacycrm_desktop.persistence.merge_models",
    "privacycrm_desktop.services.companies",
    "privacycrm_desktop.services.company_links",
    "privacycrm_desktop.ui.contacts.links_section",
    "privacycrm_desktop.services.consent_dto",
    "privacycrm_desktop.services.backup",
    "privacycrm_desktop.ui.contacts.contact_editor",
    "alembic",
    "privacycrm_desktop.persistence.migrations",
    "privacycrm_desktop.ui.startup.upgrade_progress",
    "reportlab",
    "privacycrm_desktop.reports",
    "privacycrm_desktop.services.erasure",
    "privacycrm_desktop.services.erasure_batch",
    "privacycrm_desktop.persistence.page_scrub",
    "privacycrm_desktop.ui.admin.custom_fields_dialog",
    "privacycrm_desktop.persistence.postgres.grants",
    "email_validator",
    "privacycrm_desktop.ui.contacts.timeline",
    "privacycrm_desktop.services.activities",
    "privacycrm_desktop.services.tasks",
    "privacycrm_desktop.services.my_day",
    "privacycrm_desktop.persistence.task_models",
    "privacycrm_desktop.ui.consent.marketing_dialog",
    "privacycrm_desktop.ui.consent.purposes_dialog",
    "privacycrm_desktop.ui.consent.statement_dialog",
    "privacycrm_desktop.ui.requests.access_report_dialog",
    # Only a migration writes their triggers; the marketing list reads them.
    "privacycrm_desktop.persistence.contact_digests",
    "privacycrm_desktop.persistence.digest_models",
    # The tables no screen needs to open (special categories, holds, disclosures...).
    "privacycrm_desktop.persistence.record_models",
    # The backup code: the start needs only its names (persistence/backup_names.py).
    "privacycrm_desktop.persistence.backup",
    # The file dialogs: a PDF saved from the Marketing menu.
    "privacycrm_desktop.ui.common.saved_files",
)


def _start_to_first_paint(tmp_path: Path, before: str, after: str) -> str:
    """Start the app (``app.run``) on a small database until its first paint, where it
    quits; *before* and *after* are Python lines run around it. Its output."""
    from privacycrm_desktop.persistence.database import create_engine_for
    from privacycrm_desktop.persistence.migrate import migrate
    from privacycrm_desktop.services.registry import Services
    from privacycrm_desktop.services.setup import CompanyInput

    database = tmp_path / "start.db"
    engine = create_engine_for(database)
    migrate(engine)
    services = Services.build(engine)
    owner = services.setup.initialise(CompanyInput("Acme BV", "Gent"), "owner", PASSWORD)
    services.demo.generate(owner, 20, seed=2)
    engine.dispose()
    env = dict(
        os.environ,
        QT_QPA_PLATFORM="offscreen",
        PRIVACYCRM_USER="owner",
        PRIVACYCRM_PASSWORD=PASSWORD,
        PRIVACYCRM_BENCH_PAINT="1",
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        PRIVACYCRM_DATA_DIR=str(tmp_path / "data"),
    )
    script = (
        "import sys\n"
        f"{before}\n"
        "from privacycrm_desktop import app\n"
        f"code = app.run(['privacycrm', '--db', {str(database)!r}])\n"
        f"{after}\n"
        "sys.exit(code)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "first_paint" in result.stdout
    return result.stdout


def test_the_first_paint_imports_nothing_it_does_not_need(tmp_path: Path) -> None:
    # The app quits at its first paint; what it imported by then is in sys.modules.
    output = _start_to_first_paint(
        tmp_path, "", f"print('loaded', [m for m in {NOT_BEFORE_PAINT!r} if m in sys.modules])"
    )
    assert "loaded []" in output, output


def test_no_cycle_collection_runs_before_the_first_paint(tmp_path: Path) -> None:
    """The collector's passes over what the start makes cost ~35 ms of CPU before the
    paint (issue 23); the UI thread's collector begins after it (tests/ui/test_main_thread_gc)."""
    output = _start_to_first_paint(
        tmp_path,
        "import gc\n"
        "passes, at_paint = [], []\n"
        "gc.callbacks.append(lambda phase, info: phase == 'start' and passes.append(info))\n"
        "from privacycrm_desktop import app as started\n"
        "report = started.report_first_paint\n"
        "started.report_first_paint = lambda qt: (at_paint.append(len(passes)), report(qt))\n"
        "passes.clear()  # those of this script's imports",
        "print('passes before the paint', at_paint)",
    )
    assert "passes before the paint [0]" in output, output
