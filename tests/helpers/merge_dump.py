"""A full dump of the rows of some contacts and of every row referring to them, found from
the schema's foreign keys (the merge tests compare it before and after)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from privacycrm_desktop.persistence.merge_rows import contact_references
from privacycrm_desktop.persistence.models import Base
from privacycrm_desktop.services.merge_moves import ref_name


def dump(conn: Connection, ids: list[int]) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the contacts and every row referring to them (found from the schema),
    and the sources those rows name; the version counter left out."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    contact = Base.metadata.tables["contact"]
    rows = conn.execute(select(contact).where(contact.c.id.in_(ids))).mappings().all()
    out["contact"] = sorted(tuple(v for k, v in r.items() if k != "version") for r in rows)
    sources: set[int] = {r["source_id"] for r in rows}
    for table, column in contact_references():
        found = conn.execute(select(table).where(column.in_(ids))).mappings().all()
        if table.name == "contact_merge":  # the record of an undone merge stays, emptied
            found = [r for r in found if r["closed"] != "undone"]
        out[ref_name(table, column)] = sorted((tuple(r.values()) for r in found), key=repr)
        for fk in table.foreign_keys:
            if fk.column.table.name == "source":
                sources.update(r[fk.parent.name] for r in found if r[fk.parent.name] is not None)
    source = Base.metadata.tables["source"]
    out["source"] = sorted(
        tuple(r) for r in conn.execute(select(source).where(source.c.id.in_(sorted(sources))))
    )
    return out
