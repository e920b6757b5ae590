"""``privacycrm-cli check``: the database's integrity, its storage and its newest backup.

Output keys (``--format json``): ``ok`` and ``problems`` (``integrity_check`` with the
search index's own integrity-check, ``foreign_key_check``, and the contact counter and
keep-until counts recounted), ``repaired`` (derived parts that did not match the data and
were rebuilt from it: "search index", "contact counter", "keep-until counts"), ``storage``
(writable / read-only / locked / damaged), ``free_bytes``, ``low_space``,
``last_quick_check``, ``newest_backup`` (path, created_at, age_days, contact_count,
encrypted; null when there is none) and ``sqlite_version`` (the bundled SQLite's). The text
output starts with ``ok`` when the database is sound, then one line each for the storage,
the backup and the SQLite version. A check is remembered beside the file
(services/storage.py), damage included, until a later check finds the file sound; a file
too damaged to open still gets its JSON document and its record (``check_unopenable``).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from privacycrm_desktop.cli.context import CliFailure, Context, fail
from privacycrm_desktop.cli.options import Parents, Subparsers
from privacycrm_desktop.cli.output import emit
from privacycrm_desktop.i18n import _, ngettext


def register(commands: Subparsers, parents: Parents) -> None:
    """Add ``check`` to the parser."""
    p = commands.add_parser("check", parents=parents, help=_("check the database file"))
    # A file too damaged to open is checked too: check_unopenable answers for it.
    p.set_defaults(run=cmd_check, if_unopenable=check_unopenable)


def _backup_document(ctx: Context) -> dict[str, Any] | None:
    """The newest backup of this database beside it (or in its configured folder), if any."""
    from privacycrm_desktop.services.storage import own_backups_of

    storage = ctx.services.storage
    if storage.file is None:
        return None
    # This database's only: a shared folder also holds other databases' backups.
    backups = own_backups_of(storage.file)
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
        "damaged": _("damaged"),
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
    if document["low_space"]:
        # The JSON's low_space in words: the warning the app shows at start.
        from privacycrm_desktop.services.storage import LOW_SPACE_WARNING

        lines.append(_(LOW_SPACE_WARNING).format(megabytes=(free or 0) // (1024 * 1024)))
    backup = document["newest_backup"]
    if backup is None:
        lines.append(_("newest backup: none"))
    else:
        age = ngettext("{days} day old", "{days} days old", backup["age_days"]).format(
            days=backup["age_days"]
        )
        lines.append(_("newest backup: {path} ({age})").format(path=backup["path"], age=age))
    if document.get("sqlite_version"):
        lines.append(_("SQLite {version}").format(version=document["sqlite_version"]))
    return "\n".join(line for line in lines if line)


def repaired_sentence(parts: tuple[str, ...] | list[str]) -> str:
    """The one sentence telling the user what the check rebuilt from the data."""
    from privacycrm_desktop.services.storage import repaired_message

    return _(repaired_message(parts))


def cmd_check(ctx: Context) -> int:
    """Full integrity check, search index and counters (rebuilt when out of step), storage
    state, newest backup; exit 1 when damaged. The outcome is remembered beside the file."""
    from privacycrm_desktop.domain.errors import StorageError
    from privacycrm_desktop.persistence.database import engine_sqlite_version

    storage = ctx.services.storage
    outcome = storage.run_check()
    try:
        state = storage.status().state.value
        free, low = storage.last_status.free_bytes, storage.last_status.low_space  # type: ignore[union-attr]
    except StorageError:
        state, free, low = "damaged", None, False
    last = storage.last_check()
    try:
        version = engine_sqlite_version(ctx.engine)
    except Exception:  # a file too damaged to answer even this
        version = None
    document: dict[str, Any] = {
        "ok": not outcome.problems,
        "problems": list(outcome.problems),
        "repaired": list(outcome.repaired),
        "storage": state,
        "free_bytes": free,
        "low_space": low,
        "last_quick_check": last.at.isoformat(timespec="seconds") if last else None,
        "newest_backup": _backup_document(ctx),
        "sqlite_version": version,
    }
    ctx.emit(document, lambda: _text(document))
    if outcome.repaired and not outcome.problems:
        print(repaired_sentence(outcome.repaired), file=sys.stderr)
    if outcome.problems:
        raise CliFailure(
            _("The database is damaged: {problem}").format(problem="; ".join(outcome.problems[:5]))
        )
    return 0


#: ``check``'s document for a database it could not open (damage fills in its own state).
_UNOPENED: dict[str, Any] = {
    "ok": False,
    "problems": [],
    "repaired": [],
    "storage": "unavailable",
    "free_bytes": None,
    "low_space": False,
    "last_quick_check": None,
    "newest_backup": None,
    "sqlite_version": None,
}


def check_unopenable(
    args: argparse.Namespace, error: BaseException, sentence: str | None = None
) -> int | None:
    """``check`` on a file too damaged to open (or migrate): still one JSON document (with
    ``--format json``) and the damage remembered beside the file. Any other failure to
    open (a full disk, a missing file, a lock) still gets its JSON document too, naming
    *sentence*, the reason every command gives; None when there is none (reported as
    usual)."""
    from privacycrm_desktop.domain.errors import StorageDamaged
    from privacycrm_desktop.persistence.database import normalise_url, sqlite_file
    from privacycrm_desktop.persistence.sqlite_driver import sqlite_version
    from privacycrm_desktop.persistence.storage_errors import storage_error
    from privacycrm_desktop.services.clock import SystemClock
    from privacycrm_desktop.services.storage import CheckRecord, write_check_record

    mapped = storage_error(error)
    file = sqlite_file(normalise_url(args.db))
    if not isinstance(mapped, StorageDamaged) or file is None:
        if sentence is None:
            return None
        if args.format == "json":
            emit(args.format, {**_UNOPENED, "problems": [sentence]}, lambda: "")
        return fail(sentence)
    orig = getattr(error, "orig", None) or error
    problem = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
    write_check_record(file, CheckRecord(SystemClock().now(), (problem,)))
    document = {
        **_UNOPENED,
        "problems": [problem],
        "storage": "damaged",
        "sqlite_version": sqlite_version(),
    }
    emit(args.format, document, lambda: "")
    # The document keeps SQLite's words for scripts; a person reads the sentence every
    # command gives, in their language.
    return fail(sentence or _("The database is damaged: {problem}").format(problem=problem))
