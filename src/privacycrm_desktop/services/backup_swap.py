"""The restore itself: prepare a checked copy beside the database, then swap it in.

Steps (each failure before the swap leaves the current database untouched):
1. check the backup (manifest, size, sha256) and make a plain copy in the database's folder
   (decrypted when encrypted), integrity-checked;
2. migrate the copy's schema to the current one (persistence/migrate.migrate);
3. replay the erasure ledger and carry the suppression list over (services/backup_restore);
4. record "backup.restore" in the copy's audit trail (chained to its own head);
5. merge the search index, checkpoint, check integrity again;
6. checkpoint and close the current database, rename it (and a WAL left behind) to
   ``<name>.before-restore-<time>`` (never deleted), rename the copy into its place, fsync.

This module builds an engine for the temporary copy: a restore works on two databases at
once, which the composition roots cannot do for it.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from sqlalchemy import Engine, func, select

from privacycrm_desktop.domain.errors import BackupFailed, BackupInvalid
from privacycrm_desktop.domain.text import N_
from privacycrm_desktop.persistence import backup as files
from privacycrm_desktop.persistence.database import (
    checkpoint,
    create_engine_for,
    integrity_problems,
)
from privacycrm_desktop.persistence.migrate import HEAD_REVISION, MIGRATIONS_DIR, migrate
from privacycrm_desktop.persistence.models import Contact
from privacycrm_desktop.persistence.unit_of_work import UnitOfWork
from privacycrm_desktop.services.audit import record_event
from privacycrm_desktop.services.backup import RestorePlan, RestoreResult, _db_file
from privacycrm_desktop.services.backup_restore import (
    CarryOver,
    erasures_to_replay,
    read_carry_over,
    read_carry_over_file,
    replay,
)
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


def check_backend(info: files.BackupInfo, backend: str) -> None:
    """Refuse a backup of the other kind of database (a file's into a server, or back)."""
    if info.backend == backend:
        return
    if info.backend == files.POSTGRESQL:
        raise BackupInvalid(
            N_(
                "This backup was made from a PostgreSQL server database; it can only be "
                "restored into a PostgreSQL database."
            )
        )
    raise BackupInvalid(
        N_(
            "This backup is of a database file on a computer; it cannot be restored into a "
            "PostgreSQL server database."
        )
    )


def _count_contacts(uow: UnitOfWork) -> int:
    with uow() as work:
        return int(work.session.scalar(select(func.count()).select_from(Contact)) or 0)


def plan(uow: UnitOfWork, path: Path, passphrase: str | None) -> RestorePlan:
    """Check the backup on a temporary copy and count what a restore would change."""
    db_file = _db_file(uow.engine)
    info = files.read_manifest(path)
    check_backend(info, files.SQLITE)
    with uow() as work:
        carry = read_carry_over(work.session)
    contacts_now = _count_contacts(uow)
    with files.plain_copy(info, db_file.parent, passphrase) as tmp:
        _check_schema(tmp)
        engine = create_engine_for(tmp)
        try:
            migrates = info.schema_version != HEAD_REVISION
            migrate(engine)
            copy = UnitOfWork(engine)
            in_backup = _count_contacts(copy)
            with copy() as work:
                replays = erasures_to_replay(work.session, carry)
        finally:
            engine.dispose()
    return RestorePlan(
        backup=info,
        contacts_now=contacts_now,
        contacts_in_backup=in_backup,
        erasures_to_replay=replays,
        schema_migrates=migrates,
    )


def _prepare(
    tmp: Path, carry: CarryOver | None, info: files.BackupInfo, actor_name: str, now: dt.datetime
) -> int:
    """Migrate, replay, audit and clean the copy at *tmp*; return the erasures replayed."""
    _check_schema(tmp)
    engine: Engine = create_engine_for(tmp)
    try:
        migrate(engine)
        copy = UnitOfWork(engine)
        replayed = 0
        with copy(write=True) as work:
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
                    f"ledger_read={int(carry is not None)}"
                ),
            )
        finish_erasure(copy)
        if integrity_problems(engine):
            raise BackupFailed(
                N_("The restored copy failed its integrity check; nothing was changed.")
            )
        checkpoint(engine)
    finally:
        engine.dispose()
    return replayed


def _swap(db_file: Path, tmp: Path, now: dt.datetime) -> Path:
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
    uow: UnitOfWork, path: Path, passphrase: str | None, *, actor_name: str, now: dt.datetime
) -> RestoreResult:
    """Restore *path* over the database behind *uow* (see the module text)."""
    db_file = _db_file(uow.engine)
    info = files.read_manifest(path)
    check_backend(info, files.SQLITE)
    with files.plain_copy(info, db_file.parent, passphrase) as tmp:
        checkpoint(uow.engine)
        with uow() as work:
            carry = read_carry_over(work.session, since=info.created_at)
        replayed = _prepare(tmp, carry, info, actor_name, now)
        checkpoint(uow.engine)
        uow.engine.dispose()
        aside = _swap(db_file, tmp, now)
    return RestoreResult(backup=info, aside=aside, erasures_replayed=replayed)


def restore_file(
    db_file: Path, path: Path, passphrase: str | None, *, actor_name: str
) -> RestoreResult:
    """Restore *path* over a database nobody has open (start-up recovery)."""
    now = SystemClock().now()
    info = files.read_manifest(path)
    check_backend(info, files.SQLITE)
    db_file.parent.mkdir(parents=True, exist_ok=True)
    with files.plain_copy(info, db_file.parent, passphrase) as tmp:
        carry = read_carry_over_file(db_file)
        replayed = _prepare(tmp, carry, info, actor_name, now)
        aside = _swap(db_file, tmp, now)
    return RestoreResult(backup=info, aside=aside, erasures_replayed=replayed)
