"""The matches of the latest search, kept on its SQLite connection for the list's next read.

The list counts a search's matches, then reads its first window (two service calls, two
units of work); at a million contacts a common word (``telenet.be``: 83,000 matches) costs
each of them a read of its doclists from the search index. The first call keeps the ids
of the matches in a temporary table of its connection (``KEPT_IDS``), which the next calls
for the same terms read instead (and the next windows, when the list scrolls), as long as
the database is exactly as it was then; a number being typed likewise, when its window is
found by walking far more contacts than match (``contact_queries.phone_window``):

- no other connection has committed since (``PRAGMA data_version`` is unchanged: it
  changes whenever this connection's snapshot does);
- this connection has changed no row since (``total_changes`` is unchanged: every INSERT,
  UPDATE and DELETE counts, committed or not) and no schema (``PRAGMA schema_version``);
- the matches were found with nothing uncommitted on the connection: a transaction that
  wrote and then rolled back would otherwise leave matches of rows that never were. The
  connection's ``total_changes`` at BEGIN (``database.CHANGES_AT_BEGIN``) tells.

A reading unit of work ends in a rollback, which would empty the table too: the
transaction that fills it (having written nothing else) is committed, and the next one
checks that no other program committed in between. Never in a writing unit of work (that
commit would let go of its write lock) nor in a transaction the session does not own.

Anything else, and the index is read again. The ids are the contacts' row ids only (no
personal data), in memory (``temp_store=MEMORY``), replaced by the next search's.

SQLite only: on PostgreSQL every statement may see other sessions' commits; there the
count and its first window are read in one statement, and what a search read is kept for
a repeat while the server's snapshot is unchanged (``server_kept_reads``).
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session

from privacycrm_desktop.persistence.database import CHANGES_AT_BEGIN
from privacycrm_desktop.persistence.search import SearchTerms, matching_ids

#: The kept ids: a temporary table, so it lives and dies with its connection.
KEPT_TABLE = "temp.pcrm_search_match"
#: SQL selecting the kept ids (valid after ``kept_count``/``kept_ids`` returned a number,
#: in the same session, before anything else is written or kept). As the
#: right side of ``IN``, SQLite probes the table by its key for every row tested.
KEPT_IDS = "SELECT id FROM temp.pcrm_search_match"
#: The same ids as a list (the unary ``+`` hides the key): SQLite copies them into an
#: index of its own once and probes that, cheaper per row tested (measured at a million
#: contacts: 0.1 against 0.23 microseconds) but a cost per id kept.
KEPT_ID_LIST = "SELECT +id FROM temp.pcrm_search_match"
#: Where the connection's pool record keeps what the table holds.
_INFO_KEY = "search_matches"

#: Without row ids: the ids are the key of the table's one b-tree (83,000 of them filled
#: in 8 ms rather than 10 at a million contacts; probed as fast).
_CREATE_SQL = text(
    "CREATE TEMP TABLE IF NOT EXISTS pcrm_search_match (id INTEGER PRIMARY KEY) WITHOUT ROWID"
)
_EMPTY_SQL = text("DELETE FROM temp.pcrm_search_match")
_STATE_SQL = text(
    "SELECT (SELECT data_version FROM pragma_data_version), "
    "(SELECT schema_version FROM pragma_schema_version)"
)


@dataclass(frozen=True)
class _Kept:
    key: Hashable
    total: int
    #: data_version, schema_version, total_changes once the table was filled.
    state: tuple[int, int, int]


def kept_count(session: Session, terms: SearchTerms) -> int | None:
    """The number of contacts matching *terms*, their ids then in ``KEPT_IDS`` (found
    again only when the database may have changed since the last call); None when they
    cannot be kept (PostgreSQL, a writing unit of work, or the transaction has written)."""
    if session.get_bind().dialect.name != "sqlite":
        return None
    return kept_ids(session, terms, *matching_ids(session, terms))


def kept_ids(
    session: Session, key: Hashable, ids_sql: str, params: dict[str, object]
) -> int | None:
    """As ``kept_count``, for the contact ids *ids_sql* selects (each once or more), which
    *key* stands for (the same key, the same ids while the data is unchanged)."""
    if session.get_bind().dialect.name != "sqlite":
        return None
    connection = session.connection()
    if connection.get_execution_options().get("sqlite_begin", "DEFERRED") != "DEFERRED":
        # A writer (BEGIN IMMEDIATE): the commit below would let go of its write lock
        # halfway through its action, after the checks made when it took it.
        return None
    info = connection.connection.info
    kept: _Kept | None = info.get(_INFO_KEY)
    state = _state(session)
    if kept is not None and kept.key == key and kept.state == state:
        return kept.total
    # Nothing written since BEGIN, or since the table was filled (at such a moment):
    # else the transaction holds uncommitted changes, whose matches are no one else's.
    clean = state[2] in (info.get(CHANGES_AT_BEGIN), kept and kept.state[2])
    if not clean or session.new or session.dirty or session.deleted:
        return None
    info.pop(_INFO_KEY, None)
    kept = _fill(session, key, ids_sql, params, state)
    if kept is not None:
        info[_INFO_KEY] = kept
    return None if kept is None else kept.total


def _fill(
    session: Session,
    key: Hashable,
    ids_sql: str,
    params: dict[str, object],
    state: tuple[int, int, int],
) -> _Kept | None:
    """Fill the table with the ids, and commit it; what it then holds, or None when it
    cannot be used."""
    session.execute(_CREATE_SQL)
    session.execute(_EMPTY_SQL)
    filling = session.execute(text(f"INSERT OR IGNORE INTO {KEPT_TABLE} (id) {ids_sql}"), params)
    total = int(filling.rowcount)  # type: ignore[attr-defined]
    driver = session.connection().connection.driver_connection
    filled = int(driver.total_changes)  # type: ignore[union-attr]
    # A reading unit of work ends in a rollback, which would empty the table again: the
    # transaction has written nothing else, so its commit keeps just the table.
    session.commit()
    if driver.in_transaction:  # type: ignore[union-attr]
        # A session joined to a transaction it does not own: the table's rows go with it.
        return None
    after = _state(session)  # the next transaction's snapshot
    if after[:2] != state[:2]:
        return None  # another program committed meanwhile: the table may be out of date
    return _Kept(key, total, (state[0], state[1], filled))


def _state(session: Session) -> tuple[int, int, int]:
    """The connection's data_version, schema_version and total_changes."""
    data_version, schema_version = session.execute(_STATE_SQL).one()
    changes = session.connection().connection.driver_connection.total_changes  # type: ignore[union-attr]
    return int(data_version), int(schema_version), int(changes)
