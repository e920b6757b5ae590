"""``privacycrm-cli company add|list|show|link`` (docs/architecture.md, "Headless interface";
names may grow, never change)."""

from __future__ import annotations

from typing import Any

from privacycrm_desktop.cli import output as out
from privacycrm_desktop.cli.contacts import custom_values
from privacycrm_desktop.cli.context import Context
from privacycrm_desktop.cli.options import (
    Parents,
    Subparsers,
    country_code,
    iso_date,
    non_negative,
    record_id,
)
from privacycrm_desktop.domain.companies import (
    COMPANY_FIELD_LABELS,
    COMPANY_FIELDS,
    LEGAL_FORM_LABELS,
    CompanyInput,
    LegalForm,
    LinkInput,
)
from privacycrm_desktop.domain.contacts import RELATIONSHIP_LABELS, Relationship
from privacycrm_desktop.domain.errors import NotFound
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.i18n import _, country_name
from privacycrm_desktop.services.companies import MAX_PAGE, CompanyDetail, CompanyRow
from privacycrm_desktop.services.tags import TagInfo


def register(commands: Subparsers, parents: Parents) -> None:
    """Add ``company add``, ``company list``, ``company show`` and ``company link``."""
    company = commands.add_parser("company", help=_("add, list, show and link companies"))
    sub = company.add_subparsers(dest="company_command", required=True, metavar="COMMAND")
    p = sub.add_parser("add", parents=parents, help=_("add a company with its source"))
    p.add_argument("--name", required=True, help=_("the company's name"))
    p.add_argument(
        "--legal-form",
        choices=[f.value for f in LegalForm if f.value],
        default="",
        help=_("legal form"),
    )
    p.add_argument("--vat", default="", help=_("enterprise number or EU VAT number"))
    p.add_argument("--street", default="", help=_("street and number"))
    p.add_argument("--postcode", default="", help=_("postcode"))
    p.add_argument("--city", default="", help=_("city"))
    p.add_argument("--country", default="BE", type=country_code, help=_("two-letter country code"))
    p.add_argument("--email", default="", help=_("general e-mail address"))
    p.add_argument("--phone", default="", help=_("general phone number"))
    p.add_argument("--website", default="", help=_("website"))
    p.add_argument(
        "--relationship",
        choices=[r.value for r in Relationship],
        default="prospect",
        help=_("relationship"),
    )
    p.add_argument("--notes", default="", help=_("notes"))
    p.add_argument(
        "--field",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help=_("a custom field's value (repeatable; field list shows the keys)"),
    )
    _source_options(p)
    p.set_defaults(run=cmd_company_add)
    p = sub.add_parser("list", parents=parents, help=_("list or search companies"))
    p.add_argument("--search", default="", help=_("name or enterprise number"))
    p.add_argument(
        "--limit", type=non_negative, default=50, help=_("at most this many rows (200 at most)")
    )
    p.add_argument("--offset", type=non_negative, default=0, help=_("skip this many rows"))
    p.add_argument("--tag", help=_("only the companies with this tag"))
    p.set_defaults(run=cmd_company_list)
    p = sub.add_parser(
        "show", parents=parents, help=_("one company, its people and the source of each value")
    )
    p.add_argument("id", type=record_id, help=_("company id"))
    p.set_defaults(run=cmd_company_show)
    p = sub.add_parser("link", parents=parents, help=_("link a person to a company"))
    p.add_argument("contact_id", type=record_id, help=_("contact id"))
    p.add_argument("company_id", type=record_id, help=_("company id"))
    p.add_argument("--function", default="", help=_("the person's function"))
    p.add_argument("--department", default="", help=_("the person's department"))
    p.add_argument("--since", type=iso_date, help=_("YYYY-MM-DD (default today)"))
    p.add_argument(
        "--move",
        action="store_true",
        help=_("the person moved: end their current links (kept as history)"),
    )
    _source_options(p, required=False)
    p.set_defaults(run=cmd_company_link)


def _source_options(p: Any, *, required: bool = True) -> None:
    p.add_argument(
        "--source-kind",
        choices=[k.value for k in SourceKind],
        help=_("where the details come from (required)")
        if required
        else _("where the link comes from (default: a phone call)"),
    )
    p.add_argument("--source", help=_("description of the source"))
    p.add_argument(
        "--source-date", type=iso_date, help=_("when they were obtained (default today)")
    )


def _source(ctx: Context, default: SourceInput | None = None) -> SourceInput | None:
    a = ctx.args
    if not a.source_kind:
        return default
    return SourceInput(SourceKind(a.source_kind), a.source or "", a.source_date)


def cmd_company_add(ctx: Context) -> int:
    a = ctx.args
    data = CompanyInput(
        name=a.name,
        legal_form=LegalForm(a.legal_form),
        vat=a.vat,
        street=a.street,
        postcode=a.postcode,
        city=a.city,
        country=a.country,
        email=a.email,
        phone=a.phone,
        website=a.website,
        relationship=Relationship(a.relationship),
        notes=a.notes,
    )
    custom = custom_values(a.field)
    new_id = ctx.services.companies.add(ctx.actor(), data, _source(ctx), custom)
    ctx.emit({"id": new_id}, lambda: str(new_id))
    return 0


