"""``privacycrm-cli`` commands of retention: ``cleanup --dry-run|--apply``,
``erase ID --reason TEXT`` (docs/architecture.md, "Headless interface") and
``reconfirm-months [N]``.

Each command group registers its own commands (``register``) with the function that runs
each (``set_defaults(run=...)``); cli/parser.py calls ``register``.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from privacycrm_desktop.cli import output as out
from privacycrm_desktop.cli.context import Context
from privacycrm_desktop.cli.options import Parents, Subparsers, record_id
from privacycrm_desktop.domain.erasure import ErasureReason
from privacycrm_desktop.i18n import _, ngettext

if TYPE_CHECKING:
    from privacycrm_desktop.services.cleanup import CleanupOutcome


def register(commands: Subparsers, parents: Parents) -> None:
    """Add ``cleanup``, ``erase`` and ``reconfirm-months`` to the parser."""
    p = commands.add_parser(
        "cleanup", parents=parents, help=_("erase or anonymise contacts past their keep-until date")
    )
    mode = p.add_mutually_exclusive_group(required=True)
    mode.add_argument("--dry-run", action="store_true", help=_("only report what would be done"))
    mode.add_argument("--apply", action="store_true", help=_("apply the proposed actions"))
    by_tag = p.add_mutually_exclusive_group()
    by_tag.add_argument(
        "--tag", metavar="TAG", help=_("only the expired contacts that carry this tag")
    )
    by_tag.add_argument(
        "--except-tag", metavar="TAG", help=_("keep the expired contacts that carry this tag")
    )
    p.set_defaults(run=cmd_cleanup)

    p = commands.add_parser("erase", parents=parents, help=_("erase one contact for good"))
    p.add_argument("id", type=record_id, help=_("contact id"))
    p.add_argument(
        "--reason",
        required=True,
        help=_(
            "erasure_request or objection (the person goes on the suppression list), "
            "retention_expired or other; any other text is refused"
        ),
    )
    p.add_argument(
        "--anonymise", action="store_true", help=_("keep a non-identifying record for statistics")
    )
    p.set_defaults(run=cmd_erase)

    p = commands.add_parser(
        "reconfirm-months",
        parents=parents,
        help=_("show or set how long a consent holds before it is due for re-confirmation"),
    )
    p.add_argument(
        "months",
        type=_months,
        nargs="?",
        help=_("new number of months (1 to 120; default 24)"),
    )
    p.set_defaults(run=cmd_reconfirm_months)


def cleanup_document(outcome: CleanupOutcome) -> dict[str, Any]:
    """The outcome as JSON: counts by action and by reason (no personal data)."""
    return {
        "dry_run": outcome.dry_run,
        "by_action": dict(outcome.by_action),
        "by_reason": dict(outcome.by_reason),
        "skipped": outcome.skipped,
        "total": sum(outcome.by_action.values()),
        # Whether the erased data left the database files: "not needed" when nothing was
        # erased (a dry run erases nothing), never "done" for a scrub that did not run.
        "scrub": _scrub_state(outcome),
        # Custom values past their field's keep period: erased (a dry run: to be erased).
        "values_erased": outcome.values_erased,
    }


def _scrub_state(outcome: CleanupOutcome) -> str:
    """The cleanup's scrub in the JSON: "pending", "done" or "not needed"."""
    if outcome.scrub_pending:
        return "pending"
    return "done" if outcome.scrub_needed else "not needed"


def _cleanup_text(outcome: CleanupOutcome) -> str:
    rows: list[list[object]] = [[k, v] for k, v in sorted(outcome.by_action.items())]
    rows += [[f"reason:{k}", v] for k, v in sorted(outcome.by_reason.items())]
    head = _("Dry run: nothing was changed.") if outcome.dry_run else _("Cleanup applied.")
    if outcome.values_erased:
        head += "\n" + (
            ngettext(
                "{count} custom field value is past its keep period and will be erased.",
                "{count} custom field values are past their keep period and will be erased.",
                outcome.values_erased,
            )
            if outcome.dry_run
            else ngettext(
                "{count} custom field value past its keep period was erased.",
                "{count} custom field values past their keep period were erased.",
                outcome.values_erased,
            )
        ).format(count=outcome.values_erased)
    if outcome.scrub_pending:
        head += "\n" + _scrub_pending_text()
    return head + "\n" + out.table(["", "count"], rows) if rows else head


