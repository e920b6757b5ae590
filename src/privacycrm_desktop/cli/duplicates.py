"""``privacycrm-cli duplicates find|merge|undo|merges`` (docs/architecture.md, "Headless
interface"; names may grow, never change).

``duplicates find [--rule RULE]...`` lists the groups of possible duplicates (the rules of
the settings unless named); ``duplicates merge ID ID... [--keep ID] [--take FIELD=ID]...``
merges the contacts into the kept one (the first id unless ``--keep``), each ``--take``
naming the contact whose value a field keeps; ``duplicates undo MERGE_ID`` undoes a
merge; ``duplicates merges`` lists the merges. With ``--companies`` each does the same for
companies (``find --companies [--company-rule RULE]...``, ``merge --companies ID ID...``).
"""

from __future__ import annotations

from typing import Any

from privacycrm_desktop.cli import output as out
from privacycrm_desktop.cli.context import CliFailure, Context
from privacycrm_desktop.cli.options import Parents, Subparsers, record_id
from privacycrm_desktop.domain.company_merges import COMPANY_RULE_LABELS, CompanyRule
from privacycrm_desktop.domain.merges import RULE_LABELS, DuplicateRule
from privacycrm_desktop.i18n import _, format_moment, ngettext


def register(commands: Subparsers, parents: Parents) -> None:
    """Add the ``duplicates`` commands to the parser."""
    group = commands.add_parser("duplicates", help=_("find and merge duplicate contacts"))
    sub = group.add_subparsers(dest="duplicates_command", required=True, metavar="COMMAND")
    p = sub.add_parser("find", parents=parents, help=_("list groups of possible duplicates"))
    p.add_argument(
        "--rule",
        action="append",
        choices=[r.value for r in DuplicateRule],
        help=_("a rule to use (repeatable; default: the rules of the settings)"),
    )
    p.add_argument(
        "--company-rule",
        action="append",
        choices=[r.value for r in CompanyRule],
        help=_("with --companies: a rule to use (repeatable; default: all)"),
    )
    _companies_flag(p)
    p.set_defaults(run=cmd_find)
    p = sub.add_parser("merge", parents=parents, help=_("merge contacts into one"))
    p.add_argument(
        "ids",
        nargs="+",
        type=record_id,
        metavar="ID",
        help=_("the contacts (or companies) to merge"),
    )
    _companies_flag(p)
    p.add_argument(
        "--keep", type=record_id, help=_("the contact that stays (default: the first id)")
    )
    p.add_argument(
        "--take",
        action="append",
        default=[],
        metavar="FIELD=ID",
        help=_("take this field's value from that contact (repeatable)"),
    )
    p.set_defaults(run=cmd_merge)
    p = sub.add_parser("undo", parents=parents, help=_("undo a merge"))
    p.add_argument("merge_id", type=record_id, metavar="MERGE_ID", help=_("the merge"))
    _companies_flag(p)
    p.set_defaults(run=cmd_undo)
    p = sub.add_parser("merges", parents=parents, help=_("list the merges, newest first"))
    _companies_flag(p)
    p.set_defaults(run=cmd_merges)
    p = sub.add_parser("undo-days", parents=parents, help=_("how many days a merge can be undone"))
    p.add_argument("days", type=int, nargs="?", help=_("set it to this many days"))
    p.set_defaults(run=cmd_undo_days)


def _companies_flag(p: Any) -> None:
    p.add_argument("--companies", action="store_true", help=_("companies instead of contacts"))


def _merger(ctx: Context) -> Any:
    services = ctx.services
    return services.company_merges if ctx.args.companies else services.merges


def cmd_find(ctx: Context) -> int:
    if ctx.args.companies:
        return _find_companies(ctx)
    rules = [DuplicateRule(r) for r in ctx.args.rule or ()]
    groups = ctx.services.duplicates.find(ctx.actor(), rules or None)
    document = {
        "groups": [
            {"contacts": list(g.contact_ids), "rules": [r.value for r in g.rules]} for g in groups
        ]
    }
    ctx.emit(
        document,
        lambda: (
            out.table(
                [_("Contacts"), _("Found by")],
                [
                    [
                        ", ".join(str(i) for i in g.contact_ids),
                        "; ".join(_(RULE_LABELS[r]) for r in g.rules),
                    ]
                    for g in groups
                ],
            )
            if groups
            else _("No duplicates found.")
        ),
    )
    return 0


