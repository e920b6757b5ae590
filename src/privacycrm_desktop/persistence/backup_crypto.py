"""Encrypted backup files: AES-256-GCM in 1 MiB chunks, opened only with the passphrase.

Automatic backups (at exit, daily) must be encrypted without anyone typing the passphrase,
and the passphrase must not be stored anywhere (not in the database, not in a file; keyring
has no backend on a headless Linux). So the passphrase protects a key pair instead:

- When the owner sets the passphrase, an X25519 key pair is made. The private key is sealed
  with AES-256-GCM under a key derived from the passphrase by Scrypt (n=2**17, r=8, p=1:
  128 MiB of memory and a fraction of a second per attempt, so guessing is slow). The public
  key and the sealed private key go into the ``setting`` table (``backup.encryption``);
  neither reveals the passphrase.
- Each backup gets a fresh ephemeral key pair; the file key comes from X25519 with the
  stored public key (HKDF-SHA256). Making a backup needs no passphrase.
- The file header repeats the public key, the sealed private key and the Scrypt salt and
  parameters, so a backup can be opened on another computer with nothing but the
  passphrase (when the database is lost, the backup is all there is).

The body is streamed in chunks (memory stays flat for large files). Each chunk's nonce is
its number plus a "last chunk" flag, and the header is authenticated with every chunk, so
a changed, reordered or cut file fails to decrypt instead of restoring something wrong.

Encryption is not authentication: the public key is in every header, so anyone can encrypt
a database of their own to it. What proves that PrivacyCRM wrote a backup is the seal of
its manifest (persistence/backup.py, an HMAC under the database's backup key). The header
carries that key sealed under the passphrase too (``sealed_auth``), so with the passphrase
a backup can be checked on a computer that never saw the database.

Every header field is checked before it is used: a crafted Scrypt cost (n=2**40
would ask for terabytes of memory, n=3 is not a power of two) or key of the wrong length
is refused with one sentence instead of a crash.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from privacycrm_desktop.domain.errors import BackupInvalid, BackupPassphraseWrong
from privacycrm_desktop.domain.text import N_

MAGIC = b"PCRMBAK1"
CHUNK = 1 << 20
TAG = 16
SCRYPT_N = 2**17
SCRYPT_R = 8
SCRYPT_P = 1
#: Bounds a header must keep (the app writes n=2**17, r=8, p=1, 1 MiB chunks).
_MIN_N, _MAX_N = 2**14, 2**20
_MAX_MEMORY = 256 * 1024 * 1024
_SEALED_KEY = 12 + 32 + TAG
_INFO = b"privacycrm backup file key v1"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: object) -> bytes:
    return base64.b64decode(str(text), validate=True)


@dataclass(frozen=True)
class KeyMaterial:
    """The public key and the passphrase-sealed private key (safe to store)."""

    public_key: bytes
    sealed_private: bytes
    salt: bytes
    n: int = SCRYPT_N
    r: int = SCRYPT_R
    p: int = SCRYPT_P
    #: The backup key (manifest seals) sealed under the passphrase; empty when set up by an
    #: older version.
    sealed_auth: bytes = b""

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready form (the setting value and the file header use it)."""
        data: dict[str, object] = {
            "public_key": _b64(self.public_key),
            "sealed_private": _b64(self.sealed_private),
            "salt": _b64(self.salt),
            "n": self.n,
            "r": self.r,
            "p": self.p,
        }
        if self.sealed_auth:
            data["sealed_auth"] = _b64(self.sealed_auth)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> KeyMaterial:
        """Read what ``to_dict`` wrote; raises ValueError/KeyError on nonsense, including
        key lengths and Scrypt costs outside what this app writes."""
        material = cls(
            public_key=_unb64(data["public_key"]),
            sealed_private=_unb64(data["sealed_private"]),
            salt=_unb64(data["salt"]),
            n=_int(data["n"]),
            r=_int(data["r"]),
            p=_int(data["p"]),
            sealed_auth=_unb64(data.get("sealed_auth", "")),
        )
        n, r, p = material.n, material.r, material.p
        if n < _MIN_N or n > _MAX_N or n & (n - 1):
            raise ValueError("scrypt n")
        if not (1 <= r <= 32 and 1 <= p <= 4 and 128 * n * r <= _MAX_MEMORY):
            raise ValueError("scrypt r/p")
        if len(material.public_key) != 32 or len(material.sealed_private) != _SEALED_KEY:
            raise ValueError("key length")
        if not 16 <= len(material.salt) <= 64 or len(material.sealed_auth) not in (0, _SEALED_KEY):
            raise ValueError("salt or sealed key length")
        return material


