"""Backup files of the SQLite database: made safely, described by a manifest, checked.

A backup is never a copy of the live file (the WAL would be left behind: a copy lost 500 of
500 committed rows in a test). SQLite's online backup API copies one consistent snapshot in
a single step while other connections keep writing; the copy is written under a temporary
name, switched to a single-file journal mode, checked with ``PRAGMA integrity_check``,
optionally encrypted (persistence/backup_crypto.py), flushed to disk (file and folder) and
only then renamed to its final name. A manifest (JSON, beside the file, ``<name>.json``)
records time, app version, schema version, contact count, the head of the audit chain and
the sha256 of the file as written; it holds no personal value.

A PostgreSQL database (issue 10) is backed up with ``pg_dump --format=custom`` instead
(persistence/pg_dump.py), checked with ``pg_restore --list``, and otherwise goes the same
way: temporary name, optional encryption, fsync, rename, the same manifest with
``"backend": "postgresql"``. Its files end in ``.pg`` (``.pg.enc``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, replace
from enum import StrEnum
from pathlib import Path

from privacycrm_desktop import __version__
from privacycrm_desktop.domain.errors import BackupFailed, BackupInvalid, BackupPassphraseWrong
from privacycrm_desktop.domain.text import N_
from privacycrm_desktop.persistence.sqlite_driver import sqlite3

PLAIN_SUFFIX = ".db"
ENCRYPTED_SUFFIX = ".db.enc"
#: Short, as the audit trail keeps a backup's name in 40 characters.
PG_SUFFIX = ".pg"
PG_ENCRYPTED_SUFFIX = ".pg.enc"
SQLITE = "sqlite"
POSTGRESQL = "postgresql"
MANIFEST_SUFFIX = ".json"
NAME_PREFIX = "privacycrm-"
MANIFEST_FORMAT = 1
_CHUNK = 1 << 20

Progress = Callable[[int, int], None]


class BackupTier(StrEnum):
    """Why a backup exists, and so how long rotation keeps it."""

    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    MANUAL = "manual"
    EXIT = "exit"


@dataclass(frozen=True)
class BackupInfo:
    """One backup file as its manifest describes it (no personal value)."""

    path: Path
    created_at: dt.datetime  # naive UTC
    app_version: str
    schema_version: str
    contact_count: int
    audit_head: str
    checksum: str
    encrypted: bool
    tier: str
    #: Bytes of the file as written (a cheap first check that it is whole).
    size: int = 0
    #: ``PRAGMA integrity_check`` passed on the copy before it got its final name.
    verified: bool = False
    #: The copy in the second folder, when one was made and verified.
    second_copy: Path | None = None
    #: Why the second copy failed (a msgid), or "".
    second_copy_error: str = ""
    #: The database it was made from: "sqlite" (a database file) or "postgresql" (pg_dump).
    backend: str = SQLITE


def default_backup_folder(db_path: Path) -> Path:
    """Backups live beside the data (the platformdirs data folder): ``<folder>/backups``."""
    return db_path.parent / "backups"


def manifest_path(backup: Path) -> Path:
    """The manifest file of *backup*."""
    return backup.with_name(backup.name + MANIFEST_SUFFIX)


def backup_name(created_at: dt.datetime, encrypted: bool, backend: str = SQLITE) -> str:
    """The file name of a backup made at *created_at* (UTC, sortable)."""
    stamp = created_at.strftime("%Y%m%dT%H%M%S%fZ")
    if backend == POSTGRESQL:
        return NAME_PREFIX + stamp + (PG_ENCRYPTED_SUFFIX if encrypted else PG_SUFFIX)
    return NAME_PREFIX + stamp + (ENCRYPTED_SUFFIX if encrypted else PLAIN_SUFFIX)


def fsync_file(path: Path) -> None:
    """Flush *path*'s content to the disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_folder(folder: Path) -> None:
    """Flush a folder's entries (a rename is durable only after this), where supported."""
    if os.name == "nt":  # Windows cannot open a folder; NTFS journals renames itself.
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def sha256_file(path: Path) -> str:
    """The sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def integrity_problems_of(path: Path) -> list[str]:
    """What checking a database file finds: ``PRAGMA integrity_check`` with the search
    index, the foreign keys and the derived counters (storage_health.check_file); empty
    when sound. A backup failing it is not called verified (issue 17)."""
    from privacycrm_desktop.persistence.storage_health import check_file as check_database

    return check_database(path).problems


@dataclass(frozen=True)
class SnapshotFacts:
    """What the manifest says about the data in a snapshot."""

    schema_version: str
    contact_count: int
    audit_head: str


def _scalar(conn: sqlite3.Connection, sql: str, default: object) -> object:
    try:
        row = conn.execute(sql).fetchone()
    except sqlite3.DatabaseError:
        return default
    return default if row is None or row[0] is None else row[0]


def snapshot_facts(path: Path) -> SnapshotFacts:
    """Schema revision, number of contacts and audit head of a (plain) database file."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return SnapshotFacts(
            schema_version=str(_scalar(conn, "SELECT version_num FROM alembic_version", "")),
            contact_count=int(str(_scalar(conn, "SELECT count(*) FROM contact", 0))),
            audit_head=str(_scalar(conn, "SELECT value FROM setting WHERE key='audit.head'", "")),
        )
    finally:
        conn.close()


