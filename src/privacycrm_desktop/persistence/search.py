"""Full-text search over contacts, case- and diacritics-insensitive.

On SQLite: FTS5. User text never reaches MATCH as syntax: it is split into words the way
the unicode61 tokenizer splits them, and each word becomes a quoted prefix term, so quotes,
asterisks, ``NEAR(`` or ``AND`` are searched literally and never raise.

On PostgreSQL (migration 0001): a table of the same five columns, stored folded by
``pcrm_fold`` (lower case, ``unaccent``); each word must start a word of an allowed
column: a prefix query of the column's words, served by a GIN index (migration 0022,
``pcrm_words``). The words are the same as on SQLite: letters and digits only, passed as
bound parameters.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from unicodedata import ucd_3_2_0

from sqlalchemy import bindparam, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from privacycrm_desktop.domain.contact_columns import SearchText
from privacycrm_desktop.domain.search_letters import spell_out

FTS_TABLE = "contact_fts"
FTS_COLUMNS = ("name", "organisation", "emails", "phones", "place")

MAX_TERMS = 8


#: A phone number typed in groups: starts with + or 0 ("0475 12 34", "+32 475 12").
_NUMBER_GROUPS = re.compile(r"(?:\+|(?<!\w)0)\d*(?:[ ./-]\d+)+")


def _join_number_groups(user_text: str) -> list[str]:
    """Words as the tokenizer sees them, but "0475 12 34" stays one number, as typed; the
    letters the index spells out spelled out too ("straße" finds "Strasse")."""
    joined = _NUMBER_GROUPS.sub(lambda m: re.sub(r"\D", "", m.group()), spell_out(user_text))
    words: list[str] = []
    current: list[str] = []
    for ch in joined:
        # A character is part of a word only if it was a letter or digit already in
        # Unicode 3.2: the unicode61 tokenizer knows those, so a quoted term can never
        # split into a phrase (which FTS5 refuses with detail=column).
        if ucd_3_2_0.category(ch)[0] in "LN":
            current.append(ch)
        elif current:
            words.append("".join(current))
            current = []
    if current:
        words.append("".join(current))
    return words


def match_expression(user_text: str, columns: Iterable[str] | None = None) -> str | None:
    """Turn what a person typed into a safe FTS5 query, or None when nothing is searchable.

    Args:
        user_text: the raw text from the search field.
        columns: restrict to these FTS columns (fields the user may see); all if None.
    """
    return _fts_expression(_join_number_groups(user_text)[:MAX_TERMS], columns)


def _fts_expression(words: Iterable[str], columns: Iterable[str] | None) -> str | None:
    terms = " ".join('"' + word.replace('"', '""') + '"*' for word in words)
    if not terms:
        return None
    if columns is None:
        return terms
    allowed = [c for c in columns if c in FTS_COLUMNS]
    if not allowed:
        return None
    return "{" + " ".join(allowed) + "} : (" + terms + ")"


@dataclass(frozen=True)
class SearchTerms:
    """What a person searched for: its words, and the index columns they may search."""

    words: tuple[str, ...]
    columns: tuple[str, ...]

    def fts(self) -> str:
        """The FTS5 expression (SQLite)."""
        expr = _fts_expression(self.words, self.columns)
        assert expr is not None
        return expr


def search_terms(user_text: str, columns: Iterable[str] | None = None) -> SearchTerms | None:
    """The words of *user_text* to look for in *columns* (all if None); None if nothing."""
    words = tuple(_join_number_groups(user_text)[:MAX_TERMS])
    allowed = FTS_COLUMNS if columns is None else tuple(c for c in columns if c in FTS_COLUMNS)
    if not words or not allowed:
        return None
    return SearchTerms(words, allowed)


def _dialect(conn: Connection | Session) -> str:
    bind = conn if isinstance(conn, Connection) else conn.get_bind()
    return bind.dialect.name


def matching_ids(conn: Connection | Session, terms: SearchTerms) -> tuple[str, dict[str, object]]:
    """SQL selecting the ids of the matching contacts, and its parameters."""
    if _dialect(conn) != "postgresql":
        return f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH :m", {"m": terms.fts()}
    conditions = []
    params: dict[str, object] = {}
    for i, word in enumerate(terms.words):
        params[f"w{i}"] = word
        query = _PREFIX_QUERY.format(word=f":w{i}")
        conditions.append(
            "(" + " OR ".join(f"pcrm_words({c}) @@ {query}" for c in terms.columns) + ")"
        )
    return f"SELECT rowid FROM {FTS_TABLE} WHERE " + " AND ".join(conditions), params


#: PostgreSQL (migration 0022): a typed word as a prefix query of a column's words, which
#: the GIN index ``ix_contact_fts_<column>_words`` serves. The word is folded as the
#: stored text is and anything but letters and digits dropped, so it stays one plain
#: lexeme in the quoted ``tsquery`` literal (no operator, no quote); NULL (no match)
#: when nothing is left.
_PREFIX_QUERY = (
    "CAST('''' || NULLIF(regexp_replace(pcrm_fold({word}), '[^[:alnum:]]+', '', 'g'), '') "
    "|| ''':*' AS tsquery)"
)


def _insert_sql(conn: Connection | Session) -> str:
    if _dialect(conn) == "postgresql":
        values = "(:id, pcrm_fold(:name), pcrm_fold(:org), pcrm_fold(:emails), "
        values += "pcrm_fold(:phones), pcrm_fold(:place))"
    else:
        values = "(:id, :name, :org, :emails, :phones, :place)"
    return (
        f"INSERT INTO {FTS_TABLE} (rowid, name, organisation, emails, phones, place) "
        f"VALUES {values}"
    )


def new_row(contact_id: int, columns: SearchText) -> dict[str, object]:
    """One contact's entry as ``index_new_rows`` takes it (``domain.contact_columns``)."""
    return {
        "id": contact_id,
        "name": columns.name,
        "org": columns.organisation,
        "emails": columns.emails,
        "phones": columns.phones,
        "place": columns.place,
    }


