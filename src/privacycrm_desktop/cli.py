"""``privacycrm-cli``: what an administrator scripts, without a screen (docs/architecture.md, CLI).

A composition root like app.py: it builds the engine, migrates, builds the services and
calls them. Exit codes: 0 ok, 1 refused or failed (one line on stderr), 2 usage.
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from privacycrm_desktop import (
    cli_backup,
    cli_export,
    cli_import,
    cli_marketing,
    cli_requests,
    cli_retention,
)
from privacycrm_desktop import cli_output as out
from privacycrm_desktop.cli_i18n import translate_argparse
from privacycrm_desktop.cli_parser import (
    NEW_PASSWORD_ENV,
    PASSWORD_ENV,
    build_parser,
    default_language,
)
from privacycrm_desktop.domain.access import Role
from privacycrm_desktop.domain.contacts import ContactInput, ContactKind, Language, Relationship
from privacycrm_desktop.domain.errors import DomainError
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.domain.special_categories import SpecialCategoryUnconfirmed
from privacycrm_desktop.i18n import LANGUAGES, _, describe_error, set_language
from privacycrm_desktop.services.contacts import MAX_PAGE
from privacycrm_desktop.services.dto import Actor, ContactSort

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from privacycrm_desktop.services.registry import Services


class CliFailure(Exception):
    """A refusal the CLI itself decides on; its message is already translated."""


class Context:
    """What a command gets: its arguments, the services, and the signed-in user on demand."""

    def __init__(self, args: argparse.Namespace, engine: Engine, services: Services) -> None:
        self.args = args
        self.engine = engine
        self.services = services
        self.fmt: str = args.format

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


# -- input helpers --------------------------------------------------------------------


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


# -- commands -------------------------------------------------------------------------


def cmd_init(ctx: Context) -> int:
    from privacycrm_desktop.services.setup import CompanyInput

    a = ctx.args
    company = CompanyInput(
        name=a.company,
        address=a.address,
        vat_number=a.vat or "",
        privacy_email=a.privacy_email or "",
        language=a.language,
    )
    password = read_password(PASSWORD_ENV, confirm=True, prompt=_("Owner's password: "))
    owner = ctx.services.setup.initialise(company, a.owner, password)
    document = {"id": owner.user_id, "username": owner.username, "role": owner.role.value}
    ctx.emit(document, lambda: str(owner.user_id))
    return 0


def cmd_demo(ctx: Context) -> int:
    from privacycrm_desktop.services.demo import MAX_COUNT

    count = ctx.args.count
    if not 0 < count <= MAX_COUNT:
        raise CliFailure(_("The count must lie between 1 and {max}.").format(max=MAX_COUNT))
    actor = ctx.actor()

    def progress(done: int, total: int) -> None:
        if ctx.fmt != "json":
            print(
                _("{done} of {total} contacts written").format(done=done, total=total),
                file=sys.stderr,
                flush=True,
            )

    written = ctx.services.demo.generate(actor, count, seed=ctx.args.seed, progress=progress)
    ctx.emit({"count": written}, lambda: str(written))
    return 0


def cmd_user_add(ctx: Context) -> int:
    actor = ctx.actor()
    password = read_password(NEW_PASSWORD_ENV, confirm=True, prompt=_("Password of the new user: "))
    a = ctx.args
    new_id = ctx.services.auth.add_user(actor, a.name, password, Role(a.role), a.language)
    ctx.emit({"id": new_id, "username": a.name.strip(), "role": a.role}, lambda: str(new_id))
    return 0


def cmd_user_list(ctx: Context) -> int:
    users = ctx.services.auth.list_users(ctx.actor())
    ctx.emit([out.user_document(u) for u in users], lambda: out.users_text(users))
    return 0


def cmd_user_deactivate(ctx: Context) -> int:
    ctx.services.auth.deactivate_user(ctx.actor(), ctx.args.name)
    ctx.emit({"username": ctx.args.name, "active": False}, lambda: "OK")
    return 0


def cmd_user_reactivate(ctx: Context) -> int:
    ctx.services.auth.reactivate_user(ctx.actor(), ctx.args.name)
    ctx.emit({"username": ctx.args.name, "active": True}, lambda: "OK")
    return 0


def cmd_user_reset_password(ctx: Context) -> int:
    actor = ctx.actor()
    password = read_password(NEW_PASSWORD_ENV, confirm=True, prompt=_("New password: "))
    ctx.services.auth.reset_password(actor, ctx.args.name, password)
    ctx.emit({"username": ctx.args.name, "password_reset": True}, lambda: "OK")
    return 0


def cmd_user_server_roles(ctx: Context) -> int:
    if not ctx.args.user:
        raise CliFailure(_("This command needs --user NAME."))
    password = read_password(PASSWORD_ENV)
    actor = ctx.services.auth.login(ctx.args.user, password)
    ctx.services.auth.enable_server_roles(actor, password)
    ctx.emit(
        {"server_roles": True},
        lambda: _(
            "The server now enforces the field rules: each user connects with their own "
            "database role."
        ),
    )
    return 0


def cmd_user_role(ctx: Context) -> int:
    a = ctx.args
    ctx.services.auth.change_role(ctx.actor(), a.name, Role(a.role))
    ctx.emit({"username": a.name, "role": a.role}, lambda: "OK")
    return 0


def cmd_contacts_list(ctx: Context) -> int:
    actor, a = ctx.actor(), ctx.args
    if a.limit > MAX_PAGE:
        # More than a screenful is an export: permission, purpose, recipient, audit entry.
        raise CliFailure(
            _(
                "The list shows at most {max} contacts at a time; more is an export: use "
                "export --format csv --out FILE --purpose TEXT --recipient TEXT."
            ).format(max=MAX_PAGE)
        )
    contacts = ctx.services.contacts
    total = contacts.count(actor, a.search)
    rows = contacts.page(
        actor,
        query=a.search,
        sort=ContactSort(a.sort),
        descending=a.desc,
        offset=a.offset,
        limit=a.limit,
        total=total,
    )
    document = {"total": total, "contacts": [out.contact_row_document(r) for r in rows]}
    ctx.emit(document, lambda: out.contacts_text(total, rows, a.offset))
    return 0


def cmd_contacts_show(ctx: Context) -> int:
    detail = ctx.services.contacts.get(ctx.actor(), ctx.args.id)
    ctx.emit(out.contact_document(detail), lambda: out.contact_text(detail))
    return 0


def cmd_contacts_add(ctx: Context) -> int:
    a = ctx.args
    data = ContactInput(
        kind=ContactKind(a.kind),
        first_name=a.first_name,
        last_name=a.last_name,
        organisation=a.organisation,
        emails=tuple(a.email),
        phones=tuple(a.phone),
        street=a.street,
        postcode=a.postcode,
        city=a.city,
        country=a.country,
        language=Language(a.language),
        birth_date=a.birth_date,
        notes=a.notes,
        relationship=Relationship(a.relationship),
    )
    # Without a kind the service refuses with SourceMissing, after checking the values.
    source = (
        SourceInput(SourceKind(a.source_kind), a.source or "", a.source_date)
        if a.source_kind
        else None
    )
    try:
        new_id = ctx.services.contacts.create(
            ctx.actor(), data, source, special_confirmed=a.confirm_special
        )
    except SpecialCategoryUnconfirmed as exc:
        raise CliFailure(
            describe_error(exc) + " " + _("Add --confirm-special to save it anyway.")
        ) from None
    ctx.emit({"id": new_id}, lambda: str(new_id))
    return 0


def cmd_verify_audit(ctx: Context) -> int:
    marked = 0
    reviewing = bool(getattr(ctx.args, "mark_reviewed", False))
    # The owner signs in first: a desk URL without a user connects as their own role.
    actor = ctx.actor() if reviewing else None
    result = ctx.services.audit.check()
    if actor is not None and result.outside:
        newest = max(w.write.id for w in result.outside)
        marked = ctx.services.audit.mark_outside_writes_reviewed(actor, newest)
        result = ctx.services.audit.check()
    bad = result.first_bad_event
    ctx.emit(
        {
            "marked_reviewed": marked,
            "ok": result.ok,
            "first_bad_event": bad,
            # Issue 15: the chain against every anchor found (added keys; the two above
            # keep their meaning for scripts written before).
            "anchor_problems": [p.as_json(_) for p in result.problems],
            "anchors": [{"anchor": a.kind, "source": a.source} for a in result.anchors],
            # The server's write log (PostgreSQL): changes made with another program.
            "outside_app_writes": [w.as_json(_) for w in result.outside],
            "outside_app_writes_total": result.outside_total,
        },
        lambda: (
            (
                _("{count} changes made outside PrivacyCRM marked as reviewed.").format(
                    count=marked
                )
                + "\n"
                if marked
                else ""
            )
            + ("OK" if result.ok else "")
        ),
    )
    if not result.ok:
        lines = (
            [] if bad is None else [_("The audit trail is broken at event {id}.").format(id=bad)]
        )
        lines += [problem.describe(_) for problem in result.problems]
        lines += result.describe_outside(_)
        raise CliFailure("\n".join(lines))
    return 0


def cmd_check(ctx: Context) -> int:
    from privacycrm_desktop.cli_storage import cmd_check as check

    return check(ctx)


HANDLERS: dict[str, Callable[[Context], int]] = {
    "init": cmd_init,
    "demo": cmd_demo,
    "user add": cmd_user_add,
    "user list": cmd_user_list,
    "user deactivate": cmd_user_deactivate,
    "user reactivate": cmd_user_reactivate,
    "user reset-password": cmd_user_reset_password,
    "user role": cmd_user_role,
    "user server-roles": cmd_user_server_roles,
    "contacts list": cmd_contacts_list,
    "contacts show": cmd_contacts_show,
    "contacts add": cmd_contacts_add,
    "verify-audit": cmd_verify_audit,
    "check": cmd_check,
}


HANDLERS.update(cli_marketing.HANDLERS)
HANDLERS.update(cli_requests.HANDLERS)
HANDLERS.update(cli_retention.HANDLERS)
HANDLERS.update(cli_export.HANDLERS)
HANDLERS.update(cli_backup.HANDLERS)
HANDLERS.update(cli_import.HANDLERS)


# -- running --------------------------------------------------------------------------


def _open(args: argparse.Namespace) -> tuple[Engine, Services]:
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

            count_refused_sign_in(args.db, args.user)  # the server's lockout (issue 15)
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
    with suppress(SQLAlchemyError):
        services.retention.fill_missing()


def _spool_key(args: argparse.Namespace) -> tuple[Path, str]:
    from privacycrm_desktop.config import config_dir
    from privacycrm_desktop.persistence.database import display_url

    return config_dir(), display_url(args.db)


def _take_back_audit_events(args: argparse.Namespace, services: Services) -> None:
    """Audit events an earlier run could not write are queued again, and written now if
    the database can be written (issue 17)."""
    from privacycrm_desktop.domain.errors import StorageError
    from privacycrm_desktop.services.audit_spool import take_back

    if take_back(services.uow, *_spool_key(args)):
        with contextlib.suppress(StorageError):
            services.uow.flush_deferred(wait_ms=250)


def _settle_audit_events(args: argparse.Namespace, services: Services, *, tell: bool) -> None:
    """Before exiting: write the audit events a sign-in or a read deferred, or keep them
    aside for the next start, and say so when the command succeeded (*tell*; a failed one
    has said in its one line that the database cannot be written) (issue 17)."""
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
    """Close the import batches a killed process left running, and say so (issue 17)."""
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


def describe_database_error(error: Exception) -> str:
    """One line for a database that cannot be used (locked, read-only, missing, not ours)."""
    from sqlalchemy.exc import DBAPIError

    from privacycrm_desktop.domain.errors import StorageDamaged
    from privacycrm_desktop.i18n import describe_error
    from privacycrm_desktop.persistence.storage_errors import storage_error

    mapped = storage_error(error)  # the same sentences as the app (issue 8)
    if mapped is not None and not isinstance(mapped, StorageDamaged):
        return describe_error(mapped)
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


def _option_name(field: str) -> str:
    """The CLI option that fills a service field (``emails`` is ``--email``)."""
    names = {"emails": "email", "phones": "phone", "source_description": "source"}
    return "--" + names.get(field, field).replace("_", "-")


def _describe_domain_error(error: DomainError) -> str:
    from privacycrm_desktop.domain.errors import ValidationFailed
    from privacycrm_desktop.i18n import describe_error, describe_problem

    if isinstance(error, ValidationFailed) and error.problems:
        return " ".join(f"{_option_name(p.field)}: {describe_problem(p)}" for p in error.problems)
    return describe_error(error)


def _fail(message: str) -> int:
    print(f"privacycrm-cli: {' '.join(message.split())}", file=sys.stderr)
    return 1


def main(argv: Sequence[str] | None = None) -> int:  # noqa: PLR0911 - one return per outcome
    """Run one command; return the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--lang", choices=LANGUAGES)
    known, _rest = pre.parse_known_args(argv)
    set_language(known.lang or default_language())
    translate_argparse()  # "usage:", "error:", "invalid choice" in that language too
    args = build_parser().parse_args(argv)
    set_language(args.lang)
    if args.handler == "self-test":  # never opens --db: its own temporary database
        from privacycrm_desktop.self_test import run_self_test

        return run_self_test(language=args.lang, as_json=args.format == "json")

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
            engine, services = _open(args)
        except Exception as exc:
            # ``check`` of a file too damaged to open still answers (JSON) and remembers it.
            from privacycrm_desktop.cli_storage import check_unopenable

            code = check_unopenable(args, exc) if args.handler == "check" else None
            if code is None:
                raise
            return code
        code = HANDLERS[args.handler](Context(args, engine, services))
        succeeded = code == 0
        return code
    except DomainError as exc:
        return _fail(_describe_domain_error(exc))
    except CliFailure as exc:
        return _fail(str(exc))
    except BrokenPipeError:
        # The reader went away (``| head``): stop writing, and do not blame the database.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return _fail(_("The output was closed before everything was written."))
    except database_errors as exc:
        return _fail(describe_database_error(exc))
    except KeyboardInterrupt:
        return _fail(_("Interrupted; the current step was rolled back."))
    finally:
        if services is not None:
            _settle_audit_events(args, services, tell=succeeded)
        if engine is not None:
            engine.dispose()
        if services is not None and services.uow.engine is not engine:
            services.uow.engine.dispose()  # the user's own PostgreSQL role (issue 10)


if __name__ == "__main__":
    raise SystemExit(main())
