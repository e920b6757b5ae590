"""Temporary files of backups and restores: where plain copies are made, and how what a
killed process left behind is found and removed.

Plain copies (a snapshot before encryption, a decrypted backup
being restored) are made only in a private folder (``private_temp_folder``: owner-only,
beside the database, so the plaintext sits where the database itself does), named with the
process id; ``clean_leftovers`` removes those of processes that are gone (run at start-up,
before each backup and each restore). The backup folder only ever receives what the final
file holds.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import socket
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

from privacycrm_desktop.domain.errors import BackupFailed
from privacycrm_desktop.domain.text import N_
from privacycrm_desktop.persistence.backup_names import MANIFEST_SUFFIX

PRIVATE_TEMP = ".privacycrm-tmp"
_TEMP_PREFIX = ".tmp-"
#: A temporary file of an older version (no process id in its name) older than this is
#: a leftover of a killed process.
_LEGACY_LEFTOVER_AGE = 3600.0
_LEGACY_SUFFIXES = (".db", ".enc", ".part", "-journal", "-wal", "-shm", MANIFEST_SUFFIX)


def host_tag() -> str:
    """A short tag of this computer for temporary names (its host name, hashed)."""
    return hashlib.sha256(socket.gethostname().encode("utf-8")).hexdigest()[:8]


PRIVATE_TEMP_UNSAFE = N_(
    "The folder .privacycrm-tmp beside the database is a link or belongs to another user, "
    "so no plain copy is made in it; nothing was changed. Remove that folder, then try again."
)


def private_temp_folder(db_folder: Path) -> Path:
    """An owner-only folder beside the database for plain temporary copies (created).

    One that is already there is used only when it is a real folder (not a symbolic link)
    owned by this user; only then is it made owner-only again.

    Raises:
        BackupFailed: it is a link, not a folder, or another user's.
    """
    folder = db_folder / PRIVATE_TEMP
    db_folder.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        os.mkdir(folder, 0o700)
    st = os.lstat(folder)
    foreign = os.name != "nt" and st.st_uid != os.getuid()
    if stat.S_ISLNK(st.st_mode) or not stat.S_ISDIR(st.st_mode) or foreign:
        raise BackupFailed(PRIVATE_TEMP_UNSAFE)
    if os.name != "nt" and stat.S_IMODE(st.st_mode) != 0o700:
        os.chmod(folder, 0o700)  # ours, and not a link (checked just above)
    return folder


def _process_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    if os.name == "nt":  # os.kill(pid, 0) would send CTRL_C; age decides there
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_leftovers(folder: Path) -> list[Path]:
    """Remove the temporary files in *folder* of processes of this computer that are gone
    (a killed backup or restore); return what was removed. A private temporary folder
    that is a link is not ours: nothing in it is touched."""
    if not folder.is_dir() or (folder.name == PRIVATE_TEMP and folder.is_symlink()):
        return []
    host = host_tag()
    removed: list[Path] = []
    now = dt.datetime.now().timestamp()
    for path in folder.iterdir():
        name = path.name
        if not name.startswith(_TEMP_PREFIX) or not path.is_file():
            continue
        parts = name[len(_TEMP_PREFIX) :].split("-", 2)
        try:
            if len(parts) == 3 and parts[0] == host and parts[1].isdigit():
                stale = not _process_alive(int(parts[1]))
            elif len(parts) == 3 and len(parts[0]) == 8 and parts[1].isdigit():
                stale = False  # another computer's (a shared folder): its own to clean
            else:
                # An older version's name: only what it made (a chosen backup folder may
                # hold other programs' files), and only once it is clearly abandoned.
                stale = (
                    name.endswith(_LEGACY_SUFFIXES)
                    and now - path.stat().st_mtime > _LEGACY_LEFTOVER_AGE
                )
            if stale:
                path.unlink()
                removed.append(path)
        except OSError:
            continue
    return removed


@contextlib.contextmanager
def temporary_path(folder: Path, suffix: str) -> Iterator[Path]:
    """A not-yet-existing path in *folder* (same disk, so a rename is atomic), named with
    this computer and process (see ``clean_leftovers``), removed after use unless it was
    renamed away."""
    fd, name = tempfile.mkstemp(
        prefix=f"{_TEMP_PREFIX}{host_tag()}-{os.getpid()}-", suffix=suffix, dir=folder
    )
    os.close(fd)
    path = Path(name)
    path.unlink()
    try:
        yield path
    finally:
        for leftover in [path] + [Path(f"{path}{s}") for s in ("-journal", "-wal", "-shm")]:
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()
