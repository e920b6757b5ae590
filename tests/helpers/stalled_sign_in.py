"""A PostgreSQL sign-in (SCRAM-SHA-256) that stops between the server's first message and
the client's proof, to be finished later: the server read the role's password when the
exchange began, so a client may prove an old password after it changed (up to the server's
``authentication_timeout``). Written from the protocol's documentation for the session
tests (libpq finishes a sign-in at once and cannot stop there)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import socket
import struct

_SASL, _SASL_CONTINUE, _PROTOCOL = 10, 11, 196608


def _message(kind: bytes, body: bytes) -> bytes:
    return kind + struct.pack("!I", len(body) + 4) + body


class StalledSignIn:
    """A sign-in of *user* to *database* begun and stopped before the proof."""

    def __init__(self, host: str, port: int, user: str, database: str, password: str) -> None:
        self._password = password
        self._socket = socket.create_connection((host, port), timeout=10)
        params = b"user\0" + user.encode() + b"\0database\0" + database.encode() + b"\0\0"
        body = struct.pack("!I", _PROTOCOL) + params
        self._socket.sendall(struct.pack("!I", len(body) + 4) + body)
        kind, data = self._receive()
        assert kind == b"R", data
        assert struct.unpack("!I", data[:4])[0] == _SASL, data
        nonce = base64.b64encode(os.urandom(18)).decode()
        self._first_bare = f"n=,r={nonce}"
        first = ("n,," + self._first_bare).encode()
        mechanism = b"SCRAM-SHA-256\0" + struct.pack("!I", len(first)) + first
        self._socket.sendall(_message(b"p", mechanism))
        kind, data = self._receive()
        assert kind == b"R", data
        assert struct.unpack("!I", data[:4])[0] == _SASL_CONTINUE, data
        self._server_first = data[4:].decode()

    def finish(self) -> str | None:
        """Send the proof; None when the session opened, else the server's error."""
        fields = dict(item.split("=", 1) for item in self._server_first.split(","))
        salted = hashlib.pbkdf2_hmac(
            "sha256", self._password.encode(), base64.b64decode(fields["s"]), int(fields["i"])
        )
        client_key = hmac.new(salted, b"Client Key", "sha256").digest()
        without_proof = f"c=biws,r={fields['r']}"
        auth = f"{self._first_bare},{self._server_first},{without_proof}".encode()
        signature = hmac.new(hashlib.sha256(client_key).digest(), auth, "sha256").digest()
        proof = base64.b64encode(bytes(a ^ b for a, b in zip(client_key, signature, strict=True)))
        self._socket.sendall(_message(b"p", f"{without_proof},p={proof.decode()}".encode()))
        while True:
            kind, data = self._receive()
            if kind == b"E":
                return data.decode(errors="replace")
            if kind == b"Z":
                return None

    def close(self) -> None:
        self._socket.close()

    def _receive(self) -> tuple[bytes, bytes]:
        head = self._read(5)
        length = struct.unpack("!I", head[1:])[0]
        return head[:1], self._read(length - 4)

    def _read(self, size: int) -> bytes:
        data = b""
        while len(data) < size:
            chunk = self._socket.recv(size - len(data))
            if not chunk:
                raise ConnectionError("the server closed the connection")
            data += chunk
        return data
