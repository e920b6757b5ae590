"""``privacycrm-cli tag add|remove|list`` and the tag's own changes: ``rename``, ``colour``,
``merge``, ``delete`` (docs/architecture.md, "Headless interface"; names may grow, never
change).

``tag add NAME ID...`` puts the tag on the contacts (creating the tag first when no tag
has that name, then printing its id); ``--search TEXT`` and ``--with-tag OTHER`` put it on
every contact the list shows for them instead, in one statement. ``--company ID`` puts
it on (or takes it off) that company instead of contacts.
"""

from __future__ import annotations

import argparse

from privacycrm_desktop.cli import output as out
from privacycrm_desktop.cli.context import CliFailure, Context
from privacycrm_desktop.cli.options import Parents, Subparsers, record_id
from privacycrm_desktop.i18n import _, ngettext
from privacycrm_desktop.persistence.tag_queries import IdsSql
from privacycrm_desktop.services.dto import Actor


def register(commands: Subparsers, parents: Parents) -> None:
    """Add the ``tag`` commands to the parser."""
    tag = commands.add_parser("tag", help=_("tags on contacts"))
    sub = tag.add_subparsers(dest="tag_command", required=True, metavar="COMMAND")
    p = sub.add_parser("add", parents=parents, help=_("put a tag on contacts (made if new)"))
    _selection(p)
    p.add_argument("--colour", help=_("colour of a new tag, #rrggbb"))
    p.set_defaults(run=cmd_tag_add)
    p = sub.add_parser("remove", parents=parents, help=_("take a tag off contacts"))
    _selection(p)
    p.set_defaults(run=cmd_tag_remove)
    p = sub.add_parser("list", parents=parents, help=_("the tags, with their contacts counted"))
    p.set_defaults(run=cmd_tag_list)
    p = sub.add_parser("rename", parents=parents, help=_("give a tag another name"))
    p.add_argument("name", help=_("the tag"))
    p.add_argument("new_name", help=_("its new name"))
    p.set_defaults(run=cmd_tag_rename)
    p = sub.add_parser("colour", parents=parents, help=_("give a tag another colour"))
    p.add_argument("name", help=_("the tag"))
    p.add_argument("colour", help=_("#rrggbb"))
    p.set_defaults(run=cmd_tag_colour)
    p = sub.add_parser(
        "merge", parents=parents, help=_("merge a tag into another: its contacts get the other")
    )
    p.add_argument("name", help=_("the tag that goes"))
    p.add_argument("into", help=_("the tag that stays"))
    p.set_defaults(run=cmd_tag_merge)
    p = sub.add_parser("delete", parents=parents, help=_("delete a tag (off every contact)"))
    p.add_argument("name", help=_("the tag"))
    p.set_defaults(run=cmd_tag_delete)


def _selection(p: argparse.ArgumentParser) -> None:
    p.add_argument("name", help=_("the tag's name"))
    p.add_argument("ids", nargs="*", type=record_id, metavar="CONTACT_ID", help=_("contact ids"))
    p.add_argument("--search", help=_("instead of ids: every contact these words find"))
    p.add_argument("--with-tag", help=_("instead of ids: every contact with this tag"))
    p.add_argument(
        "--company",
        type=record_id,
        metavar="COMPANY_ID",
        help=_("instead of contacts: this company"),
    )


def _company_only(ctx: Context) -> int | None:
    """The ``--company`` id (refused next to contact ids, --search or --with-tag)."""
    a = ctx.args
    if a.company is not None and (a.ids or _matching(ctx)):
        raise CliFailure(_("Give --company, or contact ids / --search / --with-tag, not both."))
    return int(a.company) if a.company is not None else None


def _selection_of(ctx: Context, actor: Actor) -> IdsSql | None:
    """What ``--search`` / ``--with-tag`` select (refused next to contact ids)."""
    a, services = ctx.args, ctx.services
    if a.ids:
        raise CliFailure(_("Give contact ids, or --search / --with-tag, not both."))
    other = services.tags.find(actor, a.with_tag).id if a.with_tag else None
    return services.contacts.selection(actor, a.search or "", other)


def _matching(ctx: Context) -> bool:
    return ctx.args.search is not None or ctx.args.with_tag is not None


