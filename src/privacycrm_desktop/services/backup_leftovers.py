"""Removing what a killed backup or restore left behind, at every start.

Apart from the backup package on purpose: ``Services.build`` runs this before the first
paint, and importing ``services.backup`` (restores, erasure's carry-over...) costs a
start-up more than everything the first paint needs of it.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from privacycrm_desktop.config import data_dir
from privacycrm_desktop.domain.errors import BackupFailed
from privacycrm_desktop.persistence import backup_temp
from privacycrm_desktop.persistence.database import is_postgresql, sqlite_file
from privacycrm_desktop.persistence.unit_of_work import UnitOfWork


def clean_leftovers(engine: Engine, folder: Path | None = None) -> list[Path]:
    """Remove temporary files of killed backups and restores: in the private folder
    beside the database, beside the database itself and in *folder*."""
    removed: list[Path] = []
    file = sqlite_file(engine.url.render_as_string(hide_password=False))
    places = [folder] if folder is not None else []
    if file is not None:
        places += [file.parent, file.parent / backup_temp.PRIVATE_TEMP]
    elif is_postgresql(engine):
        places.append(data_dir() / backup_temp.PRIVATE_TEMP)
    for place in places:
        with contextlib.suppress(OSError):  # a folder that cannot be read: nothing left
            removed += backup_temp.clean_leftovers(place)
    return removed


def clean_all_leftovers(uow: UnitOfWork) -> list[Path]:
    """``clean_leftovers`` and ``clean_backup_folders``: after an erasure, whose person a
    killed backup's copy holds too."""
    return clean_leftovers(uow.engine) + clean_backup_folders(uow)


def clean_backup_folders(uow: UnitOfWork) -> list[Path]:
    """What killed backups and restores left in the backup folder and the second folder
    (a whole copy of the data): at each command and after the window's first paint, after
    ``Services.build`` cleaned the other places. Never raises: a folder that cannot be
    read, or a database that cannot say its folders, waits for the next time."""
    removed: list[Path] = []
    with contextlib.suppress(BackupFailed, OSError, SQLAlchemyError):
        from privacycrm_desktop.services.backup_places import backup_folders

        for folder in backup_folders(uow):
            removed += backup_temp.clean_leftovers(folder)
    return removed
