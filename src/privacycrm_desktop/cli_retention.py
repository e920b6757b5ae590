"""``privacycrm-cli`` commands of retention: ``cleanup --dry-run|--apply`` and
``erase ID --reason TEXT`` (DESIGN.md, "Headless interface").

Kept apart from cli.py so each capability brings its own commands; cli.py and
cli_parser.py only register them.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from privacycrm_desktop import cli_output as out
from privacycrm_desktop.domain.erasure import ErasureReason
from privacycrm_desktop.i18n import _

if TYPE_CHECKING:
    from privacycrm_desktop.cli import Context
    from privacycrm_desktop.services.cleanup import CleanupOutcome


def add_commands(commands: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Add ``cleanup`` and ``erase`` to the parser."""
    p = commands.add_parser(
        "cleanup", parents=parents, help=_("erase or anonymise contacts past their keep-until date")
    )
    mode = p.add_mutually_exclusive_group(required=True)
    mode.add_argument("--dry-run", action="store_true", help=_("only report what would be done"))
    mode.add_argument("--apply", action="store_true", help=_("apply the proposed actions"))
    p.set_defaults(handler="cleanup")

    p = commands.add_parser("erase", parents=parents, help=_("erase one contact for good"))
    p.add_argument("id", type=int, help=_("contact id"))
    p.add_argument(
        "--reason",
        required=True,
        help=_(
            "erasure_request or objection (the person goes on the suppression list), "
            "retention_expired, or other text (recorded as other)"
        ),
    )
    p.add_argument(
        "--anonymise", action="store_true", help=_("keep a non-identifying record for statistics")
    )
    p.set_defaults(handler="erase")


def cleanup_document(outcome: CleanupOutcome) -> dict[str, Any]:
    """The outcome as JSON: counts by action and by reason (no personal data)."""
    return {
        "dry_run": outcome.dry_run,
        "by_action": dict(outcome.by_action),
        "by_reason": dict(outcome.by_reason),
        "skipped": outcome.skipped,
        "total": sum(outcome.by_action.values()),
    }


def _cleanup_text(outcome: CleanupOutcome) -> str:
    rows: list[list[object]] = [[k, v] for k, v in sorted(outcome.by_action.items())]
    rows += [[f"reason:{k}", v] for k, v in sorted(outcome.by_reason.items())]
    head = _("Dry run: nothing was changed.") if outcome.dry_run else _("Cleanup applied.")
    return head + "\n" + out.table(["", "count"], rows) if rows else head


def cmd_cleanup(ctx: Context) -> int:
    actor = ctx.actor()
    ctx.services.retention.fill_missing()
    outcome = ctx.services.cleanup.apply(actor, dry_run=ctx.args.dry_run)
    ctx.emit(cleanup_document(outcome), lambda: _cleanup_text(outcome))
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
        "cleaned": result.cleaned,
    }
    ctx.emit(document, lambda: "OK")
    if not result.cleaned:
        # Committed: the erasure stands; only the clean-up after it waits (issue 17).
        print(
            _(
                "The contact was erased. The disk is too full (or the database is busy) to "
                "also clean the search index and the write-ahead log now; this is done after "
                "the next erasure. Free some space."
            ),
            file=sys.stderr,
        )
    return 0


HANDLERS: dict[str, Callable[[Context], int]] = {
    "cleanup": cmd_cleanup,
    "erase": cmd_erase,
}
