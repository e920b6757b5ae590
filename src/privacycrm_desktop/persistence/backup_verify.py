"""Checking a backup and copying it: the content check, a checked plain copy to restore
from, the full check of a backup, and the verified copy into the second folder.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from privacycrm_desktop.domain.errors import BackupFailed, BackupInvalid, BackupPassphraseWrong
from privacycrm_desktop.domain.text import N_
from privacycrm_desktop.persistence.backup import (
    POSTGRESQL,
    BackupInfo,
    Progress,
    check_file,
    folder_is_there,
    fsync_file,
    fsync_folder,
    integrity_problems_of,
    read_manifest,
    require_authentic,
    sha256_file,
    write_manifest,
)
from privacycrm_desktop.persistence.backup_temp import temporary_path
from privacycrm_desktop.persistence.migrate import known_revisions
from privacycrm_desktop.persistence.pg_dump import dump_is_readable


def copy_verified(info: BackupInfo, folder: Path, key: bytes) -> Path:
    """Copy a backup and its manifest into *folder* (temporary name, fsync, checksum
    compared, rename, fsync folder); return the new path.

    Raises:
        BackupFailed: the folder is not there (an unplugged drive), its disk is full, it
            cannot be written, or the copy differs.
    """
    if not folder_is_there(folder):
        raise BackupFailed(
            N_(
                "The second backup folder is not there (is the drive plugged in?); the "
                "backup in the first folder was made."
            )
        )
    try:
        target = folder / info.path.name
        with temporary_path(folder, ".part") as tmp:
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            shutil.copyfile(info.path, tmp)
            fsync_file(tmp)
            if sha256_file(tmp) != info.checksum:
                raise BackupFailed(N_("The copy in the second folder differs from the backup."))
            os.replace(tmp, target)
        fsync_folder(folder)
        write_manifest(replace(info, path=target), key)
        return target
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            raise BackupFailed(
                N_(
                    "The disk of the second backup folder is full; the backup in the first "
                    "folder was made."
                )
            ) from exc
        raise BackupFailed(
            N_(
                "The second backup folder cannot be written to; the backup in the first "
                "folder was made."
            )
        ) from exc


def content_sound(path: Path, backend: str) -> bool:
    """The content check of a plain backup: ``PRAGMA integrity_check`` of a database file,
    or ``pg_restore --list`` of a dump."""
    if backend == POSTGRESQL:
        return dump_is_readable(path)
    return not integrity_problems_of(path)


@dataclass(frozen=True)
class PlainCopy:
    """A checked plain copy of a backup, and the key that sealed its manifest."""

    path: Path
    key: bytes


@contextlib.contextmanager
def plain_copy(
    info: BackupInfo,
    folder: Path,
    passphrase: str | None,
    keys: Sequence[bytes],
    progress: Progress | None = None,
    *,
    accept_unsealed: bool = False,
) -> Iterator[PlainCopy]:
    """A checked plain copy of the backup's database in *folder* (owner-only, removed after
    use unless renamed away); the caller may change it (migrate, replay).

    The manifest must carry the seal of one of *keys*, or (encrypted backups) of the key
    sealed in the header under *passphrase*; the file must match the sealed checksum. A
    manifest without any seal (an older version's) is accepted only with *accept_unsealed*
    (the owner's explicit choice); its copy then continues under the first of *keys*.

    Raises:
        BackupInvalid: seal, checksum, format or integrity check failed.
        BackupPassphraseWrong: no or a wrong passphrase for an encrypted backup.
    """
    if not info.encrypted:
        require_authentic(info, keys, accept_unsealed=accept_unsealed)
    check_file(info)
    with temporary_path(folder, ".restore.db") as tmp:
        if info.encrypted:
            if not passphrase:
                raise BackupPassphraseWrong
            from privacycrm_desktop.persistence.backup_crypto import decrypt_file

            header_key = decrypt_file(info.path, tmp, passphrase, progress)
            key = require_authentic(
                info,
                [*keys, *([header_key] if header_key else [])],
                accept_unsealed=accept_unsealed,
            )
        else:
            key = require_authentic(info, keys, accept_unsealed=accept_unsealed)
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            shutil.copyfile(info.path, tmp)
            if sha256_file(tmp) != info.checksum:  # changed between the check and the copy
                raise BackupInvalid(
                    N_("The backup file is incomplete or was changed since it was written.")
                )
        if not content_sound(tmp, info.backend):
            raise BackupInvalid(N_("The database in this backup fails its integrity check."))
        if key is None:  # an unsealed backup the owner accepted
            key = keys[0] if keys else secrets.token_bytes(32)
        yield PlainCopy(tmp, key)


NEWER_SCHEMA = N_("This backup comes from a newer version of PrivacyCRM; update PrivacyCRM first.")


def refuse_newer_schema(info: BackupInfo) -> None:
    """Raise ``BackupInvalid`` for a backup whose schema a newer version wrote (its manifest
    says so, encrypted or not): it cannot be restored here, so it is never "good"."""
    if info.schema_version and info.schema_version not in known_revisions():
        raise BackupInvalid(NEWER_SCHEMA)


def verify_backup(
    info_or_path: BackupInfo | Path,
    passphrase: str | None = None,
    keys: Sequence[bytes] = (),
    temp_folder: Path | None = None,
    *,
    accept_unsealed: bool = False,
) -> None:
    """Check a backup: seal, manifest, size, sha256, and (when it can be read: plain, or
    encrypted with *passphrase*) decryption and ``PRAGMA integrity_check``.

    Without the passphrase an encrypted backup's seal is checked with *keys* only (and
    not at all when there are none: a new computer, where only the passphrase opens it).

    Raises:
        BackupInvalid: the backup cannot be used (reason in the message).
        BackupPassphraseWrong: *passphrase* does not open the encrypted backup.
    """
    info = info_or_path if isinstance(info_or_path, BackupInfo) else read_manifest(info_or_path)
    if not info.encrypted or (not passphrase and keys):
        # An encrypted backup on a computer without its key is checked when the passphrase
        # is given (the key sealed in its header); restoring it always checks the seal.
        require_authentic(info, keys, accept_unsealed=accept_unsealed)
    refuse_newer_schema(info)
    check_file(info)
    if not info.encrypted:
        # Checked where it lies, read-only (the folder may be on write-protected media).
        if not content_sound(info.path, info.backend):
            raise BackupInvalid(N_("The database in this backup fails its integrity check."))
        return
    if not passphrase:
        return
    folder = temp_folder or Path(tempfile.mkdtemp(prefix="privacycrm-verify-"))
    try:
        with plain_copy(info, folder, passphrase, keys, accept_unsealed=accept_unsealed):
            return
    finally:
        if temp_folder is None:
            shutil.rmtree(folder, ignore_errors=True)
