"""The owner's custom fields in a merge (which contact's value the survivor keeps), and
its places at companies (one current place per company).

A custom field holds one value per contact (``custom_value``), so the merge's row move
keeps the survivor's value where it has one (``merge_moves``, ``MOVE_UNIQUE``). A
``take`` of ``cf_<key>`` (``--take cf_key=ID``, like any other field) chooses another
contact's value instead: the other values of that field are taken out before the move,
so the chosen one moves to the survivor with its own source. The merge record's copy holds
every value, so an undo restores them all.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, delete, select, update

from privacycrm_desktop.domain.fields import CUSTOM_PREFIX
from privacycrm_desktop.domain.merges import MergeRefused
from privacycrm_desktop.domain.text import N_
from privacycrm_desktop.persistence.company_models import CompanyLink
from privacycrm_desktop.persistence.custom_field_models import CustomField, CustomValue


def split_take(take: Mapping[str, int]) -> tuple[dict[str, int], dict[str, int]]:
    """(*take* without the custom fields, the custom fields' choices by key)."""
    plain = {f: c for f, c in take.items() if not f.startswith(CUSTOM_PREFIX)}
    custom = {f.removeprefix(CUSTOM_PREFIX): c for f, c in take.items() if f not in plain}
    return plain, custom


def choose_custom_values(
    conn: Connection, chosen: Mapping[str, int], survivor: int, others: Sequence[int]
) -> set[tuple[int, int]]:
    """Leave, for each chosen custom field, only the chosen contact's value among the
    merged contacts (before the rows move to the survivor); the (contact id, field id)
    of each value taken out, which the row move must no longer count.

    Raises:
        MergeRefused: an unknown field, or a contact that is not merged.
    """
    merged = [survivor, *others]
    gone: set[tuple[int, int]] = set()
    for key, cid in chosen.items():
        field_id = conn.execute(select(CustomField.id).where(CustomField.key == key)).scalar()
        if field_id is None:
            raise MergeRefused(
                N_("The field {field} cannot be chosen in a merge."), field=CUSTOM_PREFIX + key
            )
        if cid not in merged:
            raise MergeRefused(N_("Contact {id} is not one of the contacts being merged."), id=cid)
        dropped = [m for m in merged if m != cid]
        conn.execute(
            delete(CustomValue).where(
                CustomValue.field_id == field_id, CustomValue.contact_id.in_(dropped)
            )
        )
        gone.update((m, int(field_id)) for m in dropped)
    return gone


def still_there(rows: list[dict[str, Any]], gone: set[tuple[int, int]]) -> list[dict[str, Any]]:
    """The merge's copy of ``custom_value`` rows without those taken out by a choice."""
    return [r for r in rows if (int(r["contact_id"]), int(r["field_id"])) not in gone]


def end_double_links(conn: Connection, survivor: int, own: Collection[int], on: dt.date) -> None:
    """After the rows moved: where the survivor now holds two current places at one
    company, the one it had (*own*: its link ids before the merge; else the oldest) stays
    current and the others end *on* the merge's day, kept as history with their function
    and department (seen from outside: two open links to the same company). The merge's
    copy has them as they were, for the undo."""
    current = sorted(
        conn.execute(
            select(CompanyLink.id, CompanyLink.company_id).where(
                CompanyLink.contact_id == survivor, CompanyLink.ended_on.is_(None)
            )
        ).tuples(),
        key=lambda link: (link[0] not in own, link[0]),
    )
    seen: set[int] = set()
    for link_id, company_id in current:
        if company_id in seen:
            conn.execute(update(CompanyLink).where(CompanyLink.id == link_id).values(ended_on=on))
        seen.add(company_id)
