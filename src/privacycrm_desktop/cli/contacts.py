"""``privacycrm-cli contacts list|show|add`` (docs/architecture.md, "Headless interface"; names
may grow, never change)."""

from __future__ import annotations

import argparse

from privacycrm_desktop.cli import output as out
from privacycrm_desktop.cli.context import CliFailure, Context
from privacycrm_desktop.cli.options import (
    Parents,
    Subparsers,
    birth_date,
    country_code,
    iso_date,
    non_negative,
    record_id,
)
from privacycrm_desktop.domain.contacts import ContactInput, ContactKind, Language, Relationship
from privacycrm_desktop.domain.errors import NotFound
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.domain.special_categories import SpecialCategoryUnconfirmed
from privacycrm_desktop.i18n import _, describe_error
from privacycrm_desktop.services.contacts import MAX_PAGE
from privacycrm_desktop.services.dto import ContactSort


def register(commands: Subparsers, parents: Parents) -> None:
    """Add ``contacts list``, ``contacts show`` and ``contacts add`` to the parser."""
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
    p.add_argument("--tag", help=_("only the contacts with this tag"))
    p.set_defaults(run=cmd_contacts_list)
    p = sub.add_parser(
        "show", parents=parents, help=_("one contact, with the source of each value")
    )
    p.add_argument("id", type=record_id, help=_("contact id"))
    p.set_defaults(run=cmd_contacts_show)
    p = sub.add_parser("add", parents=parents, help=_("add a contact with its source"))
    _contact_options(p)
    p.set_defaults(run=cmd_contacts_add)


def _contact_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--first-name", default="", help=_("first name"))
    p.add_argument("--last-name", default="", help=_("last name"))
    p.add_argument("--organisation", default="", help=_("organisation"))
    p.add_argument("--email", action="append", default=[], help=_("e-mail address (repeatable)"))
    p.add_argument("--phone", action="append", default=[], help=_("phone number (repeatable)"))
    p.add_argument("--street", default="", help=_("street and number"))
    p.add_argument("--postcode", default="", help=_("postcode"))
    p.add_argument("--city", default="", help=_("city"))
    p.add_argument("--country", default="BE", type=country_code, help=_("two-letter country code"))
    p.add_argument(
        "--language",
        choices=[x.value for x in Language],
        default="nl",
        help=_("the contact's language"),
    )
    p.add_argument("--birth-date", type=birth_date, help=_("YYYY-MM-DD"))
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
    p.add_argument(
        "--field",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help=_("a custom field's value (repeatable; field list shows the keys)"),
    )


def cmd_contacts_list(ctx: Context) -> int:
    actor, a = ctx.actor(), ctx.args
    if a.limit > MAX_PAGE:
        # More than a screenful is an export: permission, purpose, recipient, audit entry.
        raise CliFailure(
            _(
                "The list shows at most {max} contacts at a time; more is an export: use "
                "export --format csv --out FILE --purpose TEXT --recipient TEXT."
            ).format(max=MAX_PAGE)
        )
    contacts = ctx.services.contacts
    tag = ctx.services.tags.find(actor, a.tag).id if a.tag else None
    total = contacts.count(actor, a.search, tag=tag)
    rows = contacts.page(
        actor,
        query=a.search,
        sort=ContactSort(a.sort),
        descending=a.desc,
        offset=a.offset,
        limit=a.limit,
        total=total,
        tag=tag,
    )
    document = {"total": total, "contacts": [out.contact_row_document(r) for r in rows]}
    ctx.emit(document, lambda: out.contacts_text(total, rows, a.offset))
    return 0


def cmd_contacts_show(ctx: Context) -> int:
    actor = ctx.actor()
    wanted = ctx.args.id
    try:
        detail = ctx.services.contacts.get(actor, wanted)
    except NotFound:
        # An id merged away (an old export's, the audit's) leads to the contact kept.
        survivor = ctx.services.merges.resolve(wanted)
        if survivor == wanted:
            raise
        detail = ctx.services.contacts.get(actor, survivor)
    document = out.contact_document(detail)
    if detail.id != wanted:
        document["merged_from"] = wanted
    ctx.emit(document, lambda: _merged_note(wanted, detail.id) + out.contact_text(detail))
    return 0


def custom_values(pairs: list[str]) -> dict[str, str]:
    """``--field KEY=VALUE`` options as key -> value (a key given twice: the last wins)."""
    values: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise CliFailure(_("Give a custom field as KEY=VALUE."))
        values[key.strip().casefold().removeprefix("field:")] = value
    return values


def _merged_note(wanted: int, shown: int) -> str:
    if wanted == shown:
        return ""
    return _("Contact {old} was merged into contact {id}.").format(old=wanted, id=shown) + "\n"


def cmd_contacts_add(ctx: Context) -> int:
    a = ctx.args
    data = ContactInput(
        kind=ContactKind(a.kind),
        first_name=a.first_name,
        last_name=a.last_name,
        organisation=a.organisation,
        emails=tuple(a.email),
        phones=tuple(a.phone),
        street=a.street,
        postcode=a.postcode,
        city=a.city,
        country=a.country,
        language=Language(a.language),
        birth_date=a.birth_date,
        notes=a.notes,
        relationship=Relationship(a.relationship),
        extra=custom_values(a.field),
    )
    # Without a kind the service refuses with SourceMissing, after checking the values.
    source = (
        SourceInput(SourceKind(a.source_kind), a.source or "", a.source_date)
        if a.source_kind
        else None
    )
    try:
        new_id = ctx.services.contacts.create(
            ctx.actor(), data, source, special_confirmed=a.confirm_special
        )
    except SpecialCategoryUnconfirmed as exc:
        raise CliFailure(
            describe_error(exc) + " " + _("Add --confirm-special to save it anyway.")
        ) from None
    ctx.emit({"id": new_id}, lambda: str(new_id))
    return 0