def _scrub_pending_text() -> str:
    return _(
        "Scrub pending: another program has the database open, so the erased data is "
        "still in the database file. It is removed as soon as that program lets go (the "
        "next command or start of the app tries again)."
    )


def cmd_cleanup(ctx: Context) -> int:
    actor = ctx.actor()
    ctx.services.retention.fill_missing()
    # Listed before the apply erases them: which record, which field, since when.
    expired = ctx.services.cleanup.expired_values(actor)

    def progress(done: int, total: int) -> None:
        # Between batches; Ctrl+C stops there (what was applied stays, and is scrubbed).
        if ctx.fmt != "json" and sys.stderr.isatty():
            print(
                _("{done} of {total} contacts handled").format(done=done, total=total),
                file=sys.stderr,
                end="\r",
                flush=True,
            )

    plan = None
    name = ctx.args.tag or ctx.args.except_tag
    if name:
        tag = ctx.services.tags.find(actor, name)
        selection = ctx.services.cleanup.tag_selection(actor, tag.id, only=bool(ctx.args.tag))
        # Imported here: the erasure code is not needed by the CLI's other commands.
        from privacycrm_desktop.services.cleanup import CleanupPlan

        plan = CleanupPlan(selection=selection)
    outcome = ctx.services.cleanup.apply(actor, plan, dry_run=ctx.args.dry_run, progress=progress)
    document = cleanup_document(outcome)
    # Companies without people or a purpose of their own: listed for review (by id).
    companies = ctx.services.companies.cleanup_candidates(actor)
    document["companies_without_people"] = companies
    document["expired_values"] = [
        {
            "on": e.on.value,
            "id": e.record_id,
            "field": e.field,
            "recorded_on": e.recorded_on.isoformat(),
            "keep_until": e.keep_until.isoformat(),
        }
        for e in expired
    ]

    def text() -> str:
        shown = _cleanup_text(outcome)
        if companies:
            shown += "\n" + _("Companies without people or purpose: {ids}").format(
                ids=", ".join(str(c) for c in companies)
            )
        return shown

    ctx.emit(document, text)
    return 0


def cmd_erase(ctx: Context) -> int:
    a = ctx.args
    result = ctx.services.erasure.erase(
        ctx.actor(), a.id, ErasureReason.parse(a.reason), anonymise=a.anonymise
    )
    document = {
        "id": result.contact_id,
        "erased": True,
        "anonymised": result.anonymised,
        "scrub": "done" if result.scrubbed else "pending",
    }
    # Never "OK" while the person's bytes are still on disk: the erasure is committed (exit
    # 0), what is pending is said in words and in the JSON.
    ctx.emit(document, lambda: "OK" if result.scrubbed else _scrub_pending_text())
    return 0


def _months(value: str) -> int:
    """A number of months the horizon may be (a usage error otherwise, exit 2)."""
    from privacycrm_desktop.services.retention import RECONFIRM_MONTHS_RANGE

    try:
        months = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(_("Enter a whole number of months.")) from None
    if months not in RECONFIRM_MONTHS_RANGE:
        raise argparse.ArgumentTypeError(_("Choose between 1 and 120 months."))
    return months


def cmd_reconfirm_months(ctx: Context) -> int:
    """Show the re-confirmation horizon, or set it (owner, privacy officer) and recompute
    every keep-until date with it."""
    retention = ctx.services.retention
    if ctx.args.months is None:
        ctx.actor()
        months = retention.reconfirm_months()
        ctx.emit({"reconfirm_months": months}, lambda: str(months))
        return 0
    recomputed = retention.set_reconfirm_months(ctx.actor(), ctx.args.months)
    document = {"reconfirm_months": ctx.args.months, "recomputed": recomputed}
    ctx.emit(
        document,
        lambda: _("Consents are due for re-confirmation after {months} months.").format(
            months=ctx.args.months
        ),
    )
    return 0
