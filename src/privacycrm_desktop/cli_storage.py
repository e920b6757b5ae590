"""``privacycrm-cli check``: the database's integrity, its storage and its newest backup.

Output keys (``--format json``): ``ok`` and ``problems`` (``integrity_check`` and
``foreign_key_check``, as before), plus ``storage`` (writable / read-only / locked),
``free_bytes``, ``low_space``, ``last_quick_check`` and ``newest_backup`` (path, created_at,
age_days, contact_count, encrypted; null when there is none). The text output starts with
``ok`` when the database is sound, then one line each for the storage and the backup.
A full check is also remembered as the day's integrity check (services/storage.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from privacycrm_desktop.i18n import _, ngettext

if TYPE_CHECKING:
    from privacycrm_desktop.cli import Context


def _backup_document(ctx: Context) -> dict[str, Any] | None:
    """The newest backup beside the database (or in its configured folder), if any."""
    from privacycrm_desktop.services.storage import backup_folder_of

    storage = ctx.services.storage
    if storage.file is None:
        return None
    try:
        from privacycrm_desktop.services.backup import find_backups
    except ImportError:  # pragma: no cover - a build without the backup module
        return None
    backups = find_backups(backup_folder_of(storage.file))
    if not backups:
        return None
    newest = backups[0]
    now = ctx.services.clock.now()
    return {
        "path": str(newest.path),
        "created_at": newest.created_at.isoformat(timespec="seconds"),
        "age_days": max(0, (now - newest.created_at).days),
        "contact_count": newest.contact_count,
        "encrypted": newest.encrypted,
    }


def _text(document: dict[str, Any]) -> str:
    state_names = {
        "writable": _("writable"),
        "read-only": _("read-only"),
        "locked": _("locked by another program"),
    }
    lines = ["ok" if document["ok"] else ""]
    free = document["free_bytes"]
    space = (
        _("{megabytes} MB free").format(megabytes=free // (1024 * 1024))
        if free is not None
        else _("free space unknown")
    )
    lines.append(
        _("storage: {state} ({space})").format(state=state_names[document["storage"]], space=space)
    )
    backup = document["newest_backup"]
    if backup is None:
        lines.append(_("newest backup: none"))
    else:
        age = ngettext("{days} day old", "{days} days old", backup["age_days"]).format(
            days=backup["age_days"]
        )
        lines.append(_("newest backup: {path} ({age})").format(path=backup["path"], age=age))
    return "\n".join(line for line in lines if line)


def cmd_check(ctx: Context) -> int:
    """Full integrity check, storage state, newest backup; exit 1 when damaged."""
    from privacycrm_desktop.cli import CliFailure
    from privacycrm_desktop.persistence.database import integrity_problems
    from privacycrm_desktop.services.storage import CheckRecord, write_check_record

    problems = integrity_problems(ctx.engine)
    storage = ctx.services.storage
    status = storage.status()
    if storage.file is not None:
        write_check_record(storage.file, CheckRecord(ctx.services.clock.now(), tuple(problems)))
    last = storage.last_check()
    document: dict[str, Any] = {
        "ok": not problems,
        "problems": problems,
        "storage": status.state.value,
        "free_bytes": status.free_bytes,
        "low_space": status.low_space,
        "last_quick_check": last.at.isoformat(timespec="seconds") if last else None,
        "newest_backup": _backup_document(ctx),
    }
    ctx.emit(document, lambda: _text(document))
    if problems:
        raise CliFailure(
            _("The database is damaged: {problem}").format(problem="; ".join(problems[:5]))
        )
    return 0
