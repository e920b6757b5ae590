"""The rows that point at deleted contacts, deleted set-based (SQLite, foreign keys off).

Deleting a contact, SQLite runs every foreign key action of the tables that point at
``contact`` once for each deleted row: sixteen tables, most of them empty for most
contacts, and the interactions' links below them. At a million contacts that was half of
the ``DELETE`` of a cleanup's batch (0.12 s of CPU a thousand contacts, 0.06 s without).
A cleanup's batch therefore runs with foreign keys off (``UnitOfWork(own_cascades=True)``)
and ``delete_children`` does what the actions would have done, one statement a table for
the whole batch, in the same transaction (a kill undoes both).

The statements are read from the schema itself (``pragma_foreign_key_list``), not written
out by hand: a table a later migration adds with a key to ``contact`` is covered the day
it exists. ``ON DELETE CASCADE`` deletes (its own children first, the same way), ``SET
NULL`` sets the column to NULL, ``NO ACTION`` and ``RESTRICT`` raise when a row points
at a deleted one (as SQLite refuses the delete); ``SET DEFAULT`` or a key of several
columns raises before anything is written. The caller's transaction is then rolled back.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import Connection

#: The deleted rows' ids: one parameter, a JSON array.
_KEYS = "SELECT value FROM json_each(?)"


@dataclass(frozen=True)
class ForeignKey:
    """A single-column foreign key: ``table.column`` points at ``parent.parent_column``."""

    table: str
    column: str
    parent: str
    parent_column: str
    on_delete: str


#: The ON DELETE actions followed: NO ACTION and RESTRICT refuse when a row points at a
#: deleted one (``ForeignKeyViolation``), as SQLite would.
_ACTIONS = ("CASCADE", "SET NULL", "NO ACTION", "RESTRICT")


class ForeignKeyViolation(RuntimeError):
    """A row points at one being deleted, and its key says no (NO ACTION, RESTRICT):
    the batch's transaction must be rolled back, as SQLite would have refused it."""


class UnsupportedForeignKey(RuntimeError):
    """A key ``delete_children`` cannot follow (several columns, or SET DEFAULT): the
    batch must run with foreign keys on."""


def foreign_keys(conn: Connection) -> list[ForeignKey]:
    """Every foreign key of the database's tables, from the schema."""
    rows = conn.exec_driver_sql(
        'SELECT m.name, f.id, f.seq, f."table", f."from", f."to", f.on_delete '
        "FROM sqlite_schema AS m, pragma_foreign_key_list(m.name) AS f "
        "WHERE m.type = 'table' ORDER BY m.name, f.id, f.seq"
    ).all()
    several = {(table, key) for table, key, seq, *_rest in rows if seq > 0}
    keys = []
    for table, key, _seq, parent, column, parent_column, on_delete in rows:
        if (table, key) in several:
            raise UnsupportedForeignKey(f"{table}: a key of several columns to {parent}")
        keys.append(ForeignKey(table, column, parent, parent_column or "rowid", on_delete))
    return keys


def _q(name: str) -> str:
    """*name* (read from the schema) as an SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def plan(keys: list[ForeignKey], table: str, where: str) -> list[tuple[ForeignKey, str]]:
    """What deleting the rows of *table* matching *where* needs first, in order: each key
    pointing at them with the condition selecting its rows (theirs before it, depth first,
    while the subqueries still find the rows they go through)."""
    return _plan(keys, table, where, (table,))


def _plan(
    keys: list[ForeignKey], table: str, where: str, path: tuple[str, ...]
) -> list[tuple[ForeignKey, str]]:
    steps: list[tuple[ForeignKey, str]] = []
    for key in keys:
        if key.parent != table:
            continue
        if key.on_delete not in _ACTIONS:
            raise UnsupportedForeignKey(
                f"{key.table}.{key.column} -> {table}: ON DELETE {key.on_delete}"
            )
        rows = (
            f"{_q(key.column)} IN (SELECT {_q(key.parent_column)} FROM {_q(table)} WHERE {where})"
        )
        if key.on_delete == "CASCADE" and key.table not in path:
            steps += _plan(keys, key.table, rows, (*path, key.table))
        steps.append((key, rows))
    return steps


def delete_children(conn: Connection, table: str, ids: list[int]) -> None:
    """Delete (or set to NULL) the rows that point at the rows of *table* whose ``id`` is
    in *ids*, as SQLite's foreign key actions would when those are deleted; the caller
    then deletes them, in the same transaction (foreign keys off)."""
    keys = json.dumps([int(i) for i in ids])
    for key, rows in plan(foreign_keys(conn), table, f"id IN ({_KEYS})"):
        # Most of these tables are empty in most databases: a look costs less than
        # probing them once for each id.
        if conn.exec_driver_sql(f"SELECT 1 FROM {_q(key.table)} LIMIT 1").first() is None:
            continue
        if key.on_delete == "CASCADE":
            conn.exec_driver_sql(f"DELETE FROM {_q(key.table)} WHERE {rows}", (keys,))
        elif key.on_delete == "SET NULL":
            conn.exec_driver_sql(
                f"UPDATE {_q(key.table)} SET {_q(key.column)} = NULL WHERE {rows}", (keys,)
            )
        else:
            _refuse_if_any(conn, key, rows, keys)


def check_unreferenced(conn: Connection, table: str, ids: list[int]) -> None:
    """Raise ``ForeignKeyViolation`` when a row points at a row of *table* whose ``id`` is
    in *ids* and that is gone: what foreign keys on would have refused (for a delete the
    caller made with conditions of its own, of some of *ids*)."""
    if not ids:
        return
    keys = json.dumps([int(i) for i in ids])
    gone = f"SELECT value FROM json_each(?) WHERE value NOT IN (SELECT id FROM {_q(table)})"
    for key in foreign_keys(conn):
        if key.parent == table:
            _refuse_if_any(conn, key, f"{_q(key.column)} IN ({gone})", keys)


def _refuse_if_any(conn: Connection, key: ForeignKey, rows: str, keys: str) -> None:
    found = conn.exec_driver_sql(f"SELECT 1 FROM {_q(key.table)} WHERE {rows} LIMIT 1", (keys,))
    if found.first() is not None:
        raise ForeignKeyViolation(f"{key.table}.{key.column} -> {key.parent}")
