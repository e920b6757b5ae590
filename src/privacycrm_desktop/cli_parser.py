"""The argument parser of ``privacycrm-cli``: commands, options and their help.

Names follow docs/architecture.md ("Headless interface") and may grow, never change. Each leaf
command stores a ``handler`` key that cli.py maps to the function that runs it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
from typing import TypeAlias

from privacycrm_desktop import (
    cli_backup,
    cli_export,
    cli_import,
    cli_marketing,
    cli_requests,
    cli_retention,
)
from privacycrm_desktop.config import default_database
from privacycrm_desktop.domain.access import Role
from privacycrm_desktop.domain.contacts import ContactKind, Language, Relationship
from privacycrm_desktop.domain.provenance import SourceKind
from privacycrm_desktop.i18n import LANGUAGES, _
from privacycrm_desktop.services.dto import ContactSort

PASSWORD_ENV = "PRIVACYCRM_PASSWORD"  # noqa: S105 (the variable's name, not a password)
NEW_PASSWORD_ENV = "PRIVACYCRM_NEW_PASSWORD"  # noqa: S105
FORMATS = ("text", "json")
Subparsers: TypeAlias = (
    "argparse._SubParsersAction[argparse.ArgumentParser]"  # add_subparsers returns it
)


def iso_date(text: str) -> dt.date:
    """An argparse type for YYYY-MM-DD."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(_("use the form YYYY-MM-DD")) from None