def _int(value: object) -> int:
    """An integer header field (a JSON number, never a bool or text)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("not an integer")
    return value


def _passphrase_key(passphrase: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(passphrase.encode("utf-8"))


_AUTH_AAD = b"sealed backup key"


def make_key_material(passphrase: str, auth_key: bytes | None = None) -> KeyMaterial:
    """A new key pair whose private half only *passphrase* unseals; *auth_key* (the
    database's backup key) is sealed under the same passphrase."""
    private = X25519PrivateKey.generate()
    raw = private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    salt = secrets.token_bytes(16)
    nonce = secrets.token_bytes(12)
    aead = AESGCM(_passphrase_key(passphrase, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P))
    sealed = nonce + aead.encrypt(nonce, raw, b"sealed private key")
    sealed_auth = b""
    if auth_key is not None:
        auth_nonce = secrets.token_bytes(12)
        sealed_auth = auth_nonce + aead.encrypt(auth_nonce, auth_key, _AUTH_AAD)
    public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return KeyMaterial(
        public_key=public,
        sealed_private=sealed,
        salt=salt,
        n=SCRYPT_N,
        r=SCRYPT_R,
        p=SCRYPT_P,
        sealed_auth=sealed_auth,
    )


def unseal(material: KeyMaterial, passphrase: str) -> X25519PrivateKey:
    """The private key, when *passphrase* is the right one.

    Raises:
        BackupPassphraseWrong: it is not.
    """
    return _unseal_both(material, passphrase)[0]


def _unseal_both(material: KeyMaterial, passphrase: str) -> tuple[X25519PrivateKey, bytes | None]:
    """The private key and the sealed backup key (None when the header has none, or it
    does not open with this passphrase: then it is not this database's key)."""
    aead = AESGCM(_passphrase_key(passphrase, material.salt, material.n, material.r, material.p))
    nonce, sealed = material.sealed_private[:12], material.sealed_private[12:]
    try:
        raw = aead.decrypt(nonce, sealed, b"sealed private key")
    except InvalidTag as exc:
        raise BackupPassphraseWrong from exc
    auth_key: bytes | None = None
    if material.sealed_auth:
        try:
            auth_key = aead.decrypt(material.sealed_auth[:12], material.sealed_auth[12:], _AUTH_AAD)
        except InvalidTag:
            auth_key = None
    return X25519PrivateKey.from_private_bytes(raw), auth_key


def unseal_auth_key(material: KeyMaterial, passphrase: str) -> bytes | None:
    """The backup key sealed in *material*, when *passphrase* opens it."""
    return _unseal_both(material, passphrase)[1]


def _file_key(shared: bytes, ephemeral: bytes, public: bytes) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO + ephemeral + public
    ).derive(shared)


def _nonce(index: int, last: bool) -> bytes:
    return index.to_bytes(11, "big") + (b"\x01" if last else b"\x00")


def encrypt_file(
    source: Path,
    target: Path,
    material: KeyMaterial,
    progress: Callable[[int, int], None] | None = None,
) -> None:
    """Write *source* encrypted to *target* (which must not exist yet)."""
    ephemeral = X25519PrivateKey.generate()
    ephemeral_public = ephemeral.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(material.public_key))
    aead = AESGCM(_file_key(shared, ephemeral_public, material.public_key))
    header = json.dumps(
        {"version": 1, "chunk": CHUNK, "ephemeral": _b64(ephemeral_public), **material.to_dict()},
        sort_keys=True,
    ).encode("ascii")
    total = source.stat().st_size
    done = 0
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with source.open("rb") as plain, os.fdopen(fd, "wb") as out:
        out.write(MAGIC + len(header).to_bytes(4, "big") + header)
        index = 0
        current = plain.read(CHUNK)
        while True:
            following = plain.read(CHUNK)
            last = not following
            out.write(aead.encrypt(_nonce(index, last), current, header))
            done += len(current)
            if progress is not None:
                progress(done, total)
            if last:
                break
            index += 1
            current = following


