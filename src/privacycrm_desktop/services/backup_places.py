"""Where a database's backups go: the backup folder and the second folder (the
``backup.*`` rows of the ``setting`` table, else the default beside the data).

Apart from the backup package (``services/backup/settings.py`` takes these from here):
what a killed backup left in those folders is removed at every command
(``backup_leftovers.clean_backup_folders``), and a command that only lists contacts does
not import the backup package (``tests/e2e/test_cli_start.py``).
"""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import Engine, select

from privacycrm_desktop.config import data_dir
from privacycrm_desktop.domain.errors import BackupFailed
from privacycrm_desktop.domain.text import N_
from privacycrm_desktop.persistence.backup_names import default_backup_folder
from privacycrm_desktop.persistence.database import is_postgresql, sqlite_file
from privacycrm_desktop.persistence.models import Setting
from privacycrm_desktop.persistence.unit_of_work import UnitOfWork

FOLDER_KEY = "backup.folder"
SECOND_FOLDER_KEY = "backup.second_folder"


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


def backup_folders(uow: UnitOfWork) -> list[Path]:
    """The backup folder and the second folder, where the audit check finds manifests."""
    rows = settings_rows(uow)
    try:
        folder = Path(rows.get(FOLDER_KEY) or str(default_folder(uow.engine)))
    except BackupFailed:
        return []  # a database that is neither a file nor on a server: no backups
    second = rows.get(SECOND_FOLDER_KEY) or ""
    return [folder, Path(second)] if second else [folder]
