"""The few places where SQLite and PostgreSQL need different SQL, behind one name each.

Services write dialect-neutral SQLAlchemy; what cannot be said the same way on both lives
here: a case-insensitive comparison key for e-mail addresses, and reserving a block of
contact ids for a bulk load.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, String, func, select, text
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from privacycrm_desktop.persistence.models import Contact


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


def reserve_contact_ids(conn: Connection | Session, count: int) -> int:
    """The first of *count* consecutive contact ids nobody else will use; call it in the
    transaction that writes them, or before (on PostgreSQL the block stays reserved).

    SQLite: the writer holds the database's write lock, so the next ids after the highest
    are free. PostgreSQL: other desks insert at the same time, so the block is taken from
    the id sequence while a table lock keeps every other insert (and its ``nextval``) out.
    """
    bind = conn if isinstance(conn, Connection) else conn.get_bind()
    if bind.dialect.name != "postgresql":
        return int(conn.execute(select(func.max(Contact.id))).scalar() or 0) + 1
    conn.execute(text("LOCK TABLE contact IN EXCLUSIVE MODE"))
    sequence = "pg_get_serial_sequence('contact', 'id')"
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
