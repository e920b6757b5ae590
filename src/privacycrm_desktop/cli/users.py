"""``privacycrm-cli user ...``: add, list, deactivate, reactivate, reset-password, role and
server-roles (docs/architecture.md, "Headless interface"; names may grow, never change)."""

from __future__ import annotations

from privacycrm_desktop.cli import output as out
from privacycrm_desktop.cli.context import CliFailure, Context, read_password
from privacycrm_desktop.cli.options import (
    NEW_PASSWORD_ENV,
    PASSWORD_ENV,
    Parents,
    Subparsers,
)
from privacycrm_desktop.domain.access import Role
from privacycrm_desktop.i18n import LANGUAGES, _


def register(commands: Subparsers, parents: Parents) -> None:
    """Add ``user`` and its commands to the parser."""
    user = commands.add_parser("user", help=_("manage users")).add_subparsers(
        dest="user_command", required=True, metavar="COMMAND"
    )
    p = user.add_parser("add", parents=parents, help=_("add a user"))
    p.add_argument("name", help=_("user name"))
    p.add_argument("--role", choices=[r.value for r in Role], required=True, help=_("role"))
    p.add_argument("--language", choices=LANGUAGES, default="en", help=_("the user's language"))
    p.set_defaults(run=cmd_user_add)
    p = user.add_parser("list", parents=parents, help=_("list the users"))
    p.set_defaults(run=cmd_user_list)
    for command, text, run in (
        ("deactivate", _("stop a user from signing in"), cmd_user_deactivate),
        ("reactivate", _("let a deactivated user sign in again"), cmd_user_reactivate),
        (
            "reset-password",
            _("give a user a new password (from {env} or a prompt)").format(env=NEW_PASSWORD_ENV),
            cmd_user_reset_password,
        ),
    ):
        p = user.add_parser(command, parents=parents, help=text)
        p.add_argument("name", help=_("user name"))
        p.set_defaults(run=run)
    p = user.add_parser("role", parents=parents, help=_("give a user another role"))
    p.add_argument("name", help=_("user name"))
    p.add_argument("role", choices=[r.value for r in Role], help=_("role"))
    p.set_defaults(run=cmd_user_role)
    p = user.add_parser(
        "server-roles",
        parents=parents,
        help=_(
            "PostgreSQL: give each user their own database role, so the server enforces "
            "the field rules (owner, with a connection that may create roles)"
        ),
    )
    p.set_defaults(run=cmd_user_server_roles)


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
