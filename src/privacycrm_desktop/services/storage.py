"""The state of the database's storage: writable or not, room left, last integrity check.

Start-up asks ``status()`` (a write probe that writes nothing, plus the free space) to tell
the user at once when the file is read-only, locked by another program or the disk nearly
full, and runs the daily check at most once a day, in the background (``quick_check_due``
/ ``run_quick_check``); ``check`` runs the full one (``run_check``). Both check the search
index (FTS5's own integrity-check, part of the pragma since SQLite 3.44) and recount the
contact counter and keep-until counts; what is derived and out of step is rebuilt from the
data at once (services/storage_repair.py). The date and outcome of the last check are
remembered beside the database file (``<file>.check.json``), not in it: a damaged or
read-only database cannot store them, and a failed check must be remembered for the next
start, which checks in full again and offers the newest good backup while the damage is
there (ui/startup/storage_startup.py). An action that meets a damaged file writes the same record
(persistence/unit_of_work.py).

Nothing here needs an ``Actor``: it runs before anyone signs in and shows no personal data.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from privacycrm_desktop.domain.errors import StorageError, StorageLocked, StorageReadOnly
from privacycrm_desktop.domain.text import N_
from privacycrm_desktop.persistence.database import normalise_url, sqlite_file
from privacycrm_desktop.persistence.storage_errors import storage_error
from privacycrm_desktop.persistence.storage_health import (
    CHECK_RECORD_SUFFIX,
    LOW_SPACE_BYTES,
    Health,
    check_engine,
    free_bytes,
    probe_write,
    setting_of_file,
)

if TYPE_CHECKING:
    from privacycrm_desktop.persistence.backup import BackupInfo
from privacycrm_desktop.persistence.unit_of_work import UnitOfWork
from privacycrm_desktop.services.clock import Clock, SystemClock

log = logging.getLogger(__name__)

#: The one sentence telling the user what a check rebuilt (msgids; translate with ``_``).
REBUILT_INDEX = N_(
    "The search index did not match the data and was rebuilt from it; no data was lost."
)
REBUILT_COUNTS = N_(
    "The stored counts did not match the data and were recounted; no data was lost."
)
#: The warning of a nearly full disk, at start and in ``check`` (format with ``megabytes``).
LOW_SPACE_WARNING = N_(
    "The disk holding the database is nearly full ({megabytes} MB free). "
    "Free some space: when the disk is full nothing can be saved."
)


def repaired_message(parts: tuple[str, ...] | list[str]) -> str:
    """The msgid of the sentence saying what a check rebuilt (*parts*: ``CheckOutcome``)."""
    from privacycrm_desktop.persistence.storage_health import SEARCH_INDEX

    return REBUILT_INDEX if SEARCH_INDEX in parts else REBUILT_COUNTS


#: ``(done, total)`` while a derived part is rebuilt.
Progress = Callable[[int, int], None]

#: How often the quick check runs at most.
CHECK_INTERVAL = dt.timedelta(days=1)
CHECK_SUFFIX = CHECK_RECORD_SUFFIX


class StorageState(StrEnum):
    """Whether a save could happen now."""

    WRITABLE = "writable"
    READ_ONLY = "read-only"
    LOCKED = "locked"


@dataclass(frozen=True)
class StorageStatus:
    """What start-up and ``check`` tell the user about the storage."""

    state: StorageState
    free_bytes: int | None
    low_space: bool
    #: The database file (None for a server database).
    file: Path | None


@dataclass(frozen=True)
class CheckRecord:
    """The last check: when, and what it found (empty: sound).

    A record with problems stays until a later check finds the file sound (after a repair
    or a restore): every start re-checks the file in full and offers recovery while the
    damage is there (ui/startup/storage_startup.py)."""

    at: dt.datetime
    problems: tuple[str, ...]
    #: What the check found derived and out of step, and rebuilt (services/storage_repair).
    repaired: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class CheckOutcome:
    """What a check found and did: the problems left (damage to the file, or derived parts
    that could not be rebuilt now), and the derived parts it rebuilt from the data."""

    problems: tuple[str, ...]
    repaired: tuple[str, ...] = ()
    #: True when the file itself is damaged (only a backup repairs it).
    damaged: bool = False


def as_storage_error(error: BaseException) -> StorageError | None:
    """The storage error behind a driver error (for callers above the services, which may
    not look at driver errors themselves: ui/common/workers.show_failure)."""
    return storage_error(error)


def database_file(database: str | Path) -> Path | None:
    """The file behind a path or URL (None for a server database)."""
    return sqlite_file(normalise_url(database))


def check_record_path(db_file: Path) -> Path:
    """Where the last check's outcome is remembered: beside the database file."""
    return db_file.with_name(db_file.name + CHECK_SUFFIX)