def _read_header(handle: BinaryIO) -> tuple[bytes, dict[str, object]]:
    if handle.read(len(MAGIC)) != MAGIC:
        raise BackupInvalid(N_("This file is not an encrypted PrivacyCRM backup."))
    size = int.from_bytes(handle.read(4), "big")
    if not 0 < size < 65536:
        raise BackupInvalid(N_("This file is not an encrypted PrivacyCRM backup."))
    header = handle.read(size)
    try:
        data = json.loads(header)
        if not isinstance(data, dict):
            raise ValueError("header")
    except ValueError as exc:
        raise BackupInvalid(N_("This file is not an encrypted PrivacyCRM backup.")) from exc
    return header, data


def is_encrypted_file(path: Path) -> bool:
    """True when *path* starts like an encrypted backup."""
    with path.open("rb") as handle:
        return handle.read(len(MAGIC)) == MAGIC


def decrypt_file(
    source: Path,
    target: Path,
    passphrase: str,
    progress: Callable[[int, int], None] | None = None,
) -> bytes | None:
    """Write the plain database of the encrypted backup *source* to *target*; return the
    backup key sealed in its header (None when there is none).

    Raises:
        BackupPassphraseWrong: the passphrase does not open it.
        BackupInvalid: the file is not an encrypted backup, was changed or cut, or its
            header holds values this app never writes.
    """
    total = source.stat().st_size
    with source.open("rb") as handle:
        header, data = _read_header(handle)
        material, ephemeral_public, chunk = parse_header(data)
        private, auth_key = _unseal_both(material, passphrase)
        shared = private.exchange(X25519PublicKey.from_public_bytes(ephemeral_public))
        aead = AESGCM(_file_key(shared, ephemeral_public, material.public_key))
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            index = 0
            block = handle.read(chunk + TAG)
            while True:
                following = handle.read(chunk + TAG)
                last = not following
                try:
                    out.write(aead.decrypt(_nonce(index, last), block, header))
                except InvalidTag as exc:
                    raise BackupInvalid(
                        N_("The backup file is incomplete or was changed since it was written.")
                    ) from exc
                if progress is not None:
                    progress(handle.tell(), total)
                if last:
                    break
                index += 1
                block = following
    return auth_key


_BAD_HEADER = N_(
    "This backup's header holds values PrivacyCRM never writes (it was damaged or crafted); "
    "it cannot be opened."
)


def parse_header(data: dict[str, object]) -> tuple[KeyMaterial, bytes, int]:
    """The key material, ephemeral public key and chunk size of a header, each checked.

    Raises:
        BackupInvalid: a field is missing, of the wrong type, or outside what this app writes.
    """
    try:
        if data.get("version") != 1:
            raise ValueError("version")
        material = KeyMaterial.from_dict(data)
        ephemeral_public = _unb64(data["ephemeral"])
        chunk = _int(data["chunk"])
        if len(ephemeral_public) != 32 or not 4096 <= chunk <= 16 * CHUNK:
            raise ValueError("ephemeral or chunk")
    except (KeyError, ValueError, TypeError) as exc:
        raise BackupInvalid(_BAD_HEADER) from exc
    return material, ephemeral_public, chunk


def read_header_material(path: Path) -> KeyMaterial:
    """The (public) key material in an encrypted backup's header, checked.

    Raises:
        BackupInvalid: not an encrypted backup, or a crafted header.
    """
    with path.open("rb") as handle:
        _header, data = _read_header(handle)
    return parse_header(data)[0]
