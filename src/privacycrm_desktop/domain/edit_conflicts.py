"""Edit conflicts: two people saved the same contact; which values differ, and the merge.

Three versions of each field meet: *base* (what the editor loaded), *theirs* (what is stored
now, saved by somebody else in between) and *mine* (what the user typed). A field only one
side changed is merged without asking (theirs is taken over when only they changed it); a
field both changed to different values is a ``FieldConflict`` for the user to decide.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from privacycrm_desktop.domain.contacts import ContactInput
from privacycrm_desktop.domain.fields import FIELDS_BY_NAME

#: The fields of a ``ContactInput`` that can conflict, in the editor's order (its own).
CONFLICT_FIELDS = tuple(f.name for f in dataclasses.fields(ContactInput) if f.name != "extra")


class Choice(StrEnum):
    """Which value of a conflicting field to keep."""

    THEIRS = "theirs"
    MINE = "mine"


@dataclass(frozen=True)
class FieldConflict:
    """One field both people changed, to different values.

    ``base`` is None when the loaded value is not known (a caller that did not say what
    it had loaded): then every field whose stored value differs from the typed one is
    listed.
    """

    field: str
    #: The field's label, an English msgid (domain/fields.py).
    label: str
    base: object
    theirs: object
    mine: object
    #: Who entered their value and when (its provenance), when known.
    their_by: str = ""
    their_at: dt.datetime | None = None


@dataclass(frozen=True)
class ConflictDetail:
    """What the editor needs to let the user choose, and to save again.

    ``theirs`` is the stored contact as this user may see it (hidden fields empty, masked
    ones masked) and is the *base* of the next save; ``version`` is its version, the one to
    save against. ``merged`` is the typed form with the fields only they changed taken
    over (``taken_over``); conflicting fields hold the typed value until ``resolve``.
    """

    contact_id: int
    version: int
    conflicts: tuple[FieldConflict, ...]
    theirs: ContactInput
    merged: ContactInput
    taken_over: tuple[str, ...] = ()
    #: When the stored version was saved.
    changed_at: dt.datetime | None = None


def three_way(
    base: ContactInput | None,
    theirs: ContactInput,
    mine: ContactInput,
    writable: Iterable[str],
    visible: Iterable[str] = (),
) -> tuple[tuple[FieldConflict, ...], ContactInput, tuple[str, ...]]:
    """Compare the three versions of the *writable* fields.

    Args:
        base: The values the editor loaded, or None when unknown.
        theirs: The stored values, as the user may see them.
        mine: The typed values, validated (normal forms, as stored).
        writable: Fields the user may change; the others keep the stored value anyway and
            never conflict.
        visible: Further fields the user may see (read-only or masked): when they changed
            since *base* they are named in ``taken_over``.

    Returns:
        The conflicts, the merged values (their-only changes taken over, mine elsewhere)
        and the names of the fields taken over from them.
    """
    may_write = set(writable)
    may_see = may_write | set(visible)
    conflicts: list[FieldConflict] = []
    taken: dict[str, Any] = {}
    for name in CONFLICT_FIELDS:
        b = None if base is None else getattr(base, name)
        t, m = getattr(theirs, name), getattr(mine, name)
        if name not in may_write:
            if base is not None and name in may_see and t != b:
                taken[name] = t
            continue
        if t == m:
            continue
        if base is not None and t == b:
            continue  # only I changed it
        if base is not None and m == b:
            taken[name] = t  # only they changed it
            continue
        conflicts.append(FieldConflict(name, FIELDS_BY_NAME[name].label, b, t, m))
    merged = dataclasses.replace(mine, **{k: v for k, v in taken.items() if k in may_write})
    return tuple(conflicts), merged, tuple(taken)


def resolve(detail: ConflictDetail, choices: Mapping[str, Choice]) -> ContactInput:
    """The values to save: ``merged`` with each conflicting field as chosen.

    Raises:
        KeyError: a conflicting field has no choice.
    """
    values: dict[str, Any] = {
        c.field: c.theirs if choices[c.field] is Choice.THEIRS else c.mine for c in detail.conflicts
    }
    return dataclasses.replace(detail.merged, **values)


def input_from(values: object) -> ContactInput:
    """A ``ContactInput`` of an object with the same field names (an editor's detail).

    Lists of sourced values (objects with a ``value``) become plain tuples.
    """

    def plain(name: str) -> Any:
        value = getattr(values, name)
        if name in ("emails", "phones"):
            return tuple(getattr(v, "value", v) for v in value)
        return value

    return ContactInput(**{name: plain(name) for name in CONFLICT_FIELDS})
