"""Letters the search spells out, so "strasse" finds "Straße" and "oedipe" finds "ŒDIPE".

Unicode gives these letters of the Latin-1 Supplement and Latin Extended-A blocks no
decomposition: SQLite's tokenizer (``unicode61 remove_diacritics 2``) keeps "ß", "œ" or
"ø" as they are, while PostgreSQL's ``unaccent`` (the server's search, ``pcrm_fold``)
spells them out as "ss", "oe", "o". The SQLite search index and the words typed are
spelled out the same way, so both engines find the same contacts.
``tests/unit/services/test_search_letters.py`` compares this table with ``unaccent``
for every letter of both blocks, and with what SQLite's tokenizer already folds itself.
"""

from __future__ import annotations

#: Each letter and what ``unaccent`` makes of it (lower case: the search ignores case).
SPELLED_OUT = {
    "Æ": "ae",
    "æ": "ae",
    "Ð": "d",
    "ð": "d",
    "Ø": "o",
    "ø": "o",
    "Þ": "th",
    "þ": "th",
    "ß": "ss",
    "Đ": "d",
    "đ": "d",
    "Ħ": "h",
    "ħ": "h",
    "ı": "i",
    "Ĳ": "ij",
    "ĳ": "ij",
    "ĸ": "q",
    "Ŀ": "l",
    "ŀ": "l",
    "Ł": "l",
    "ł": "l",
    "ŉ": "'n",
    "Ŋ": "n",
    "ŋ": "n",
    "Œ": "oe",
    "œ": "oe",
    "Ŧ": "t",
    "ŧ": "t",
    # The capital sharp s (Latin Extended Additional), as German capitals write "STRAẞE".
    "ẞ": "ss",
}
_TABLE = str.maketrans(SPELLED_OUT)


def spell_out(text: str) -> str:
    """*text* with the letters of ``SPELLED_OUT`` spelled out ("Straße" -> "Strasse")."""
    if text.isascii():
        return text
    return text.translate(_TABLE)