def snapshot(db_file: Path, dest: Path) -> None:
    """Copy one consistent snapshot of *db_file* into the new file *dest* (backup API).

    The copy is made in a single step under one read transaction, so writers on other
    connections go on (WAL) and every row committed before the step began is in the copy.
    The copy is switched to a rollback journal so it is one self-contained file.
    """
    # Not ``mode=ro``: a read-only connection cannot open a WAL database whose shared
    # memory file is missing. Nothing is written through this connection.
    source = sqlite3.connect(db_file)
    try:
        source.execute("PRAGMA busy_timeout=5000")
        target = sqlite3.connect(dest)
        try:
            source.backup(target, pages=-1)
            target.execute("PRAGMA journal_mode=DELETE")
            target.commit()
        finally:
            target.close()
    finally:
        source.close()


@contextlib.contextmanager
def temporary_path(folder: Path, suffix: str) -> Iterator[Path]:
    """A not-yet-existing path in *folder* (same disk, so a rename is atomic), removed after
    use unless it was renamed away."""
    fd, name = tempfile.mkstemp(prefix=".tmp-", suffix=suffix, dir=folder)
    os.close(fd)
    path = Path(name)
    path.unlink()
    try:
        yield path
    finally:
        for leftover in [path] + [Path(f"{path}{s}") for s in ("-journal", "-wal", "-shm")]:
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()


def write_manifest(info: BackupInfo) -> None:
    """Write *info* as the manifest beside its backup: temporary name, fsync, rename."""
    target = manifest_path(info.path)
    data = asdict(info)
    data["format"] = MANIFEST_FORMAT
    data["path"] = info.path.name
    data["created_at"] = info.created_at.isoformat(timespec="microseconds")
    data.pop("second_copy")
    data.pop("second_copy_error")
    tmp = target.with_name(".tmp-" + target.name)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(json.dumps(data, indent=2, sort_keys=True))
    fsync_file(tmp)
    os.replace(tmp, target)
    fsync_folder(target.parent)


def read_manifest(backup: Path) -> BackupInfo:
    """The manifest of *backup*.

    Raises:
        BackupInvalid: no manifest, or one that cannot be read.
    """
    try:
        data = json.loads(manifest_path(backup).read_text(encoding="utf-8"))
        return BackupInfo(
            path=backup,
            created_at=dt.datetime.fromisoformat(str(data["created_at"])),
            app_version=str(data["app_version"]),
            schema_version=str(data["schema_version"]),
            contact_count=int(data["contact_count"]),
            audit_head=str(data["audit_head"]),
            checksum=str(data["checksum"]),
            encrypted=bool(data["encrypted"]),
            tier=str(data["tier"]),
            size=int(data.get("size", 0)),
            verified=bool(data.get("verified", False)),
            backend=str(data.get("backend", SQLITE)),
        )
    except FileNotFoundError as exc:
        raise BackupInvalid(
            N_("The backup's description file (.json beside it) is missing.")
        ) from exc
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise BackupInvalid(
            N_("The backup's description file (.json beside it) cannot be read.")
        ) from exc


def is_backup_file(path: Path) -> bool:
    """True for a file named like a backup (not a manifest, not a temporary file)."""
    name = path.name
    return name.startswith(NAME_PREFIX) and name.endswith(
        (PLAIN_SUFFIX, ENCRYPTED_SUFFIX, PG_SUFFIX, PG_ENCRYPTED_SUFFIX)
    )


def find_backups(folder: Path) -> list[BackupInfo]:
    """The backups in *folder*, newest first; files with an unreadable manifest are skipped."""
    if not folder.is_dir():
        return []
    found: list[BackupInfo] = []
    for path in folder.iterdir():
        if not is_backup_file(path) or not path.is_file():
            continue
        try:
            found.append(read_manifest(path))
        except BackupInvalid:
            continue
    found.sort(key=lambda info: info.created_at, reverse=True)
    return found


def set_tier(info: BackupInfo, tier: str) -> BackupInfo:
    """Record that rotation keeps *info* in another tier (rewrites the manifest)."""
    changed = replace(info, tier=tier)
    write_manifest(changed)
    return changed


