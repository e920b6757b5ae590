"""``privacycrm-cli import``: import a CSV or vCard file, list past imports, undo one.

``import FILE --source-kind K --source TEXT --purpose P`` (docs/architecture.md, "Headless
interface"); ``import list`` and ``import undo BATCH`` (a file really named "list" or
"undo" is given as ./list).

Each command group registers its own commands (``register``) with the function that runs
each (``set_defaults(run=...)``); cli/parser.py calls ``register``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from privacycrm_desktop.cli import output as out
from privacycrm_desktop.cli.context import Context
from privacycrm_desktop.cli.options import Parents, Subparsers, country_code, iso_date, record_id
from privacycrm_desktop.domain.consent import Channel
from privacycrm_desktop.domain.custom_fields import CustomFieldDefinition, custom_key_for
from privacycrm_desktop.domain.import_formats import (
    SKIP_REASON_LABELS,
    ColumnTarget,
    DuplicatePolicy,
    FileShape,
    ImportField,
    SkipReason,
)
from privacycrm_desktop.domain.import_profiles import PROFILE_LABELS, ImportProfile
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.domain.purposes import LegalBasis
from privacycrm_desktop.i18n import _, ngettext, tr_in

if TYPE_CHECKING:
    from privacycrm_desktop.services.imports import ImportBatchRow, ImportResult

#: Problems listed one by one in the text output; the rest are counted.
SHOWN_PROBLEMS = 20
_DELIMITER_NAMES = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}


def _delimiter(text: str) -> str:
    value = _DELIMITER_NAMES.get(text.lower(), text)
    if len(value) != 1:
        raise argparse.ArgumentTypeError(_("use one character, or tab"))
    return value


def register(commands: Subparsers, parents: Parents) -> None:
    """Add ``import`` to the parser."""
    p = commands.add_parser(
        "import",
        parents=parents,
        help=_("import contacts from a CSV or vCard file; import list; import undo BATCH"),
    )
    p.add_argument("file", metavar="FILE", help=_("the CSV or vCard file (or: list, undo)"))
    p.add_argument("batch", nargs="?", type=record_id, metavar="BATCH", help=argparse.SUPPRESS)
    p.add_argument(
        "--source-kind",
        choices=[k.value for k in SourceKind],
        help=_("where the details come from (required)"),
    )
    p.add_argument("--source", help=_("description of the source (required)"))
    p.add_argument("--obtained", type=iso_date, help=_("when they were obtained (default today)"))
    p.add_argument("--purpose", help=_("purpose code from the register (required)"))
    p.add_argument(
        "--legal-basis",
        choices=[b.value for b in LegalBasis],
        help=_("legal basis (default: the purpose's own)"),
    )
    p.add_argument(
        "--duplicates",
        choices=[d.value for d in DuplicatePolicy],
        default=DuplicatePolicy.SKIP.value,
        help=_("what to do with a contact that exists already (default skip)"),
    )
    p.add_argument("--encoding", help=_("the file's encoding (default: detected)"))
    p.add_argument("--delimiter", type=_delimiter, help=_("the CSV separator (default: detected)"))
    p.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="HEADER=FIELD",
        help=_(
            "map a column by hand (repeatable): a field, nothing to leave it out, or "
            "consent:PURPOSE:CHANNEL"
        ),
    )
    p.add_argument(
        "--confirm-special",
        action="store_true",
        help=_(
            "keep notes that seem to hold special-category data (rule 10); without it such "
            "lines are left out and listed to check"
        ),
    )
    p.add_argument(
        "--country",
        type=country_code,
        metavar="CC",
        help=_(
            "the country of a row that names none, and whose phone numbers are read in (default BE)"
        ),
    )
    p.add_argument("--dry-run", action="store_true", help=_("only check; import nothing"))
    p.add_argument(
        "--invalid-out", type=Path, help=_("write the invalid rows with their reasons to this CSV")
    )
    p.set_defaults(run=cmd_import)


class _Usage(Exception):
    """A usage mistake argparse could not see: exit code 2."""


def _target(text: str) -> ColumnTarget | None:
    if not text:
        return None
    field, _sep, rest = text.partition(":")
    try:
        target = ImportField(field)
    except ValueError:
        raise _Usage(_("{field} is not a field to import into.").format(field=field)) from None
    if target is ImportField.CUSTOM:
        if not rest.strip():
            raise _Usage(_("A custom field's column needs field:KEY."))
        return ColumnTarget(target, key=rest.strip().casefold())
    if target is ImportField.CONSENT:
        purpose, _sep, channel = rest.partition(":")
        if channel not in {c.value for c in Channel}:
            raise _Usage(_("A consent column needs consent:PURPOSE:CHANNEL."))
        return ColumnTarget(target, purpose, channel)
    return ColumnTarget(target)


def _mapping(
    headers: tuple[str, ...],
    guessed: tuple[ColumnTarget | None, ...],
    overrides: list[str],
    custom: Sequence[CustomFieldDefinition] = (),
) -> tuple[ColumnTarget | None, ...]:
    # A column named as a custom field (its key or a label: our own export's) fills it.
    mapping = [
        target
        if target is not None or (key := custom_key_for(header, custom)) is None
        else ColumnTarget(ImportField.CUSTOM, key=key)
        for header, target in zip(headers, guessed, strict=False)
    ]
    keys = {d.key for d in custom}
    for item in overrides:
        header, sep, value = item.partition("=")
        if not sep or header not in headers:
            raise _Usage(_("{header} is not a column of this file.").format(header=header))
        value = value.strip()
        target = ColumnTarget(ImportField.CUSTOM, key=value) if value in keys else _target(value)
        for index, name in enumerate(headers):
            if name == header:
                mapping[index] = target
    return tuple(mapping)


def result_document(
    result: ImportResult,
    language: str,
    dry_run: bool,
    profile: ImportProfile | None = None,
    columns: tuple[tuple[str, ColumnTarget | None], ...] = (),
) -> dict[str, Any]:
    """Counts by outcome and reason; the problems with their row and column; the values
    kept as typed (or in the notes) that need a look; the defaults taken; the program the
    file was recognised as (``profile``) and what each column was read as."""
    messages = [tr_in(language, p.message, **p.params) for p in result.invalid]
    problems = [
        {"row": p.row_number, "column": p.column, "message": message}
        for p, message in zip(result.invalid, messages, strict=True)
    ]
    # Rows per reason, each reason written out in full (never a msgid with its blanks).
    by_reason: dict[str, set[int]] = {}
    for p, message in zip(result.invalid, messages, strict=True):
        by_reason.setdefault(message, set()).add(p.row_number)
    return {
        "profile": profile.value if profile is not None else None,
        "mapping": [
            {"column": header, "field": target.field.value if target is not None else None}
            for header, target in columns
        ],
        # The record an import creates is its batch (DESIGN: "id" for what is created).
        "id": result.batch_id,
        "batch_id": result.batch_id,
        "dry_run": dry_run,
        "total_rows": result.total_rows,
        "imported": result.imported,
        "merged": result.merged,
        "conflicts": result.conflicts,
        "skipped": {reason.value: result.skipped.get(reason, 0) for reason in SkipReason},
        "invalid_rows": result.invalid_rows,
        "invalid_by_reason": {message: len(rows) for message, rows in by_reason.items()},
        "problems": problems,
        "cancelled": result.cancelled,
        "to_check_count": len(result.to_check),
        "to_check": [
            {
                "row": v.row_number,
                "column": v.column,
                "field": v.field,
                "value": v.raw,
                "message": tr_in(language, v.message, **v.params),
            }
            for v in result.to_check
        ],
        "defaults": {
            name: {"value": value, "rows": result.defaulted.get(name, 0)}
            for name, value in result.defaults.items()
        },
    }


def _left_out(
    headers: tuple[str, ...],
    mapping: tuple[ColumnTarget | None, ...],
    sample: tuple[tuple[str, ...], ...],
) -> tuple[str, ...]:
    """The columns not imported that hold something in the first rows (an Outlook export's
    dozens of empty columns are not worth a word)."""
    return tuple(
        header
        for index, (header, target) in enumerate(zip(headers, mapping, strict=False))
        if target is None
        and header.strip()
        and any(index < len(row) and row[index].strip() for row in sample)
    )


def _result_text(
    result: ImportResult,
    language: str,
    dry_run: bool,
    profile: ImportProfile | None = None,
    left_out: tuple[str, ...] = (),
) -> str:
    from privacycrm_desktop.services.imports import (
        conflicts_line,
        defaults_lines,
        to_check_line,
    )

    lines = [_("Check only: nothing was imported.")] if dry_run else []
    if profile is not None:
        lines.append(
            _("The file was read as {profile}.").format(profile=_(PROFILE_LABELS[profile]))
        )
    if left_out:
        # Said, not only shown in the JSON mapping: a user may map them with --map.
        lines.append(_("Columns not imported: {columns}").format(columns=", ".join(left_out)))
    lines.append(
        ngettext("{count} row read", "{count} rows read", result.total_rows).format(
            count=result.total_rows
        )
    )
    lines.append(
        ngettext("{count} imported", "{count} imported", result.imported).format(
            count=result.imported
        )
    )
    if result.merged:
        lines.append(
            ngettext("{count} merged", "{count} merged", result.merged).format(count=result.merged)
        )
    if result.conflicts:
        lines.append(conflicts_line(result))
    for reason in SkipReason:
        count = result.skipped.get(reason, 0)
        if count:
            lines.append(
                ngettext("{count} skipped: {reason}", "{count} skipped: {reason}", count).format(
                    count=count, reason=_(SKIP_REASON_LABELS[reason])
                )
            )
    if result.invalid_rows:
        lines.append(
            ngettext("{count} invalid row", "{count} invalid rows", result.invalid_rows).format(
                count=result.invalid_rows
            )
        )
        lines += _listed(
            language, [(p.row_number, p.column, p.message, p.params) for p in result.invalid]
        )
    if result.to_check:
        lines.append(to_check_line(result))
        lines += _listed(
            language, [(v.row_number, v.column, v.message, v.params) for v in result.to_check]
        )
    lines += defaults_lines(result)
    if result.batch_id is not None:
        lines.append(_("Batch {id}; undo with: import undo {id}").format(id=result.batch_id))
    return "\n".join(lines)


def _listed(language: str, items: list[tuple[int, str, str, dict[str, object]]]) -> list[str]:
    """The first ``SHOWN_PROBLEMS`` of *items* (row, column, msgid, params), one a line."""
    lines = []
    for row, column, message_id, params in items[:SHOWN_PROBLEMS]:
        message = tr_in(language, message_id, **params)
        where = _("row {row}").format(row=row)
        lines.append(f"  {where}, {column}: {message}" if column else f"  {where}: {message}")
    if len(items) > SHOWN_PROBLEMS:
        lines.append("  " + _("... and {count} more").format(count=len(items) - SHOWN_PROBLEMS))
    return lines


def _batch_document(row: ImportBatchRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "file_name": row.file_name,
        "created_at": row.created_at.isoformat(),
        "created_by": row.created_by,
        "contacts": row.contacts,
        "undone": row.undone,
        "undoable": row.undoable,
        "status": row.status,
    }


def _batches_text(rows: list[ImportBatchRow]) -> str:
    def state(row: ImportBatchRow) -> str:
        if row.undone:
            return _("undone")
        undo = _("can be undone") if row.undoable else _("edited since")
        # A batch that did not finish says so first: its contacts are only part
        # of the file.
        ended = {
            "interrupted": _("interrupted"),
            "failed": _("stopped by a storage failure"),
            "cancelled": _("cancelled"),
            "running": _("running"),
        }.get(row.status)
        return f"{ended}, {undo}" if ended else undo

    return out.table(
        [_("Id"), _("File"), _("Date"), _("By"), _("Contacts"), _("State")],
        [
            [
                r.id,
                r.file_name,
                r.created_at.isoformat(" ", "minutes"),
                r.created_by,
                r.contacts,
                state(r),
            ]
            for r in rows
        ],
    )


def _usage(message: str) -> int:
    print(_("privacycrm-cli import: error: {message}").format(message=message), file=sys.stderr)
    return 2


def cmd_import(ctx: Context) -> int:
    a = ctx.args
    if a.file == "list":
        rows = ctx.services.imports.batches(ctx.actor())
        ctx.emit([_batch_document(r) for r in rows], lambda: _batches_text(rows))
        return 0
    if a.file == "undo":
        if a.batch is None:
            return _usage(_("say which batch: import undo BATCH"))
        removed = ctx.services.imports.undo(ctx.actor(), a.batch)
        ctx.emit({"id": a.batch, "removed": removed}, lambda: str(removed))
        return 0
    missing = [
        option
        for option, value in (
            ("--source-kind", a.source_kind),
            ("--source", a.source),
            ("--purpose", a.purpose),
        )
        if not value
    ]
    if missing or a.batch is not None:
        return _usage(
            _("the following arguments are required: {names}").format(names=", ".join(missing))
            if missing
            else _("unexpected argument: {value}").format(value=a.batch)
        )
    try:
        return _run(ctx)
    except _Usage as exc:
        return _usage(str(exc))


def _run(ctx: Context) -> int:
    from privacycrm_desktop.services.imports import ImportPlan

    a = ctx.args
    actor = ctx.actor()
    path = Path(a.file)
    if a.invalid_out is not None:
        # Refused before anything is imported, not after.
        from privacycrm_desktop.services.private_files import check_target

        check_target(a.invalid_out, path)
    shape: FileShape | None = None
    if a.encoding or a.delimiter:
        detected = ctx.services.imports.detect(actor, path)
        shape = FileShape(
            detected.format, a.encoding or detected.encoding, a.delimiter or detected.delimiter
        )
    preview = ctx.services.imports.preview(actor, path, shape)
    legal_basis = a.legal_basis
    if legal_basis is None:
        purposes = {p.code: p for p in ctx.services.statements.purposes(actor)}
        known = purposes.get(a.purpose)
        legal_basis = known.legal_basis.value if known is not None else ""
    plan = ImportPlan(
        path=path,
        shape=preview.shape,
        mapping=_mapping(
            preview.headers,
            preview.mapping,
            a.map,
            ctx.services.custom_fields.definitions(actor),
        ),
        source=SourceInput(SourceKind(a.source_kind), a.source, a.obtained),
        purpose_code=a.purpose,
        legal_basis=legal_basis,
        duplicates=DuplicatePolicy(a.duplicates),
        **({"default_country": a.country} if a.country else {}),
        confirm_special=a.confirm_special,
    )

    def progress(done: int, total: int) -> None:
        if ctx.fmt != "json" and sys.stderr.isatty():
            print(
                _("{done} of {total} steps").format(done=done, total=total),
                file=sys.stderr,
                end="\r",
                flush=True,
            )

    # A plan refused (ImportPlanInvalid) is said by run_command, each value by its option.
    if a.dry_run:
        result = ctx.services.imports.check(actor, plan, progress)
    else:
        result = ctx.services.imports.run(actor, plan, progress)
    language = a.lang
    if a.invalid_out is not None and result.invalid_rows:
        ctx.services.imports.save_invalid_rows(
            actor, plan, result, a.invalid_out, language=language
        )
    columns = tuple(zip(preview.headers, plan.mapping, strict=False))
    ctx.emit(
        result_document(result, language, a.dry_run, preview.profile, columns),
        lambda: _result_text(
            result,
            language,
            a.dry_run,
            preview.profile,
            _left_out(preview.headers, plan.mapping, preview.sample),
        ),
    )
    if result.total_rows and result.invalid_rows == result.total_rows and not result.cancelled:
        # Nothing of the file could be imported: a script must not take that for success.
        print(_("No row of the file can be imported."), file=sys.stderr)
        return 1
    return 0
