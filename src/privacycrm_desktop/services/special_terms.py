"""The special-category term lists (nl, fr, en) and the check every way into the notes
shares (rule 10): the editor, the CLI, an import and its merges."""

from __future__ import annotations

from functools import lru_cache

from privacycrm_desktop.config import resources_dir
from privacycrm_desktop.domain.special_categories import (
    SpecialCategoryTerms,
    SpecialCategoryUnconfirmed,
    TermHit,
    parse_terms,
    scan,
)


@lru_cache(maxsize=1)
def term_lists() -> tuple[SpecialCategoryTerms, ...]:
    """The term lists shipped with the app, one per language."""
    folder = resources_dir() / "special_categories"
    return tuple(
        parse_terms((folder / f"{lang}.txt").read_text(encoding="utf-8"))
        for lang in ("nl", "fr", "en")
    )


def scan_notes(text: str) -> list[TermHit]:
    """Words in *text* suggesting special-category data."""
    return scan(text, term_lists()) if text.strip() else []


def hit_words(hits: list[TermHit]) -> str:
    """The words found as the text has them, for a message: "diabetes, ABVV"."""
    return ", ".join(h.term for h in hits)


def check_notes(text: str, confirmed: bool) -> None:
    """Refuse notes that suggest special-category data unless the user confirmed them.

    Raises:
        SpecialCategoryUnconfirmed: a term was found and *confirmed* is False.
    """
    if confirmed:
        return
    hits = scan_notes(text)
    if hits:
        raise SpecialCategoryUnconfirmed(words=hit_words(hits))
