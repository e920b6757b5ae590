"""What every ``privacycrm-cli`` command shares: its context (the arguments, the services,
the signed-in user, the output), opening the database and closing it, and turning a
failure into its exit code and one line on stderr.

Exit codes: 0 ok, 1 refused or failed (one line on stderr), 2 usage (argparse, and the few
usage mistakes argparse cannot see). No module of the cli package is imported here but the
leaves (options, output): every command group imports this one.
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import os
import sys
from collections.abc import Callable, Collection
from pathlib import Path
from typing import TYPE_CHECKING, Any

from privacycrm_desktop.cli import output as out
from privacycrm_desktop.cli.options import PASSWORD_ENV
from privacycrm_desktop.domain.errors import DomainError
from privacycrm_desktop.i18n import _
from privacycrm_desktop.services.dto import Actor

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from privacycrm_desktop.services.registry import Services


class CliFailure(Exception):
    """A refusal the CLI itself decides on; its message is already translated."""


class Context:
    """What a command gets: its arguments, the services, and the signed-in user on demand.

    A command that opens no database (``self-test``: ``opens_db=False``) gets its arguments
    only; asking it for the engine or the services is a programming error.
    """

    def __init__(
        self,
        args: argparse.Namespace,
        engine: Engine | None = None,
        services: Services | None = None,
    ) -> None:
        self.args = args
        self._engine = engine
        self._services = services
        self.fmt: str = args.format

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            raise RuntimeError("this command opens no database")
        return self._engine

    @property
    def services(self) -> Services:
        if self._services is None:
            raise RuntimeError("this command opens no database")
        return self._services

    def actor(self, *, own_role: bool = True) -> Actor:
        """Sign in as ``--user``; refuse when it is missing.

        *own_role* False keeps the configured connection (a restore on a PostgreSQL
        server replaces the schema the system role owns: the administrator's URL only).
        """
        if not self.args.user:
            raise CliFailure(_("This command needs --user NAME."))
        password = read_password(PASSWORD_ENV)
        actor = self.services.auth.login(self.args.user, password)
        # Where the PostgreSQL server enforces the field matrix, work as the user's own role.
        from privacycrm_desktop.services.server_roles import for_user

        if own_role:
            for_user(self.services, actor, password)
        return actor

    def emit(self, document: Any, text: Callable[[], str]) -> None:
        out.emit(self.fmt, document, text)


#: What a leaf command stores as ``run`` (``set_defaults(run=...)``): it does the work,
#: prints the result, and returns the exit code (or raises DomainError / CliFailure).
Command = Callable[[Context], int]
#: What a command may store as ``if_unopenable``: its answer (an exit code) for a database
#: that could not be opened, or None to report the failure as every command does; it is
#: handed the one sentence every command would say (None for a failure not reported so).
Unopenable = Callable[[argparse.Namespace, BaseException, "str | None"], "int | None"]


# -- input helpers ---------------------------------------------------------------------


def read_password(env: str, *, confirm: bool = False, prompt: str | None = None) -> str:
    """The password from *env*, else asked for on the terminal (twice with *confirm*)."""
    value = os.environ.get(env)
    if value:
        return value
    try:
        first = getpass.getpass(prompt or _("Password: "))
        if confirm and getpass.getpass(_("Repeat the password: ")) != first:
            raise CliFailure(_("The two passwords differ."))
    except EOFError:
        raise CliFailure(
            _("No password: set {env} or run in a terminal.").format(env=env)
        ) from None
    return first


# -- opening and closing the database --------------------------------------------------


def _open_database(args: argparse.Namespace) -> tuple[Engine, Services]:
    """The engine and services of ``--db``, migrated; for a command that needs a set-up
    database (``needs_db``, all but ``init``), refused when there is none, and what an
    earlier run left unfinished is finished first."""
    from privacycrm_desktop.persistence.database import (
        create_engine_for,
        normalise_url,
        sqlite_file,
    )
    from privacycrm_desktop.persistence.migrate import migrate
    from privacycrm_desktop.services.registry import Services

    file = sqlite_file(normalise_url(args.db))
    if getattr(args, "needs_db", True) and file is not None and not file.exists():
        raise CliFailure(_("No database at {path}: run init first.").format(path=file))
    url = args.db
    from privacycrm_desktop.services.server_roles import own_role_url, signs_in_as_own_role

    own_role = bool(args.user) and signs_in_as_own_role(url)
    if own_role:
        from privacycrm_desktop.services.server_roles import reopen_if_lock_over

        # A server URL without a user: connect as the user's own role from the start.
        reopen_if_lock_over(url, args.user)
        url = own_role_url(url, args.user, read_password(PASSWORD_ENV))
    engine = create_engine_for(url)
    try:
        migrate(engine)
    except Exception as exc:
        from privacycrm_desktop.domain.errors import AuthenticationFailed
        from privacycrm_desktop.persistence.storage_errors import refused_sign_in

        engine.dispose()
        if own_role and refused_sign_in(exc):
            from privacycrm_desktop.services.server_roles import count_refused_sign_in

            count_refused_sign_in(args.db, args.user)  # the server's lockout
            raise AuthenticationFailed from exc
        raise
    services = Services.build(engine)
    if getattr(args, "needs_db", True) and not services.setup.is_initialised():
        engine.dispose()
        raise CliFailure(_("This database is not set up yet: run init first."))
    if getattr(args, "needs_db", True):
        _catch_up(services)
        _close_interrupted_imports(services)
        _take_back_audit_events(args, services)
    return engine, services


def _catch_up(services: Services) -> None:
    """Finish what an earlier run left: an erasure whose bytes another program kept on
    disk, keep-until dates not computed yet (after an upgrade). Cheap when there is none."""
    from contextlib import suppress

    from sqlalchemy.exc import SQLAlchemyError

    # Read-only or locked: the next command or the app's start tries again.
    with suppress(SQLAlchemyError):
        services.erasure.retry_scrub()
    # A backup or restore killed before it finished: its copy goes (README, Backups).
    from privacycrm_desktop.services.backup_leftovers import clean_backup_folders

    clean_backup_folders(services.uow)
    with suppress(SQLAlchemyError):
        services.retention.fill_missing()


def _spool_key(args: argparse.Namespace) -> tuple[Path, str]:
    from privacycrm_desktop.config import config_dir
    from privacycrm_desktop.persistence.database import display_url

    return config_dir(), display_url(args.db)


def _take_back_audit_events(args: argparse.Namespace, services: Services) -> None:
    """Audit events an earlier run could not write are queued again, and written now if
    the database can be written."""
    from privacycrm_desktop.domain.errors import StorageError
    from privacycrm_desktop.services.audit_spool import take_back

    if take_back(services.uow, *_spool_key(args)):
        with contextlib.suppress(StorageError):
            services.uow.flush_deferred(wait_ms=250)


def _settle_audit_events(args: argparse.Namespace, services: Services, *, tell: bool) -> None:
    """Before exiting: write the audit events a sign-in or a read deferred, or keep them
    aside for the next start, and say so when the command succeeded (*tell*; a failed one
    has said in its one line that the database cannot be written)."""
    from privacycrm_desktop.domain.errors import StorageError
    from privacycrm_desktop.services.audit_spool import keep_aside

    if not services.uow.deferred:
        return
    try:
        # A short wait: the command's own work is done; what cannot be written now is
        # kept aside rather than holding the person up.
        if services.uow.flush_deferred(wait_ms=1000):
            return
    except StorageError:
        pass
    try:
        kept = keep_aside(services.uow, *_spool_key(args))
    except OSError:
        kept = 0
    if kept and tell:
        print(
            _(
                "The database cannot be written now, so the audit record of this sign-in "
                "or look-up was kept aside; it is added to the audit trail at the next "
                "start that can write to the database."
            ),
            file=sys.stderr,
        )


def _close_interrupted_imports(services: Services) -> None:
    """Close the import batches a killed process left running, and say so."""
    from sqlalchemy.exc import SQLAlchemyError

    from privacycrm_desktop.domain.errors import StorageError
    from privacycrm_desktop.persistence.job_lock import has_running_batches

    try:
        if not has_running_batches(services.uow.engine):
            return
        closed = services.imports.close_interrupted()
    except (StorageError, SQLAlchemyError):
        return  # read-only, locked or full: the next start that can write closes them
    for batch_id in closed:
        print(
            _(
                "Import {batch} was interrupted when its program stopped; the contacts it "
                "had saved are kept and can be undone with: import undo {batch}"
            ).format(batch=batch_id),
            file=sys.stderr,
        )


# -- failures: one line on stderr, exit code 1 -----------------------------------------


def describe_database_error(error: Exception) -> str:  # noqa: PLR0911 - one per outcome
    """One line for a database that cannot be used (locked, read-only, missing, not ours)."""
    from sqlalchemy.exc import DBAPIError

    from privacycrm_desktop.domain.errors import StorageDamaged
    from privacycrm_desktop.i18n import describe_error
    from privacycrm_desktop.persistence.storage_errors import (
        SQLITE_NOTADB,
        result_code,
        storage_error,
    )

    mapped = storage_error(error)  # the same sentences as the app
    if mapped is not None and not isinstance(mapped, StorageDamaged):
        return describe_error(mapped)
    if mapped is not None and result_code(error) == SQLITE_NOTADB:
        # Not the app's "nothing was saved" (a command that only reads saves nothing), nor
        # SQLite's own English ("file is not a database"): a sentence of ours.
        return _(
            "This file is not a PrivacyCRM database, or it is too damaged to open: "
            "check the path, or restore the newest good backup."
        )
    if mapped is not None:
        return _("The database file is damaged: restore the newest good backup.")
    raw = error.orig if isinstance(error, DBAPIError) else error
    reason = str(raw).strip().splitlines()[0] if str(raw).strip() else type(raw).__name__
    lowered = reason.lower()
    if "locked" in lowered or "busy" in lowered:
        return _("The database is in use by another program; try again later.")
    if "readonly" in lowered or "read-only" in lowered:
        return _("The database file is read-only; nothing was changed.")
    if "unable to open" in lowered or "no such file" in lowered:
        return _("The database file cannot be opened: check the path and its permissions.")
    if "not a database" in lowered or "malformed" in lowered:
        return _("This file is not a usable PrivacyCRM database ({reason}).").format(reason=reason)
    return _("The database could not be used: {reason}").format(reason=reason)


#: The options that fill a service field whose name is not the option's, by command: the
#: first one the command has is named.
_OPTIONS_OF_FIELDS = {
    "emails": ("--email",),
    "phones": ("--phone",),
    "source_description": ("--source",),
    "source_obtained_on": ("--source-date", "--obtained"),
    "received_on": ("--received",),
    "occurred_at": ("--at",),
    "mapping": ("--map",),
}


def _option_name(field: str, options: Collection[str] = ()) -> str:
    """The CLI option that fills a service field (``emails`` is ``--email``), as the
    command with *options* spells it."""
    from privacycrm_desktop.domain.fields import CUSTOM_PREFIX

    if field.startswith(CUSTOM_PREFIX):  # the owner's field: --field KEY=VALUE
        return "--field " + field.removeprefix(CUSTOM_PREFIX)
    candidates = _OPTIONS_OF_FIELDS.get(field, ())
    return next(
        (o for o in candidates if o in options),
        candidates[0] if candidates else "--" + field.replace("_", "-"),
    )


def _describe_domain_error(error: DomainError, options: Collection[str] = ()) -> str:
    """One line for a refusal of the services; a value refused is named by its option (a
    value the import's plan refuses too: its --obtained date, its --purpose)."""
    from privacycrm_desktop.domain.errors import ImportPlanInvalid, ValidationFailed
    from privacycrm_desktop.i18n import describe_error, describe_problem

    if isinstance(error, ValidationFailed | ImportPlanInvalid) and error.problems:
        return " ".join(
            f"{_option_name(p.field, options)}: {describe_problem(p)}" for p in error.problems
        )
    return describe_error(error)


def fail(message: str) -> int:
    """Say *message* on one line of stderr, after the program's name; exit code 1."""
    print(f"privacycrm-cli: {' '.join(message.split())}", file=sys.stderr)
    return 1


# -- running one command ---------------------------------------------------------------


def _sentence_for(exc: BaseException, database_errors: tuple[type[Exception], ...]) -> str | None:
    """The one line ``run_command`` says for *exc*, or None when it does not report it."""
    if isinstance(exc, DomainError):
        return _describe_domain_error(exc)
    if isinstance(exc, CliFailure):
        return str(exc)
    if isinstance(exc, database_errors):
        return describe_database_error(exc)
    return None


def run_command(args: argparse.Namespace) -> int:  # noqa: PLR0911 - one return per outcome
    """Open the database, run the command the parser chose (``args.run``) and close; every
    failure foreseen is one line on stderr and its exit code."""
    if not getattr(args, "opens_db", True):  # self-test: its own temporary database
        command: Command = args.run
        return command(Context(args))

    from sqlalchemy.exc import SQLAlchemyError

    from privacycrm_desktop.persistence.migrate import MigrationError
    from privacycrm_desktop.persistence.sqlite_driver import DRIVER_ERRORS

    database_errors: tuple[type[Exception], ...] = (
        SQLAlchemyError,
        MigrationError,
        OSError,
        *DRIVER_ERRORS,
    )

    engine = None
    services: Services | None = None
    succeeded = False
    try:
        try:
            engine, services = _open_database(args)
        except Exception as exc:
            # ``check`` of a file too damaged to open still answers (JSON) and remembers it.
            unopenable: Unopenable | None = getattr(args, "if_unopenable", None)
            code = (
                None
                if unopenable is None
                else unopenable(args, exc, _sentence_for(exc, database_errors))
            )
            if code is None:
                raise
            return code
        command = args.run
        code = command(Context(args, engine, services))
        succeeded = code == 0
        return code
    except DomainError as exc:
        return fail(_describe_domain_error(exc, getattr(args, "options", ())))
    except CliFailure as exc:
        return fail(str(exc))
    except BrokenPipeError:
        # The reader went away (``| head``): stop writing, and do not blame the database.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return fail(_("The output was closed before everything was written."))
    except database_errors as exc:
        return fail(describe_database_error(exc))
    except KeyboardInterrupt:
        return fail(_("Interrupted; the current step was rolled back."))
    finally:
        if services is not None:
            _settle_audit_events(args, services, tell=succeeded)
        if engine is not None:
            engine.dispose()
        if services is not None and services.uow.engine is not engine:
            services.uow.engine.dispose()  # the user's own PostgreSQL role
