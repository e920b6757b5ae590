"""Password hashing with argon2id (argon2-cffi), at least OWASP's minimum parameters."""

from __future__ import annotations

import base64
import binascii
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.low_level import Type, hash_secret

from privacycrm_desktop.domain.errors import FieldProblem, ValidationFailed
from privacycrm_desktop.domain.text import N_

MIN_PASSWORD_LENGTH = 10
# OWASP: argon2id with 19 MiB of memory and 2 iterations as the floor.
MEMORY_KIB = 19_456
TIME_COST = 2


@lru_cache(maxsize=1)
def hasher() -> PasswordHasher:
    """The shared hasher (argon2id is argon2-cffi's default type)."""
    return PasswordHasher(time_cost=TIME_COST, memory_cost=MEMORY_KIB, parallelism=1)


def check_password_policy(password: str, username: str) -> None:
    """Refuse passwords that are short or equal to the user name."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(
            [
                FieldProblem(
                    "password",
                    N_("The password needs at least {count} characters."),
                    {"count": MIN_PASSWORD_LENGTH},
                )
            ]
        )
    if password.casefold() == username.casefold():
        raise ValidationFailed(
            [FieldProblem("password", N_("The password may not be the user name."))]
        )


def hash_password(password: str) -> str:
    """An argon2id hash of *password*."""
    return hasher().hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    """True when *password* matches; never raises for a wrong password or a broken hash."""
    try:
        return hasher().verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's."""
    return hasher().check_needs_rehash(stored_hash)


@lru_cache(maxsize=2)
def _dummy_hash(memory_kib: int, time_cost: int) -> str:
    """A hash of no one's password, made with the parameters in force (one per set)."""
    return hash_password("not a real password")


def burn_time(password: str) -> None:
    """Spend as long as a real check, so an unknown user name cannot be told by timing."""
    verify_password(_dummy_hash(MEMORY_KIB, TIME_COST), password)


def hash_like(shape: str, password: str) -> str | None:
    """The argon2id hash of *password* made with the parameters and salt of *shape*: a
    stored hash whose digest is replaced by the digest's length in characters (what the
    server gives a desk's own login role, ``pcrm_own_password_salt``); None when *shape*
    is not one. Equal to the stored hash exactly when *password* is the stored one."""
    try:
        head, length = shape.rsplit("$", 1)
        _empty, kind, version, params, salt = head.split("$")
        settings = dict(pair.split("=", 1) for pair in params.split(","))
        if kind != "argon2id" or not version.startswith("v="):
            return None
        raw_salt = base64.b64decode(salt + "=" * (-len(salt) % 4), validate=True)
        return hash_secret(
            password.encode(),
            raw_salt,
            time_cost=int(settings["t"]),
            memory_cost=int(settings["m"]),
            parallelism=int(settings["p"]),
            hash_len=int(length) * 3 // 4,
            type=Type.ID,
            version=int(version[2:]),
        ).decode()
    except (ValueError, KeyError, binascii.Error):
        return None
