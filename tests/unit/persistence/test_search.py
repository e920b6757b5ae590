"""Search: forgiving about case and accents, literal about syntax."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from privacycrm_desktop.persistence.search import FTS_COLUMNS, match_expression
from privacycrm_desktop.persistence.sqlite_driver import sqlite3


def _fts() -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:")
    conn.execute(
        "CREATE VIRTUAL TABLE contact_fts USING fts5(name, organisation, emails, phones, place,"
        " tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3', detail = column)"
    )
    rows = [
        (1, "Zoë Lefèvre", "", "zoe@example.be", "", "Rue Haute 1 4000 Liège"),
        (
            2,
            "Jan Peeters",
            "Bakkerij Peeters",
            "jan.peeters@telenet.be",
            "32475123456 0475123456",
            "Kerkstraat 1 9000 Gent",
        ),
        (3, 'Weird "NEAR( name*', "", "", "", ""),
    ]
    conn.executemany(
        "INSERT INTO contact_fts (rowid, name, organisation, emails, phones, place)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        rows,
    )
    return conn


def _find(conn: sqlite3.Connection, text: str, columns: list[str] | None = None) -> set[int]:
    expr = match_expression(text, columns)
    if expr is None:
        return set()
    return {
        r[0]
        for r in conn.execute("SELECT rowid FROM contact_fts WHERE contact_fts MATCH ?", (expr,))
    }


def test_case_and_accents_do_not_matter() -> None:
    conn = _fts()
    assert _find(conn, "liege") == {1}
    assert _find(conn, "LIÈGE") == {1}
    assert _find(conn, "zoe") == {1}
    assert _find(conn, "lefevre zo") == {1}
    assert _find(conn, "0475 12") == {2}
    assert _find(conn, "jan.peeters@") == {2}
    assert _find(conn, "+32 475 12") == {2}
    assert _find(conn, "Kerkstraat 1 9000") == {2}


def test_operators_and_quotes_are_searched_literally() -> None:
    conn = _fts()
    assert _find(conn, '"NEAR(') == {3}
    assert _find(conn, "name*") == {3}
    assert _find(conn, "Peeters AND") == set()  # "AND" is a word here, not an operator
    assert _find(conn, '"') == set()
    assert match_expression("  ***  ") is None


def test_search_is_limited_to_visible_columns() -> None:
    conn = _fts()
    assert _find(conn, "0475", ["name", "emails"]) == set()
    assert _find(conn, "0475", ["phones"]) == {2}
    assert match_expression("x", []) is None


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40), st.lists(st.sampled_from(FTS_COLUMNS), unique=True))
def test_no_typed_text_makes_fts_raise(text: str, columns: list[str]) -> None:
    _find(_fts(), text, columns or None)
