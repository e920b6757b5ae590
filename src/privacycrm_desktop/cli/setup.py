"""``privacycrm-cli`` commands that set a database up or check this installation: ``init``,
``demo`` and ``self-test`` (docs/architecture.md, "Headless interface"; names may grow,
never change)."""

from __future__ import annotations

import sys

from privacycrm_desktop.cli.context import CliFailure, Context, read_password
from privacycrm_desktop.cli.options import PASSWORD_ENV, Parents, Subparsers, non_negative
from privacycrm_desktop.i18n import LANGUAGES, _


def register(commands: Subparsers, parents: Parents) -> None:
    """Add ``init``, ``demo`` and ``self-test`` to the parser."""
    p = commands.add_parser("init", parents=parents, help=_("set up a new database"))
    p.add_argument("--owner", required=True, help=_("the owner's user name"))
    p.add_argument("--company", required=True, help=_("the business's name"))
    p.add_argument("--address", required=True, help=_("the business's address"))
    p.add_argument("--language", choices=LANGUAGES, default="en", help=_("the business's language"))
    p.add_argument("--vat", help=_("VAT number"))
    p.add_argument("--privacy-email", help=_("address for privacy questions"))
    p.set_defaults(run=cmd_init, needs_db=False)

    p = commands.add_parser("demo", parents=parents, help=_("add synthetic contacts"))
    p.add_argument("--count", type=non_negative, required=True, help=_("how many contacts"))
    p.add_argument("--seed", type=int, default=1, help=_("random seed"))
    p.set_defaults(run=cmd_demo)

    p = commands.add_parser(
        "self-test",
        parents=parents,
        help=_("check this installation works on a temporary database, then exit"),
    )
    # Never opens --db: the self-test makes its own temporary database.
    p.set_defaults(run=cmd_self_test, needs_db=False, opens_db=False)


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


def cmd_self_test(ctx: Context) -> int:
    """The app's self-test without its window (selftest/checks.py: no Qt); it never opens
    ``--db``: the checks run on a temporary database of their own."""
    from privacycrm_desktop.selftest.checks import run_self_test

    return run_self_test(language=ctx.args.lang, as_json=ctx.fmt == "json")
