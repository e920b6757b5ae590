"""Backups and restore (rule 19: appropriate protection against loss and destruction).

The modules, each with one job:

- ``service``: ``BackupService``, the use cases (make, list, rotate, verify, restore);
- ``settings``: where backups go and how long they are kept (the ``backup.*`` settings);
- ``records``: what the service hands back (settings, a restore's plan and result);
- ``keys``: the database's id and the key that seals backup manifests;
- ``writer``: writing one backup file (snapshot or dump, check, encryption, manifest);
- ``rotation``: which backups are kept;
- ``checks``: what both kinds of restore check before they change anything;
- ``carry_over``: what a restore carries over from the database it replaces;
- ``file_restore``: the restore of a database file (and start-up recovery's file swap);
- ``server_restore``: the restore on a PostgreSQL server;
- ``recovery``: start-up recovery, before anyone can sign in.

What ui/, the CLI and the app use is importable from the package itself.
"""

from privacycrm_desktop.persistence.backup import (
    NOT_RECOGNISED,
    UNSEALED,
    BackupInfo,
    BackupTier,
    find_backups,
)
from privacycrm_desktop.persistence.backup_names import default_backup_folder
from privacycrm_desktop.services.backup.records import BackupSettings, RestorePlan, RestoreResult
from privacycrm_desktop.services.backup.recovery import restore_unopenable, verify_backup
from privacycrm_desktop.services.backup.rotation import BEFORE_RESTORE_DAYS
from privacycrm_desktop.services.backup.service import BackupService
from privacycrm_desktop.services.backup.settings import (
    MAX_MAX_AGE_DAYS,
    MIN_MAX_AGE_DAYS,
    backup_max_age_days,
)
from privacycrm_desktop.services.backup_places import FOLDER_KEY, backup_folders

__all__ = [
    "BEFORE_RESTORE_DAYS",
    "FOLDER_KEY",
    "MAX_MAX_AGE_DAYS",
    "MIN_MAX_AGE_DAYS",
    "NOT_RECOGNISED",
    "UNSEALED",
    "BackupInfo",
    "BackupService",
    "BackupSettings",
    "BackupTier",
    "RestorePlan",
    "RestoreResult",
    "backup_folders",
    "backup_max_age_days",
    "default_backup_folder",
    "find_backups",
    "restore_unopenable",
    "verify_backup",
]