def cmd_tag_add(ctx: Context) -> int:
    actor, a = ctx.actor(), ctx.args
    company = _company_only(ctx)
    if company is not None:
        tag_id, gained = ctx.services.tags.tag_company(actor, a.name, company, colour=a.colour)
        ctx.emit(
            {"id": tag_id, "company": company, "added": gained},
            lambda: (
                str(tag_id)
                + "\n"
                + (
                    _("Tag put on the company.")
                    if gained
                    else _("The company has this tag already.")
                )
            ),
        )
        return 0
    matching = _matching(ctx)
    selection = _selection_of(ctx, actor) if matching else None
    tag_id, added = ctx.services.tags.assign_named(
        actor, a.name, a.ids, selection, colour=a.colour, matching=matching
    )
    ctx.emit(
        {"id": tag_id, "added": added},
        lambda: (
            str(tag_id)
            + "\n"
            + ngettext("Tag put on {n} contact.", "Tag put on {n} contacts.", added).format(n=added)
        ),
    )
    return 0


def cmd_tag_remove(ctx: Context) -> int:
    actor, a = ctx.actor(), ctx.args
    tags = ctx.services.tags
    company = _company_only(ctx)
    tag_id = tags.find(actor, a.name).id
    if company is not None:
        gone = tags.untag_company(actor, tag_id, company)
        ctx.emit(
            {"id": tag_id, "company": company, "removed": int(gone)},
            lambda: (
                _("Tag taken off the company.")
                if gone
                else _("The company does not carry this tag.")
            ),
        )
        return 0
    if _matching(ctx):
        removed = tags.unassign_matching(actor, tag_id, _selection_of(ctx, actor))
    else:
        removed = tags.unassign(actor, tag_id, a.ids)
    ctx.emit(
        {"id": tag_id, "removed": removed},
        lambda: ngettext(
            "Tag taken off {n} contact.", "Tag taken off {n} contacts.", removed
        ).format(n=removed),
    )
    return 0


def cmd_tag_list(ctx: Context) -> int:
    tags = ctx.services.tags.list(ctx.actor())
    document = {
        "tags": [
            {"id": t.id, "name": t.name, "colour": t.colour, "contacts": t.contacts} for t in tags
        ]
    }
    ctx.emit(
        document,
        lambda: out.table(
            [_("Id"), _("Tag"), _("Colour"), _("Contacts")],
            [[t.id, t.name, t.colour, t.contacts] for t in tags],
        ),
    )
    return 0


def cmd_tag_rename(ctx: Context) -> int:
    actor, a = ctx.actor(), ctx.args
    tags = ctx.services.tags
    tag_id = tags.find(actor, a.name).id
    tags.rename(actor, tag_id, a.new_name)
    ctx.emit({"id": tag_id}, lambda: str(tag_id))
    return 0


def cmd_tag_colour(ctx: Context) -> int:
    actor, a = ctx.actor(), ctx.args
    tags = ctx.services.tags
    tag_id = tags.find(actor, a.name).id
    tags.recolour(actor, tag_id, a.colour)
    ctx.emit({"id": tag_id}, lambda: str(tag_id))
    return 0


def cmd_tag_merge(ctx: Context) -> int:
    actor, a = ctx.actor(), ctx.args
    tags = ctx.services.tags
    gone, kept = tags.find(actor, a.name).id, tags.find(actor, a.into).id
    moved = tags.merge(actor, gone, kept)
    ctx.emit(
        {"id": kept, "merged": gone, "contacts": moved},
        lambda: ngettext(
            "Merged; {n} contact gained the tag.", "Merged; {n} contacts gained the tag.", moved
        ).format(n=moved),
    )
    return 0


def cmd_tag_delete(ctx: Context) -> int:
    actor, a = ctx.actor(), ctx.args
    tags = ctx.services.tags
    tag_id = tags.find(actor, a.name).id
    removed = tags.delete(actor, tag_id)
    ctx.emit(
        {"id": tag_id, "removed": removed},
        lambda: ngettext(
            "Tag deleted; it was on {n} contact.", "Tag deleted; it was on {n} contacts.", removed
        ).format(n=removed),
    )
    return 0
