"""The few places where SQLite and PostgreSQL need different SQL, behind one name each.

Services write dialect-neutral SQLAlchemy; what cannot be said the same way on both lives
here: a case-insensitive comparison key for e-mail addresses, and contact ids: reserving a
block for a bulk load, and the high-water mark that keeps an id from ever being reused.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, String, text
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from privacycrm_desktop.persistence.postgres.roles import server_functions


class nocase(FunctionElement[str]):  # noqa: N801 - reads as SQL
    """*expr* compared without case, served by ``ix_contact_email_address`` on both back ends:
    ``expr COLLATE NOCASE`` on SQLite, ``lower(expr)`` on PostgreSQL (compare it with
    lower-case values)."""

    type = String()
    inherit_cache = True
    name = "nocase"


@compiles(nocase)
def _nocase_sqlite(element: nocase, compiler: SQLCompiler, **kw: Any) -> str:
    return f"{compiler.process(element.clauses, **kw)} COLLATE NOCASE"


@compiles(nocase, "postgresql")
def _nocase_postgresql(element: nocase, compiler: SQLCompiler, **kw: Any) -> str:
    return f"lower({compiler.process(element.clauses, **kw)})"


_BUMP_SQLITE_MARK = text(
    "UPDATE id_high_water SET last_id = max(last_id, "
    "(SELECT coalesce(max(id), 0) FROM contact)) + :n WHERE name = 'contact' RETURNING last_id"
)
_SEED_SQLITE_MARK = text(
    "INSERT INTO id_high_water (name, last_id) SELECT 'contact', coalesce(max(id), 0) FROM contact"
)
_PG_SEQUENCE = "pg_get_serial_sequence('contact', 'id')"


def contact_id_mark(conn: Connection | Session) -> int:
    """The highest contact id ever handed out (0 when none)."""
    bind = conn if isinstance(conn, Connection) else conn.get_bind()
    if bind.dialect.name == "postgresql":
        # The server's own name for the sequence, not outside input.
        query = f"SELECT last_value, is_called FROM {_sequence_relation(conn)}"  # noqa: S608
        row = conn.execute(text(query)).first()
        return int(row[0]) if row is not None and row[1] else 0
    mark = conn.execute(text("SELECT last_id FROM id_high_water WHERE name = 'contact'")).scalar()
    top = conn.execute(text("SELECT max(id) FROM contact")).scalar()
    return max(int(mark or 0), int(top or 0))


def raise_contact_id_mark(conn: Connection | Session, at_least: int) -> None:
    """Never hand out an id up to *at_least* again (a restore: ids the replaced database
    used after the backup stay used)."""
    if at_least <= 0:
        return
    bind = conn if isinstance(conn, Connection) else conn.get_bind()
    if bind.dialect.name == "postgresql":
        if contact_id_mark(conn) < at_least:
            conn.execute(text(f"SELECT setval({_PG_SEQUENCE}, :v)"), {"v": at_least})
        return
    updated = conn.execute(
        text("UPDATE id_high_water SET last_id = max(last_id, :v) WHERE name = 'contact'"),
        {"v": at_least},
    )
    if not updated.rowcount:  # type: ignore[attr-defined]
        conn.execute(
            text("INSERT INTO id_high_water (name, last_id) VALUES ('contact', :v)"),
            {"v": at_least},
        )


def _sequence_relation(conn: Connection | Session) -> str:
    name = conn.execute(text(f"SELECT {_PG_SEQUENCE}")).scalar_one()
    return str(name)


def reserve_contact_ids(conn: Connection | Session, count: int) -> int:
    """The first of *count* consecutive contact ids nobody else will use; call it in the
    transaction that writes them, or before (on PostgreSQL the block stays reserved).

    SQLite: the writer holds the database's write lock, so the next ids after the highest
    are free. PostgreSQL: other desks insert at the same time, so the block is taken from
    the id sequence while a table lock keeps every other insert (and its ``nextval``) out.
    """
    bind = conn if isinstance(conn, Connection) else conn.get_bind()
    if bind.dialect.name != "postgresql":
        # Above the highest id ever handed out, not the highest left: ids of erased
        # contacts are never given again (record_models.IdHighWater).
        last = conn.execute(_BUMP_SQLITE_MARK, {"n": count}).scalar()
        if last is None:  # a database the migration has not seeded (cannot happen)
            conn.execute(_SEED_SQLITE_MARK)
            last = conn.execute(_BUMP_SQLITE_MARK, {"n": count}).scalar()
        return int(last or 0) - count + 1
    conn.execute(text("LOCK TABLE contact IN EXCLUSIVE MODE"))
    connection = conn if isinstance(conn, Connection) else conn.connection()
    if server_functions(connection):
        # Desk roles may not move sequences themselves (persistence/postgres/data_sql.py).
        reserved = conn.execute(text("SELECT pcrm_reserve_contact_ids(:n)"), {"n": count})
        return int(reserved.scalar_one())
    sequence = _PG_SEQUENCE
    first = int(conn.execute(text(f"SELECT nextval({sequence})")).scalar_one())
    if count > 1:
        conn.execute(text(f"SELECT setval({sequence}, :last)"), {"last": first + count - 1})
    return first


#: The advisory-lock key that orders audit appends on PostgreSQL ("PCRMAUDT").
AUDIT_LOCK_KEY = 0x50_43_52_4D_41_55_44_54


def take_audit_turn(session: Session) -> None:
    """Wait until no other transaction is appending to the audit chain; hold the turn until
    this one ends.

    The chain's next id and hash follow from its head, so two desks appending at once would
    both build on the same head. SQLite lets one writer in at a time anyway; on PostgreSQL
    a transaction-scoped advisory lock does the same for the append (and READ COMMITTED then
    shows the head the previous holder committed).
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": AUDIT_LOCK_KEY})
