"""The SQLite search index spells out "ß", "œ", "ø" and the other letters Unicode does not
decompose, as the server's search does: "strasse" finds "Straße", "oedipe" "ŒDIPE".

``search_text`` now writes them spelled out (``domain/search_letters.py``) and the typed
words are spelled out alike. The contacts indexed before hold them as they were typed:
only their rows are written again, from the contacts' stored values (found through the
index's list of words, 1.5 s at a million contacts; most contacts have none of these
letters). The old rows are deleted with FTS5 ``secure-delete`` on, so their
words leave the index pages.

PostgreSQL's index holds ``pcrm_fold`` (``unaccent``) text, which spelled them out
already: nothing to do.

Revision ID: 0033_search_spelled_out
Revises: 0032_credentials_version
"""

import contextlib

from alembic import op
from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

from privacycrm_desktop.domain.search_letters import SPELLED_OUT
from privacycrm_desktop.persistence import search, search_rows

revision = "0033_search_spelled_out"
down_revision = "0032_credentials_version"
branch_labels = None
depends_on = None

#: Contacts written again per statement.
_CHUNK = 5000


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    # An index an old SQLite broke cannot be read: the migration goes on (a failed
    # statement leaves an SQLite transaction open and intact, as in 0010), and the first
    # check finds the index and rebuilds it from the contacts, spelled out
    # (services/storage_repair.py).
    with contextlib.suppress(DBAPIError):
        _write_spelled_out(op.get_bind())


def _write_spelled_out(conn: Connection) -> None:
    # The index's own list of words (1.5 s at a million contacts, where reading every
    # row's text through the index took 9 s): the rows holding a word with such a letter.
    conn.execute(
        text("CREATE VIRTUAL TABLE temp.spelled_vocab USING fts5vocab(main, contact_fts, row)")
    )
    letters = set(SPELLED_OUT)
    try:
        words = [
            term
            for term in conn.execute(text("SELECT term FROM temp.spelled_vocab")).scalars()
            if not term.isascii() and letters.intersection(term)
        ]
    finally:
        conn.execute(text("DROP TABLE temp.spelled_vocab"))
    ids: set[int] = set()
    match = text("SELECT rowid FROM contact_fts WHERE contact_fts MATCH :word")
    for word in words:
        quoted = '"' + word.replace('"', '""') + '"'
        ids.update(conn.execute(match, {"word": quoted}).scalars())
    ordered = sorted(ids)
    for start in range(0, len(ordered), _CHUNK):
        chunk = ordered[start : start + _CHUNK]
        search.remove(conn, chunk)
        search.index_new_rows(conn, list(search_rows.rows_of(conn, chunk)))


def downgrade() -> None:
    # Spelled-out rows are still found by what an older version types for most words;
    # nothing is written back.
    pass
