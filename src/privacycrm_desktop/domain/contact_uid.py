"""The UID an export gives each contact, and the contact an imported UID names.

A vCard needs a UID that stays the same for the same contact (RFC 6350 6.7.6), so that an
address book updates a card instead of adding a second one, and so that importing our own
export back finds each contact again even when nothing else identifies it. The UID is a
``urn:uuid:`` of RFC 9562's version 8 (a layout of our own): 60 bits derived from the
database's random id, then the contact's id. Nothing needs storing, another database's
UIDs never name one of ours, and the UID holds no personal data (the id is in the CSV's
``id`` column already).
"""

from __future__ import annotations

import hashlib
import uuid

_URN = "urn:uuid:"
_ID_BITS = 62
_ID_MASK = (1 << _ID_BITS) - 1


def _database_bits(database_id: str) -> int:
    """60 bits that stand for the database (a hash: the id itself need not be hex)."""
    return int(hashlib.sha256(database_id.encode()).hexdigest()[:15], 16)


def contact_uid(database_id: str, contact_id: int) -> str:
    """The UID of contact *contact_id* of the database *database_id*."""
    bits = _database_bits(database_id)
    value = (
        (bits >> 12) << 80  # custom_a: 48 bits
        | 0x8 << 76  # version 8
        | (bits & 0xFFF) << 64  # custom_b: 12 bits
        | 0b10 << 62  # the RFC's variant
        | (contact_id & _ID_MASK)  # custom_c: 62 bits
    )
    return _URN + str(uuid.UUID(int=value))


def uid_contact_id(database_id: str, uid: str) -> int | None:
    """The id of the contact of *database_id* that *uid* names; None when it names none
    (another program's UID, another database's, or no UID)."""
    text = uid.strip().lower()
    text = text.removeprefix(_URN)
    try:
        value = uuid.UUID(text).int
    except ValueError:
        return None
    contact_id = value & _ID_MASK
    if contact_id and contact_uid(database_id, contact_id) == _URN + str(uuid.UUID(int=value)):
        return contact_id
    return None


__all__ = ["contact_uid", "uid_contact_id"]