def cmd_company_list(ctx: Context) -> int:
    actor, a = ctx.actor(), ctx.args
    companies = ctx.services.companies
    tag = ctx.services.tags.find(actor, a.tag).id if a.tag else None
    total = companies.count(actor, a.search, tag=tag)
    rows = companies.rows(actor, a.search, offset=a.offset, limit=min(a.limit, MAX_PAGE), tag=tag)
    cells = companies.custom_cells(actor, [r.id for r in rows])
    document = {
        "total": total,
        "companies": [
            {**_row_document(r), "custom_fields": _by_key(cells.get(r.id, {}))} for r in rows
        ],
    }
    ctx.emit(document, lambda: _list_text(total, rows, a.offset))
    return 0


def cmd_company_show(ctx: Context) -> int:
    actor, wanted = ctx.actor(), ctx.args.id
    try:
        detail = ctx.services.companies.get(actor, wanted)
    except NotFound:
        # An id merged away (an old export's, the audit's) leads to the company kept.
        survivor = ctx.services.company_merges.resolve(wanted)
        if survivor == wanted:
            raise
        detail = ctx.services.companies.get(actor, survivor)
    document = company_document(detail)
    note = ""
    if detail.id != wanted:
        document["merged_from"] = wanted
        note = _("Company {old} was merged into company {id}.").format(old=wanted, id=detail.id)
    ctx.emit(document, lambda: (note + "\n" if note else "") + _company_text(detail))
    return 0


def cmd_company_link(ctx: Context) -> int:
    a = ctx.args
    actor = ctx.actor()
    # Without a source of its own, the link says it was entered here, today.
    fallback = SourceInput(SourceKind.PHONE_CALL, _("entered with privacycrm-cli"))
    data = LinkInput(function=a.function, department=a.department, started_on=a.since)
    companies = ctx.services.companies
    do = companies.move if a.move else companies.link
    link_id = do(actor, a.contact_id, a.company_id, data, _source(ctx, fallback))
    ctx.emit({"id": link_id}, lambda: str(link_id))
    return 0


def _by_key(cells: dict[str, str]) -> dict[str, str]:
    """A row's custom values by the fields' keys (as ``company show`` names them)."""
    return {name.removeprefix("cf_"): value for name, value in cells.items()}


def _row_document(row: CompanyRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "vat": row.vat,
        "city": row.city,
        "relationship": row.relationship.value,
        "people": row.people,
        "tags": [t.name for t in row.tags],
    }


def company_document(detail: CompanyDetail) -> dict[str, Any]:
    """A company as ``company show --format json`` prints it: every value with its source,
    and its people (current and past) with function and department."""
    values = out.jsonable(detail.values)
    values["vat_display"] = detail.vat_display
    return {
        "id": detail.id,
        "version": detail.version,
        **values,
        "sources": {
            name: out.source_document(info) for name, info in sorted(detail.provenance.items())
        },
        "people": [out.jsonable(p) for p in detail.people],
        "tags": [t.name for t in detail.tags],
        "custom_fields": out.custom_fields_document(detail.custom),
        "created_at": detail.created_at.isoformat(),
        "updated_at": detail.updated_at.isoformat(),
    }


def _list_text(total: int, rows: list[CompanyRow], offset: int) -> str:
    headers = [_("Id"), _("Name"), _("Enterprise number"), _("City"), _("People"), _("Tags")]
    body = [
        [r.id, r.name, r.vat, r.city, r.people, ", ".join(t.name for t in r.tags)] for r in rows
    ]
    shown = _("{first}-{last} of {total}").format(
        first=offset + 1 if rows else 0, last=offset + len(rows), total=total
    )
    return out.table(headers, body) + "\n" + shown


def _company_text(detail: CompanyDetail) -> str:
    rows: list[list[object]] = [[_("Id"), detail.id, ""]]
    for name in COMPANY_FIELDS:
        value: object = getattr(detail.values, name)
        if name == "vat":
            value = detail.vat_display
        elif name == "legal_form":
            value = _(LEGAL_FORM_LABELS[LegalForm(str(value))]) if value else ""
        elif name == "relationship":
            value = _(RELATIONSHIP_LABELS[Relationship(str(value))])
        elif name == "country":
            value = country_name(str(value))
        source = detail.provenance.get(name)
        described = (
            _("source: {kind}, {description}, {date}").format(
                kind=source.kind.value,
                description=source.description,
                date=source.obtained_on.isoformat(),
            )
            if source is not None and value
            else ""
        )
        rows.append([_(COMPANY_FIELD_LABELS[name]), value, described])
    if detail.tags:
        rows.append([_("Tags"), _names(detail.tags), ""])
    rows += out.custom_fields_text(detail.custom)
    text = out.table([_("Field"), _("Value"), _("Source")], rows)
    if detail.people:
        people = [
            [
                p.contact_id,
                p.name,
                p.function,
                p.department,
                p.started_on.isoformat() if p.started_on else "",
                p.ended_on.isoformat() if p.ended_on else "",
            ]
            for p in detail.people
        ]
        text += "\n\n" + out.table(
            [_("Id"), _("Name"), _("Function"), _("Department"), _("Since"), _("Until")], people
        )
    return text


def _names(tags: tuple[TagInfo, ...]) -> str:
    return ", ".join(t.name for t in tags)
