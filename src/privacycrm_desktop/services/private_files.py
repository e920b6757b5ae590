"""Files the app writes that hold personal data: owner-only (0600), written whole or not at all.

Every report, export, list, letter and log copy the app or the CLI saves goes through here,
so none is left readable by the other users of the computer: the file is made in
the target folder with owner-only permissions from its first byte, filled, synced and then
renamed over the target (an existing file readable by others is replaced, not reused).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, TextIO

from privacycrm_desktop.domain.errors import FileInUse

#: Owner read and write, nobody else anything.
PRIVATE_MODE = 0o600

#: Files no saved file may replace: the open database's (``protect``).
_PROTECTED: set[Path] = set()
#: What SQLite keeps beside a database file.
_SIDE_FILES = ("", "-wal", "-shm", "-journal")


def _key(path: Path) -> Path:
    """*path* as compared: absolute, links resolved (the folder, when it does not exist)."""
    return path.expanduser().resolve()


def protect(database: str | os.PathLike[str]) -> None:
    """Refuse from now on to write over *database* and the files SQLite keeps beside it."""
    for suffix in _SIDE_FILES:
        _PROTECTED.add(_key(Path(f"{os.fspath(database)}{suffix}")))


def check_target(target: str | os.PathLike[str], *reading: str | os.PathLike[str]) -> None:
    """Refuse *target* if it is the open database (or its side files), or one of the files
    being *reading* (an import's own file for its invalid rows).

    Raises:
        FileInUse: nothing was written.
    """
    key = _key(Path(target))
    same = key in _PROTECTED or any(key == _key(Path(r)) for r in reading)
    if not same and key.exists():
        same = any(p.exists() and os.path.samefile(key, p) for p in _PROTECTED)
    if same:
        raise FileInUse(name=Path(target).name)


@contextlib.contextmanager
def _temporary(target: Path) -> Iterator[tuple[int, Path]]:
    """A new owner-only file next to *target*, renamed over it when the block succeeds."""
    check_target(target)
    handle, temp_name = tempfile.mkstemp(
        dir=target.parent, prefix=f".{target.name}.", suffix=".part"
    )
    temp = Path(temp_name)
    try:
        os.fchmod(handle, PRIVATE_MODE)  # mkstemp's 0600 already; said out loud
        yield handle, temp
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise


@contextlib.contextmanager
def private_text(path: str | os.PathLike[str], *, encoding: str = "utf-8") -> Iterator[TextIO]:
    """Open *path* for writing text, owner-only; it appears under its name when the block
    ends without an error (else nothing is written). Lines are written as given.

    Raises:
        OSError: the folder cannot be written, or the disk is full.
    """
    with (
        _temporary(Path(path)) as (handle, _temp),
        os.fdopen(handle, "w", encoding=encoding, newline="") as stream,
    ):
        yield stream
        stream.flush()
        os.fsync(stream.fileno())


@contextlib.contextmanager
def private_binary(path: str | os.PathLike[str]) -> Iterator[BinaryIO]:
    """Like ``private_text``, for bytes (a PDF)."""
    with _temporary(Path(path)) as (handle, _temp), os.fdopen(handle, "wb") as stream:
        yield stream
        stream.flush()
        os.fsync(stream.fileno())


def write_private(
    path: str | os.PathLike[str], data: bytes | str, *, encoding: str = "utf-8"
) -> Path:
    """Write *data* to *path*, owner-only (0600); returns the path."""
    if isinstance(data, bytes):
        with private_binary(path) as binary:
            binary.write(data)
    else:
        with private_text(path, encoding=encoding) as text:
            text.write(data)
    return Path(path)