def _find_companies(ctx: Context) -> int:
    rules = [CompanyRule(r) for r in ctx.args.company_rule or ()]
    groups = ctx.services.company_merges.find(ctx.actor(), rules or None)
    document = {
        "groups": [
            {"companies": list(g.company_ids), "rules": [r.value for r in g.rules]} for g in groups
        ]
    }
    ctx.emit(
        document,
        lambda: (
            out.table(
                [_("Companies"), _("Found by")],
                [
                    [
                        ", ".join(str(i) for i in g.company_ids),
                        "; ".join(_(COMPANY_RULE_LABELS[r]) for r in g.rules),
                    ]
                    for g in groups
                ],
            )
            if groups
            else _("No duplicates found.")
        ),
    )
    return 0


def _takes(pairs: list[str]) -> dict[str, int]:
    takes: dict[str, int] = {}
    for pair in pairs:
        field, sep, value = pair.partition("=")
        if not sep or not value.strip().isdigit():
            raise CliFailure(_("Write --take as FIELD=ID, for example city=12."))
        takes[field.strip()] = int(value)
    return takes


def cmd_merge(ctx: Context) -> int:
    a = ctx.args
    keep = a.keep if a.keep is not None else a.ids[0]
    others = [i for i in a.ids if i != keep]
    result = _merger(ctx).merge(ctx.actor(), keep, others, _takes(a.take))
    n = len(result.merged_ids)
    if a.companies:
        said = ngettext(
            "Merged {n} company into company {id} (merge {merge}).",
            "Merged {n} companies into company {id} (merge {merge}).",
            n,
        )
    else:
        said = ngettext(
            "Merged {n} contact into contact {id} (merge {merge}).",
            "Merged {n} contacts into contact {id} (merge {merge}).",
            n,
        )
    ctx.emit(
        {
            # The record a merge creates is the merge (DESIGN: "id" for what is created).
            "id": result.merge_id,
            "merge_id": result.merge_id,
            "survivor": result.survivor_id,
            "merged": list(result.merged_ids),
        },
        lambda: said.format(n=n, id=result.survivor_id, merge=result.merge_id),
    )
    return 0


def cmd_undo(ctx: Context) -> int:
    result = _merger(ctx).undo(ctx.actor(), ctx.args.merge_id)
    if ctx.args.companies:
        said = _("Merge {merge} undone; companies {ids} are back.")
    else:
        said = _("Merge {merge} undone; contacts {ids} are back.")
    ctx.emit(
        {
            "merge_id": result.merge_id,
            "survivor": result.survivor_id,
            "restored": list(result.merged_ids),
        },
        lambda: said.format(
            merge=result.merge_id, ids=", ".join(str(i) for i in result.merged_ids)
        ),
    )
    return 0


def cmd_merges(ctx: Context) -> int:
    merges = _merger(ctx).merges(ctx.actor())
    document = {
        "merges": [
            {
                "id": m.merge_id,
                "survivor": m.survivor_id,
                "merged": list(m.merged_ids),
                "at": m.created_at,
                "closed": m.closed,
                "undo_until": m.undo_until,
            }
            for m in merges
        ]
    }
    ctx.emit(
        document,
        lambda: out.table(
            [_("Merge"), _("Kept"), _("Merged"), _("Can be undone until")],
            [
                [
                    m.merge_id,
                    m.survivor_id or "",
                    ", ".join(str(i) for i in m.merged_ids),
                    format_moment(m.undo_until) if m.undo_until else "",
                ]
                for m in merges
            ],
        ),
    )
    return 0


def cmd_undo_days(ctx: Context) -> int:
    merges, actor = ctx.services.merges, ctx.actor()
    if ctx.args.days is not None:
        merges.set_undo_days(actor, ctx.args.days)
    days = merges.undo_days(actor)
    ctx.emit(
        {"undo_days": days},
        lambda: ngettext(
            "A merge can be undone for {n} day.", "A merge can be undone for {n} days.", days
        ).format(n=days),
    )
    return 0
