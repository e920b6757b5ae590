"""``privacycrm-cli`` commands of backups: ``backup [--to DIR]``, ``backup list`` and
``restore FILE`` (docs/architecture.md, "Headless interface").

The passphrase of an encrypted backup comes from ``PRIVACYCRM_BACKUP_PASSPHRASE`` or a
prompt. ``restore`` shows what it will change and asks before it acts, unless ``--yes``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from privacycrm_desktop.cli import output as out
from privacycrm_desktop.cli.context import CliFailure, Context, read_password
from privacycrm_desktop.cli.options import Parents, Subparsers
from privacycrm_desktop.i18n import _, local_moment, ngettext

if TYPE_CHECKING:
    from privacycrm_desktop.services.backup import BackupInfo, RestorePlan

PASSPHRASE_ENV = "PRIVACYCRM_BACKUP_PASSPHRASE"  # noqa: S105 (the variable's name)


def register(commands: Subparsers, parents: Parents) -> None:
    """Add ``backup`` and ``restore`` to the parser."""
    p = commands.add_parser(
        "backup",
        parents=parents,
        help=_("make a checked backup now and print its path; 'backup list' lists them"),
    )
    p.add_argument(
        "action", nargs="?", choices=["list"], help=_("list the backups instead of making one")
    )
    p.add_argument("--to", type=Path, help=_("write the backup into this folder"))
    p.set_defaults(run=cmd_backup)

    p = commands.add_parser(
        "restore",
        parents=parents,
        help=_("replace the database with a backup (owner only); the current one is kept aside"),
    )
    p.add_argument("file", type=Path, help=_("the backup file"))
    p.add_argument("--yes", action="store_true", help=_("do not ask for confirmation"))
    p.add_argument(
        "--replace-with-other-database",
        action="store_true",
        dest="replace_other",
        help=_(
            "restore a backup of another database, replacing this company's data with it "
            "(nothing of this database is carried over)"
        ),
    )
    p.add_argument(
        "--accept-unsealed",
        action="store_true",
        dest="accept_unsealed",
        help=_(
            "restore a backup that is not sealed (made by an older version); only for a "
            "backup you know you made: nothing proves it was not changed"
        ),
    )
    p.set_defaults(run=cmd_restore)


def _seal_mark(info: BackupInfo) -> str:
    """What the listing says of a backup's seal ("" for a sealed one)."""
    from privacycrm_desktop.persistence import backup as files

    if info.seal == files.UNSEALED:
        return _("not sealed (made by an older version)")
    if info.seal == files.NOT_RECOGNISED:
        return _("seal not recognised: changed, or not made here")
    return ""


def info_document(info: BackupInfo) -> dict[str, Any]:
    """A backup as JSON (no personal data: counts, times, checksums). "verified" only for
    a backup whose seal was found good (a listing checks it; a new backup is sealed)."""
    from privacycrm_desktop.persistence import backup as files

    authentic = info.seal in ("", files.SEALED)
    return {
        "id": info.path.name,
        "path": str(info.path),
        "created_at": info.created_at.isoformat(),
        "tier": info.tier,
        "contacts": info.contact_count,
        "encrypted": info.encrypted,
        "verified": info.verified and authentic,
        "sealed": info.seal != files.UNSEALED,
        "authentic": authentic,
        "schema_version": info.schema_version,
        "app_version": info.app_version,
        "checksum": info.checksum,
        "second_copy": str(info.second_copy) if info.second_copy else None,
    }


def cmd_backup(ctx: Context) -> int:
    actor = ctx.actor()
    if ctx.args.action == "list":
        backups = ctx.services.backup.list(actor)
        rows: list[list[object]] = [
            [
                local_moment(b.created_at).strftime("%Y-%m-%d %H:%M"),
                b.tier,
                b.contact_count,
                _("yes") if b.encrypted else _("no"),
                _seal_mark(b) or _("yes"),
                b.path,
            ]
            for b in backups
        ]
        ctx.emit(
            [info_document(b) for b in backups],
            lambda: out.table(
                [
                    _("created (UTC)"),
                    _("tier"),
                    _("contacts"),
                    _("encrypted"),
                    _("sealed"),
                    _("path"),
                ],
                rows,
            ),
        )
        return 0
    info = ctx.services.backup.create(actor, to=ctx.args.to)
    if info.second_copy_error:
        from privacycrm_desktop.domain.errors import BackupFailed
        from privacycrm_desktop.i18n import describe_error

        print(
            _("Warning: {problem}").format(
                problem=describe_error(BackupFailed(info.second_copy_error))
            ),
            file=sys.stderr,
        )
    ctx.emit(info_document(info), lambda: str(info.path))
    return 0


