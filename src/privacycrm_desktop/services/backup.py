"""Backups and restore (rule 19: appropriate protection against loss and destruction).

Backups are made at exit, once a day and on request (persistence/backup.py does the file
work: backup API, integrity check, fsync, rename, manifest), optionally encrypted (see
persistence/backup_crypto.py for where the key lives: no passphrase is stored) and copied
to a second folder, where the copy is checked too. Rotation keeps the newest backup of each
of the last 7 days, of each of the last 5 weeks and of each month, and nothing older than
the maximum age (default 90 days; the access report tells the data subject so).

A restore (owner only) checks the backup, decrypts it and migrates its schema on a
temporary copy, erases again everyone erased since the backup (services/backup_restore.py),
records the restore in the restored audit trail, sets the current database aside (renamed,
never deleted) and puts the copy in its place. The app then has to start again.

On a PostgreSQL server (issue 10) the same is done with pg_dump (persistence/pg_dump.py):
backups go to ``<data folder>/backups/<database>@<host>-<port>`` unless a folder is set,
and a restore (services/backup_pg.py) first makes a backup of the live database (that is
the database "kept aside"), then puts the dump back, migrates, replays and audits in one
transaction.
"""

from __future__ import annotations

import builtins
import contextlib
import datetime as dt
import errno
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from privacycrm_desktop.domain.access import Permission, require
from privacycrm_desktop.domain.errors import (
    BackupFailed,
    BackupInvalid,
    FieldProblem,
    ValidationFailed,
)
from privacycrm_desktop.domain.text import N_
from privacycrm_desktop.persistence import backup as files
from privacycrm_desktop.persistence.backup import (
    NOT_RECOGNISED,
    UNSEALED,
    BackupInfo,
    BackupTier,
    Progress,
    default_backup_folder,
    find_backups,
)
from privacycrm_desktop.persistence.database import is_postgresql, sqlite_file
from privacycrm_desktop.persistence.models import Setting
from privacycrm_desktop.persistence.sqlite_driver import sqlite3
from privacycrm_desktop.persistence.unit_of_work import UnitOfWork
from privacycrm_desktop.services import backup_keys
from privacycrm_desktop.services.audit import record_event
from privacycrm_desktop.services.clock import Clock, SystemClock
from privacycrm_desktop.services.dto import Actor

__all__ = [
    "NOT_RECOGNISED",
    "UNSEALED",
    "BackupInfo",
    "BackupService",
    "BackupSettings",
    "BackupTier",
    "RestorePlan",
    "RestoreResult",
    "default_backup_folder",
    "find_backups",
    "restore_unopenable",
    "verify_backup",
]

FOLDER_KEY = "backup.folder"
SECOND_FOLDER_KEY = "backup.second_folder"
MAX_AGE_KEY = "backup.max_age_days"
ENCRYPTION_KEY = "backup.encryption"
DEFAULT_MAX_AGE_DAYS = 90
MIN_MAX_AGE_DAYS = 7
MAX_MAX_AGE_DAYS = 3650
MIN_PASSPHRASE = 10
#: The copy of the database kept aside at a restore is removed after this many days (or
#: the maximum age of backups, when shorter).
BEFORE_RESTORE_DAYS = 7
DAILY_DAYS = 7
WEEKLY_DAYS = 35
AUTOMATIC = "automatic backup"
RECOVERY = "start-up recovery"


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


def _db_file(engine: Engine) -> Path:
    file = sqlite_file(engine.url.render_as_string(hide_password=False))
    if file is None:
        raise BackupFailed(
            N_(
                "Only a database file on this computer can be backed up here; back up a "
                "server database on the server."
            )
        )
    return file


def _default_folder(engine: Engine) -> Path:
    """Beside the database file; for a server database, in this computer's data folder,
    one folder per database."""
    file = sqlite_file(engine.url.render_as_string(hide_password=False))
    if file is not None or not is_postgresql(engine):
        return default_backup_folder(_db_file(engine))
    from privacycrm_desktop.config import data_dir

    url = engine.url
    name = f"{url.database or 'postgres'}@{url.host or 'localhost'}-{url.port or 5432}"
    return data_dir() / "backups" / re.sub(r"[^A-Za-z0-9._@-]+", "_", name)


