"""The backup service (rule 19: appropriate protection against loss and destruction).

Backups are made at exit, once a day and on request (services/backup/writer.py, with
persistence/backup.py for the file work: backup API, integrity check, fsync, rename,
manifest), optionally encrypted (see persistence/backup_crypto.py for where the key lives:
no passphrase is stored) and copied to a second folder, where the copy is checked too.
Rotation (services/backup/rotation.py) keeps the newest backup of each of the last 7 days,
of each of the last 5 weeks and of each month, and nothing older than the maximum age
(default 90 days; the access report tells the data subject so).

A restore (owner only) checks the backup, decrypts it and migrates its schema on a
temporary copy, erases again everyone erased since the backup (services/backup/carry_over.py),
records the restore in the restored audit trail, sets the current database aside (renamed,
never deleted) and puts the copy in its place (services/backup/file_restore.py). The app
then has to start again.

On a PostgreSQL server the same is done with pg_dump (persistence/pg_dump.py):
backups go to ``<data folder>/backups/<database>@<host>-<port>`` unless a folder is set,
and a restore (services/backup/server_restore.py) first makes a backup of the live database
(that is the database "kept aside"), then puts the dump back, migrates, replays and audits
in one transaction.
"""

from __future__ import annotations

import builtins
import contextlib
import json
from dataclasses import replace
from pathlib import Path

from privacycrm_desktop.domain.access import Permission, require
from privacycrm_desktop.domain.audit_actions import AUTOMATIC_BACKUP_ACTOR
from privacycrm_desktop.domain.errors import BackupFailed, FieldProblem, ValidationFailed
from privacycrm_desktop.domain.text import N_
from privacycrm_desktop.persistence import backup as files
from privacycrm_desktop.persistence.audit_anchor import last_event
from privacycrm_desktop.persistence.backup import BackupInfo, BackupTier, Progress, find_backups
from privacycrm_desktop.persistence.backup_verify import copy_verified
from privacycrm_desktop.persistence.backup_verify import verify_backup as verify_file
from privacycrm_desktop.persistence.database import is_postgresql
from privacycrm_desktop.persistence.models import Setting
from privacycrm_desktop.persistence.sqlite_driver import sqlite3
from privacycrm_desktop.persistence.unit_of_work import UnitOfWork
from privacycrm_desktop.services.audit import record_event
from privacycrm_desktop.services.audit_anchors import AnchorFile
from privacycrm_desktop.services.backup import file_restore, server_restore
from privacycrm_desktop.services.backup import keys as backup_keys
from privacycrm_desktop.services.backup.records import BackupSettings, RestorePlan, RestoreResult
from privacycrm_desktop.services.backup.rotation import rotate_folder
from privacycrm_desktop.services.backup.settings import (
    ENCRYPTION_KEY,
    MAX_AGE_KEY,
    MAX_MAX_AGE_DAYS,
    MIN_MAX_AGE_DAYS,
    MIN_PASSPHRASE,
    key_material,
    read_settings,
)
from privacycrm_desktop.services.backup.writer import disk_full, write_backup
from privacycrm_desktop.services.backup_leftovers import clean_leftovers
from privacycrm_desktop.services.backup_places import FOLDER_KEY, SECOND_FOLDER_KEY
from privacycrm_desktop.services.clock import Clock, SystemClock
from privacycrm_desktop.services.dto import Actor

#: The actor of an automatic backup's audit event (at exit, once a day).
AUTOMATIC = AUTOMATIC_BACKUP_ACTOR


class BackupService:
    """Make, list, rotate and restore backups of the SQLite database."""

    def __init__(self, uow: UnitOfWork, clock: Clock | None = None) -> None:
        self._uow = uow
        self._clock = clock or SystemClock()
        self._identity: tuple[str, bytes] | None = None

    # -- identity and key ----------------------------------------------------------------

    def identity(self) -> tuple[str, bytes]:
        """This database's id and backup key (made when missing; see services/backup/keys.py).

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
        """Check a backup (seal, file, content; see persistence/backup_verify.verify_backup).

        Raises:
            BackupInvalid, BackupPassphraseWrong.
        """
        verify_file(info, passphrase, self.keys_for(info), accept_unsealed=accept_unsealed)

    # -- settings ------------------------------------------------------------------------

    def _settings(self) -> BackupSettings:
        return read_settings(self._uow)

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
            # server that enforces the roles no desk may delete it (postgres/row_policies.py).
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
        material = key_material(self._uow) if settings.encrypted else None
        database_id, key = self.identity()
        steps = 4

        def step(n: int) -> None:
            if progress is not None:
                progress(n, steps)

        step(0)
        try:
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            self.clean_leftovers(folder)
            info = write_backup(
                self._uow.engine,
                folder,
                tier,
                material,
                step,
                database_id=database_id,
                key=key,
                now=self._clock.now(),
            )
        except (OSError, sqlite3.OperationalError) as exc:
            if disk_full(exc):
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
                info = replace(info, second_copy=copy_verified(info, settings.second_folder, key))
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

    def clean_leftovers(self, folder: Path | None = None) -> builtins.list[Path]:
        """Remove temporary files of killed backups and restores: in the private folder
        beside the database, beside the database itself and in *folder*."""
        return clean_leftovers(self._uow.engine, folder)

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
            return server_restore.plan(
                self._uow,
                path,
                passphrase,
                keys=self.keys_for(info),
                database_id=database_id,
                replace_other=replace_other,
            )
        return file_restore.plan(
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
            result = server_restore.restore(
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
            settings = self._settings()
            material = key_material(self._uow) if settings.encrypted else None
            now = self._clock.now()

            def keep_aside(source: Path, key: bytes, database_id: str) -> Path:
                return file_restore.keep_aside_file(
                    source, settings.folder, material, key, database_id, now
                )

            result = file_restore.restore(
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
        material = key_material(self._uow) if settings.encrypted else None
        database_id, key = self.identity()
        try:
            settings.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            return write_backup(
                self._uow.engine,
                settings.folder,
                BackupTier.BEFORE_RESTORE,
                material,
                lambda _n: None,
                database_id=database_id,
                key=key,
                now=self._clock.now(),
            ).path
        except OSError as exc:
            raise BackupFailed(
                N_("The backup folder cannot be written to; nothing was changed.")
            ) from exc
