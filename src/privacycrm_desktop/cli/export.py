"""``privacycrm-cli export``: chosen contacts to CSV or vCard for a purpose and a recipient
(docs/architecture.md, "Headless interface"; names may grow, never change).

``export --format csv|vcard --out FILE --purpose CODE --recipient TEXT [--csv-profile
privacycrm|outlook|google|excel-nl|excel-fr] [--vcard-version 4.0|3.0] [ID...]``. Here
``--format csv|vcard`` is the file's format, as docs/architecture.md has it; the global ``--format
json`` (JSON on stdout) may stand before the command (``privacycrm-cli --format json export
--format csv ...``) or after it, next to the file's format (``export --format csv ...
--format json``): the value tells which one is meant.
Without IDs every contact the user may see is exported. ``--recipient-own-use`` declares
that the recipient uses the data for its own purposes: refused (rule 6), exit 1.

Each command group registers its own commands (``register``) with the function that runs
each (``set_defaults(run=...)``); cli/parser.py calls ``register``.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from privacycrm_desktop.cli.context import CliFailure, Context
from privacycrm_desktop.cli.options import FORMATS, Parents, Subparsers, record_id
from privacycrm_desktop.domain.export_csv import CsvProfile
from privacycrm_desktop.domain.export_formats import ExportFormat
from privacycrm_desktop.domain.export_vcard import VcardVersion
from privacycrm_desktop.domain.purposes import RecipientKind
from privacycrm_desktop.i18n import _, current_language, ngettext

EXPORT_FORMATS = tuple(f.value for f in ExportFormat)
#: The global output formats, also accepted after the command.
OUTPUT_FORMATS = FORMATS
#: ``--recipient-kind`` values: the ledger's kinds, or a file that stays in the company.
INTERNAL = "internal"
RECIPIENT_KINDS = (INTERNAL, *(k.value for k in RecipientKind))


def add_disclosure_arguments(p: argparse.ArgumentParser) -> None:
    """Personal data leave for a purpose and a recipient: the options every export takes
    (contacts, interactions), recorded in the disclosure ledger."""
    p.add_argument(
        "--purpose", required=True, help=_("purpose code from the register, e.g. invoicing")
    )
    p.add_argument("--recipient", required=True, help=_("who receives the file (logged)"))
    p.add_argument(
        "--recipient-kind",
        choices=RECIPIENT_KINDS,
        default=RecipientKind.PROCESSOR.value,
        help=_(
            "internal (the file stays in the company), processor (a service provider working "
            "for us; the default), independent or authority; every contact exported to a "
            "third party is recorded in its disclosure ledger"
        ),
    )
    p.add_argument(
        "--recipient-own-use",
        action="store_true",
        help=_("the recipient uses the data for its own purposes (always refused)"),
    )


def register(commands: Subparsers, parents: Parents) -> None:
    """Add ``export`` to the parser.

    *parents* are the shared option parsers; the one defining the global ``--format`` is
    left out, because ``--format`` here is the export's file format (docs/architecture.md).
    """
    shared = [p for p in parents if not _defines_format(p)]
    p = commands.add_parser(
        "export",
        parents=shared,
        help=_("export contacts to a CSV or vCard file for a purpose and a recipient"),
        description=_(
            "Export contacts (all you may see when no ID is given) with the fields your role "
            "may see. --format json, before or after the command, prints JSON on stdout."
        ),
    )
    p.add_argument(
        "--format",
        dest="export_format",
        required=True,
        action=_FormatAction,
        choices=[*EXPORT_FORMATS, *OUTPUT_FORMATS],
        metavar="{" + ",".join(EXPORT_FORMATS) + "}",
        help=_("the file's format"),
    )
    p.add_argument("--out", type=Path, required=True, help=_("the file to write"))
    add_disclosure_arguments(p)
    p.add_argument(
        "--csv-profile",
        choices=[c.value for c in CsvProfile],
        default=CsvProfile.PRIVACYCRM.value,
        help=_(
            "the program a CSV file is for: privacycrm (all columns, the default), outlook, "
            "google, excel-nl or excel-fr (a Belgian Excel: ; between cells)"
        ),
    )
    p.add_argument(
        "--vcard-version",
        choices=[v.value for v in VcardVersion],
        default=VcardVersion.V4.value,
        help=_("the version of a vCard file: 4.0 (the default) or 3.0"),
    )
    p.add_argument("ids", nargs="*", type=record_id, metavar="ID", help=_("contact ids"))
    p.set_defaults(run=cmd_export)


class _FormatAction(argparse.Action):
    """``--format csv|vcard`` is the file's format; ``--format json`` (or ``text``) given
    after the command too is the global output option, so either place works."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        if values in OUTPUT_FORMATS:
            namespace.format = values
        else:
            namespace.export_format = values


def _defines_format(parser: argparse.ArgumentParser) -> bool:
    return any("--format" in action.option_strings for action in parser._actions)


def cmd_export(ctx: Context) -> int:
    from privacycrm_desktop.services.exports import ExportRequest

    a = ctx.args
    if a.export_format is None:
        raise CliFailure(_("Say the file's format: --format csv or --format vcard."))
    kind = None if a.recipient_kind == INTERNAL else RecipientKind(a.recipient_kind)
    request = ExportRequest(
        format=ExportFormat(a.export_format),
        purpose=a.purpose,
        recipient=a.recipient,
        contact_ids=tuple(a.ids) if a.ids else None,
        recipient_kind=kind,
        recipient_own_use=a.recipient_own_use,
        csv_profile=CsvProfile(a.csv_profile),
        vcard_version=VcardVersion(a.vcard_version),
        language=current_language(),
    )
    result = ctx.services.exports.export(ctx.actor(), request, a.out)
    document = {
        "count": result.count,
        "format": result.format.value,
        "path": str(result.path),
        "fields": list(result.fields),
        "recipient_id": result.recipient_id,
        "disclosures": result.disclosures,
        "variant": result.variant,
    }
    ctx.emit(
        document,
        lambda: ngettext(
            "{count} contact exported to {path}",
            "{count} contacts exported to {path}",
            result.count,
        ).format(count=result.count, path=result.path),
    )
    return 0
