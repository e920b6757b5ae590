"""The letters the search spells out ("ß" as "ss", "œ" as "oe"): both engines find the
same contacts, whichever way a person types them (``domain/search_letters.py``).

The table is checked against the engines themselves, letter by letter over the whole
Latin-1 Supplement and Latin Extended-A blocks: what SQLite's tokenizer makes of the
spelled-out text must be what PostgreSQL's ``unaccent`` (``pcrm_fold``) makes of the
letter, so a letter added to neither side cannot slip through.
"""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import text

import pg_support
from privacycrm_desktop.domain.contacts import ContactInput
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.domain.search_letters import SPELLED_OUT, spell_out
from privacycrm_desktop.persistence.migrate import alembic_config, migrate
from privacycrm_desktop.persistence.sqlite_driver import sqlite3
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services

#: Every letter of the Latin-1 Supplement and Latin Extended-A blocks.
LETTERS = [chr(cp) for cp in range(0xC0, 0x180) if chr(cp).isalpha()]


def _sqlite_words(value: str) -> list[str]:
    """The words SQLite's search index makes of *value* (the app's tokenizer)."""
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE VIRTUAL TABLE t USING fts5(x, tokenize = 'unicode61 remove_diacritics 2')")
    conn.execute("CREATE VIRTUAL TABLE v USING fts5vocab(t, 'row')")
    conn.execute("INSERT INTO t (x) VALUES (?)", (value,))
    return sorted(term for (term,) in conn.execute("SELECT term FROM v"))


def test_every_letter_is_one_word_alike_on_both_engines() -> None:
    admin = pg_support.require_server()
    import psycopg

    with psycopg.connect(admin, autocommit=True) as pg:
        pg.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
        differ = {}
        for letter in LETTERS:
            word = f"a{letter}b"
            server = pg.execute(
                "SELECT array_remove(regexp_split_to_array("
                "lower(unaccent('unaccent'::regdictionary, %s)), '[^[:alnum:]]+'), '')",
                (word,),
            ).fetchone()
            assert server is not None
            here = _sqlite_words(spell_out(word))
            if here != sorted(server[0]):
                differ[letter] = (here, sorted(server[0]))
    assert not differ, differ


def test_only_letters_the_tokenizer_keeps_are_spelled_out() -> None:
    """A letter SQLite already folds (é, ç, ő...) is not in the table: the table holds no
    more than the difference."""
    for letter in SPELLED_OUT:
        assert _sqlite_words(f"a{letter}b") != _sqlite_words(f"a{SPELLED_OUT[letter]}b")


SOURCE = SourceInput(SourceKind.PHONE_CALL, "Called the shop", None)

#: (stored name, what a person types)
PEOPLE = [
    ("Straße", "strasse"),
    ("Strasse", "straße"),
    ("ŒDIPE", "oedipe"),
    ("Sœur", "SOEUR"),
    ("Søren", "soren"),
    ("Łukasz", "lukasz"),
    ("Ærø", "aero"),
]


def test_typed_plainly_or_as_written_both_engines_find_them(
    services: Services, owner: Actor
) -> None:
    ids = {}
    for name, _typed in PEOPLE:
        ids[name] = services.contacts.create(
            owner, ContactInput(first_name="Anna", last_name=name), SOURCE
        )
    for name, typed in PEOPLE:
        found = {row.id for row in services.contacts.page(owner, query=typed, limit=50)}
        assert ids[name] in found, (name, typed, found)
        # And as written, whatever the index holds.
        found = {row.id for row in services.contacts.page(owner, query=name, limit=50)}
        assert ids[name] in found, (name, found)


def test_the_migration_writes_the_old_rows_again(services: Services, owner: Actor) -> None:
    """A contact indexed before 0033 (its letters as typed) is found by "strasse" after
    the upgrade; the other rows are left as they are."""
    engine = services.uow.engine
    if engine.dialect.name != "sqlite":
        pytest.skip("the server's index spelled these letters out already")
    street = services.contacts.create(
        owner, ContactInput(first_name="Anna", last_name="Großmann"), SOURCE
    )
    plain = services.contacts.create(
        owner, ContactInput(first_name="Bert", last_name="Peeters"), SOURCE
    )
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0032_credentials_version")
        # The row as the index held it before: the letters as typed.
        conn.execute(text("DELETE FROM contact_fts WHERE rowid = :id"), {"id": street})
        conn.execute(
            text("INSERT INTO contact_fts (rowid, name) VALUES (:id, 'Anna Großmann')"),
            {"id": street},
        )
        before = conn.execute(
            text("SELECT name FROM contact_fts WHERE rowid = :id"), {"id": plain}
        ).scalar_one()
    assert street not in {r.id for r in services.contacts.page(owner, query="grossmann")}
    assert migrate(engine)
    assert street in {r.id for r in services.contacts.page(owner, query="grossmann")}
    assert street in {r.id for r in services.contacts.page(owner, query="großmann")}
    with engine.connect() as conn:
        rows = dict(conn.execute(text("SELECT rowid, name FROM contact_fts")).tuples().all())
    assert rows[street] == "Anna Grossmann"
    assert rows[plain] == before