def _settings_rows(uow: UnitOfWork) -> dict[str, str]:
    with uow() as work:
        rows = work.session.execute(
            select(Setting.key, Setting.value).where(Setting.key.like("backup.%"))
        ).tuples()
        return {str(key): str(value) for key, value in rows}


def backup_max_age_days(session: Session) -> int:
    """The maximum age of backups in days (the ``setting`` table, default 90)."""
    row = session.get(Setting, MAX_AGE_KEY)
    try:
        return int(row.value) if row is not None else DEFAULT_MAX_AGE_DAYS
    except ValueError:
        return DEFAULT_MAX_AGE_DAYS


class BackupService:
    """Make, list, rotate and restore backups of the SQLite database."""

    def __init__(self, uow: UnitOfWork, clock: Clock | None = None) -> None:
        self._uow = uow
        self._clock = clock or SystemClock()
        self._identity: tuple[str, bytes] | None = None

    # -- identity and key ----------------------------------------------------------------

    def identity(self) -> tuple[str, bytes]:
        """This database's id and backup key (made when missing; see services/backup_keys).

        Backups made before manifests were sealed are never sealed afterwards (anyone who
        can write the backup folder could have put one there): they are listed as not
        sealed, and restoring one needs the owner's explicit choice.
        """
        if self._identity is None:
            with self._uow(write=True) as work:
                database_id, key, _made = backup_keys.identity_and_key(work.session)
            self._identity = (database_id, key)
        return self._identity

    def _read_identity(self) -> tuple[str, bytes | None]:
        """This database's id and key as they are, without making them (listing must work
        on a read-only database too)."""
        if self._identity is not None:
            return self._identity
        with self._uow() as work:
            id_row = work.session.get(Setting, backup_keys.DATABASE_ID_KEY)
            key_row = work.session.get(Setting, backup_keys.AUTH_KEY)
            database_id = id_row.value if id_row is not None else ""
            key: bytes | None = None
            if key_row is not None:
                with contextlib.suppress(ValueError):
                    key = bytes.fromhex(key_row.value)
        return database_id, key

    def own_backups(self, folder: Path) -> builtins.list[BackupInfo]:
        """The backups in *folder* of this database (its id in the manifest, or none: an
        older version's), newest first, each with what its seal is (``BackupInfo.seal``;
        cheap: no file is read). Other databases' backups in a shared folder are left out.
        """
        return [b for b in self._backups_in(folder) if not b.other_database]

    def _backups_in(self, folder: Path) -> builtins.list[BackupInfo]:
        """Every backup in *folder* with its seal checked and ``other_database`` set."""
        database_id, key = self._read_identity()
        keys = backup_keys.known_keys(database_id, key)
        found: builtins.list[BackupInfo] = []
        for info in find_backups(folder):
            if info.database_id and info.database_id != database_id:
                theirs = backup_keys.known_keys(info.database_id)
                seal = files.seal_state(info, theirs)
                found.append(replace(info, seal=seal, other_database=True))
            else:
                found.append(replace(info, seal=files.seal_state(info, keys)))
        return found

    def list_others(self, actor: Actor) -> builtins.list[BackupInfo]:
        """Other databases' backups in the backup folder (a shared folder, or the copy
        kept aside when a restore replaced the data with another database's), newest
        first, each marked ``other_database`` (owner and privacy officer)."""
        require(actor.role, Permission.BACKUP)
        return [b for b in self._backups_in(self._settings().folder) if b.other_database]

    def keys_for(self, info: BackupInfo) -> builtins.list[bytes]:
        """The keys that may have sealed *info*: this database's, and the key file's of the
        database it names."""
        _database_id, key = self.identity()
        return backup_keys.known_keys(info.database_id, key)

    def verify(
        self, info: BackupInfo, passphrase: str | None = None, *, accept_unsealed: bool = False
    ) -> None:
        """Check a backup (seal, file, content; see persistence/backup.verify_backup).

        Raises:
            BackupInvalid, BackupPassphraseWrong.
        """
        files.verify_backup(info, passphrase, self.keys_for(info), accept_unsealed=accept_unsealed)

    # -- settings ------------------------------------------------------------------------

    def _settings(self) -> BackupSettings:
        rows = _settings_rows(self._uow)
        folder = rows.get(FOLDER_KEY) or str(_default_folder(self._uow.engine))
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

    def settings(self, actor: Actor) -> BackupSettings:
        """The backup settings (owner and privacy officer)."""
        require(actor.role, Permission.BACKUP)
        return self._settings()

    def max_age_days(self) -> int:
        """How long a backup (and so an erased person's data in it) is kept at most."""
        return self._settings().max_age_days

    def update_settings(
        self,
        actor: Actor,
        *,
        folder: Path,
        second_folder: Path | None,
        max_age_days: int,
    ) -> BackupSettings:
        """Change folders and maximum age (owner and privacy officer); audited.

        Raises:
            ValidationFailed: a relative folder, the same folder twice, or an age out of range.
        """
        require(actor.role, Permission.BACKUP)
        problems = []
        if not folder.is_absolute():
            problems.append(FieldProblem("folder", N_("Choose a full folder path.")))
        if second_folder is not None and (
            not second_folder.is_absolute() or second_folder.resolve() == folder.resolve()
        ):
            problems.append(
                FieldProblem("second_folder", N_("Choose a different, full folder path."))
            )
        if not MIN_MAX_AGE_DAYS <= max_age_days <= MAX_MAX_AGE_DAYS:
            problems.append(
                FieldProblem(
                    "max_age_days",
                    N_("Between {low} and {high} days."),
                    {"low": MIN_MAX_AGE_DAYS, "high": MAX_MAX_AGE_DAYS},
                )
            )
        if not problems and second_folder is not None:
            # The marker tells a later backup that the drive is there (an unplugged drive
            # leaves an empty mount folder, which must not receive backups). A folder that
            # cannot be written now is reported by each backup instead.
            with contextlib.suppress(OSError):
                files.mark_folder(second_folder)
        if problems:
            raise ValidationFailed(problems)
        values = {
            FOLDER_KEY: str(folder),
            SECOND_FOLDER_KEY: str(second_folder) if second_folder else "",
            MAX_AGE_KEY: str(max_age_days),
        }
        with self._uow(write=True) as work:
            for key, value in values.items():
                work.session.merge(Setting(key=key, value=value))
            record_event(
                work.session,
                actor=actor.username,
                action="backup.settings",
                entity="setting",
                entity_id="backup",
                at=self._clock.now(),
                detail=f"max_age_days={max_age_days};second_folder={int(bool(second_folder))}",
            )
        return self._settings()

    def set_passphrase(self, actor: Actor, passphrase: str | None) -> None:
        """Encrypt backups from now on with *passphrase* (None: stop encrypting); audited.

        The passphrase is not stored: it seals a private key (see backup_crypto), so only
        it opens the backups, while automatic backups need nobody to type it.

        Raises:
            ValidationFailed: shorter than ``MIN_PASSPHRASE`` characters.
        """
        require(actor.role, Permission.BACKUP)
        value = ""
        if passphrase is not None:
            if len(passphrase) < MIN_PASSPHRASE:
                raise ValidationFailed(
                    [
                        FieldProblem(
                            "passphrase",
                            N_("Use at least {count} characters."),
                            {"count": MIN_PASSPHRASE},
                        )
                    ]
                )
            from privacycrm_desktop.persistence.backup_crypto import make_key_material

            _database_id, key = self.identity()
            value = json.dumps(make_key_material(passphrase, key).to_dict())
        with self._uow(write=True) as work:
            # Turning encryption off empties the key rather than deleting its row: on a
            # server that enforces the roles no desk may delete it (pg_functions.py).
            row = work.session.get(Setting, ENCRYPTION_KEY)
            if value or row is not None:
                work.session.merge(Setting(key=ENCRYPTION_KEY, value=value))
            record_event(
                work.session,
                actor=actor.username,
                action="backup.passphrase",
                entity="setting",
                entity_id="backup",
                at=self._clock.now(),
                detail=f"encrypted={int(bool(value))}",
            )

    # -- making backups ------------------------------------------------------------------

    def create(
        self,
        actor: Actor | None,
        *,
        to: Path | None = None,
        tier: str = BackupTier.MANUAL,
        progress: Progress | None = None,
    ) -> BackupInfo:
        """Make a backup now; *actor* None is an automatic one (exit, daily).

        Raises:
            PermissionDenied: the role may not make backups.
            BackupFailed: the copy could not be made or checked; nothing was left behind.
        """
        if actor is not None:
            require(actor.role, Permission.BACKUP)
        settings = self._settings()
        folder = to or settings.folder
        material = self._key_material() if settings.encrypted else None
        database_id, key = self.identity()
        steps = 4

        def step(n: int) -> None:
            if progress is not None:
                progress(n, steps)

        step(0)
        try:
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            self.clean_leftovers(folder)
            info = self._write(folder, tier, material, step, database_id, key)
        except (OSError, sqlite3.OperationalError) as exc:
            if _disk_full(exc):
                raise BackupFailed(
                    N_("The disk of the backup folder is full; no backup was made.")
                ) from exc
            raise BackupFailed(
                N_("The backup folder cannot be written to; no backup was made.")
            ) from exc
        if settings.second_folder is not None and to is None:
            if files.folder_is_there(settings.second_folder):
                self.clean_leftovers(settings.second_folder)
            try:
                info = replace(
                    info, second_copy=files.copy_verified(info, settings.second_folder, key)
                )
            except BackupFailed as exc:
                info = replace(info, second_copy_error=exc.reason)
        step(4)
        with self._uow(write=True) as work:
            record_event(
                work.session,
                actor=actor.username if actor is not None else AUTOMATIC,
                action="backup.create",
                entity="backup",
                entity_id=info.path.name,
                at=self._clock.now(),
                detail=(
                    f"tier={info.tier};encrypted={int(info.encrypted)};"
                    f"second_copy={int(info.second_copy is not None)}"
                    + (";backend=postgresql" if info.backend == files.POSTGRESQL else "")
                ),
            )
        if to is None:
            self.rotate()
        return info

    def _key_material(self) -> object:
        from privacycrm_desktop.persistence.backup_crypto import KeyMaterial

        raw = _settings_rows(self._uow).get(ENCRYPTION_KEY, "")
        try:
            return KeyMaterial.from_dict(json.loads(raw))
        except (ValueError, KeyError, TypeError) as exc:
            raise BackupFailed(
                N_("The backup encryption setting is damaged; set the passphrase again.")
            ) from exc

    def clean_leftovers(self, folder: Path | None = None) -> builtins.list[Path]:
        """Remove temporary files of killed backups and restores: in the private folder
        beside the database, beside the database itself and in *folder*."""
        removed: builtins.list[Path] = []
        file = sqlite_file(self._uow.engine.url.render_as_string(hide_password=False))
        places = [folder] if folder is not None else []
        if file is not None:
            places += [file.parent, file.parent / files.PRIVATE_TEMP]
        elif is_postgresql(self._uow.engine):
            from privacycrm_desktop.config import data_dir

            places.append(data_dir() / files.PRIVATE_TEMP)
        for place in places:
            with contextlib.suppress(OSError):  # a folder that cannot be read: nothing left
                removed += files.clean_leftovers(place)
        return removed

    def _plain_folder(self, folder: Path, encrypted: bool) -> Path:
        """Where the plain copy is made: beside the final file when that is plain too, else
        in the owner-only folder beside the database (a server database: a private
        temporary folder of this computer)."""
        if not encrypted:
            return folder
        file = sqlite_file(self._uow.engine.url.render_as_string(hide_password=False))
        if file is not None:
            return files.private_temp_folder(file.parent)
        from privacycrm_desktop.config import data_dir

        return files.private_temp_folder(data_dir())

    def _write(
        self,
        folder: Path,
        tier: str,
        material: object,
        step: Callable[[int], None],
        database_id: str,
        key: bytes,
    ) -> BackupInfo:
        now = self._clock.now()
        engine = self._uow.engine
        backend = files.POSTGRESQL if is_postgresql(engine) else files.SQLITE
        target = folder / files.backup_name(now, material is not None, backend)
        while target.exists():  # two backups in one microsecond (a fixed clock)
            now += dt.timedelta(microseconds=1)
            target = folder / files.backup_name(now, material is not None, backend)
        plain_folder = self._plain_folder(folder, material is not None)
        with files.temporary_path(plain_folder, ".db") as plain:
            if backend == files.POSTGRESQL:
                from privacycrm_desktop.persistence import pg_dump

                os.close(os.open(plain, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
                facts = pg_dump.dump(engine, plain)
                step(1)
                if not files.content_sound(plain, backend):
                    raise BackupFailed(
                        N_("The dump could not be read back by pg_restore; no backup was made.")
                    )
            else:
                files.snapshot(_db_file(engine), plain)
                files.scrub_backup_key(plain)
                step(1)
                if files.integrity_problems_of(plain):
                    raise BackupFailed(
                        N_("The copy failed its integrity check; no backup was made.")
                    )
                facts = files.snapshot_facts(plain)
            step(2)
            if material is None:
                written = plain
                self._finish(written, target)
            else:
                from privacycrm_desktop.persistence.backup_crypto import KeyMaterial, encrypt_file

                assert isinstance(material, KeyMaterial)
                with files.temporary_path(folder, ".enc") as sealed:
                    encrypt_file(plain, sealed, material)
                    self._finish(sealed, target)
            step(3)
        info = files.new_backup_info(
            target,
            now,
            facts,
            encrypted=material is not None,
            tier=tier,
            backend=backend,
            database_id=database_id,
        )
        files.write_manifest(info, key)
        return info

    @staticmethod
    def _finish(written: Path, target: Path) -> None:
        os.chmod(written, 0o600)
        files.fsync_file(written)
        os.replace(written, target)
        files.fsync_folder(target.parent)

    def list(self, actor: Actor) -> list[BackupInfo]:
        """This database's backups in the backup folder, newest first, each with its seal
        checked (``BackupInfo.seal``) (owner and privacy officer)."""
        require(actor.role, Permission.BACKUP)
        return self.own_backups(self._settings().folder)

    def due(self) -> bool:
        """True when no sealed backup of this database was made today (UTC) in the backup
        folder (a file planted there does not put off the daily backup)."""
        try:
            backups = [
                b for b in self.own_backups(self._settings().folder) if b.seal == files.SEALED
            ]
        except BackupFailed:
            return False
        return not backups or backups[0].created_at.date() < self._clock.now().date()

    def rotate(self) -> builtins.list[Path]:
        """Delete backups that no tier keeps, and every backup older than the maximum age,
        in the backup folder and the second folder. Returns the deleted files."""
        settings = self._settings()
        database_id, key = self.identity()
        keys = backup_keys.known_keys(database_id, key)
        deleted: builtins.list[Path] = []
        for folder in (settings.folder, settings.second_folder):
            if folder is not None and folder.is_dir():
                deleted += rotate_folder(
                    folder, self._clock.now(), settings.max_age_days, key=key, keys=keys
                )
        return deleted

    # -- restore -------------------------------------------------------------------------

    def plan_restore(
        self,
        actor: Actor,
        path: Path,
        passphrase: str | None = None,
        *,
        replace_other: bool = False,
        accept_unsealed: bool = False,
    ) -> RestorePlan:
        """Check the backup and say what restoring it would change (owner only). A backup
        without a seal (an older version's) is refused unless *accept_unsealed* (the
        owner's explicit choice; not on a server).

        Raises:
            PermissionDenied, BackupInvalid, BackupPassphraseWrong, BackupOtherDatabase (a
            backup of another database, unless *replace_other*).
        """
        require(actor.role, Permission.RESTORE)
        info = files.read_manifest(path)
        database_id, _key = self.identity()
        if is_postgresql(self._uow.engine):
            from privacycrm_desktop.services import backup_pg

            return backup_pg.plan(
                self._uow,
                path,
                passphrase,
                keys=self.keys_for(info),
                database_id=database_id,
                replace_other=replace_other,
            )
        from privacycrm_desktop.services import backup_swap

        return backup_swap.plan(
            self._uow,
            path,
            passphrase,
            keys=self.keys_for(info),
            database_id=database_id,
            replace_other=replace_other,
            accept_unsealed=accept_unsealed,
        )

    def restore(
        self,
        actor: Actor,
        path: Path,
        passphrase: str | None = None,
        *,
        replace_other: bool = False,
        accept_unsealed: bool = False,
    ) -> RestoreResult:
        """Restore the backup *path* (owner only); see the module text. The app must start
        again afterwards (the services' caches describe the old database).

        A backup of another database is refused unless *replace_other* (the owner chose to
        replace this company's data with it): then nothing of this database is carried
        over (no erasure replay by contact id, no suppression list or salt of this one).
        A backup without a seal is refused unless *accept_unsealed* (see ``plan_restore``).

        Raises:
            PermissionDenied, BackupInvalid, BackupPassphraseWrong, BackupFailed,
            BackupOtherDatabase.
        """
        require(actor.role, Permission.RESTORE)
        info = files.read_manifest(path)
        identity = self.identity()
        keys = self.keys_for(info)
        if is_postgresql(self._uow.engine):
            from privacycrm_desktop.services import backup_pg

            result = backup_pg.restore(
                self._uow,
                path,
                passphrase,
                actor_name=actor.username,
                now=self._clock.now(),
                set_aside=self._set_aside,
                keys=keys,
                identity=identity,
                replace_other=replace_other,
            )
        else:
            from privacycrm_desktop.services import backup_swap

            settings = self._settings()
            material = self._key_material() if settings.encrypted else None
            now = self._clock.now()

            def keep_aside(source: Path, key: bytes, database_id: str) -> Path:
                return backup_swap.keep_aside_file(
                    source, settings.folder, material, key, database_id, now
                )

            result = backup_swap.restore(
                self._uow,
                path,
                passphrase,
                actor_name=actor.username,
                now=now,
                keys=keys,
                identity=identity,
                keep_aside=keep_aside,
                replace_other=replace_other,
                accept_unsealed=accept_unsealed,
            )
        self._anchor_restored_trail()
        return result

    def _anchor_restored_trail(self) -> None:
        """The restore replaced the trail: this computer's anchor file starts over at the
        restored trail's newest event (services/audit_anchors.py)."""
        from privacycrm_desktop.persistence.audit_anchor import last_event
        from privacycrm_desktop.services.audit_anchors import AnchorFile

        anchor_file = AnchorFile.for_engine(self._uow.engine)
        if anchor_file is None:
            return
        with self._uow() as work:
            newest = last_event(work.session)
        # The restore is done: an unwritable file must not make it fail (the check names
        # what the file lacks).
        with contextlib.suppress(OSError):
            anchor_file.start_over(newest)

    def _set_aside(self) -> Path:
        """A backup of the live server database just before a restore replaces it (tier
        "before-restore": removed by rotation after ``BEFORE_RESTORE_DAYS``)."""
        settings = self._settings()
        material = self._key_material() if settings.encrypted else None
        database_id, key = self.identity()
        try:
            settings.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            return self._write(
                settings.folder,
                BackupTier.BEFORE_RESTORE,
                material,
                lambda _n: None,
                database_id,
                key,
            ).path
        except OSError as exc:
            raise BackupFailed(
                N_("The backup folder cannot be written to; nothing was changed.")
            ) from exc


def _disk_full(error: BaseException) -> bool:
    """True for "no space left" (an OSError, or SQLite's SQLITE_FULL while it writes)."""
    if isinstance(error, OSError):
        return error.errno == errno.ENOSPC
    return "full" in str(error).lower()


def _sound(info: BackupInfo) -> bool:
    """The file is whole and matches its sealed checksum (the check rotation relies on)."""
    if not info.verified:
        return False
    try:
        files.check_file(info)
    except BackupInvalid:
        return False
    return True


def _thin(
    members: builtins.list[tuple[BackupInfo, str]],
    newest: BackupInfo | None,
    key: bytes,
    drop: Callable[[BackupInfo], None],
) -> None:
    """Keep one backup of a period (the newest overall, else the newest sound one), drop
    the others; when none is sound, drop none."""
    candidates = [m for m in members if m[0] is not newest]
    if newest is not None and len(candidates) < len(members) and _sound(newest):
        keeper: tuple[BackupInfo, str] | None = (newest, newest.tier)
    elif len(candidates) == 1 and len(members) == 1:
        keeper = candidates[0]
    else:
        keeper = next((m for m in candidates if _sound(m[0])), None)
    if keeper is None:
        return  # nothing sound in this period: delete none of it
    kept, tier = keeper
    if kept is not newest and kept.tier != tier:
        files.set_tier(kept, tier, key)
    for info, _tier in candidates:
        if info is not kept:
            drop(info)


def rotate_folder(
    folder: Path,
    now: dt.datetime,
    max_age_days: int,
    *,
    key: bytes,
    keys: builtins.list[bytes],
) -> builtins.list[Path]:
    """Rotation in one folder, over the backups sealed by *keys* (anything else is left
    alone): keep the newest backup overall, and of each day (last 7 days), of each ISO week
    (last 5 weeks) and of each month the newest one whose file still matches its manifest
    (a damaged newer backup never pushes out a sound older one; when none in a period is
    sound, none of that period is deleted); delete the rest and all older than
    *max_age_days*. Manual backups age like the others. The copy kept aside at a restore
    goes after ``BEFORE_RESTORE_DAYS`` (or the maximum age, when shorter)."""
    cutoff = now - dt.timedelta(days=max_age_days)
    aside_cutoff = now - dt.timedelta(days=min(BEFORE_RESTORE_DAYS, max_age_days))
    deleted: builtins.list[Path] = []

    def drop(info: BackupInfo) -> None:
        files.delete_backup(info)
        deleted.append(info.path)

    groups: dict[tuple[object, ...], builtins.list[tuple[BackupInfo, str]]] = {}
    newest: BackupInfo | None = None
    for info in find_backups(folder):
        if files.sealed_by(info, keys) is None:
            continue
        if info.tier == BackupTier.BEFORE_RESTORE:
            if info.created_at < aside_cutoff:
                drop(info)
            continue
        if newest is None:
            newest = info
        elif info.created_at < cutoff:
            drop(info)
            continue
        age = (now.date() - info.created_at.date()).days
        if age < DAILY_DAYS:
            group: tuple[object, ...] = ("day", info.created_at.date())
            tier = info.tier
        elif age < WEEKLY_DAYS:
            group = ("week", *info.created_at.isocalendar()[:2])
            tier = BackupTier.WEEKLY
        else:
            group = ("month", info.created_at.year, info.created_at.month)
            tier = BackupTier.MONTHLY
        groups.setdefault(group, []).append((info, tier))
    for members in groups.values():
        _thin(members, newest, key, drop)
    return deleted


def verify_backup(info: BackupInfo | Path, passphrase: str | None = None) -> None:
    """Check a backup with the keys this computer holds for the database it names (the key
    file beside the settings; start-up recovery has no database to ask).

    Raises:
        BackupInvalid, BackupPassphraseWrong.
    """
    if not isinstance(info, BackupInfo):
        info = files.read_manifest(info)
    files.verify_backup(info, passphrase, backup_keys.known_keys(info.database_id))


def restore_unopenable(db_path: Path, backup: Path, passphrase: str | None = None) -> RestoreResult:
    """Start-up recovery before anyone can sign in: check the backup (its seal with the key
    file of the database it names, or the key sealed in its header), keep the damaged file
    aside as a "before-restore" backup, put the checked and migrated copy in place, replay
    the erasure ledger of the damaged file when it can still be read, and record the
    restore ("backup.restore", actor "start-up recovery") in the restored audit trail.

    Raises:
        BackupInvalid, BackupPassphraseWrong, BackupFailed.
    """
    from privacycrm_desktop.services import backup_swap
    from privacycrm_desktop.services.audit_anchors import start_file_over

    info = files.read_manifest(backup)
    result = backup_swap.restore_file(
        db_path,
        backup,
        passphrase,
        actor_name=RECOVERY,
        keys=backup_keys.known_keys(info.database_id),
    )
    start_file_over(db_path)
    return result


def backup_folders(uow: UnitOfWork) -> builtins.list[Path]:
    """The backup folder and the second folder, where the audit check finds manifests."""
    rows = _settings_rows(uow)
    try:
        folder = Path(rows.get(FOLDER_KEY) or str(_default_folder(uow.engine)))
    except BackupFailed:
        return []  # a database that is neither a file nor on a server: no backups
    second = rows.get(SECOND_FOLDER_KEY) or ""
    return [folder, Path(second)] if second else [folder]
