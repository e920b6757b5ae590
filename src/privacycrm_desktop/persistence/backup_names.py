"""Names the backups share with the start: the manifest's suffix and the setting holding the
database's random id. Kept apart from ``backup`` so that signing in (the audit reads the id)
and clearing what a killed backup left behind (``backup_temp``) do not import the backup
code before the list first paints (issue 23).
"""

from __future__ import annotations

from pathlib import Path

#: A backup's manifest is its file's name with this suffix.
MANIFEST_SUFFIX = ".json"
#: The database's random id (made by migration 0007), recorded in every manifest.
DATABASE_ID_SETTING = "database.id"


def default_backup_folder(db_path: Path) -> Path:
    """Backups live beside the data (the platformdirs data folder): ``<folder>/backups``."""
    return db_path.parent / "backups"