def read_check_record(db_file: Path) -> CheckRecord | None:
    """The last check of *db_file*, or None when there is none (or it cannot be read)."""
    try:
        data = json.loads(check_record_path(db_file).read_text(encoding="utf-8"))
        return CheckRecord(
            dt.datetime.fromisoformat(str(data["at"])),
            tuple(str(p) for p in data.get("problems", [])),
            tuple(str(p) for p in data.get("repaired", [])),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write_check_record(db_file: Path, record: CheckRecord) -> bool:
    """Remember *record* (atomically: temporary file, then rename); False if impossible."""
    target = check_record_path(db_file)
    document = {
        "at": record.at.isoformat(),
        "problems": list(record.problems),
        "repaired": list(record.repaired),
    }
    try:
        from privacycrm_desktop.persistence.storage_health import write_private_text

        write_private_text(target, json.dumps(document))
    except OSError:
        return False
    return True


def backup_folder_of(db_file: Path) -> Path:
    """Where the backups of *db_file* are: its configured folder when the file still says
    so (services/backup/settings.py, ``backup.folder``), else the default beside the data."""
    from privacycrm_desktop.services.backup import FOLDER_KEY, default_backup_folder

    configured = setting_of_file(db_file, FOLDER_KEY)
    return Path(configured) if configured else default_backup_folder(db_file)


_SCAN_CHUNK = 1 << 20


def identities_of(db_file: Path, candidates: set[str]) -> set[str]:
    """The identity (setting ``database.id``) of *db_file*, read straight from it; for a
    file too damaged for that, those of *candidates* (the identities named by the
    manifests in its backup folder) whose bytes the file still holds. Empty when none is
    found (a missing file)."""
    from privacycrm_desktop.services.backup.keys import DATABASE_ID_KEY

    found = setting_of_file(db_file, DATABASE_ID_KEY)
    if found:
        return {found}
    wanted = {c for c in candidates if c}
    if not wanted:
        return set()
    needles = {c: c.encode("ascii", "ignore") for c in wanted}
    overlap = max(len(n) for n in needles.values())
    hits: set[str] = set()
    tail = b""
    try:
        with db_file.open("rb") as handle:
            for block in iter(lambda: handle.read(_SCAN_CHUNK), b""):
                window = tail + block
                hits.update(c for c, n in needles.items() if n and n in window)
                tail = window[-overlap:]
    except OSError:
        return set()
    return hits


def own_backups_of(db_file: Path, folder: Path | None = None) -> list[BackupInfo]:
    """The backups of *db_file* in *folder* (default: ``backup_folder_of``), newest first:
    those whose manifest names the file's identity (``identities_of``) or none (an older
    version's). Another database's backups in a shared folder (or the copy kept aside when
    a restore replaced the data with another database's) are left out. When no identity
    can be found (the file is gone) nothing is left out."""
    from privacycrm_desktop.services.backup import find_backups

    backups = find_backups(folder or backup_folder_of(db_file))
    ids = identities_of(db_file, {b.database_id for b in backups})
    if not ids:
        return backups
    return [b for b in backups if not b.database_id or b.database_id in ids]


class StorageService:
    """Probes and the scheduled integrity check of one database."""

    def __init__(
        self, uow: UnitOfWork, clock: Clock | None = None, low_space: int = LOW_SPACE_BYTES
    ) -> None:
        self._uow = uow
        self._clock = clock or SystemClock()
        self._low_space = low_space
        url = uow.engine.url
        self.file: Path | None = (
            Path(url.database) if url.get_backend_name() == "sqlite" and url.database else None
        )
        if self.file is not None and str(self.file) == ":memory:":
            self.file = None
        #: What ``status()`` found last (the main window marks a read-only file).
        self.last_status: StorageStatus | None = None

    def status(self) -> StorageStatus:
        """Writable, read-only or locked by another program; and the room left."""
        state = StorageState.WRITABLE
        try:
            probe_write(self._uow.engine)
        except StorageReadOnly:
            state = StorageState.READ_ONLY
        except StorageLocked:
            state = StorageState.LOCKED
        free = free_bytes(self.file.parent) if self.file is not None else None
        low = free is not None and free < self._low_space
        self.last_status = StorageStatus(state, free, low, self.file)
        return self.last_status

    def last_check(self) -> CheckRecord | None:
        """The outcome of the last quick check (None: never, or a server database)."""
        return read_check_record(self.file) if self.file is not None else None

    def quick_check_due(self) -> bool:
        """True when the last quick check is a day old, failed, or never ran."""
        if self.file is None:
            return False
        last = self.last_check()
        if last is None or not last.ok:
            return True
        now = self._clock.now()
        return not (dt.timedelta(0) <= now - last.at < CHECK_INTERVAL)

    def run_quick_check(self, progress: Progress | None = None) -> list[str]:
        """The daily check (``PRAGMA quick_check`` with the search index and counters);
        return the problems left. See ``run_check``."""
        return list(self.run_check(quick=True, progress=progress).problems)

    def run_check(self, *, quick: bool = False, progress: Progress | None = None) -> CheckOutcome:
        """Check the database now, rebuild what is derived and out of step, and remember the
        outcome beside the file.

        *quick*: ``quick_check`` (pages and records) instead of ``integrity_check`` (also
        the indexes' contents and the foreign keys); both check the search index and
        recount the counters. A file too damaged to be read at all counts as damage, not as
        an error. Derived parts are rebuilt only when the file is otherwise sound; when
        that cannot happen now (a read-only file, another program's lock) they stay in
        the problems.
        """
        try:
            health = check_engine(self._uow.engine, quick=quick)
        except StorageError as exc:
            health = Health((str(exc),))
        outcome = self._repair(health, progress)
        if self.file is not None:
            write_check_record(
                self.file, CheckRecord(self._clock.now(), outcome.problems, outcome.repaired)
            )
        if outcome.problems:
            log.info("database check found %d problem(s)", len(outcome.problems))
        elif outcome.repaired:
            log.info("database check rebuilt: %s", ", ".join(outcome.repaired))
        return outcome

    def _repair(self, health: Health, progress: Progress | None) -> CheckOutcome:
        if health.damage:
            return CheckOutcome(tuple(health.problems), damaged=True)
        if not health.derived:
            return CheckOutcome(())
        from privacycrm_desktop.services.storage_repair import repair

        try:
            repaired = repair(self._uow, self._clock, health.derived, progress)
        except StorageError:
            return CheckOutcome(tuple(health.problems))
        try:
            after = check_engine(self._uow.engine, quick=True)
        except StorageError as exc:
            after = Health((str(exc),))
        return CheckOutcome(tuple(after.problems), repaired, damaged=bool(after.damage))

    def close(self) -> None:
        """Close every connection (before the file is set aside and a backup restored)."""
        self._uow.engine.dispose()
