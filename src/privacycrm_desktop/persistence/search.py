"""Full-text search over contacts: SQLite FTS5, case- and diacritics-insensitive.

User text never reaches MATCH as syntax: it is split into words the way the unicode61
tokenizer splits them, and each word becomes a quoted prefix term, so quotes, asterisks,
``NEAR(`` or ``AND`` are searched literally and never raise.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from unicodedata import ucd_3_2_0

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

FTS_TABLE = "contact_fts"
FTS_COLUMNS = ("name", "organisation", "emails", "phones", "place")

MAX_TERMS = 8


#: A phone number typed in groups: starts with + or 0 ("0475 12 34", "+32 475 12").
_NUMBER_GROUPS = re.compile(r"(?:\+|(?<!\w)0)\d*(?:[ ./-]\d+)+")


def _join_number_groups(user_text: str) -> list[str]:
    """Words as the tokenizer sees them, but "0475 12 34" stays one number, as typed."""
    joined = _NUMBER_GROUPS.sub(lambda m: re.sub(r"\D", "", m.group()), user_text)
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
    words = _join_number_groups(user_text)[:MAX_TERMS]
    if not words:
        return None
    terms = " ".join('"' + word.replace('"', '""') + '"*' for word in words)
    if columns is None:
        return terms
    allowed = [c for c in columns if c in FTS_COLUMNS]
    if not allowed:
        return None
    return "{" + " ".join(allowed) + "} : (" + terms + ")"


def index_rows(
    conn: Connection | Session,
    rows: Iterable[tuple[int, str, str, str, str, str]],
) -> None:
    """Replace the index entries of the given contacts: (id, name, org, emails, phones, place)."""
    rows = list(rows)
    if not rows:
        return
    conn.execute(text(f"DELETE FROM {FTS_TABLE} WHERE rowid = :id"), [{"id": r[0]} for r in rows])
    conn.execute(
        text(
            f"INSERT INTO {FTS_TABLE} (rowid, name, organisation, emails, phones, place) "
            "VALUES (:id, :name, :org, :emails, :phones, :place)"
        ),
        [
            {"id": r[0], "name": r[1], "org": r[2], "emails": r[3], "phones": r[4], "place": r[5]}
            for r in rows
        ],
    )


def index_new_rows(conn: Connection | Session, rows: list[dict[str, object]]) -> None:
    """Index contacts that are not in the index yet (bulk loads): dicts with the FTS columns."""
    if rows:
        conn.execute(
            text(
                f"INSERT INTO {FTS_TABLE} (rowid, name, organisation, emails, phones, place) "
                "VALUES (:id, :name, :org, :emails, :phones, :place)"
            ),
            rows,
        )


def remove(conn: Connection | Session, contact_ids: Iterable[int]) -> None:
    """Drop contacts from the index."""
    params = [{"id": cid} for cid in contact_ids]
    if params:
        conn.execute(text(f"DELETE FROM {FTS_TABLE} WHERE rowid = :id"), params)


def optimize(conn: Connection | Session) -> None:
    """Merge index segments so deleted words are gone from the file too (after erasure)."""
    conn.execute(text(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('optimize')"))