def _plan_text(plan: RestorePlan) -> str:
    lines = [
        ngettext(
            "Backup of {time} (UTC): {count} contact.",
            "Backup of {time} (UTC): {count} contacts.",
            plan.contacts_in_backup,
        ).format(
            time=local_moment(plan.backup.created_at).strftime("%Y-%m-%d %H:%M"),
            count=plan.contacts_in_backup,
        ),
        ngettext(
            "The database now holds {count} contact.",
            "The database now holds {count} contacts.",
            plan.contacts_now,
        ).format(count=plan.contacts_now),
        _("People erased since the backup, to be erased again: {count}.").format(
            count=plan.erasures_to_replay
        ),
    ]
    if plan.schema_migrates:
        lines.append(_("The backup will be brought to the current database version."))
    if plan.unsealed:
        lines.append(
            _(
                "This backup is not sealed (made by an older version): nothing proves it "
                "was not changed since."
            )
        )
    if plan.other_database:
        lines.append(
            _(
                "This backup is of another database: this company's data will be replaced "
                "by that database's, and nobody erased here will be erased in it."
            )
        )
    return "\n".join(lines)


def _confirm(ctx: Context, plan: RestorePlan) -> None:
    print(_plan_text(plan), file=sys.stderr)
    if ctx.args.yes:
        return
    if not sys.stdin.isatty():
        raise CliFailure(_("Not restored: confirm with --yes when there is no terminal."))
    answer = input(_("Restore this backup? The current database is kept aside. [y/N] "))
    if answer.strip().lower() not in ("y", "yes", "j", "ja", "o", "oui"):
        raise CliFailure(_("Not restored."))


def cmd_restore(ctx: Context) -> int:
    from privacycrm_desktop.domain.errors import BackupInvalid
    from privacycrm_desktop.i18n import describe_error
    from privacycrm_desktop.persistence import backup as files
    from privacycrm_desktop.persistence.backup import read_manifest
    from privacycrm_desktop.services.backup import BEFORE_RESTORE_DAYS

    actor = ctx.actor(own_role=False)  # on a server: the administrator's URL
    path: Path = ctx.args.file
    passphrase = None
    if read_manifest(path).encrypted:
        passphrase = read_password(PASSPHRASE_ENV, prompt=_("Backup passphrase: "))
    replace_other = bool(ctx.args.replace_other)
    unsealed = bool(ctx.args.accept_unsealed)
    try:
        plan = ctx.services.backup.plan_restore(
            actor, path, passphrase, replace_other=replace_other, accept_unsealed=unsealed
        )
    except BackupInvalid as exc:
        from privacycrm_desktop.persistence.database import is_postgresql

        if exc.reason != files.UNSEALED_REFUSED or is_postgresql(ctx.engine):
            raise
        raise CliFailure(
            describe_error(exc) + " " + _("To restore it anyway, add --accept-unsealed.")
        ) from exc
    _confirm(ctx, plan)
    result = ctx.services.backup.restore(
        actor, path, passphrase, replace_other=replace_other, accept_unsealed=unsealed
    )
    document = {
        "restored": str(result.backup.path),
        "aside": str(result.aside),
        "erasures_replayed": result.erasures_replayed,
        "other_database": replace_other and plan.other_database,
    }
    ctx.emit(
        document,
        lambda: _(
            "Restored. The previous database was kept as the backup {path} (removed after "
            "{days} days)."
        ).format(path=result.aside, days=BEFORE_RESTORE_DAYS),
    )
    return 0
