"""PostgreSQL search by word prefix from a GIN index of words (issue 23); SQLite unchanged.

The server's search index (migration 0001) matched each typed word with a regular
expression that a trigram index served: a two-letter word has no trigram, so "pe" read
every row (0.65 s at 100,000 contacts), and every match was re-checked by running the
expression on the row. Now each column's words (the folded text split at every character
that is not a letter or digit, as FTS5's tokenizer splits it) are a ``tsvector`` in an
expression index (``pcrm_words``), and a typed word is a prefix query of it (``'pe':*``):
any length of word is one walk of the index's sorted words, with no regular expression.
The matches are the same: a word matches where it starts a word of the column.

The trigram indexes are dropped (nothing else reads them; each costs every write). Only
an expression index: no new column, so the column grants of ``contact_fts`` (a search
column readable only when every field it holds is) cover it as they are.

Revision ID: 0022_pg_indexes
Revises: 0021_erasure_indexes
"""

from alembic import op

revision = "0022_pg_indexes"
down_revision = "0021_erasure_indexes"
branch_labels = None
depends_on = None

COLUMNS = ("name", "organisation", "emails", "phones", "place")

#: The words of a folded column: split at every run of characters that are not letters or
#: digits, empty pieces left out. PL/pgSQL with a high cost, not an inlined SQL function:
#: the planner then intersects the index scans of a two-word search ("telenet.be")
#: instead of splitting the words of every row the first word found (17 us a row).
#: PARALLEL RESTRICTED: with that cost the planner would otherwise start parallel workers
#: for a search of a few rows (20-30 ms to start them, against 1 ms for the search).
WORDS_FUNCTION = (
    "CREATE OR REPLACE FUNCTION pcrm_words(value text) RETURNS tsvector "
    "LANGUAGE plpgsql IMMUTABLE PARALLEL RESTRICTED COST 1000 AS $fn$ BEGIN "
    "RETURN array_to_tsvector(array_remove("
    "regexp_split_to_array(coalesce(value, ''), '[^[:alnum:]]+'), '')); END $fn$"
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(WORDS_FUNCTION)
    for column in COLUMNS:
        op.execute(f"DROP INDEX IF EXISTS ix_contact_fts_{column}")
        op.execute(
            f"CREATE INDEX ix_contact_fts_{column}_words ON contact_fts "
            f"USING gin (pcrm_words({column}))"
        )
    op.execute("ANALYZE contact_fts")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for column in COLUMNS:
        op.execute(f"DROP INDEX IF EXISTS ix_contact_fts_{column}_words")
        op.execute(
            f"CREATE INDEX ix_contact_fts_{column} ON contact_fts USING gin ({column} gin_trgm_ops)"
        )
    op.execute("DROP FUNCTION IF EXISTS pcrm_words(text)")
