"""``privacycrm-cli activity add|list|delete`` (docs/architecture.md, "Headless interface";
names may grow, never change).

``activity add CONTACT_ID --kind call --summary TEXT [--details TEXT] [--at DATETIME]
[--attach FILE]`` logs an interaction and prints its id; ``--eml FILE`` logs an e-mail file
(its date, subject, sender and text; the file attached); ``--company ID`` logs it on a
company instead. ``activity list CONTACT_ID`` prints the timeline, newest first. A time
without a zone is this computer's local time.
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path
from typing import Any

from privacycrm_desktop.cli import activity_files
from privacycrm_desktop.cli import output as out
from privacycrm_desktop.cli.context import CliFailure, Context
from privacycrm_desktop.cli.options import Parents, Subparsers, non_negative, record_id
from privacycrm_desktop.domain.activities import (
    ACTIVITY_KIND_LABELS,
    ActivityInput,
    ActivityKind,
    mail_activity,
    read_eml,
)
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.domain.special_categories import SpecialCategoryUnconfirmed
from privacycrm_desktop.i18n import _, describe_error, local_moment
from privacycrm_desktop.services.activities import ActivityInfo
from privacycrm_desktop.services.attachment_files import read_attachment


def register(commands: Subparsers, parents: Parents) -> None:
    """Add the ``activity`` commands to the parser."""
    activity = commands.add_parser("activity", help=_("interactions: calls, meetings, e-mails"))
    sub = activity.add_subparsers(dest="activity_command", required=True, metavar="COMMAND")
    p = sub.add_parser("add", parents=parents, help=_("log an interaction; prints its id"))
    p.add_argument("contact", type=record_id, nargs="?", metavar="CONTACT_ID", help=_("the person"))
    p.add_argument("--company", type=record_id, metavar="COMPANY_ID", help=_("log it on a company"))
    p.add_argument("--kind", choices=[k.value for k in ActivityKind], help=_("what it was"))
    p.add_argument("--summary", help=_("a few words on what it was about"))
    p.add_argument("--details", default="", help=_("more details"))
    p.add_argument("--at", type=_moment, help=_("when: YYYY-MM-DD or YYYY-MM-DDTHH:MM"))
    p.add_argument("--attach", type=Path, metavar="FILE", help=_("a file to keep with it"))
    p.add_argument("--eml", type=Path, metavar="FILE", help=_("log an e-mail file (.eml)"))
    p.add_argument(
        "--with",
        dest="people",
        type=record_id,
        action="append",
        default=[],
        metavar="CONTACT_ID",
        help=_("another person who took part (repeatable)"),
    )
    p.add_argument("--source-kind", choices=[k.value for k in SourceKind])
    p.add_argument("--source", help=_("where what it says came from"))
    p.add_argument(
        "--confirm-special",
        action="store_true",
        help=_("save text that seems to hold special-category data (rule 10)"),
    )
    p.set_defaults(run=cmd_activity_add)
    p = sub.add_parser("list", parents=parents, help=_("a person's interactions, newest first"))
    p.add_argument("contact", type=record_id, nargs="?", metavar="CONTACT_ID", help=_("the person"))
    p.add_argument("--company", type=record_id, metavar="COMPANY_ID", help=_("a company's instead"))
    p.add_argument(
        "--kind", action="append", choices=[k.value for k in ActivityKind], help=_("only these")
    )
    p.add_argument("--limit", type=non_negative, default=1000, help=_("at most this many"))
    p.set_defaults(run=cmd_activity_list)
    p = sub.add_parser("delete", parents=parents, help=_("delete an interaction"))
    p.add_argument("id", type=record_id, help=_("the interaction's id"))
    p.set_defaults(run=cmd_activity_delete)
    activity_files.register(sub, parents)


def _moment(text: str) -> dt.datetime:
    """An argparse type: a date or a date and time; local unless it names its zone.
    Returned as stored: naive UTC."""
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(_("use the form YYYY-MM-DD or YYYY-MM-DDTHH:MM")) from None
    if value.tzinfo is None:
        value = value.astimezone()  # this computer's local time
    return value.astimezone(dt.UTC).replace(tzinfo=None)


def _owner(ctx: Context) -> tuple[int | None, int | None]:
    a = ctx.args
    if (a.contact is None) == (a.company is None):
        raise CliFailure(_("Give a contact id, or --company with a company id."))
    return a.contact, a.company


def _read(path: Path) -> bytes:
    try:
        return read_attachment(path)
    except OSError as exc:
        raise CliFailure(
            _("Cannot read {name}: {reason}").format(name=path.name, reason=exc.strerror or exc)
        ) from None


def cmd_activity_add(ctx: Context) -> int:
    a = ctx.args
    contact_id, company_id = _owner(ctx)
    source = SourceInput(SourceKind(a.source_kind), a.source or "", None) if a.source_kind else None
    if a.eml is not None:
        raw = _read(a.eml)
        data = mail_activity(read_eml(raw), a.eml.name, raw)
        data = ActivityInput(
            kind=ActivityKind(a.kind or data.kind),
            summary=a.summary or data.summary,
            occurred_at=a.at or data.occurred_at,
            details=a.details or data.details,
            attachment=data.attachment,
            attachment_name=data.attachment_name,
            source=source,
            special_confirmed=a.confirm_special,
            people=tuple(a.people),
        )
    else:
        if not a.kind or a.summary is None:
            raise CliFailure(_("Give --kind and --summary (or --eml FILE)."))
        data = ActivityInput(
            kind=ActivityKind(a.kind),
            summary=a.summary,
            occurred_at=a.at,
            details=a.details,
            attachment=_read(a.attach) if a.attach is not None else None,
            attachment_name=a.attach.name if a.attach is not None else "",
            source=source,
            special_confirmed=a.confirm_special,
            people=tuple(a.people),
        )
    service = ctx.services.activities
    try:
        if contact_id is not None:
            new_id = service.add(ctx.actor(), contact_id, data)
        else:
            assert company_id is not None
            new_id = service.add_to_company(ctx.actor(), company_id, data)
    except SpecialCategoryUnconfirmed as exc:
        raise CliFailure(
            describe_error(exc) + " " + _("Add --confirm-special to save it anyway.")
        ) from None
    ctx.emit({"id": new_id}, lambda: str(new_id))
    return 0


def _document(info: ActivityInfo) -> dict[str, Any]:
    """One interaction as JSON: what the role may not see is left out, never empty."""
    document: dict[str, Any] = {
        "id": info.id,
        "kind": info.kind.value,
        "occurred_at": info.occurred_at.isoformat() + "Z",
        "summary": info.summary,
        "recorded_by": info.recorded_by,
        "recorded_at": info.recorded_at.isoformat() + "Z",
        "linked": info.linked,
        "people": list(info.people),
    }
    if info.details is not None:
        document["details"] = info.details
        document["attachment"] = info.attachment_name or None
    if info.source_kind is not None:
        document["source"] = {"kind": info.source_kind.value, "description": info.source}
    return document


def cmd_activity_list(ctx: Context) -> int:
    a = ctx.args
    contact_id, company_id = _owner(ctx)
    kinds = {ActivityKind(k) for k in a.kind} if a.kind else None
    rows = ctx.services.activities.timeline(
        ctx.actor(), contact_id, company_id=company_id, kinds=kinds, limit=a.limit
    )

    def text() -> str:
        return out.table(
            [_("Id"), _("When"), _("Kind"), _("Summary"), _("Details"), _("By")],
            [
                [
                    r.id,
                    local_moment(r.occurred_at).strftime("%Y-%m-%d %H:%M"),
                    _(ACTIVITY_KIND_LABELS[r.kind]) + (" ⇄" if r.linked else ""),
                    r.summary,
                    " ".join((r.details or "").split())[:60] + (" ⎘" if r.attachment_name else ""),
                    r.recorded_by,
                ]
                for r in rows
            ],
        )

    ctx.emit({"activities": [_document(r) for r in rows]}, text)
    return 0


def cmd_activity_delete(ctx: Context) -> int:
    ctx.services.activities.delete(ctx.actor(), ctx.args.id)
    ctx.emit({"id": ctx.args.id, "deleted": True}, lambda: str(ctx.args.id))
    return 0