def non_negative(text: str) -> int:
    """An argparse type for counts and offsets."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(_("use a whole number, 0 or more"))
    return value


def default_language() -> str:
    """The messages' language: ``LANG``'s prefix when it is nl or fr, else English."""
    prefix = os.environ.get("LANG", "")[:2].lower()
    return prefix if prefix in ("nl", "fr") else "en"


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
    parents = [common, fmt]

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

    p = commands.add_parser("init", parents=parents, help=_("set up a new database"))
    p.add_argument("--owner", required=True, help=_("the owner's user name"))
    p.add_argument("--company", required=True, help=_("the business's name"))
    p.add_argument("--address", required=True, help=_("the business's address"))
    p.add_argument("--language", choices=LANGUAGES, default="en", help=_("the business's language"))
    p.add_argument("--vat", help=_("VAT number"))
    p.add_argument("--privacy-email", help=_("address for privacy questions"))
    p.set_defaults(handler="init", needs_db=False)

    p = commands.add_parser("demo", parents=parents, help=_("add synthetic contacts"))
    p.add_argument("--count", type=non_negative, required=True, help=_("how many contacts"))
    p.add_argument("--seed", type=int, default=1, help=_("random seed"))
    p.set_defaults(handler="demo")

    p = commands.add_parser(
        "self-test",
        parents=parents,
        help=_("check this installation works on a temporary database, then exit"),
    )
    p.set_defaults(handler="self-test", needs_db=False)

    _user_commands(commands, parents)
    _contact_commands(commands, parents)
    cli_marketing.add_commands(commands, parents)
    cli_requests.add_commands(commands, parents)
    cli_retention.add_commands(commands, parents)
    cli_export.add_commands(commands, parents)
    cli_backup.add_commands(commands, parents)
    cli_import.add_commands(commands, parents)

    p = commands.add_parser("verify-audit", parents=parents, help=_("check the audit hash chain"))
    p.add_argument(
        "--mark-reviewed",
        action="store_true",
        help=_(
            "PostgreSQL, owner only: mark the changes made outside PrivacyCRM that the check "
            "lists as reviewed (the server keeps them; the audit trail records it)"
        ),
    )
    p.set_defaults(handler="verify-audit")
    p = commands.add_parser("check", parents=parents, help=_("check the database file"))
    p.set_defaults(handler="check")
    return parser


def _user_commands(commands: Subparsers, parents: list[argparse.ArgumentParser]) -> None:
    user = commands.add_parser("user", help=_("manage users")).add_subparsers(
        dest="user_command", required=True, metavar="COMMAND"
    )
    p = user.add_parser("add", parents=parents, help=_("add a user"))
    p.add_argument("name", help=_("user name"))
    p.add_argument("--role", choices=[r.value for r in Role], required=True, help=_("role"))
    p.add_argument("--language", choices=LANGUAGES, default="en", help=_("the user's language"))
    p.set_defaults(handler="user add")
    p = user.add_parser("list", parents=parents, help=_("list the users"))
    p.set_defaults(handler="user list")
    for command, text in (
        ("deactivate", _("stop a user from signing in")),
        ("reactivate", _("let a deactivated user sign in again")),
        (
            "reset-password",
            _("give a user a new password (from {env} or a prompt)").format(env=NEW_PASSWORD_ENV),
        ),
    ):
        p = user.add_parser(command, parents=parents, help=text)
        p.add_argument("name", help=_("user name"))
        p.set_defaults(handler=f"user {command}")
    p = user.add_parser("role", parents=parents, help=_("give a user another role"))
    p.add_argument("name", help=_("user name"))
    p.add_argument("role", choices=[r.value for r in Role], help=_("role"))
    p.set_defaults(handler="user role")
    p = user.add_parser(
        "server-roles",
        parents=parents,
        help=_(
            "PostgreSQL: give each user their own database role, so the server enforces "
            "the field rules (owner, with a connection that may create roles)"
        ),
    )
    p.set_defaults(handler="user server-roles")


def _contact_commands(commands: Subparsers, parents: list[argparse.ArgumentParser]) -> None:
    contacts = commands.add_parser("contacts", help=_("list, show and add contacts"))
    sub = contacts.add_subparsers(dest="contacts_command", required=True, metavar="COMMAND")
    p = sub.add_parser("list", parents=parents, help=_("list or search contacts"))
    p.add_argument("--search", default="", help=_("words to search for"))
    p.add_argument(
        "--sort", choices=[s.value for s in ContactSort], default="name", help=_("sort order")
    )
    p.add_argument("--desc", action="store_true", help=_("sort descending"))
    p.add_argument(
        "--limit", type=non_negative, default=50, help=_("at most this many rows (200 at most)")
    )
    p.add_argument("--offset", type=non_negative, default=0, help=_("skip this many rows"))
    p.set_defaults(handler="contacts list")
    p = sub.add_parser(
        "show", parents=parents, help=_("one contact, with the source of each value")
    )
    p.add_argument("id", type=int, help=_("contact id"))
    p.set_defaults(handler="contacts show")
    p = sub.add_parser("add", parents=parents, help=_("add a contact with its source"))
    _contact_options(p)
    p.set_defaults(handler="contacts add")


def _contact_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--first-name", default="", help=_("first name"))
    p.add_argument("--last-name", default="", help=_("last name"))
    p.add_argument("--organisation", default="", help=_("organisation"))
    p.add_argument("--email", action="append", default=[], help=_("e-mail address (repeatable)"))
    p.add_argument("--phone", action="append", default=[], help=_("phone number (repeatable)"))
    p.add_argument("--street", default="", help=_("street and number"))
    p.add_argument("--postcode", default="", help=_("postcode"))
    p.add_argument("--city", default="", help=_("city"))
    p.add_argument("--country", default="BE", help=_("two-letter country code"))
    p.add_argument(
        "--language",
        choices=[x.value for x in Language],
        default="nl",
        help=_("the contact's language"),
    )
    p.add_argument("--birth-date", type=iso_date, help=_("YYYY-MM-DD"))
    p.add_argument("--notes", default="", help=_("notes"))
    p.add_argument(
        "--confirm-special",
        action="store_true",
        help=_("save notes that seem to hold special-category data (rule 10)"),
    )
    p.add_argument(
        "--relationship",
        choices=[r.value for r in Relationship],
        default="prospect",
        help=_("relationship"),
    )
    p.add_argument(
        "--kind",
        choices=[k.value for k in ContactKind],
        default="person",
        help=_("a person or an organisation address such as info@"),
    )
    p.add_argument(
        "--source-kind",
        choices=[k.value for k in SourceKind],
        help=_("where the details come from (required)"),
    )
    p.add_argument("--source", help=_("description of the source (required)"))
    p.add_argument(
        "--source-date", type=iso_date, help=_("when they were obtained (default today)")
    )
