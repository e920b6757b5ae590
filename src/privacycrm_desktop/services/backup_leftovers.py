"""Removing what a killed backup or restore left behind, at every start.

Apart from the backup package on purpose: ``Services.build`` runs this before the first
paint, and importing ``services.backup`` (restores, erasure's carry-over...) costs a
start-up more than everything the first paint needs of it.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from sqlalchemy import Engine

from privacycrm_desktop.config import data_dir
from privacycrm_desktop.persistence import backup_temp
from privacycrm_desktop.persistence.database import is_postgresql, sqlite_file


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
