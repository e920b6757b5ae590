"""Where backups go, how long they are kept and whether they are encrypted: the
``backup.*`` rows of the ``setting`` table, and the defaults when a row is missing.

Backups of a database file go beside it (``<folder>/backups``); backups of a server
database go to ``<data folder>/backups/<database>@<host>-<port>`` of this computer.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from privacycrm_desktop.config import data_dir
from privacycrm_desktop.domain.errors import BackupFailed
from privacycrm_desktop.domain.text import N_
from privacycrm_desktop.persistence.backup import default_backup_folder
from privacycrm_desktop.persistence.database import is_postgresql, sqlite_file
from privacycrm_desktop.persistence.models import Setting
from privacycrm_desktop.persistence.unit_of_work import UnitOfWork
from privacycrm_desktop.services.backup.records import BackupSettings

FOLDER_KEY = "backup.folder"
SECOND_FOLDER_KEY = "backup.second_folder"
MAX_AGE_KEY = "backup.max_age_days"
ENCRYPTION_KEY = "backup.encryption"
DEFAULT_MAX_AGE_DAYS = 90
MIN_MAX_AGE_DAYS = 7
MAX_MAX_AGE_DAYS = 3650
MIN_PASSPHRASE = 10


def database_file(engine: Engine) -> Path:
    """The database file behind *engine*.

    Raises:
        BackupFailed: the database is not a file on this computer.
    """
    file = sqlite_file(engine.url.render_as_string(hide_password=False))
    if file is None:
        raise BackupFailed(
            N_(
                "Only a database file on this computer can be backed up here; back up a "
                "server database on the server."
            )
        )
    return file


def default_folder(engine: Engine) -> Path:
    """Beside the database file; for a server database, in this computer's data folder,
    one folder per database."""
    file = sqlite_file(engine.url.render_as_string(hide_password=False))
    if file is not None or not is_postgresql(engine):
        return default_backup_folder(database_file(engine))
    url = engine.url
    name = f"{url.database or 'postgres'}@{url.host or 'localhost'}-{url.port or 5432}"
    return data_dir() / "backups" / re.sub(r"[^A-Za-z0-9._@-]+", "_", name)


def settings_rows(uow: UnitOfWork) -> dict[str, str]:
    """Every ``backup.*`` setting as stored."""
    with uow() as work:
        rows = work.session.execute(
            select(Setting.key, Setting.value).where(Setting.key.like("backup.%"))
        ).tuples()
        return {str(key): str(value) for key, value in rows}


def read_settings(uow: UnitOfWork) -> BackupSettings:
    """The backup settings in force (defaults for what is not set)."""
    rows = settings_rows(uow)
    folder = rows.get(FOLDER_KEY) or str(default_folder(uow.engine))
    second = rows.get(SECOND_FOLDER_KEY) or ""
    try:
        max_age = int(rows.get(MAX_AGE_KEY) or DEFAULT_MAX_AGE_DAYS)
    except ValueError:
        max_age = DEFAULT_MAX_AGE_DAYS
    return BackupSettings(
        folder=Path(folder),
        second_folder=Path(second) if second else None,
        max_age_days=max_age,
        encrypted=bool(rows.get(ENCRYPTION_KEY)),
    )


def key_material(uow: UnitOfWork) -> object:
    """The encryption key material of the settings (see persistence/backup_crypto.py).

    Raises:
        BackupFailed: the setting cannot be read.
    """
    # cryptography is loaded only when a backup is encrypted (start-up time).
    from privacycrm_desktop.persistence.backup_crypto import KeyMaterial

    raw = settings_rows(uow).get(ENCRYPTION_KEY, "")
    try:
        return KeyMaterial.from_dict(json.loads(raw))
    except (ValueError, KeyError, TypeError) as exc:
        raise BackupFailed(
            N_("The backup encryption setting is damaged; set the passphrase again.")
        ) from exc


def backup_max_age_days(session: Session) -> int:
    """The maximum age of backups in days (the ``setting`` table, default 90)."""
    row = session.get(Setting, MAX_AGE_KEY)
    try:
        return int(row.value) if row is not None else DEFAULT_MAX_AGE_DAYS
    except ValueError:
        return DEFAULT_MAX_AGE_DAYS


def backup_folders(uow: UnitOfWork) -> list[Path]:
    """The backup folder and the second folder, where the audit check finds manifests."""
    rows = settings_rows(uow)
    try:
        folder = Path(rows.get(FOLDER_KEY) or str(default_folder(uow.engine)))
    except BackupFailed:
        return []  # a database that is neither a file nor on a server: no backups
    second = rows.get(SECOND_FOLDER_KEY) or ""
    return [folder, Path(second)] if second else [folder]
