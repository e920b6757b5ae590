"""What the backup services hand back: the settings, a restore's plan and its result."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from privacycrm_desktop.persistence.backup import BackupInfo


@dataclass(frozen=True)
class BackupSettings:
    """Where backups go and how long they are kept."""

    folder: Path
    second_folder: Path | None
    max_age_days: int
    encrypted: bool


@dataclass(frozen=True)
class RestorePlan:
    """What a restore would change, shown before the owner confirms."""

    backup: BackupInfo
    contacts_now: int
    contacts_in_backup: int
    erasures_to_replay: int
    schema_migrates: bool
    #: The backup is of another database: restoring it replaces this company's data.
    other_database: bool = False
    #: The backup carries no seal (an older version's): nothing proves it is genuine.
    unsealed: bool = False


@dataclass(frozen=True)
class RestoreResult:
    """What a restore did: the current database was renamed to *aside*."""

    backup: BackupInfo
    aside: Path
    erasures_replayed: int
