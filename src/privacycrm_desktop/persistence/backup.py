"""Backup files of the SQLite database: made safely, described by a manifest, checked.

A backup is never a copy of the live file (the WAL would be left behind: a copy lost 500 of
500 committed rows in a test). SQLite's online backup API copies one consistent snapshot in
a single step while other connections keep writing; the copy is written under a temporary
name, switched to a single-file journal mode, checked with ``PRAGMA integrity_check``,
optionally encrypted (persistence/backup_crypto.py), flushed to disk (file and folder) and
only then renamed to its final name. A manifest (JSON, beside the file, ``<name>.json``)
records time, app version, schema version, contact count, the head of the audit chain and
the sha256 of the file as written; it holds no personal value.

A PostgreSQL database is backed up with ``pg_dump --format=custom`` instead
(persistence/pg_dump.py), checked with ``pg_restore --list``, and otherwise goes the same
way: temporary name, optional encryption, fsync, rename, the same manifest with
``"backend": "postgresql"``. Its files end in ``.pg`` (``.pg.enc``).

Authentication. Encryption alone proves nothing (the public key is in every
header), so every manifest is sealed: ``"mac"`` is an HMAC-SHA256, under the database's
backup key, of every other field of the manifest as written (generically: a field added
later is covered too) - and so, through ``checksum``, of the file itself. A backup whose
seal does not verify under a key this computer holds is refused (``require_authentic``).
The backup key never travels inside a plain backup: it is scrubbed from the snapshot
(``scrub_backup_key``, with SQLite's ``secure_delete``) before the copy is checked.
A manifest without any seal (made before sealing existed, or written by hand) is never
sealed afterwards: ``seal_state`` names it ``UNSEALED`` in listings, and restoring it needs
the owner's explicit choice (``accept_unsealed``).

Where plain copies are made (and cleaned up): persistence/backup_temp.py; checking a
backup, the plain copy a restore works on and the second copy: persistence/backup_verify.py.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import hmac
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from enum import StrEnum
from pathlib import Path

from privacycrm_desktop import __version__
from privacycrm_desktop.domain.errors import BackupInvalid
from privacycrm_desktop.domain.text import N_
from privacycrm_desktop.persistence.backup_names import MANIFEST_SUFFIX
from privacycrm_desktop.persistence.sqlite_driver import sqlite3
from privacycrm_desktop.persistence.storage_health import check_file as check_database

PLAIN_SUFFIX = ".db"
ENCRYPTED_SUFFIX = ".db.enc"
#: Short, as the audit trail keeps a backup's name in 40 characters.
PG_SUFFIX = ".pg"
PG_ENCRYPTED_SUFFIX = ".pg.enc"
SQLITE = "sqlite"
POSTGRESQL = "postgresql"
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
    #: The database as it was just before a restore replaced it (kept a short time).
    BEFORE_RESTORE = "before-restore"


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
    #: How many audit events the backup holds (-1: a manifest from before audit anchors); with
    #: ``audit_head`` an anchor of the chain outside the database (services/audit_anchors).
    audit_events: int = -1
    #: "id:hash" of the newest "backup.restore" event the backup holds ("" none; None: a
    #: manifest from before audit anchors): which history line the backup belongs to.
    audit_restore: str | None = None
    #: The identity of the database it was made from (setting ``database.id``).
    database_id: str = ""
    #: The manifest exactly as read (its seal is checked over it); not written back.
    manifest_text: str = field(default="", repr=False, compare=False)
    #: What a listing found of the seal (``SEALED``, ``UNSEALED``, ``NOT_RECOGNISED``; ""
    #: not checked); not written to the manifest.
    seal: str = field(default="", compare=False)
    #: A listing found it is another database's backup (a shared folder); not written.
    other_database: bool = field(default=False, compare=False)

    @property
    def sealed(self) -> bool:
        """The manifest carries a seal (whether it verifies is ``seal``/``sealed_by``)."""
        return has_seal(self.manifest_text)


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
    when sound. A backup failing it is not called verified."""
    return check_database(path).problems


@dataclass(frozen=True)
class SnapshotFacts:
    """What the manifest says about the data in a snapshot."""

    schema_version: str
    contact_count: int
    audit_head: str
    audit_events: int = -1
    audit_restore: str = ""


