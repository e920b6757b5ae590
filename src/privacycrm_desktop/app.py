"""The desktop app's composition root: database, services, then the Qt windows.

``main()`` is the ``privacycrm`` entry point. Start-up is kept light: Alembic is imported
only when a migration is due, and the heavy validators load on first use.

Environment:
    PRIVACYCRM_USER, PRIVACYCRM_PASSWORD: sign in with these, without the dialog.
    PRIVACYCRM_BENCH_PAINT=1: print ``first_paint <s>``, ``cpu_s <s>`` and ``rss_kb <kB>``
        once the contact list first paints, then quit (start-up benchmark). ``T_LAUNCH`` (a
        ``time.time()`` value) is the launch moment, else the process start.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication

    from privacycrm_desktop.services.dto import Actor
    from privacycrm_desktop.services.registry import Services
    from privacycrm_desktop.ui.common.main_thread_gc import MainThreadCollector
    from privacycrm_desktop.ui.common.settings import UiSettings
    from privacycrm_desktop.ui.main_window import MainWindow
    from privacycrm_desktop.ui.startup.login_dialog import SignIn

_PROCESS_START = time.time()
#: Milliseconds after the window shows before it starts following other desks.
CHANGE_WATCH_DELAY_MS = 500


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    """The command line: ``--db PATH_OR_URL``."""
    from privacycrm_desktop import config
    from privacycrm_desktop.i18n import _

    parser = argparse.ArgumentParser(prog="privacycrm", description="PrivacyCRM Desktop")
    parser.add_argument("--db", default=None, help=_("database file or URL"))
    parser.add_argument(
        "--self-test", action="store_true", help=_("check this installation works, then exit")
    )
    args, _qt_args = parser.parse_known_args(list(argv))
    if args.db is None:
        args.db = config.default_database()
    return args


def build_services(
    database: str, updating: Callable[[Callable[[], bool]], bool] | None = None
) -> Services:
    """Open (and migrate) the database and wire the services to it. *updating*, when
    given, runs a due schema update (the window's ``run_with_progress``); by default it
    runs here."""
    from privacycrm_desktop.persistence.database import create_engine_for
    from privacycrm_desktop.persistence.migrate import HEAD_REVISION, current_revision, migrate
    from privacycrm_desktop.persistence.storage_errors import raise_storage_error
    from privacycrm_desktop.persistence.storage_health import probe_read
    from privacycrm_desktop.services.registry import Services

    engine = create_engine_for(database)
    try:
        probe_read(engine)
        if updating is not None and current_revision(engine) != HEAD_REVISION:
            updating(lambda: migrate(engine))
        else:
            migrate(engine)
    except Exception as exc:
        # A damaged, locked, read-only or full file: a StorageError the start-up explains.
        engine.dispose()
        raise_storage_error(exc)
        raise
    services = Services.build(engine)
    # Imports a killed process left "running" are closed and audited; a file
    # that cannot be written now is tried again at the next start.
    from sqlalchemy.exc import SQLAlchemyError

    from privacycrm_desktop.domain.errors import StorageError
    from privacycrm_desktop.persistence.job_lock import has_running_batches

    with contextlib.suppress(StorageError, SQLAlchemyError):
        if has_running_batches(engine):
            services.imports.close_interrupted()
    _take_back_audit_events(services)
    return services


#: How often the app tries again to write the audit events a sign-in or a read deferred
#: while the database could not be written.
DEFERRED_AUDIT_RETRY_MS = 15_000


def _spool_key(services: Services) -> tuple[Path, str]:
    from privacycrm_desktop.config import config_dir
    from privacycrm_desktop.persistence.database import display_url

    return config_dir(), display_url(services.uow.engine.url.render_as_string())


def _take_back_audit_events(services: Services) -> None:
    """Queue the audit events an earlier run kept aside; write them if it can."""
    from privacycrm_desktop.domain.errors import StorageError
    from privacycrm_desktop.services.audit_spool import take_back

    if take_back(services.uow, *_spool_key(services)):
        with contextlib.suppress(StorageError):
            services.uow.flush_deferred(wait_ms=250)


def _retry_deferred_audit(services: Services) -> None:
    from privacycrm_desktop.domain.errors import StorageError

    if services.uow.deferred:
        with contextlib.suppress(StorageError):
            services.uow.flush_deferred(wait_ms=250)


def _settle_audit_events(services: Services) -> None:
    """At the end: write the deferred audit events, or keep them aside for the next start."""
    from privacycrm_desktop.domain.errors import StorageError
    from privacycrm_desktop.services.audit_spool import keep_aside

    if not services.uow.deferred:
        return
    with contextlib.suppress(StorageError):
        if services.uow.flush_deferred():
            return
    with contextlib.suppress(OSError):
        keep_aside(services.uow, *_spool_key(services))


class OwnRoleSignIn:
    """Sign in to a shared server whose URL names no user: the person's own
    login role and password open the connection, so this desk keeps no other credential.
    ``services`` are the ones built on that connection, once a sign-in succeeded."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.services: Services | None = None

    def login(self, username: str, password: str) -> Actor:
        from privacycrm_desktop.domain.errors import AuthenticationFailed
        from privacycrm_desktop.persistence.storage_errors import refused_sign_in
        from privacycrm_desktop.services.server_roles import (
            count_refused_sign_in,
            own_role_url,
            reopen_if_lock_over,
        )

        reopen_if_lock_over(self.url, username)
        try:
            services = build_services(own_role_url(self.url, username.strip(), password))
        except Exception as exc:
            if refused_sign_in(exc):
                count_refused_sign_in(self.url, username)  # the server's lockout
                raise AuthenticationFailed from exc
            raise
        try:
            actor = services.auth.login(username, password)
        except Exception:
            services.uow.engine.dispose()
            raise
        if self.services is not None:
            self.services.uow.engine.dispose()
        self.services = services
        return actor


class ConfiguredSignIn:
    """Sign in through the configured connection; on a PostgreSQL server enforcing the
    field matrix, continue as the user's own role, or say why not."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def login(self, username: str, password: str) -> Actor:
        actor = self.services.auth.login(username, password)
        if self.services.uow.engine.dialect.name == "postgresql":
            from privacycrm_desktop.services.server_roles import for_user

            for_user(self.services, actor, password)
        return actor


def _sign_in_with(door: SignIn, settings: UiSettings) -> Actor | None:
    """The environment's credentials, else the login dialog; None when they fail."""
    from privacycrm_desktop.domain.errors import DomainError
    from privacycrm_desktop.ui.common.qt_i18n import apply_language

    user, password = os.environ.get("PRIVACYCRM_USER"), os.environ.get("PRIVACYCRM_PASSWORD")
    if user and password:
        try:
            return _while_importing_the_window(lambda: _sign_in_and_count(door, user, password))
        except DomainError as exc:
            from privacycrm_desktop.i18n import describe_error

            print(describe_error(exc), file=sys.stderr)
            return None
    from PySide6.QtCore import QTimer

    from privacycrm_desktop.ui.startup.login_dialog import LoginDialog

    dialog = LoginDialog(door)
    # While the person types: the main window's modules, so it opens sooner after sign-in.
    QTimer.singleShot(0, _import_the_window)
    if not dialog.exec() or dialog.actor is None:
        return None
    settings.set_language(dialog.selected_language())
    apply_language(dialog.selected_language())
    return dialog.actor


def _sign_in_and_count(door: SignIn, user: str, password: str) -> Actor:
    """Sign in, then count the list the window opens on (``ContactService.count_ahead``)."""
    from sqlalchemy.exc import SQLAlchemyError

    from privacycrm_desktop.domain.errors import DomainError

    actor = door.login(user, password)
    services = getattr(door, "services", None)  # both doors keep the services they signed in on
    if services is not None:
        with contextlib.suppress(DomainError, SQLAlchemyError):  # the window counts itself
            services.contacts.count_ahead(actor)
    return actor


def _import_the_window() -> None:
    """Import the main window's modules (the window is made after sign-in)."""
    import privacycrm_desktop.ui.main_window  # noqa: F401


def _while_importing_the_window(login: Callable[[], Actor]) -> Actor:
    """Run *login* on a thread while this one imports the main window's modules; its
    password check (argon2, ~30 ms) leaves the interpreter free, so on a second core the two
    overlap (issue 23). What *login* raises is raised here."""
    import threading

    # What the sign-in imports, imported here first: the two threads then import apart.
    import privacycrm_desktop.services.auth  # noqa: F401

    outcome: list[Actor | BaseException] = []

    def sign_in() -> None:
        try:
            outcome.append(login())
        except BaseException as exc:  # handed to the caller below
            outcome.append(exc)

    thread = threading.Thread(target=sign_in, name="sign-in")
    thread.start()
    try:
        _import_the_window()
    finally:
        thread.join()
    if isinstance(outcome[0], BaseException):
        raise outcome[0]
    return outcome[0]


def sign_in_as_own_role(url: str, settings: UiSettings) -> tuple[Services, Actor] | None:
    """Sign in straight to the server as the person's own role (a URL without a user)."""
    door = OwnRoleSignIn(url)
    actor = _sign_in_with(door, settings)
    if actor is None or door.services is None:
        return None
    return door.services, actor


class DatabaseChanged(Exception):
    """The first-run wizard was left for the office's shared server."""


def sign_in(services: Services, settings: UiSettings) -> Actor | None:
    """First run: the wizard; else the environment's credentials or the login dialog."""
    if not services.setup.is_initialised():
        from privacycrm_desktop.ui.startup.first_run_wizard import FirstRunWizard

        # The system's language until one is chosen (UiSettings.language falls back to it).
        wizard = FirstRunWizard(services.setup, language=settings.language())
        if not wizard.exec() or wizard.actor is None:
            if wizard.database_changed:
                raise DatabaseChanged
            return None
        settings.set_language(wizard.language())
        return wizard.actor
    return _sign_in_with(ConfiguredSignIn(services), settings)


def report_first_paint(app: QApplication) -> None:
    """Print the start-up time and peak memory, then quit (PRIVACYCRM_BENCH_PAINT)."""
    launched = float(os.environ.get("T_LAUNCH") or _PROCESS_START)
    print(f"first_paint {time.time() - launched:.3f}", flush=True)
    # The process's CPU time so far (interpreter start included): beside the wall-clock
    # figure, one a loaded machine hardly changes.
    print(f"cpu_s {time.process_time():.3f}", flush=True)
    print(f"rss_kb {_rss_kb()}", flush=True)
    app.exit(0)


def _rss_kb() -> int:
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    import resource

    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def create_window(services: Services, actor: Actor, settings: UiSettings) -> MainWindow:
    """The main window for *actor*, in the actor's language unless one was chosen."""
    from privacycrm_desktop.ui.main_window import MainWindow

    return MainWindow(services, actor, settings)


def run(argv: Sequence[str] | None = None) -> int:
    """Start the app; return its exit code."""
    # No automatic cycle collection during the start: its passes over the ~100,000 objects
    # the start makes (none of them garbage) cost ~35 ms of CPU before the first paint. The
    # UI thread's collector freezes them and begins once the window has painted.
    gc.disable()
    argv = list(sys.argv if argv is None else argv)
    args = parse_args(argv[1:])
    if args.self_test:
        from privacycrm_desktop.selftest.checks import run_self_test
        from privacycrm_desktop.selftest.window import open_main_window

        gc.enable()
        return run_self_test(open_main_window)
    _import_before_qt()
    from PySide6.QtWidgets import QApplication

    from privacycrm_desktop.config import APP_NAME
    from privacycrm_desktop.ui.common.qt_i18n import apply_language
    from privacycrm_desktop.ui.common.settings import UiSettings

    app = QApplication.instance() or QApplication(argv)
    assert isinstance(app, QApplication)
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(APP_NAME)
    from privacycrm_desktop.ui.common import main_thread_gc
    from privacycrm_desktop.ui.common.settings import share_settings

    collector = main_thread_gc.install(app)
    settings = UiSettings()
    share_settings(settings)  # every window remembers its size in them
    apply_language(settings.language())
    signed_in = open_and_sign_in(args.db, settings)
    if signed_in is None:
        return 1
    services, actor = signed_in
    return _run_window(app, services, actor, settings, collector)


def _import_before_qt() -> None:
    """Import the Qt-free layers the start needs (SQLAlchemy, the database, the services'
    registry) before PySide6: once PySide6 is imported, its ``__feature__`` import hook
    reads the source of every module imported after it (looking for "PySide6"), a few
    tens of milliseconds for these ~300 modules that contain no Qt (issue 23)."""
    # SQLAlchemy, the models, the registry, and what opening the database, signing in
    # and counting the list import (the sign-in thread then imports nothing).
    import privacycrm_desktop.persistence.migrate
    import privacycrm_desktop.persistence.models
    import privacycrm_desktop.services.audit_spool
    import privacycrm_desktop.services.auth
    import privacycrm_desktop.services.backup_leftovers
    import privacycrm_desktop.services.contacts
    import privacycrm_desktop.services.server_roles
    import privacycrm_desktop.services.storage  # noqa: F401


def _build_with_progress(database: str) -> Services:
    """``build_services`` with a due schema update run under a window that says so."""

    def updating(update: Callable[[], bool]) -> bool:
        from privacycrm_desktop.ui.startup.upgrade_progress import run_with_progress

        return run_with_progress(update)

    return build_services(database, updating)


def open_and_sign_in(database: str, settings: UiSettings) -> tuple[Services, Actor] | None:
    """Open the database and sign a person in; None when they give up."""
    from privacycrm_desktop.domain.errors import StorageError
    from privacycrm_desktop.services.server_roles import signs_in_as_own_role
    from privacycrm_desktop.ui.startup.storage_startup import open_database

    if signs_in_as_own_role(database):
        return sign_in_as_own_role(database, settings)
    services = open_database(database, _build_with_progress)
    if services is None:
        return None
    try:
        actor = sign_in(services, settings)
    except DatabaseChanged:
        # A new desk joins the office's server: open it now, as the next start would.
        from privacycrm_desktop.config import default_database

        services.uow.engine.dispose()
        return open_and_sign_in(default_database(), settings)
    except StorageError as exc:
        # A fault the opening's reads did not meet, met signing in (a damaged page of the
        # users' table): one sentence, as when the file cannot be opened at all.
        from privacycrm_desktop.ui.startup.storage_startup import show_start_failure

        services.uow.engine.dispose()
        show_start_failure(exc)
        return None
    return None if actor is None else (services, actor)


def _run_window(
    app: QApplication,
    services: Services,
    actor: Actor,
    settings: UiSettings,
    collector: MainThreadCollector,
) -> int:
    """Show the main window for *actor* and run until it closes."""
    from privacycrm_desktop.ui.startup.storage_startup import watch_storage

    window = create_window(services, actor, settings)
    window.after_first_paint(collector.start)
    if os.environ.get("PRIVACYCRM_BENCH_PAINT") == "1":
        # The list, or on an empty database the sentence in its place: whichever paints.
        window.on_first_paint(lambda: report_first_paint(app))
    window.show()
    window.start_idle_lock()
    watch_storage(window, services, check=os.environ.get("PRIVACYCRM_BENCH_PAINT") != "1")
    if os.environ.get("PRIVACYCRM_BENCH_PAINT") != "1":
        _after_first_paint(window, services, actor)
        # At once: a window closed before its first paint still gets its backup.
        _install_automatic_backups(window, services)
    from PySide6.QtCore import QTimer

    retry = QTimer(window)
    retry.setInterval(DEFERRED_AUDIT_RETRY_MS)
    retry.timeout.connect(lambda: _retry_deferred_audit(services))
    retry.start()
    code = app.exec()
    retry.stop()
    _settle_audit_events(services)
    settings.sync()
    return code


def _after_first_paint(window: MainWindow, services: Services, actor: Actor) -> None:
    """What starts once the list has painted: the yearly cleanup reminder, My day and
    other desks' changes (none of them is needed to paint the list)."""

    from privacycrm_desktop.services.backup_leftovers import clean_backup_folders

    def remind() -> None:
        from privacycrm_desktop.ui.retention.retention_actions import remind_once_a_year

        remind_once_a_year(window, services, actor, window.retention.cleanup)

    def start_watching() -> None:
        from PySide6.QtCore import QTimer

        # Other desks' changes: a little later still, so the first screens do not wait.
        QTimer.singleShot(CHANGE_WATCH_DELAY_MS, window.start_change_watch)

    def show_cut_cells() -> None:
        from PySide6.QtWidgets import QApplication

        from privacycrm_desktop.ui.common import cell_tips

        app = QApplication.instance()
        if isinstance(app, QApplication):
            cell_tips.install(app)

    window.after_first_paint(remind)
    # A cell its column cuts ("Consentement enreg...") shows its whole text on hover.
    window.after_first_paint(show_cut_cells)
    # A backup or restore killed while it wrote into the backup folder: its copy goes.
    window.after_first_paint(lambda: clean_backup_folders(services.uow))
    # "My day" after sign-in: what is overdue, due today and this week.
    window.after_first_paint(window.task_actions.show_my_day)
    window.after_first_paint(start_watching)


def _install_automatic_backups(window: MainWindow, services: Services) -> None:
    """A backup when the window closes and once a day; only for a database file
    on this computer (a server database is backed up on the server)."""
    from privacycrm_desktop.persistence.database import sqlite_file

    if sqlite_file(str(services.uow.engine.url)) is None:
        return
    from privacycrm_desktop.ui.admin.automatic_backup import install_automatic_backups

    install_automatic_backups(window, services.backup)


def main() -> int:
    """The ``privacycrm`` command."""
    return run()


if __name__ == "__main__":
    raise SystemExit(main())
