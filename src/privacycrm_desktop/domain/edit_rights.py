"""What a role may change in a contact: the rule every save of a contact applies.

A save takes the form's value of each field the role may write; every other field keeps
its stored value, whatever the form says (a hidden or read-only field arrives empty or
masked). Restricted fields nothing else is derived from (birth date, notes) are not even
read for a role that may not see them (a PostgreSQL server may refuse it their columns):
they are neither kept nor written, the save leaves them as they are.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from privacycrm_desktop.domain.access import FieldAccess
from privacycrm_desktop.domain.contacts import SCALAR_FIELDS, ContactInput

#: Every field of a contact a save may change: the scalars, then the lists.
EDITABLE_FIELDS = (*SCALAR_FIELDS, "emails", "phones")
#: Restricted fields nothing else is derived from: a role that may not see one never
#: reads it (mapped ``deferred``).
UNREAD_WHEN_HIDDEN = ("birth_date", "notes")


def may_change(access: Mapping[str, FieldAccess], name: str) -> bool:
    """May a role with *access* change field *name*?"""
    return access.get(name) is FieldAccess.WRITE


def unread_fields(access: Mapping[str, FieldAccess]) -> frozenset[str]:
    """The restricted fields *access* hides: never read for this role."""
    return frozenset(
        f for f in UNREAD_WHEN_HIDDEN if access.get(f, FieldAccess.HIDDEN) is FieldAccess.HIDDEN
    )


def kept_fields(access: Mapping[str, FieldAccess]) -> tuple[str, ...]:
    """The fields a save by this role takes from what is stored, not from the form: those
    it may not change, but for the ones it never reads (``unread_fields``)."""
    unread = unread_fields(access)
    return tuple(f for f in EDITABLE_FIELDS if not may_change(access, f) and f not in unread)


def keep_stored(
    data: ContactInput, access: Mapping[str, FieldAccess], stored: Mapping[str, Any]
) -> ContactInput:
    """*data* with every field of ``kept_fields(access)`` set to its *stored* value.

    Args:
        data: what the form holds.
        access: the saving role's access to each field.
        stored: the stored value of (at least) every field in ``kept_fields(access)``;
            e-mails and phones as tuples.
    """
    return dataclasses.replace(data, **{f: stored[f] for f in kept_fields(access)})


__all__ = [
    "EDITABLE_FIELDS",
    "UNREAD_WHEN_HIDDEN",
    "keep_stored",
    "kept_fields",
    "may_change",
    "unread_fields",
]