#: "id:hash" of the newest restore recorded in the audit trail (both back ends).
NEWEST_RESTORE_SQL = (
    "SELECT CAST(id AS VARCHAR(20)) || ':' || hash FROM audit_event "
    "WHERE action = 'backup.restore' ORDER BY id DESC LIMIT 1"
)


def _scalar(conn: sqlite3.Connection, sql: str, default: object) -> object:
    try:
        row = conn.execute(sql).fetchone()
    except sqlite3.DatabaseError:
        return default
    return default if row is None or row[0] is None else row[0]


BACKUP_KEY_SETTING = "backup.auth_key"


def scrub_backup_key(path: Path) -> None:
    """Remove the backup key from a plain snapshot, overwriting its bytes (a plain backup
    must not hand its reader the key that seals manifests)."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA secure_delete=ON")
        conn.execute("DELETE FROM setting WHERE key = ?", (BACKUP_KEY_SETTING,))
        conn.commit()
    except sqlite3.OperationalError:
        pass  # no setting table: nothing to scrub
    finally:
        conn.close()


def snapshot_facts(path: Path) -> SnapshotFacts:
    """Schema revision, number of contacts and audit head of a (plain) database file."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return SnapshotFacts(
            schema_version=str(_scalar(conn, "SELECT version_num FROM alembic_version", "")),
            contact_count=int(str(_scalar(conn, "SELECT count(*) FROM contact", 0))),
            audit_head=str(_scalar(conn, "SELECT value FROM setting WHERE key='audit.head'", "")),
            audit_events=int(str(_scalar(conn, "SELECT count(*) FROM audit_event", -1))),
            audit_restore=str(_scalar(conn, NEWEST_RESTORE_SQL, "")),
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
        # Owner-only from its first byte (SQLite would create it with the umask's mode).
        os.close(os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        target = sqlite3.connect(dest)
        try:
            source.backup(target, pages=-1)
            target.execute("PRAGMA journal_mode=DELETE")
            target.commit()
        finally:
            target.close()
    finally:
        source.close()


MAC_FIELD = "mac"
#: ``BackupInfo.seal``: the seal verifies under a key of this computer.
SEALED = "sealed"
#: No seal at all: made by a version from before manifests were sealed (or by hand).
UNSEALED = "unsealed"
#: A seal no key of this computer verifies (changed, forged, or another computer's
#: encrypted backup whose key only its passphrase opens).
NOT_RECOGNISED = "not-recognised"
UNSEALED_REFUSED = N_(
    "This backup is not sealed (it was made by an older version of PrivacyCRM, or written "
    "by someone else); restore it only if you know you made it, and say so explicitly."
)
NOT_AUTHENTIC = N_(
    "This backup was not written by PrivacyCRM for a database this computer knows, or it was "
    "changed since (its seal does not match); it cannot be used."
)


def manifest_seal(data: dict[str, object], key: bytes) -> str:
    """The HMAC-SHA256 of every field of a manifest except the seal itself."""
    body = {k: v for k, v in data.items() if k != MAC_FIELD}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hmac.new(key, canonical.encode("ascii"), hashlib.sha256).hexdigest()


def has_seal(manifest_text: str) -> bool:
    """True when the manifest *manifest_text* carries a seal (a ``mac`` field)."""
    try:
        data = json.loads(manifest_text)
    except ValueError:
        return False
    return isinstance(data, dict) and isinstance(data.get(MAC_FIELD), str)


def seal_state(info: BackupInfo, keys: Sequence[bytes]) -> str:
    """``SEALED``, ``UNSEALED`` or ``NOT_RECOGNISED`` (cheap: no file is read)."""
    if not has_seal(info.manifest_text):
        return UNSEALED
    return SEALED if sealed_by(info, keys) is not None else NOT_RECOGNISED


def sealed_by(info: BackupInfo, keys: Sequence[bytes]) -> bytes | None:
    """The key among *keys* whose seal the manifest of *info* carries, or None."""
    try:
        data = json.loads(info.manifest_text)
    except ValueError:
        return None
    mac = data.get(MAC_FIELD) if isinstance(data, dict) else None
    if not isinstance(mac, str):
        return None
    for key in keys:
        if hmac.compare_digest(manifest_seal(data, key), mac):
            return key
    return None


def require_authentic(
    info: BackupInfo, keys: Sequence[bytes], *, accept_unsealed: bool = False
) -> bytes | None:
    """The key that sealed *info*'s manifest; None for an unsealed manifest the owner
    explicitly chose to accept (*accept_unsealed*).

    Raises:
        BackupInvalid: no key this computer holds sealed it, or a field was changed, or it
            carries no seal and *accept_unsealed* is false.
    """
    if not has_seal(info.manifest_text):
        if accept_unsealed:
            return None
        raise BackupInvalid(UNSEALED_REFUSED)
    key = sealed_by(info, keys)
    if key is None:
        raise BackupInvalid(NOT_AUTHENTIC)
    return key


def write_manifest(info: BackupInfo, key: bytes) -> None:
    """Write *info* as the manifest beside its backup, sealed with *key*: temporary name,
    fsync, rename."""
    target = manifest_path(info.path)
    data = asdict(info)
    data["format"] = MANIFEST_FORMAT
    data["path"] = info.path.name
    data["created_at"] = info.created_at.isoformat(timespec="microseconds")
    data.pop("second_copy")
    data.pop("second_copy_error")
    data.pop("manifest_text")
    data.pop("seal")
    data.pop("other_database")
    data[MAC_FIELD] = manifest_seal(data, key)
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
    if not backup.exists() and not manifest_path(backup).exists():
        raise BackupInvalid(N_("There is no backup at {path}."), path=str(backup))
    try:
        text = manifest_path(backup).read_text(encoding="utf-8")
        data = json.loads(text)
        if data.get("path", backup.name) != backup.name:
            raise BackupInvalid(
                N_(
                    "The backup's description file (.json beside it) names another file, "
                    "{name}: a backup keeps the name it was made with."
                ),
                name=str(data.get("path")),
            )
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
            audit_events=int(data.get("audit_events", -1)),
            audit_restore=(
                None if data.get("audit_restore") is None else str(data["audit_restore"])
            ),
            database_id=str(data.get("database_id", "")),
            manifest_text=text,
        )
    except FileNotFoundError as exc:
        raise BackupInvalid(
            N_("The backup's description file (.json beside it) is missing.")
        ) from exc
    except BackupInvalid:
        raise
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


