"""The restore itself: prepare a checked copy beside the database, then copy it in.

Steps (each failure before step 6 leaves the current database untouched):
1. check the backup (seal, manifest, size, sha256) and make a plain copy in the owner-only
   folder beside the database (decrypted when encrypted), integrity-checked; a backup of
   another database is refused unless the owner chose to replace the data with it;
2. take the database's write lock (``BEGIN IMMEDIATE`` on a connection of its own) and
   hold it until step 5: no program commits anything the restore would then lose;
3. read what must survive (erasure ledger, suppression list, opt-outs since the backup;
   nothing when the backup is of another database), migrate the copy, replay the erasures
   (services/backup/carry_over.py), record "backup.restore", give the copy this database's
   identity and key and a new generation (``database.generation``), check it;
4. keep the current database aside as a backup of tier "before-restore" in the backup
   folder (encrypted when backups are; removed by rotation after a few days);
5. mark the current database as being replaced (a new ``database.generation``) and
   release the lock: every program of this version checks the generation when it begins
   a write (persistence/unit_of_work.py) and refuses from now on, saying why;
6. copy the prepared database into the live file with SQLite's backup API - one
   transaction, atomic and crash-safe, with no file renamed, so no program is left
   writing into a file that is no longer the database.

Start-up recovery (a damaged or missing file, nobody has it open) swaps files instead:
the damaged file is kept aside the same way (its bytes, when it cannot be read) and then
removed, and the prepared copy is renamed into place.

This module builds an engine for the temporary copy: a restore works on two databases at
once, which the composition roots cannot do for it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import uuid
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from sqlalchemy import Engine

from privacycrm_desktop.domain.errors import BackupFailed, BackupInvalid
from privacycrm_desktop.domain.text import N_
from privacycrm_desktop.persistence import backup as files
from privacycrm_desktop.persistence import backup_temp
from privacycrm_desktop.persistence.backup_verify import plain_copy
from privacycrm_desktop.persistence.database import (
    checkpoint,
    create_engine_for,
    integrity_problems,
)
from privacycrm_desktop.persistence.migrate import HEAD_REVISION, MIGRATIONS_DIR, migrate
from privacycrm_desktop.persistence.models import Setting
from privacycrm_desktop.persistence.sqlite_driver import sqlite3
from privacycrm_desktop.persistence.unit_of_work import GENERATION_KEY, UnitOfWork
from privacycrm_desktop.services.audit import record_event
from privacycrm_desktop.services.backup.carry_over import (
    CarryOver,
    erasures_to_replay,
    read_carry_over,
    read_carry_over_file,
    replay,
)
from privacycrm_desktop.services.backup.checks import (
    check_backend,
    count_contacts,
    is_other_database,
)
from privacycrm_desktop.services.backup.keys import AUTH_KEY, DATABASE_ID_KEY
from privacycrm_desktop.services.backup.records import RestorePlan, RestoreResult
from privacycrm_desktop.services.backup_places import database_file
from privacycrm_desktop.services.clock import SystemClock
from privacycrm_desktop.services.erasure import finish_erasure


def _check_schema(tmp: Path) -> None:
    """Refuse a backup written by a newer version (its schema is unknown here)."""
    revision = files.snapshot_facts(tmp).schema_version
    known = {p.stem for p in (MIGRATIONS_DIR / "versions").glob("*.py")}
    if known and revision and revision not in known:
        raise BackupInvalid(
            N_("This backup comes from a newer version of PrivacyCRM; update PrivacyCRM first.")
        )


#: Room a restore needs besides the copy: the write-ahead log of the copy-in holds every
#: page once more, and the copy kept aside is as large again.
def _check_space(db_file: Path, info: files.BackupInfo) -> None:
    size = max(info.size, 1)
    current = db_file.stat().st_size if db_file.exists() else 0
    needed = 2 * size + current + (16 << 20)
    free = shutil.disk_usage(db_file.parent).free
    if free < needed:
        raise BackupFailed(
            N_(
                "There is not enough free space on the disk holding the database for this "
                "restore; nothing was changed. Free some space, then try again."
            )
        )


def plan(
    uow: UnitOfWork,
    path: Path,
    passphrase: str | None,
    *,
    keys: Sequence[bytes],
    database_id: str,
    replace_other: bool = False,
    accept_unsealed: bool = False,
) -> RestorePlan:
    """Check the backup on a temporary copy and count what a restore would change."""
    db_file = database_file(uow.engine)
    info = files.read_manifest(path)
    check_backend(info, files.SQLITE)
    contacts_now = count_contacts(uow)
    private = backup_temp.private_temp_folder(db_file.parent)
    backup_temp.clean_leftovers(private)
    with plain_copy(info, private, passphrase, keys, accept_unsealed=accept_unsealed) as copy:
        other = is_other_database(info, database_id, replace_other)
        _check_schema(copy.path)
        carry = None
        if not other:
            with uow() as work:
                carry = read_carry_over(work.session)
        engine = create_engine_for(copy.path)
        try:
            migrates = info.schema_version != HEAD_REVISION
            migrate(engine)
            copied = UnitOfWork(engine)
            in_backup = count_contacts(copied)
            replays = 0
            if carry is not None:
                with copied() as work:
                    replays = erasures_to_replay(work.session, carry)
        finally:
            engine.dispose()
    return RestorePlan(
        backup=info,
        contacts_now=contacts_now,
        contacts_in_backup=in_backup,
        erasures_to_replay=replays,
        schema_migrates=migrates,
        other_database=other,
        unsealed=not info.sealed,
    )


def _prepare(
    tmp: Path,
    carry: CarryOver | None,
    info: files.BackupInfo,
    actor_name: str,
    now: dt.datetime,
    *,
    identity: tuple[str, bytes],
    other: bool = False,
) -> int:
    """Migrate, replay, audit and clean the copy at *tmp*; give it *identity* (the id and
    key of the database it continues) and a new generation; return the erasures replayed."""
    _check_schema(tmp)
    engine: Engine = create_engine_for(tmp)
    try:
        migrate(engine)
        copy = UnitOfWork(engine)
        replayed = 0
        with copy(write=True) as work:
            database_id, key = identity
            for setting_key, value in (
                (DATABASE_ID_KEY, database_id),
                (AUTH_KEY, key.hex()),
                (GENERATION_KEY, uuid.uuid4().hex),
            ):
                work.session.merge(Setting(key=setting_key, value=value))
            if carry is not None:
                replayed = replay(work.session, carry, actor_name, now)
            record_event(
                work.session,
                actor=actor_name,
                action="backup.restore",
                entity="backup",
                entity_id=info.path.name,
                at=now,
                detail=(
                    f"erasures_replayed={replayed};backup_created={info.created_at.isoformat()};"
                    f"ledger_read={int(carry is not None)}" + (";other_database=1" if other else "")
                ),
            )
        copy.adopt_generation()  # the new generation is this copy's own
        finish_erasure(copy)
        if integrity_problems(engine):
            raise BackupFailed(
                N_("The restored copy failed its integrity check; nothing was changed.")
            )
        checkpoint(engine)
    finally:
        engine.dispose()
    return replayed


KeepAside = Callable[[Path, bytes, str], Path]


def keep_aside_file(
    source: Path,
    folder: Path,
    material: object,
    key: bytes,
    database_id: str,
    now: dt.datetime,
) -> Path:
    """Keep the database *source* as a backup of tier "before-restore" in *folder*:
    a consistent snapshot (its bytes, when it cannot be read as a database), without the
    backup key, encrypted when *material* is given, sealed; return its path.

    Raises:
        BackupFailed: the backup folder cannot be written (nothing was changed).
    """
    from privacycrm_desktop.persistence.backup_crypto import KeyMaterial, encrypt_file

    encrypted = isinstance(material, KeyMaterial)
    target = folder / files.backup_name(now, encrypted)
    while target.exists():
        now += dt.timedelta(microseconds=1)
        target = folder / files.backup_name(now, encrypted)
    private = backup_temp.private_temp_folder(source.parent)
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        with backup_temp.temporary_path(private if encrypted else folder, ".db") as plain:
            try:
                files.snapshot(source, plain)
                files.scrub_backup_key(plain)
                sound = not files.integrity_problems_of(plain)
            except sqlite3.DatabaseError:
                with contextlib.suppress(FileNotFoundError):
                    plain.unlink()
                os.close(os.open(plain, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
                shutil.copyfile(source, plain)
                sound = False
            facts = files.snapshot_facts(plain) if sound else files.SnapshotFacts("", 0, "")
            if isinstance(material, KeyMaterial):
                with backup_temp.temporary_path(folder, ".enc") as sealed:
                    encrypt_file(plain, sealed, material)
                    files.fsync_file(sealed)
                    os.replace(sealed, target)
            else:
                files.fsync_file(plain)
                os.replace(plain, target)
        files.fsync_folder(folder)
        info = files.new_backup_info(
            target,
            now,
            facts,
            encrypted=encrypted,
            tier=files.BackupTier.BEFORE_RESTORE,
            database_id=database_id,
        )
        files.write_manifest(replace(info, verified=sound), key)
    except OSError as exc:
        with contextlib.suppress(OSError):
            target.unlink()
        raise BackupFailed(
            N_(
                "The current database could not be kept aside in the backup folder; "
                "nothing was changed."
            )
        ) from exc
    return target


def copy_in(tmp: Path, db_file: Path) -> None:
    """Copy the prepared database into the live file: SQLite's backup API, one write
    transaction (atomic; a crash leaves the old database)."""
    source = sqlite3.connect(tmp)
    try:
        target = sqlite3.connect(db_file, timeout=30)
        try:
            source.backup(target, pages=-1)
            target.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            target.close()
    finally:
        source.close()


def _write_generation(db_file: Path, value: str | None) -> None:
    """Put the generation back as it was (None: there was none), so the other programs
    go on after a copy-in that failed."""
    conn = sqlite3.connect(db_file, timeout=30)
    try:
        if value is None:
            conn.execute("DELETE FROM setting WHERE key = ?", (GENERATION_KEY,))
        else:
            conn.execute(
                "INSERT OR REPLACE INTO setting (key, value) VALUES (?, ?)",
                (GENERATION_KEY, value),
            )
        conn.commit()
    finally:
        conn.close()


def swap_files(db_file: Path, tmp: Path, now: dt.datetime) -> Path:
    """Rename the current database aside and the prepared copy into its place."""
    aside = db_file.with_name(f"{db_file.name}.before-restore-{now.strftime('%Y%m%dT%H%M%S')}")
    base, n = aside, 1
    while aside.exists():
        n += 1
        aside = base.with_name(f"{base.name}-{n}")
    moved: list[tuple[Path, Path]] = []
    try:
        for suffix in ("", "-wal", "-shm"):
            current = Path(f"{db_file}{suffix}")
            if current.exists():
                os.replace(current, Path(f"{aside}{suffix}"))
                moved.append((current, Path(f"{aside}{suffix}")))
        os.replace(tmp, db_file)
    except OSError as exc:
        # Put the current database back as it was (Windows refuses to rename an open file).
        for original, renamed in reversed(moved):
            os.replace(renamed, original)
        raise BackupFailed(
            N_(
                "The database file could not be replaced (is it open elsewhere?); "
                "nothing was changed."
            )
        ) from exc
    files.fsync_file(db_file)
    files.fsync_folder(db_file.parent)
    return aside


def restore(
    uow: UnitOfWork,
    path: Path,
    passphrase: str | None,
    *,
    actor_name: str,
    now: dt.datetime,
    keys: Sequence[bytes],
    identity: tuple[str, bytes],
    keep_aside: KeepAside,
    replace_other: bool = False,
    accept_unsealed: bool = False,
) -> RestoreResult:
    """Restore *path* over the database behind *uow* (see the module text)."""
    db_file = database_file(uow.engine)
    info = files.read_manifest(path)
    check_backend(info, files.SQLITE)
    _check_space(db_file, info)
    private = backup_temp.private_temp_folder(db_file.parent)
    backup_temp.clean_leftovers(private)
    with plain_copy(info, private, passphrase, keys, accept_unsealed=accept_unsealed) as copy:
        other = is_other_database(info, identity[0], replace_other)
        continues = (info.database_id or identity[0], copy.key) if other else identity
        lock = sqlite3.connect(db_file, timeout=10, isolation_level=None)
        try:
            try:
                lock.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                raise BackupFailed(
                    N_(
                        "Another program is saving into the database; nothing was changed. "
                        "Try the restore again in a moment."
                    )
                ) from exc
            carry = None
            if not other:
                with uow() as work:
                    carry = read_carry_over(work.session, since=info.created_at)
            replayed = _prepare(
                copy.path, carry, info, actor_name, now, identity=continues, other=other
            )
            aside = keep_aside(db_file, identity[1], identity[0])
            row = lock.execute(
                "SELECT value FROM setting WHERE key = ?", (GENERATION_KEY,)
            ).fetchone()
            before = str(row[0]) if row else None
            lock.execute(
                "INSERT OR REPLACE INTO setting (key, value) VALUES (?, ?)",
                (GENERATION_KEY, "restoring-" + uuid.uuid4().hex),
            )
            lock.execute("COMMIT")
        except BaseException:
            if lock.in_transaction:
                lock.execute("ROLLBACK")
            raise
        finally:
            lock.close()
        uow.engine.dispose()
        try:
            copy_in(copy.path, db_file)
        except sqlite3.Error as exc:
            _write_generation(db_file, before)
            raise BackupFailed(
                N_("The backup could not be copied into the database; nothing was changed.")
            ) from exc
    uow.adopt_generation()
    return RestoreResult(backup=info, aside=aside, erasures_replayed=replayed)


def restore_file(
    db_file: Path,
    path: Path,
    passphrase: str | None,
    *,
    actor_name: str,
    keys: Sequence[bytes],
) -> RestoreResult:
    """Restore *path* over a database nobody has open (start-up recovery); the damaged
    file is kept aside as a "before-restore" backup beside the one restored."""
    now = SystemClock().now()
    info = files.read_manifest(path)
    check_backend(info, files.SQLITE)
    db_file.parent.mkdir(parents=True, exist_ok=True)
    private = backup_temp.private_temp_folder(db_file.parent)
    backup_temp.clean_leftovers(private)
    with plain_copy(info, private, passphrase, keys) as copy:
        carry = read_carry_over_file(db_file)
        replayed = _prepare(
            copy.path, carry, info, actor_name, now, identity=(info.database_id, copy.key)
        )
        aside: Path | None = None
        if db_file.exists():
            material = None
            if info.encrypted:
                from privacycrm_desktop.persistence.backup_crypto import read_header_material

                material = read_header_material(info.path)
            aside = keep_aside_file(
                db_file, info.path.parent, material, copy.key, info.database_id, now
            )
        renamed = swap_files(db_file, copy.path, now)
        for suffix in ("", "-wal", "-shm", "-journal"):
            with contextlib.suppress(FileNotFoundError):
                Path(f"{renamed}{suffix}").unlink()
    # Nothing to keep (the file was gone): the name it would have had, which does not exist.
    return RestoreResult(backup=info, aside=aside or renamed, erasures_replayed=replayed)
