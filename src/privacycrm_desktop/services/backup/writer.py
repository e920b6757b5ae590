"""Writing one backup file: a snapshot (SQLite's backup API) or a dump (pg_dump), checked,
optionally encrypted, flushed to disk and renamed into place, with its sealed manifest.

The plain copy is made beside the final file when that is plain too, else in the
owner-only folder beside the database (persistence/backup_temp.py), so the backup folder
only ever receives what the final file holds.
"""

from __future__ import annotations

import datetime as dt
import errno
import os
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine

from privacycrm_desktop.config import data_dir
from privacycrm_desktop.domain.errors import BackupFailed
from privacycrm_desktop.domain.text import N_
from privacycrm_desktop.persistence import backup as files
from privacycrm_desktop.persistence import backup_temp, pg_dump
from privacycrm_desktop.persistence.backup import BackupInfo
from privacycrm_desktop.persistence.backup_verify import content_sound
from privacycrm_desktop.persistence.database import is_postgresql, sqlite_file
from privacycrm_desktop.services.backup_places import database_file


def disk_full(error: BaseException) -> bool:
    """True for "no space left" (an OSError, or SQLite's SQLITE_FULL while it writes)."""
    if isinstance(error, OSError):
        return error.errno == errno.ENOSPC
    return "full" in str(error).lower()


def plain_folder(engine: Engine, folder: Path, encrypted: bool) -> Path:
    """Where the plain copy is made: beside the final file when that is plain too, else
    in the owner-only folder beside the database (a server database: a private
    temporary folder of this computer)."""
    if not encrypted:
        return folder
    file = sqlite_file(engine.url.render_as_string(hide_password=False))
    if file is not None:
        return backup_temp.private_temp_folder(file.parent)
    return backup_temp.private_temp_folder(data_dir())


def write_backup(
    engine: Engine,
    folder: Path,
    tier: str,
    material: object,
    step: Callable[[int], None],
    *,
    database_id: str,
    key: bytes,
    now: dt.datetime,
) -> BackupInfo:
    """Write a backup of the database behind *engine* made at *now* into *folder*,
    encrypted with *material* (None: plain), its manifest sealed with *key*; *step* hears
    of steps 1 to 3 of 4.

    Raises:
        BackupFailed: the copy failed its check; OSError or sqlite3.OperationalError from
            the disk (the caller says which).
    """
    backend = files.POSTGRESQL if is_postgresql(engine) else files.SQLITE
    target = folder / files.backup_name(now, material is not None, backend)
    while target.exists():  # two backups in one microsecond (a fixed clock)
        now += dt.timedelta(microseconds=1)
        target = folder / files.backup_name(now, material is not None, backend)
    plain_place = plain_folder(engine, folder, material is not None)
    with backup_temp.temporary_path(plain_place, ".db") as plain:
        if backend == files.POSTGRESQL:
            os.close(os.open(plain, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            facts = pg_dump.dump(engine, plain)
            step(1)
            if not content_sound(plain, backend):
                raise BackupFailed(
                    N_("The dump could not be read back by pg_restore; no backup was made.")
                )
        else:
            files.snapshot(database_file(engine), plain)
            files.scrub_backup_key(plain)
            step(1)
            if files.integrity_problems_of(plain):
                raise BackupFailed(N_("The copy failed its integrity check; no backup was made."))
            facts = files.snapshot_facts(plain)
        step(2)
        if material is None:
            written = plain
            finish(written, target)
        else:
            # cryptography is loaded only when a backup is encrypted (start-up time).
            from privacycrm_desktop.persistence.backup_crypto import KeyMaterial, encrypt_file

            assert isinstance(material, KeyMaterial)
            with backup_temp.temporary_path(folder, ".enc") as sealed:
                encrypt_file(plain, sealed, material)
                finish(sealed, target)
        step(3)
    info = files.new_backup_info(
        target,
        now,
        facts,
        encrypted=material is not None,
        tier=tier,
        backend=backend,
        database_id=database_id,
    )
    files.write_manifest(info, key)
    return info


def finish(written: Path, target: Path) -> None:
    """Make *written* owner-only, flush it and rename it to *target* (durably)."""
    os.chmod(written, 0o600)
    files.fsync_file(written)
    os.replace(written, target)
    files.fsync_folder(target.parent)