def index_rows(conn: Connection | Session, rows: Iterable[tuple[int, SearchText]]) -> None:
    """Replace the index entries of the given contacts: (id, their full-text columns)."""
    entries = [new_row(cid, columns) for cid, columns in rows]
    if not entries:
        return
    if _dialect(conn) == "postgresql":
        remove(conn, [int(str(e["id"])) for e in entries])
        _insert_folded(conn, entries)
        return
    conn.execute(
        text(f"DELETE FROM {FTS_TABLE} WHERE rowid = :id"), [{"id": e["id"]} for e in entries]
    )
    conn.execute(text(_insert_sql(conn)), entries)


def _insert_folded(conn: Connection | Session, rows: Sequence[dict[str, object]]) -> None:
    """PostgreSQL: the rows folded by the server and inserted in one statement (an
    executemany is a statement, and a run of the write log's triggers, a row)."""
    keys = ("id", "name", "org", "emails", "phones", "place")
    conn.execute(
        text(
            f"INSERT INTO {FTS_TABLE} (rowid, name, organisation, emails, phones, place) "
            "SELECT v.id, pcrm_fold(v.name), pcrm_fold(v.org), pcrm_fold(v.emails), "
            "pcrm_fold(v.phones), pcrm_fold(v.place) FROM unnest(CAST(:id AS integer[]), "
            "CAST(:name AS text[]), CAST(:org AS text[]), CAST(:emails AS text[]), "
            "CAST(:phones AS text[]), CAST(:place AS text[])) "
            "AS v(id, name, org, emails, phones, place)"
        ),
        {key: [row[key] for row in rows] for key in keys},
    )


def index_new_rows(conn: Connection | Session, rows: list[dict[str, object]]) -> None:
    """Index contacts that are not in the index yet (bulk loads): dicts with the FTS columns."""
    if not rows:
        return
    if _dialect(conn) == "postgresql":
        _insert_folded(conn, rows)
        return
    # SQLite: straight to the driver's executemany (a 100,000-row import saves ~0.5 s of
    # SQLAlchemy's per-row parameter work).
    raw = conn if isinstance(conn, Connection) else conn.connection()
    raw.exec_driver_sql(
        f"INSERT INTO {FTS_TABLE} (rowid, name, organisation, emails, phones, place) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [(r["id"], r["name"], r["org"], r["emails"], r["phones"], r["place"]) for r in rows],
    )


def remove(conn: Connection | Session, contact_ids: Iterable[int]) -> None:
    """Drop contacts from the index."""
    params = [{"id": cid} for cid in contact_ids]
    if params and _dialect(conn) == "postgresql":
        ids = [p["id"] for p in params]
        conn.execute(text(f"DELETE FROM {FTS_TABLE} WHERE rowid = ANY(:ids)"), {"ids": ids})
        return
    if params:
        conn.execute(text(f"DELETE FROM {FTS_TABLE} WHERE rowid = :id"), params)


def remove_unscrubbed(conn: Connection | Session, contact_ids: Sequence[int]) -> bool:
    """Drop many contacts from the SQLite index fast, leaving their words in the index
    pages until ``scrub`` (return True); elsewhere as ``remove`` (return False).

    FTS5 ``secure-delete`` looks up every word (and each of its prefixes) of a deleted row
    in every segment: about a millisecond a contact, a quarter of an hour for the annual
    cleanup. Without it FTS5 writes deletion markers only; the deleted rows no longer match
    at once, and ``scrub`` (one ``optimize``) rewrites the index without their words. The
    setting is switched off and on again within the caller's transaction (a kill undoes
    both); the deletes are written to the index before it is on again (FTS5 flushes its
    pending changes at the start of each statement on the table)."""
    if _dialect(conn) == "postgresql":
        remove(conn, contact_ids)
        return False
    if not contact_ids:
        return False
    conn.execute(text(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rank) VALUES ('secure-delete', 0)"))
    conn.execute(
        text(f"DELETE FROM {FTS_TABLE} WHERE rowid IN :ids").bindparams(
            bindparam("ids", expanding=True)
        ),
        {"ids": list(contact_ids)},
    )
    conn.execute(text(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rank) VALUES ('secure-delete', 1)"))
    return True


def scrub(conn: Connection | Session) -> None:
    """Rewrite the SQLite index without the words of rows ``remove_unscrubbed`` deleted
    (FTS5 ``optimize``: sound on the bundled SQLite, see sqlite_driver.py)."""
    conn.execute(text(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('optimize')"))


#: The SQLite search index as migration 0001 creates it, with FTS5 secure-delete on
#: (migration 0010): a deleted row's words leave the index pages at once.
_SQLITE_CREATE = (
    f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5("
    "name, organisation, emails, phones, place, "
    "tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3', detail = column)",
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rank) VALUES ('secure-delete', 1)",
)


def recreate(conn: Connection | Session) -> None:
    """Drop the SQLite search index and create it empty again (before re-indexing every
    contact from the data: a damaged index cannot be trusted to rebuild from itself)."""
    if _dialect(conn) == "postgresql":
        conn.execute(text(f"DELETE FROM {FTS_TABLE}"))
        return
    conn.execute(text(f"DROP TABLE IF EXISTS {FTS_TABLE}"))
    for statement in _SQLITE_CREATE:
        conn.execute(text(statement))
