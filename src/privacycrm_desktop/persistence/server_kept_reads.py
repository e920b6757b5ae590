"""The results of the latest searches, kept on their PostgreSQL connection while the server's
data is exactly as it was (issue 23; the SQLite counterpart is ``search_matches``).

The list counts a search's matches, then reads its first window: two statements, and a
search typed again (or the same list read again) repeats both. At a million contacts each
reads the heap page of every match (``telenet.be``: 83,000 matches on 16,000 pages, no
index-only GIN scan on PostgreSQL 15). What a read found is kept on its connection, with
the snapshot it was read in, and handed out again instead of being read again as long as:

- the server's snapshot is the same (``pg_current_snapshot()``: its xmin, xmax and the
  transactions in progress). A snapshot decides what a statement sees: two equal
  snapshots see the same committed transactions, so the same rows of every table. Any
  transaction that writes anything gets an id; its start and its end both change the
  snapshot (reads do not), as does a change of grants or schema (a catalog write);
- the connection's own transaction has written nothing, when the result was read and
  when it is used (``pg_current_xact_id_if_assigned()`` is NULL; a transaction's own
  id is not in its snapshot) and the session has nothing waiting to be flushed.

The snapshot is looked at before the result is read, and the result kept under it: a
transaction that ended meanwhile (the result may hold its changes) has changed the
snapshot for good (the xmax only grows; an id leaves the list in progress once and never
comes back), so such a result is never handed out. A look is one short statement (a
round trip, about 0.2 ms over loopback).

The snapshot covers the whole server: a write in another database ends the kept results
too (they are read again; never wrong). Each connection signs in as one role for its
life, and a key names everything its read depends on (the search terms hold the columns
the role may search), so what is kept is what the same statements would return. Kept:
the latest ``MAX_KEPT`` results of one snapshot, in memory, gone with the connection.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import TypeVar

from sqlalchemy import text
from sqlalchemy.orm import Session

T = TypeVar("T")

#: Results kept a connection (the list's count and a few windows of the latest searches).
MAX_KEPT = 16
#: Where the connection's pool record keeps them.
_INFO_KEY = "server_kept_reads"


@dataclass
class _Kept:
    snapshot: str
    results: dict[Hashable, object] = field(default_factory=dict)


def kept_read(session: Session, key: Hashable, read: Callable[[], T]) -> T:
    """What *read* returns, kept under *key* on the session's PostgreSQL connection: the
    kept result when the server's data has not changed since it was read (see the
    module), else *read*'s (kept when it can be)."""
    if not _may_keep(session):
        return read()
    found, result, state = _look_up(session, key, always=True)
    if found:
        return result  # type: ignore[return-value]
    fresh = read()
    assert state is not None
    keep(session, *state, {key: fresh})
    return fresh


def kept_result(session: Session, key: Hashable) -> tuple[bool, object]:
    """(True, the result kept under *key*) when it may be handed out (one look at the
    snapshot), else (False, None), without a look when nothing is kept under *key*."""
    if not _may_keep(session):
        return False, None
    found, result, _state = _look_up(session, key, always=False)
    return found, result


def keep(session: Session, snapshot: str, clean: bool, results: dict[Hashable, object]) -> None:
    """Keep *results* (by key), read in *snapshot* by a transaction that had written
    nothing (*clean*: else nothing is kept), on the session's PostgreSQL connection."""
    if not clean or not _may_keep(session):
        return
    info = session.connection().connection.info
    kept: _Kept | None = info.get(_INFO_KEY)
    if kept is None or kept.snapshot != snapshot:
        kept = info[_INFO_KEY] = _Kept(snapshot)
    for key, result in results.items():
        kept.results.pop(key, None)
        while len(kept.results) >= MAX_KEPT:
            del kept.results[next(iter(kept.results))]
        kept.results[key] = result


#: SQL columns giving the snapshot a statement reads in and whether its transaction has
#: written nothing, for ``keep`` (as a read's own columns: no look of its own).
STATE_COLUMNS = "pg_current_snapshot()::text, pg_current_xact_id_if_assigned() IS NULL"


def _may_keep(session: Session) -> bool:
    if session.get_bind().dialect.name != "postgresql":
        return False
    return not (session.new or session.dirty or session.deleted)


def _look_up(
    session: Session, key: Hashable, *, always: bool
) -> tuple[bool, object, tuple[str, bool] | None]:
    """(found, result, the state looked at: None when not looked)."""
    info = session.connection().connection.info
    kept: _Kept | None = info.get(_INFO_KEY)
    if not always and (kept is None or key not in kept.results):
        return False, None, None
    state = _state(session)
    snapshot, clean = state
    if kept is not None and kept.snapshot != snapshot:
        info.pop(_INFO_KEY, None)
        kept = None
    if clean and kept is not None and key in kept.results:
        return True, kept.results[key], state
    return False, None, state


def _state(session: Session) -> tuple[str, bool]:
    """The server's snapshot as this statement sees it, and whether the connection's
    transaction has written nothing."""
    snapshot, clean = session.execute(text(f"SELECT {STATE_COLUMNS}")).one()
    return str(snapshot), bool(clean)