def set_tier(info: BackupInfo, tier: str, key: bytes) -> BackupInfo:
    """Record that rotation keeps *info* in another tier (rewrites the sealed manifest)."""
    changed = replace(info, tier=tier)
    write_manifest(changed, key)
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


FOLDER_MARKER = ".privacycrm-backup-folder"


def mark_folder(folder: Path) -> None:
    """Create *folder* and the marker that says it is a backup folder (when it is set)."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    (folder / FOLDER_MARKER).write_text("PrivacyCRM backups\n", encoding="utf-8")


def folder_is_there(folder: Path) -> bool:
    """True when *folder* is the backup folder that was set: it holds the marker, or (set
    up by an older version) backups already. An empty mount point of an unplugged drive
    holds neither, so nothing is written onto the disk beneath it."""
    if not folder.is_dir():
        return False
    if (folder / FOLDER_MARKER).is_file():
        return True
    if any(is_backup_file(p) for p in folder.iterdir()):
        with contextlib.suppress(OSError):
            mark_folder(folder)
        return True
    return False


def new_backup_info(
    path: Path,
    created_at: dt.datetime,
    facts: SnapshotFacts,
    *,
    encrypted: bool,
    tier: str,
    backend: str = SQLITE,
    database_id: str = "",
) -> BackupInfo:
    """The manifest of a file just written at *path*."""
    return BackupInfo(
        path=path,
        created_at=created_at,
        app_version=__version__,
        schema_version=facts.schema_version,
        contact_count=facts.contact_count,
        audit_head=facts.audit_head,
        audit_events=facts.audit_events,
        audit_restore=facts.audit_restore,
        checksum=sha256_file(path),
        encrypted=encrypted,
        tier=tier,
        size=path.stat().st_size,
        verified=True,
        backend=backend,
        database_id=database_id,
    )
