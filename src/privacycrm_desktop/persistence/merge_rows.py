"""The rows a merge moves, found from the schema itself: every foreign key to ``contact``
in the metadata (``contact_references``), so a table added later is seen at once (and
refused by the merge until it has a rule, services/merges.py). Rows are copied as JSON
(``dump_rows``) and put back exactly (``restore_rows``): the same keys, values, sources.
"""

from __future__ import annotations

import base64
import datetime as dt
import importlib
import pkgutil
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Column, Connection, Date, DateTime, LargeBinary, Table, and_, select, tuple_

from privacycrm_desktop.persistence.models import Base

Row = dict[str, Any]
#: A table's rows as JSON-ready dicts.
Rows = list[Row]


def load_all_tables() -> None:
    """Import every model module of ``persistence`` so ``Base.metadata`` holds every table."""
    import privacycrm_desktop.persistence as package

    for info in pkgutil.iter_modules(package.__path__, package.__name__ + "."):
        if info.name.endswith(("models", "_models")):
            importlib.import_module(info.name)


def contact_references() -> list[tuple[Table, Column[Any]]]:
    """(table, column) of every foreign key to ``contact.id``, tables in dependency order."""
    load_all_tables()
    contact = Base.metadata.tables["contact"]
    found: list[tuple[Table, Column[Any]]] = []
    for table in Base.metadata.sorted_tables:
        for fk in sorted(table.foreign_keys, key=lambda f: f.parent.name):
            if fk.column.table is contact:
                found.append((table, fk.parent))
    return found


def references_to(table_name: str) -> list[tuple[Table, Column[Any]]]:
    """(table, column) of every foreign key to *table_name*'s id."""
    load_all_tables()
    target = Base.metadata.tables[table_name]
    return [
        (table, fk.parent)
        for table in Base.metadata.sorted_tables
        for fk in table.foreign_keys
        if fk.column.table is target
    ]


def key_of(table: Table, row: Mapping[str, Any]) -> tuple[Any, ...]:
    """The primary key of a row, as a tuple."""
    return tuple(row[c.name] for c in table.primary_key.columns)


def _encode(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, (bytes, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    return value


def _decode(column: Column[Any], value: Any) -> Any:
    if value is None:
        return None
    if isinstance(column.type, DateTime):
        return dt.datetime.fromisoformat(value)
    if isinstance(column.type, Date):
        return dt.date.fromisoformat(value)
    if isinstance(column.type, LargeBinary):
        return base64.b64decode(value)
    return value


def dump_rows(conn: Connection, table: Table, column: Column[Any], ids: Sequence[int]) -> Rows:
    """Every row of *table* whose *column* is one of *ids*, by primary key, JSON-ready."""
    if not ids:
        return []
    order = list(table.primary_key.columns)
    rows = conn.execute(select(table).where(column.in_(list(ids))).order_by(*order)).mappings()
    return [{k: _encode(v) for k, v in row.items()} for row in rows]


def dump_by_key(conn: Connection, table: Table, keys: Iterable[Any]) -> Rows:
    """The rows of a one-column-key table (sources) with these keys, JSON-ready."""
    wanted = sorted(set(keys))
    if not wanted:
        return []
    (pk,) = table.primary_key.columns
    rows = conn.execute(select(table).where(pk.in_(wanted)).order_by(pk)).mappings()
    return [{k: _encode(v) for k, v in row.items()} for row in rows]


def decoded(table: Table, row: Mapping[str, Any]) -> Row:
    """A JSON row back in the column types (only the columns the table still has)."""
    return {c.name: _decode(c, row[c.name]) for c in table.columns if c.name in row}


def _where_key(table: Table, key: Sequence[Any]) -> Any:
    return and_(*(c == v for c, v in zip(table.primary_key.columns, key, strict=True)))


def existing_keys(
    conn: Connection, table: Table, keys: Sequence[tuple[Any, ...]]
) -> set[tuple[Any, ...]]:
    """Which of these primary keys are in *table* now."""
    if not keys:
        return set()
    cols = list(table.primary_key.columns)
    found: set[tuple[Any, ...]] = set()
    for start in range(0, len(keys), 400):
        part = keys[start : start + 400]
        single = len(cols) == 1
        cond = cols[0].in_([k[0] for k in part]) if single else tuple_(*cols).in_(part)
        found.update(tuple(r) for r in conn.execute(select(*cols).where(cond)))
    return found


def restore_rows(conn: Connection, table: Table, rows: Rows) -> None:
    """Put *rows* back as they were: an existing row (same key) gets its old values, a
    missing one is inserted."""
    if not rows:
        return
    values = [decoded(table, r) for r in rows]
    keys = [key_of(table, v) for v in values]
    present = existing_keys(conn, table, keys)
    for key, row in zip(keys, values, strict=True):
        if key in present:
            conn.execute(table.update().where(_where_key(table, key)).values(row))
    missing = [row for key, row in zip(keys, values, strict=True) if key not in present]
    if missing:
        conn.execute(table.insert(), missing)


def follow_redirects(conn: Connection, rows: Rows) -> Rows:
    """*rows* of a merge's copy with each ``contact_id`` and ``company_id`` merged away
    since replaced by the survivor it leads to (an undo puts a person's place back at
    the company that company was merged into, not at one that is gone)."""
    from privacycrm_desktop.persistence.merge_models import CompanyRedirect, ContactRedirect

    out = rows
    for name, redirect in (("contact_id", ContactRedirect), ("company_id", CompanyRedirect)):
        wanted = sorted({r[name] for r in out if r.get(name) is not None})
        if not wanted:
            continue
        lead: dict[int, int] = {}
        for start in range(0, len(wanted), 400):
            found = conn.execute(
                select(redirect.old_id, redirect.survivor_id).where(
                    redirect.old_id.in_(wanted[start : start + 400])
                )
            ).tuples()
            lead.update((int(old), int(new)) for old, new in found)
        if lead:
            out = [{**r, name: lead.get(r[name], r[name])} if r.get(name) else r for r in out]
    return out


def delete_keys(conn: Connection, table: Table, keys: Iterable[Sequence[Any]]) -> None:
    """Delete the rows of *table* with these primary keys."""
    for key in keys:
        conn.execute(table.delete().where(_where_key(table, key)))


__all__ = [
    "Rows",
    "contact_references",
    "decoded",
    "delete_keys",
    "dump_by_key",
    "dump_rows",
    "existing_keys",
    "follow_redirects",
    "key_of",
    "load_all_tables",
    "references_to",
    "restore_rows",
]
