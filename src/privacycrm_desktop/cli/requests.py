"""``privacycrm-cli`` commands of the rights requests: ``request add``, ``request list`` and
``export-report`` (docs/architecture.md, "Headless interface"; names may grow, never change).

Each command group registers its own commands (``register``) with the function that runs
each (``set_defaults(run=...)``); cli/parser.py calls ``register``.
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

from privacycrm_desktop.cli import output as out
from privacycrm_desktop.cli.context import Context
from privacycrm_desktop.cli.options import Parents, Subparsers, iso_date, record_id
from privacycrm_desktop.domain.requests import RequestKind
from privacycrm_desktop.i18n import LANGUAGES, _

if TYPE_CHECKING:
    from privacycrm_desktop.services.requests import RequestInfo


def _date(text: str) -> dt.date:
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(_("Use a date like 2026-03-31.")) from None
    return iso_date(text)  # and the dates every option takes


def register(commands: Subparsers, parents: Parents) -> None:
    """Add ``request add``, ``request list`` and ``export-report`` to the parser."""
    request = commands.add_parser("request", help=_("the register of rights requests"))
    sub = request.add_subparsers(dest="request_command", required=True, metavar="COMMAND")
    p = sub.add_parser("add", parents=parents, help=_("register a request received"))
    p.add_argument("--kind", required=True, choices=[k.value for k in RequestKind], help=_("kind"))
    p.add_argument(
        "--contact",
        type=record_id,
        action="append",
        required=True,
        help=_("contact id (repeat for several)"),
    )
    p.add_argument("--received", type=_date, help=_("date received (default: today)"))
    p.add_argument("--channel", default="", help=_("how it reached us (e-mail, letter, ...)"))
    p.add_argument("--requester", default="", help=_("who asked"))
    p.add_argument("--identity-method", default="", help=_("how the identity was checked"))
    p.set_defaults(run=cmd_request_add)
    p = sub.add_parser("list", parents=parents, help=_("the requests, soonest due first"))
    p.add_argument("--open", action="store_true", help=_("only requests still open"))
    p.set_defaults(run=cmd_request_list)

    # The global --lang is the language of the messages; here it is the report's, so this
    # command takes the other global options without it.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    common.add_argument("--user", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    p = commands.add_parser(
        "export-report",
        parents=[common, *parents[1:]],
        help=_("the access report of a contact as PDF (and JSON)"),
    )
    p.add_argument("id", type=record_id, help=_("contact id"))
    p.add_argument("--out", type=Path, required=True, help=_("the PDF file to write"))
    p.add_argument(
        "--lang",
        dest="report_lang",
        choices=LANGUAGES,
        help=_("language of the report (default: the contact's)"),
    )
    p.add_argument("--json", type=Path, help=_("also write the machine-readable copy here"))
    p.add_argument("--request", type=record_id, help=_("the request the report answers"))
    p.set_defaults(run=cmd_export_report)


def request_document(info: RequestInfo) -> dict[str, Any]:
    """A request as the JSON output names it."""
    return {
        "id": info.id,
        "reference": info.reference,
        "kind": info.kind.value,
        "received_on": info.received_on,
        "due_on": info.due_on,
        "status": info.status.value,
        "overdue": info.overdue,
        "due_soon": info.due_soon,
        "extension_months": info.extension_months,
        "channel": info.channel,
        "requester": info.requester,
        "identity_verified": info.identity_verified,
        "contacts": list(info.contact_ids),
        "handled_by": info.handled_by,
        "closed_on": info.closed_on,
        "outcome": info.outcome,
    }


def cmd_request_add(ctx: Context) -> int:
    from privacycrm_desktop.services.requests import RequestInput

    a = ctx.args
    actor = ctx.actor()
    new_id = ctx.services.requests.add(
        actor,
        RequestInput(
            kind=RequestKind(a.kind),
            contact_ids=tuple(a.contact),
            received_on=a.received,
            channel=a.channel,
            requester=a.requester,
            identity_verified=bool(a.identity_method.strip()),
            identity_method=a.identity_method,
        ),
    )
    info = ctx.services.requests.get(actor, new_id)
    ctx.emit(
        {"id": new_id, "reference": info.reference, "due_on": info.due_on}, lambda: str(new_id)
    )
    return 0


def cmd_request_list(ctx: Context) -> int:
    actor = ctx.actor()
    requests = ctx.services.requests.list_requests(actor, open_only=ctx.args.open)

    def text() -> str:
        rows = []
        for r in requests:
            flag = _("overdue") if r.overdue else _("due soon") if r.due_soon else ""
            rows.append(
                [r.id, r.reference, r.kind.value, r.received_on, r.due_on, r.status.value, flag]
            )
        headers = [_("Id"), _("Reference"), _("Kind"), _("Received"), _("Due"), _("Status"), ""]
        return out.table(headers, rows)

    ctx.emit({"requests": [request_document(r) for r in requests]}, text)
    return 0


def cmd_export_report(ctx: Context) -> int:
    a = ctx.args
    actor = ctx.actor()
    # Written, then recorded as given (a report that could not be written is no report).
    report = ctx.services.access_reports.save(
        actor, a.id, a.out, json_out=a.json, language=a.report_lang, request_id=a.request
    )
    document = {
        "id": a.id,
        "pdf": str(a.out),
        "json": str(a.json) if a.json is not None else None,
        "language": report.language,
        "reference": report.reference,
    }
    ctx.emit(document, lambda: str(a.out))
    return 0
