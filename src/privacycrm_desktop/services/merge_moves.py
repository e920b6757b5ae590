"""How a merge moves each table's rows to the survivor, table by table.

Every foreign key to ``contact`` in the schema needs a rule here (``MERGE_RULES``; a test
fails for a table without one). A contact with rows in a table the merge has no rule
for is not merged (``MergeRefused`` names the table), so nothing is lost or left behind.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any

from sqlalchemy import Column, Connection, Table, select

from privacycrm_desktop.domain.merges import MergeRefused
from privacycrm_desktop.domain.text import N_
from privacycrm_desktop.persistence.merge_rows import Rows, delete_keys, key_of


class Move(StrEnum):
    """What happens to the merged-away contacts' rows of one table."""

    #: Each row now belongs to the survivor (consent events, disclosures, holds...).
    MOVE = "move"
    #: Moved, unless the survivor has a row with the same values in the named columns
    #: already (a tag, a request): that one stays, the copy goes.
    MOVE_UNIQUE = "move_unique"
    #: E-mail addresses, phone numbers: united without duplicates (compared folded), the
    #: survivor's first, each with its own source.
    POINTS = "points"
    #: The per-field sources: rewritten from the chosen values (services/merges.py).
    PROVENANCE = "provenance"


#: "table.column" of each foreign key to the contact -> (rule, columns the rule uses).
MERGE_RULES: Mapping[str, tuple[Move, tuple[str, ...]]] = {
    "contact_email.contact_id": (Move.POINTS, ("address",)),
    "contact_phone.contact_id": (Move.POINTS, ("number",)),
    "field_provenance.contact_id": (Move.PROVENANCE, ()),
    "special_category_datum.contact_id": (Move.MOVE, ()),
    "retention_hold.contact_id": (Move.MOVE, ()),
    "consent_event.contact_id": (Move.MOVE, ()),
    "disclosure.contact_id": (Move.MOVE, ()),
    "request_contact.contact_id": (Move.MOVE_UNIQUE, ("request_id",)),
    "rectification.contact_id": (Move.MOVE, ()),
    "contact_tag.contact_id": (Move.MOVE_UNIQUE, ("tag_id",)),
    "company_link.contact_id": (Move.MOVE, ()),
    # A custom field holds one value per contact: the survivor's stays where it has one
    # (the others' are in the merge's copy, for the undo).
    "custom_value.contact_id": (Move.MOVE_UNIQUE, ("field_id",)),
    # The interactions and the tasks about a person follow them to the survivor.
    "activity.contact_id": (Move.MOVE, ()),
    "task.contact_id": (Move.MOVE, ()),
    # A link to an interaction the survivor took part in already stays once.
    "activity_person.contact_id": (Move.MOVE_UNIQUE, ("activity_id",)),
    # The ids that led to a contact merged away now lead to the new survivor (the earlier
    # merges' records keep the contact they kept: ``contact_merge`` has no key to move).
    "contact_redirect.survivor_id": (Move.MOVE, ()),
}


def ref_name(table: Table, column: Column[Any]) -> str:
    """The "table.column" a rule is known by."""
    return f"{table.name}.{column.name}"


def check_rules(
    refs: Sequence[tuple[Table, Column[Any]]],
    snapshot: Mapping[str, list[dict[str, Any]]],
    rules: Mapping[str, tuple[Move, tuple[str, ...]]] = MERGE_RULES,
) -> None:
    """Refuse when a merged record has rows in a table without a rule."""
    for table, column in refs:
        if ref_name(table, column) not in rules and snapshot.get(ref_name(table, column)):
            raise MergeRefused(
                N_(
                    "These contacts have data of a kind a merge cannot move yet ({table}); "
                    "nothing was merged."
                ),
                table=table.name,
            )


def _fold(value: Any) -> str:
    return "".join(str(value).split()).casefold()


def move_rows(
    conn: Connection,
    table: Table,
    column: Column[Any],
    rows: Sequence[dict[str, Any]],
    survivor: int,
    others: Sequence[int],
    rules: Mapping[str, tuple[Move, tuple[str, ...]]] = MERGE_RULES,
) -> None:
    """Move the rows (of survivor and others, as dumped before the merge) by their rule."""
    rule, columns = rules[ref_name(table, column)]
    if rule is Move.PROVENANCE:
        return
    mine = [r for r in rows if r[column.name] == survivor]
    theirs = sorted(
        (r for r in rows if r[column.name] != survivor),
        key=lambda r: (others.index(r[column.name]), r.get("position", 0), key_of(table, r)),
    )
    if rule is Move.MOVE:
        if theirs:
            conn.execute(
                table.update().where(column.in_(list(others))).values({column.name: survivor})
            )
        return
    seen = {tuple(_fold(r[c]) for c in columns) for r in mine}
    drop: list[tuple[Any, ...]] = []
    position = max((r.get("position", 0) for r in mine), default=-1) + 1
    for row in theirs:
        value = tuple(_fold(row[c]) for c in columns)
        key = key_of(table, row)
        if value in seen:
            drop.append(key)
            continue
        seen.add(value)
        changes: dict[str, Any] = {column.name: survivor}
        if rule is Move.POINTS:
            changes["position"] = position
            position += 1
        where = [c == v for c, v in zip(table.primary_key.columns, key, strict=True)]
        conn.execute(table.update().where(*where).values(changes))
    delete_keys(conn, table, drop)


def keys_referring(
    conn: Connection, table: Table, column: Column[Any], contact_id: int
) -> list[list[Any]]:
    """The primary keys of the rows of *table* referring to *contact_id* (or to a
    company's id, by the company's rules), JSON-ready."""
    cols = list(table.primary_key.columns)
    return [list(r) for r in conn.execute(select(*cols).where(column == contact_id))]


__all__ = ["MERGE_RULES", "Move", "check_rules", "keys_referring", "move_rows", "ref_name"]


def take_chosen_values(
    conn: Connection,
    provenance: Table,
    owner: str,
    sourced_rows: Rows,
    rows: Mapping[int, Mapping[str, Any]],
    chosen: Mapping[str, int],
    others: Sequence[int],
    at: tuple[dt.datetime, int],
) -> dict[str, Any]:
    """The survivor's new values (contacts and companies alike): each field whose chosen
    value is another record's, with that value's source put on the survivor's per-field
    source row (*provenance*, keyed by its *owner* column; a new row when the source
    differs from the survivor's own); the merged-away records' source rows go. *rows*:
    the records before the merge by id, the survivor among them (``chosen``'s default);
    *at*: when and by whom."""
    now, user_id = at
    (survivor,) = set(rows) - set(others)
    sourced = {(int(r[owner]), str(r["field"])): r for r in sourced_rows}

    def source_of(record: int, field: str) -> int:
        row = sourced.get((record, field))
        return int(row["source_id"]) if row else int(rows[record]["source_id"])

    changes: dict[str, Any] = {}
    for field, record in chosen.items():
        if record == survivor:
            continue
        changes[field] = rows[record][field]
        wanted = source_of(record, field)
        mine = sourced.get((survivor, field))
        if mine is not None:
            conn.execute(
                provenance.update()
                .where(provenance.c.id == mine["id"])
                .values(source_id=wanted, recorded_at=now, recorded_by=user_id)
            )
        elif wanted != rows[survivor]["source_id"]:
            conn.execute(
                provenance.insert().values(
                    {
                        owner: survivor,
                        "field": field,
                        "source_id": wanted,
                        "recorded_at": now,
                        "recorded_by": user_id,
                    }
                )
            )
    conn.execute(provenance.delete().where(provenance.c[owner].in_(list(others))))
    return changes
