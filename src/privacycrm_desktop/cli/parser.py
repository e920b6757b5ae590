"""The argument parser of ``privacycrm-cli``: the global options, then every command group's
commands, in the order ``--help`` lists them.

The parser is the one registry of commands: each group module's ``register`` adds its
commands and stores, with ``set_defaults(run=...)``, the function that runs each one (see
context.Command). A command may set, next to ``run``: ``needs_db=False`` (``init``: the
database need not exist or be set up yet), ``opens_db=False`` (``self-test``: ``--db`` is
never opened) and ``if_unopenable=...`` (``check``: its answer for a file too damaged to
open). Names follow docs/architecture.md ("Headless interface") and may grow, never change.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from privacycrm_desktop.cli import (
    activities,
    audit,
    backup,
    companies,
    contacts,
    duplicates,
    export,
    fields,
    imports,
    marketing,
    post,
    requests,
    retention,
    setup,
    storage,
    tags,
    tasks,
    users,
)
from privacycrm_desktop.cli.options import (
    FORMATS,
    PASSWORD_ENV,
    Parents,
    Subparsers,
    default_language,
)
from privacycrm_desktop.config import default_database
from privacycrm_desktop.i18n import LANGUAGES, _

#: Each command group's ``register``, in the order ``--help`` lists their commands.
GROUPS: tuple[Callable[[Subparsers, Parents], None], ...] = (
    setup.register,  # init, demo, self-test
    users.register,  # user add|list|deactivate|reactivate|reset-password|role|server-roles
    contacts.register,  # contacts list|show|add
    companies.register,  # company add|list|show|link
    tags.register,  # tag add|remove|list|rename|colour|merge|delete
    fields.register,  # field define|list
    duplicates.register,  # duplicates find|merge|undo|merges
    activities.register,  # activity add|list|delete
    tasks.register,  # task add|list|done|assign|my-day
    marketing.register,  # consent record, unsubscribe, marketing list
    requests.register,  # request add|list, export-report
    retention.register,  # cleanup, erase, reconfirm-months
    export.register,  # export
    post.register,  # labels, letter, letterhead
    backup.register,  # backup, restore
    imports.register,  # import (list, undo)
    audit.register,  # verify-audit
    storage.register,  # check
)


def build_parser() -> argparse.ArgumentParser:
    """Every command and option; names follow docs/architecture.md and may grow, never change."""
    # The global options are accepted after the command too; SUPPRESS keeps the value
    # given before the command unless it is repeated after it.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    common.add_argument("--user", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    common.add_argument(
        "--lang", choices=LANGUAGES, default=argparse.SUPPRESS, help=argparse.SUPPRESS
    )
    fmt = argparse.ArgumentParser(add_help=False)
    fmt.add_argument(
        "--format",
        choices=FORMATS,
        default=argparse.SUPPRESS,
        help=_("json prints one JSON document on stdout"),
    )
    parents: Parents = [common, fmt]

    parser = argparse.ArgumentParser(
        prog="privacycrm-cli", description=_("PrivacyCRM without a screen.")
    )
    parser.add_argument(
        "--db", default=default_database(), help=_("database file or URL (default: the app's own)")
    )
    parser.add_argument(
        "--user",
        help=_("sign in as this user; password from {env} or a prompt").format(env=PASSWORD_ENV),
    )
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default="text",
        help=_("json prints one JSON document on stdout"),
    )
    parser.add_argument(
        "--lang", choices=LANGUAGES, default=default_language(), help=_("language of the messages")
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for register in GROUPS:
        register(commands, parents)
    _record_options(parser)
    return parser


def _record_options(parser: argparse.ArgumentParser) -> None:
    """Give every command its own option strings (``args.options``): a refusal names the
    option that filled a value (``context._option_name``) as this command spells it."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                _record_options(child)
            return
    options = frozenset(o for action in parser._actions for o in action.option_strings)
    parser.set_defaults(options=options)
