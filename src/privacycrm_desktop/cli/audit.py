"""``privacycrm-cli verify-audit [--mark-reviewed]``: the audit trail's hash chain, checked
against every anchor found, and (PostgreSQL) the changes made outside PrivacyCRM
(docs/architecture.md, "Headless interface")."""

from __future__ import annotations

from privacycrm_desktop.cli.context import CliFailure, Context
from privacycrm_desktop.cli.options import Parents, Subparsers
from privacycrm_desktop.i18n import _


def register(commands: Subparsers, parents: Parents) -> None:
    """Add ``verify-audit`` to the parser."""
    p = commands.add_parser("verify-audit", parents=parents, help=_("check the audit hash chain"))
    p.add_argument(
        "--mark-reviewed",
        action="store_true",
        help=_(
            "PostgreSQL, owner only: mark the changes made outside PrivacyCRM that the check "
            "lists as reviewed (the server keeps them; the audit trail records it)"
        ),
    )
    p.set_defaults(run=cmd_verify_audit)


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
            # The chain against every anchor found (added keys; the two above
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