def delete_backup(info: BackupInfo) -> None:
    """Remove a backup file and its manifest."""
    for path in (info.path, manifest_path(info.path)):
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def check_file(info: BackupInfo) -> None:
    """Cheap and full file checks that need no passphrase: size and sha256.

    Raises:
        BackupInvalid: the file is missing, truncated or changed since it was written.
    """
    if not info.path.is_file():
        raise BackupInvalid(N_("The backup file is missing."))
    if info.size and info.path.stat().st_size != info.size:
        raise BackupInvalid(
            N_("The backup file is incomplete or was changed since it was written.")
        )
    if sha256_file(info.path) != info.checksum:
        raise BackupInvalid(
            N_("The backup file is incomplete or was changed since it was written.")
        )


def copy_verified(info: BackupInfo, folder: Path) -> Path:
    """Copy a backup and its manifest into *folder* (temporary name, fsync, checksum
    compared, rename, fsync folder); return the new path.

    Raises:
        BackupFailed: the folder cannot be written, or the copy differs.
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / info.path.name
        with temporary_path(folder, ".part") as tmp:
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            shutil.copyfile(info.path, tmp)
            fsync_file(tmp)
            if sha256_file(tmp) != info.checksum:
                raise BackupFailed(N_("The copy in the second folder differs from the backup."))
            os.replace(tmp, target)
        fsync_folder(folder)
        write_manifest(replace(info, path=target))
        return target
    except OSError as exc:
        raise BackupFailed(
            N_(
                "The second backup folder cannot be written to; the backup in the first "
                "folder was made."
            )
        ) from exc


def new_backup_info(
    path: Path,
    created_at: dt.datetime,
    facts: SnapshotFacts,
    *,
    encrypted: bool,
    tier: str,
    backend: str = SQLITE,
) -> BackupInfo:
    """The manifest of a file just written at *path*."""
    return BackupInfo(
        path=path,
        created_at=created_at,
        app_version=__version__,
        schema_version=facts.schema_version,
        contact_count=facts.contact_count,
        audit_head=facts.audit_head,
        checksum=sha256_file(path),
        encrypted=encrypted,
        tier=tier,
        size=path.stat().st_size,
        verified=True,
        backend=backend,
    )


def content_sound(path: Path, backend: str) -> bool:
    """The content check of a plain backup: ``PRAGMA integrity_check`` of a database file,
    or ``pg_restore --list`` of a dump."""
    if backend == POSTGRESQL:
        from privacycrm_desktop.persistence.pg_dump import dump_is_readable

        return dump_is_readable(path)
    return not integrity_problems_of(path)


@contextlib.contextmanager
def plain_copy(
    info: BackupInfo,
    folder: Path,
    passphrase: str | None,
    progress: Progress | None = None,
) -> Iterator[Path]:
    """A checked plain copy of the backup's database in *folder* (owner-only, removed after
    use unless renamed away); the caller may change it (migrate, replay).

    Raises:
        BackupInvalid: checksum, format or integrity check failed.
        BackupPassphraseWrong: no or a wrong passphrase for an encrypted backup.
    """
    check_file(info)
    with temporary_path(folder, ".restore.db") as tmp:
        if info.encrypted:
            if not passphrase:
                raise BackupPassphraseWrong
            from privacycrm_desktop.persistence.backup_crypto import decrypt_file

            decrypt_file(info.path, tmp, passphrase, progress)
        else:
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            shutil.copyfile(info.path, tmp)
        if not content_sound(tmp, info.backend):
            raise BackupInvalid(N_("The database in this backup fails its integrity check."))
        yield tmp


NEWER_SCHEMA = N_("This backup comes from a newer version of PrivacyCRM; update PrivacyCRM first.")


def refuse_newer_schema(info: BackupInfo) -> None:
    """Raise ``BackupInvalid`` for a backup whose schema a newer version wrote (its manifest
    says so, encrypted or not): it cannot be restored here, so it is never "good"."""
    from privacycrm_desktop.persistence.migrate import known_revisions

    if info.schema_version and info.schema_version not in known_revisions():
        raise BackupInvalid(NEWER_SCHEMA)


def verify_backup(info_or_path: BackupInfo | Path, passphrase: str | None = None) -> None:
    """Check a backup: manifest, size, sha256, and (when it can be read: plain, or
    encrypted with *passphrase*) decryption and ``PRAGMA integrity_check``.

    Raises:
        BackupInvalid: the backup cannot be used (reason in the message).
        BackupPassphraseWrong: *passphrase* does not open the encrypted backup.
    """
    info = info_or_path if isinstance(info_or_path, BackupInfo) else read_manifest(info_or_path)
    refuse_newer_schema(info)
    check_file(info)
    if not info.encrypted:
        # Checked where it lies, read-only (the folder may be on write-protected media).
        if not content_sound(info.path, info.backend):
            raise BackupInvalid(N_("The database in this backup fails its integrity check."))
        return
    if not passphrase:
        return
    try:
        with plain_copy(info, info.path.parent, passphrase):
            return
    except PermissionError:
        pass
    with plain_copy(info, Path(tempfile.gettempdir()), passphrase):
        return
