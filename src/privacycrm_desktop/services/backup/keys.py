"""The database's identity and its backup key: what proves a backup is this app's.

- ``database.id`` (setting, made by migration 0007): a random id; every backup's manifest
  records it, so a backup of another database is recognised.
- ``backup.auth_key`` (setting): 32 random bytes; every manifest is sealed with it
  (HMAC-SHA256, persistence/backup.py). It is kept in the database and in a file beside
  the app's settings (``<config>/backup-keys/<database id>.key``, owner-only), so start-up
  recovery finds it when the database is gone; when backups are encrypted it is sealed
  under the passphrase in every header too, so another computer checks a backup with the
  passphrase alone. It is scrubbed from every backup's copy of the database.

Someone who can write only the backup folder (a USB stick, a network share) holds none of
these, so cannot make a backup the app accepts.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import uuid
from pathlib import Path

from sqlalchemy.orm import Session

from privacycrm_desktop.config import config_dir
from privacycrm_desktop.persistence.backup import BACKUP_KEY_SETTING
from privacycrm_desktop.persistence.backup_names import DATABASE_ID_SETTING
from privacycrm_desktop.persistence.models import Setting

DATABASE_ID_KEY = DATABASE_ID_SETTING
AUTH_KEY = BACKUP_KEY_SETTING
KEY_FOLDER = "backup-keys"


def key_folder() -> Path:
    """Where the key files live: beside the app's settings."""
    return config_dir() / KEY_FOLDER


def key_file(database_id: str) -> Path:
    """The key file of the database *database_id*."""
    safe = "".join(c for c in database_id if c.isalnum()) or "unknown"
    return key_folder() / f"{safe}.key"


def read_key_file(database_id: str) -> bytes | None:
    """The backup key of *database_id* kept on this computer, or None."""
    if not database_id:
        return None
    try:
        return bytes.fromhex(key_file(database_id).read_text(encoding="ascii").strip())
    except (OSError, ValueError):
        return None


def write_key_file(database_id: str, key: bytes) -> None:
    """Keep *key* in the owner-only key file of *database_id* (best effort: a read-only
    settings folder leaves the key in the database only)."""
    path = key_file(database_id)
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = path.with_name(f".{path.name}.{os.getpid()}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(key.hex() + "\n")
        os.replace(tmp, path)


def identity_and_key(session: Session) -> tuple[str, bytes, bool]:
    """The database's id and backup key, made when missing (in *session*, a write unit);
    the flag says the key was made just now."""
    row = session.get(Setting, DATABASE_ID_KEY)
    if row is None:
        row = Setting(key=DATABASE_ID_KEY, value=uuid.uuid4().hex)
        session.add(row)
    database_id = row.value
    key_row = session.get(Setting, AUTH_KEY)
    made = False
    key: bytes | None = None
    if key_row is not None:
        with contextlib.suppress(ValueError):
            key = bytes.fromhex(key_row.value)
    if key is None or len(key) != 32:
        key = read_key_file(database_id)
        if key is None or len(key) != 32:
            key = secrets.token_bytes(32)
            made = True
        session.merge(Setting(key=AUTH_KEY, value=key.hex()))
    if read_key_file(database_id) != key:
        write_key_file(database_id, key)
    return database_id, key, made


def known_keys(database_id: str, current: bytes | None = None) -> list[bytes]:
    """The keys that may have sealed a backup of *database_id*: this database's and the
    key file's."""
    keys = [k for k in (current, read_key_file(database_id)) if k]
    return list(dict.fromkeys(keys))
