"""Where backups go, how long they are kept and whether they are encrypted: the
``backup.*`` rows of the ``setting`` table, and the defaults when a row is missing.

Backups of a database file go beside it (``<folder>/backups``); backups of a server
database go to ``<data folder>/backups/<database>@<host>-<port>`` of this computer.
"""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy.orm import Session

from privacycrm_desktop.domain.errors import BackupFailed
from privacycrm_desktop.domain.text import N_
from privacycrm_desktop.persistence.models import Setting
from privacycrm_desktop.persistence.unit_of_work import UnitOfWork
from privacycrm_desktop.services.backup.records import BackupSettings
from privacycrm_desktop.services.backup_places import (
    FOLDER_KEY,
    SECOND_FOLDER_KEY,
    default_folder,
    settings_rows,
)

MAX_AGE_KEY = "backup.max_age_days"
ENCRYPTION_KEY = "backup.encryption"
DEFAULT_MAX_AGE_DAYS = 90
MIN_MAX_AGE_DAYS = 7
MAX_MAX_AGE_DAYS = 3650
MIN_PASSPHRASE = 10


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
