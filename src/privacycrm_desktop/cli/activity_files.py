"""``privacycrm-cli activity export|import``: interactions to and from CSV files
(docs/architecture.md, "Headless interface"; names may grow, never change).

``activity export FILE --purpose CODE --recipient TEXT [--recipient-kind KIND]
[--format-profile teamleader|odoo|privacycrm] [--contact ID | --company ID]`` writes the
interactions the role sees (a person's: those they took part in too, marked linked), for a
purpose and a recipient as ``export``; ``activity import FILE [--map
"Header=field"]... [--dry-run] [--confirm-special]`` reads a Teamleader, Odoo or own file
(or any CSV with ``--map``) and prints a summary (``--format json``: a document).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from privacycrm_desktop.cli.context import CliFailure, Context
from privacycrm_desktop.cli.export import INTERNAL, add_disclosure_arguments
from privacycrm_desktop.cli.options import Parents, Subparsers, record_id
from privacycrm_desktop.domain.activity_csv import (
    ACTIVITY_PROFILE_LABELS,
    REFUSAL_LABELS,
    ActivityField,
    ActivityProfile,
    MappingProblem,
)
from privacycrm_desktop.domain.purposes import RecipientKind
from privacycrm_desktop.i18n import _, format_number

_PROFILES = [p.value for p in ActivityProfile if p is not ActivityProfile.GENERIC]


def register(sub: Subparsers, parents: Parents) -> None:
    """Add ``activity export`` and ``activity import``."""
    p = sub.add_parser("export", parents=parents, help=_("write interactions to a CSV file"))
    p.add_argument("file", type=Path, metavar="FILE")
    p.add_argument(
        "--format-profile",
        choices=_PROFILES,
        default=ActivityProfile.PRIVACYCRM.value,
        help=_("the columns of the program the file is for"),
    )
    p.add_argument("--contact", type=record_id, metavar="CONTACT_ID", help=_("only this person's"))
    p.add_argument("--company", type=record_id, metavar="COMPANY_ID", help=_("only this company's"))
    # Personal data leave: for a purpose and a recipient, as ``export`` (cli/export.py).
    add_disclosure_arguments(p)
    p.set_defaults(run=cmd_activity_export)
    p = sub.add_parser("import", parents=parents, help=_("log interactions from a CSV file"))
    p.add_argument("file", type=Path, metavar="FILE")
    p.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="HEADER=FIELD",
        help=_("what a column holds: {fields} (empty: leave it out)").format(
            fields=", ".join(f.value for f in ActivityField)
        ),
    )
    p.add_argument("--dry-run", action="store_true", help=_("check the file, write nothing"))
    p.add_argument(
        "--confirm-special",
        action="store_true",
        help=_("import text that seems to hold special-category data (rule 10)"),
    )
    p.set_defaults(run=cmd_activity_import)


def cmd_activity_export(ctx: Context) -> int:
    a = ctx.args
    try:
        done = ctx.services.activity_transfer.export(
            ctx.actor(),
            a.file,
            ActivityProfile(a.format_profile),
            purpose=a.purpose,
            recipient=a.recipient,
            recipient_kind=None
            if a.recipient_kind == INTERNAL
            else RecipientKind(a.recipient_kind),
            recipient_own_use=a.recipient_own_use,
            contact_id=a.contact,
            company_id=a.company,
        )
    except OSError as exc:
        raise CliFailure(
            _("Cannot write {name}: {reason}").format(name=a.file.name, reason=exc.strerror or exc)
        ) from None
    ctx.emit(
        {
            "file": str(done.path),
            "profile": done.profile.value,
            "count": done.count,
            "details": done.with_details,
            "recipient_id": done.recipient_id,
            "disclosures": done.disclosures,
        },
        lambda: _("{count} interactions written to {name}").format(
            count=format_number(done.count), name=done.path.name
        ),
    )
    return 0


def cmd_activity_import(ctx: Context) -> int:
    a = ctx.args
    try:
        done = ctx.services.activity_transfer.import_file(
            ctx.actor(),
            a.file,
            mapping=a.map,
            dry_run=a.dry_run,
            confirm_special=a.confirm_special,
        )
    except MappingProblem as exc:
        raise CliFailure(
            _("--map: no column or field called {name}").format(name=str(exc))
        ) from None
    except OSError as exc:
        raise CliFailure(
            _("Cannot read {name}: {reason}").format(name=a.file.name, reason=exc.strerror or exc)
        ) from None
    document: dict[str, Any] = {
        "profile": done.profile.value,
        "dry_run": done.dry_run,
        "rows": done.rows,
        "imported": done.imported,
        "ids": done.ids,
        "columns": done.columns,
        "refused": [{"row": r.row, "reason": r.reason} for r in done.refused],
    }

    def text() -> str:
        head = (
            _("Trial run: {imported} of {rows} rows could be imported ({profile}).")
            if done.dry_run
            else _("{imported} of {rows} rows imported ({profile}).")
        ).format(
            imported=format_number(done.imported),
            rows=format_number(done.rows),
            profile=_(ACTIVITY_PROFILE_LABELS[done.profile]),
        )
        lines = [head]
        lines += [
            _("Row {row}: {reason}").format(row=r.row, reason=_(REFUSAL_LABELS[r.reason]))
            for r in done.refused
        ]
        return "\n".join(lines)

    ctx.emit(document, text)
    return 0
