"""``privacycrm-cli`` commands of consent and marketing: ``consent record``, ``unsubscribe``
and ``marketing list`` (docs/architecture.md, "Headless interface"; names may grow, never change).

Each command group registers its own commands (``register``) with the function that runs
each (``set_defaults(run=...)``); cli/parser.py calls ``register``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from privacycrm_desktop.cli import output as out
from privacycrm_desktop.cli.context import Context
from privacycrm_desktop.cli.options import Parents, Subparsers, non_negative, record_id
from privacycrm_desktop.domain.consent import (
    CHOOSABLE_METHODS,
    Channel,
    ConsentMethod,
    ConsentStatus,
)
from privacycrm_desktop.i18n import _, describe_explanation
from privacycrm_desktop.services.private_files import write_private

if TYPE_CHECKING:
    from privacycrm_desktop.services.consent_dto import MarketingList

#: Statuses as typed on the command line (hyphens) and as stored.
CLI_STATUSES = {
    "opt-in": ConsentStatus.OPT_IN,
    "opt-out": ConsentStatus.OPT_OUT,
    "soft-opt-in": ConsentStatus.SOFT_OPT_IN,
}


def register(commands: Subparsers, parents: Parents) -> None:
    """Add ``consent record``, ``unsubscribe`` and ``marketing list`` to the parser."""
    consent = commands.add_parser("consent", help=_("record consent and objections"))
    sub = consent.add_subparsers(dest="consent_command", required=True, metavar="COMMAND")
    p = sub.add_parser(
        "record", parents=parents, help=_("record an opt-in, opt-out or soft opt-in")
    )
    p.add_argument("id", type=record_id, help=_("contact id"))
    p.add_argument(
        "--purpose", required=True, help=_("purpose code, e.g. direct_marketing_consent")
    )
    p.add_argument(
        "--channel", required=True, choices=[c.value for c in Channel], help=_("channel")
    )
    p.add_argument(
        "--status", required=True, choices=list(CLI_STATUSES), help=_("what the person said")
    )
    p.add_argument(
        "--method", required=True, choices=[m.value for m in CHOOSABLE_METHODS], help=_("how")
    )
    p.add_argument("--evidence", default="", help=_("reference to the proof (required for opt-in)"))
    p.add_argument(
        "--statement-version", type=non_negative, help=_("privacy-statement version shown")
    )
    p.add_argument("--category", default="", help=_("product category bought (soft opt-in)"))
    p.add_argument(
        "--opt-out-offered",
        action="store_true",
        help=_("a free opt-out was offered when the details were taken (soft opt-in)"),
    )
    p.set_defaults(run=cmd_consent_record)

    p = commands.add_parser(
        "unsubscribe", parents=parents, help=_("unsubscribe a contact from all direct marketing")
    )
    p.add_argument("id", type=record_id, help=_("contact id"))
    p.add_argument(
        "--method",
        choices=[m.value for m in CHOOSABLE_METHODS],
        default=ConsentMethod.UNSUBSCRIBE_LINK.value,
        help=_("how the person asked"),
    )
    p.set_defaults(run=cmd_unsubscribe)

    marketing = commands.add_parser("marketing", help=_("marketing lists"))
    sub = marketing.add_subparsers(dest="marketing_command", required=True, metavar="COMMAND")
    p = sub.add_parser("list", parents=parents, help=_("who may be reached, and why"))
    p.add_argument("--purpose", required=True, help=_("marketing purpose code"))
    p.add_argument(
        "--channel", required=True, choices=[c.value for c in Channel], help=_("channel")
    )
    p.add_argument("--category", help=_("product category the offer is about"))
    p.add_argument("--tag", help=_("only the contacts with this tag"))
    p.add_argument("--out", type=Path, help=_("write the list as CSV to this file"))
    p.add_argument("--recipient", default="", help=_("who receives the CSV (logged)"))
    p.set_defaults(run=cmd_marketing_list)


def cmd_consent_record(ctx: Context) -> int:
    from privacycrm_desktop.services.consent_dto import ConsentInput

    a = ctx.args
    data = ConsentInput(
        contact_id=a.id,
        purpose=a.purpose,
        channel=Channel(a.channel),
        status=CLI_STATUSES[a.status],
        method=ConsentMethod(a.method),
        evidence=a.evidence,
        statement_version=a.statement_version,
        product_category=a.category,
        opt_out_offered=a.opt_out_offered,
    )
    new_id = ctx.services.consent.record(ctx.actor(), data)
    ctx.emit({"id": new_id}, lambda: str(new_id))
    return 0


def cmd_unsubscribe(ctx: Context) -> int:
    a = ctx.args
    count = ctx.services.consent.unsubscribe(ctx.actor(), a.id, ConsentMethod(a.method))
    ctx.emit({"id": a.id, "opt_outs": count}, lambda: "OK")
    return 0


def marketing_document(result: MarketingList) -> dict[str, Any]:
    """The list as JSON: contacts with their reason, and counts left out by reason."""
    return {
        "purpose": result.purpose,
        "channel": result.channel.value,
        "category": result.category,
        "contacts": [
            {
                "id": e.contact_id,
                **e.values,
                "reason": e.reason.value,
                "explanation": describe_explanation(e.explanation),
            }
            for e in result.entries
        ],
        "excluded": dict(result.excluded),
    }


def _marketing_text(result: MarketingList) -> str:
    rows = [
        [e.contact_id, *(e.values.get(c, "") for c in result.columns), e.reason.value]
        for e in result.entries
    ]
    lines = [out.table(["id", *result.columns, "reason"], rows)]
    for reason, count in result.excluded.items():
        lines.append(_("left out ({reason}): {count}").format(reason=reason, count=count))
    return "\n".join(lines)


def cmd_marketing_list(ctx: Context) -> int:
    a = ctx.args
    actor = ctx.actor()
    channel = Channel(a.channel)
    tag = ctx.services.tags.find(actor, a.tag).id if a.tag else None
    result = ctx.services.marketing.build(actor, a.purpose, channel, a.category, tag=tag)
    if a.out is not None:
        data, _count = ctx.services.marketing.export_csv(
            actor, a.purpose, channel, a.category, a.recipient, tag=tag
        )
        write_private(a.out, data)
    ctx.emit(marketing_document(result), lambda: _marketing_text(result))
    return 0
