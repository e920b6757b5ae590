"""Where things live: the data folder (platformdirs, for app and CLI alike), resources.

``PRIVACYCRM_DATA_DIR`` overrides the data folder (tests, portable installs).
``PRIVACYCRM_RESOURCES_DIR`` overrides the resources folder (a packager who keeps them
elsewhere; the self-test's own test points it at a missing folder).

Resources are found here and only here (fonts, catalogues, letters, statements, special
categories, icons): in a PyInstaller bundle under ``sys._MEIPASS/privacycrm_desktop/
resources`` (installers/privacycrm.spec puts them there), in an installed wheel at
``privacycrm_desktop/resources`` (pyproject.toml force-include), else in the checkout's
``resources/``. The Alembic scripts are found relative to their package
(persistence/migrate.py ``MIGRATIONS_DIR``), which the spec keeps as it is in the source.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

APP_NAME = "PrivacyCRM"
DB_FILE_NAME = "privacycrm.db"


def data_dir() -> Path:
    """The folder holding the database and backups."""
    override = os.environ.get("PRIVACYCRM_DATA_DIR")
    if override:
        return Path(override).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP_NAME, appauthor=False))


#: The file holding this computer's choice of database (File > Database...), if any.
DATABASE_CHOICE_FILE = "database.txt"


def config_dir() -> Path:
    """The folder of this computer's settings that app and CLI share (platformdirs)."""
    override = os.environ.get("PRIVACYCRM_CONFIG_DIR")
    if override:
        return Path(override).expanduser()
    from platformdirs import user_config_dir

    return Path(user_config_dir(APP_NAME, appauthor=False))


def saved_database() -> str | None:
    """The database chosen in File > Database... (a PostgreSQL URL without password), or
    None for the database file in the data folder."""
    try:
        text = (config_dir() / DATABASE_CHOICE_FILE).read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return text or None


def save_database(url: str | None) -> None:
    """Remember *url* as this computer's database for the next start (None: the file)."""
    folder = config_dir()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    target = folder / DATABASE_CHOICE_FILE
    if url is None:
        target.unlink(missing_ok=True)
        return
    temporary = target.with_suffix(".tmp")
    temporary.write_text(url + "\n", encoding="utf-8")
    os.replace(temporary, target)


def default_database() -> str:
    """The database the app and the CLI open unless told otherwise: ``PRIVACYCRM_DB``, else
    the choice saved in File > Database..., else the file in the data folder."""
    return os.environ.get("PRIVACYCRM_DB") or saved_database() or str(data_dir() / DB_FILE_NAME)


def resources_dir() -> Path:
    """Shipped resources: inside the package when installed or frozen, else the checkout's."""
    override = os.environ.get("PRIVACYCRM_RESOURCES_DIR")
    if override:
        return Path(override).expanduser()
    bundled = getattr(sys, "_MEIPASS", None)
    candidates = [
        Path(bundled) / "privacycrm_desktop" / "resources" if bundled else None,
        Path(__file__).parent / "resources",
        Path(__file__).resolve().parents[2] / "resources",
    ]
    for candidate in candidates:
        if candidate is not None and candidate.is_dir():
            return candidate
    raise FileNotFoundError("the resources folder is missing from this installation")
