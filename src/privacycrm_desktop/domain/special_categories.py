"""Special categories of personal data (GDPR 9 and 10, rule 10).

Such data may be recorded only with the person's written consent for that category; free
text is scanned for words that suggest it, so the user is warned before saving.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from privacycrm_desktop.domain.errors import DomainError
from privacycrm_desktop.domain.normalize import fold
from privacycrm_desktop.domain.text import N_


class SpecialCategory(StrEnum):
    """The categories the law singles out."""

    HEALTH = "health"
    RELIGION = "religion"
    POLITICS = "politics"
    TRADE_UNION = "trade_union"
    ETHNIC_ORIGIN = "ethnic_origin"
    SEX_LIFE = "sex_life"
    GENETIC = "genetic"
    BIOMETRIC = "biometric"
    CRIMINAL = "criminal"


SPECIAL_CATEGORY_LABELS = {
    SpecialCategory.HEALTH: N_("Health"),
    SpecialCategory.RELIGION: N_("Religion or belief"),
    SpecialCategory.POLITICS: N_("Political opinion"),
    SpecialCategory.TRADE_UNION: N_("Trade-union membership"),
    SpecialCategory.ETHNIC_ORIGIN: N_("Racial or ethnic origin"),
    SpecialCategory.SEX_LIFE: N_("Sex life or sexual orientation"),
    SpecialCategory.GENETIC: N_("Genetic data"),
    SpecialCategory.BIOMETRIC: N_("Biometric data"),
    SpecialCategory.CRIMINAL: N_("Criminal records"),
}

#: A term list: words per category (folded).
SpecialCategoryTerms = Mapping[SpecialCategory, tuple[str, ...]]

#: The prefix of a consent event's product category that marks written consent for a
#: special category ("special:health").
CONSENT_PREFIX = "special:"


#: Why a note suggesting special-category data is not saved without a second look.
UNCONFIRMED_NOTES = N_(
    "The notes seem to hold special-category data (\u201c{words}\u201d), which may be kept "
    "only with the person's written consent for it: remove it, or confirm that it may be "
    "saved."
)


class SpecialCategoryUnconfirmed(DomainError):
    """Notes suggest special-category data and nobody confirmed saving them (rule 10).

    The same rule on every way in: the editor asks, the CLI needs a confirmation flag,
    an import lists the row as one to review.
    """

    default_message = UNCONFIRMED_NOTES


@dataclass(frozen=True)
class TermHit:
    """A word in a text that suggests a special category."""

    category: SpecialCategory
    #: The word as the text has it ("Diabète", "diabetes"): what a message quotes.
    term: str
    #: The list's term that found it, folded ("diabet").
    stem: str = ""


def parse_terms(text: str) -> dict[SpecialCategory, tuple[str, ...]]:
    """Read a term list: ``category: term`` a line; ``#`` starts a comment.

    Raises:
        ValueError: on a line naming an unknown category.
    """
    terms: dict[SpecialCategory, list[str]] = {}
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        name, _sep, term = line.partition(":")
        category = SpecialCategory(name.strip())
        if term.strip():
            terms.setdefault(category, []).append(fold(term.strip()))
    return {k: tuple(v) for k, v in terms.items()}


def scan(text: str, term_lists: Iterable[SpecialCategoryTerms]) -> list[TermHit]:
    """Words in *text* that suggest special-category data, each category once.

    Matching is on folded text ("Diabète" finds "diabete") at word starts, so "diabet"
    finds "diabetes" and "diabetic" but "ras" does not find "terras".
    """
    folded, origin = _fold_with_origin(text)
    hits: dict[SpecialCategory, TermHit] = {}
    for terms in term_lists:
        for category, words in terms.items():
            if category in hits:
                continue
            for word in words:
                found = re.finditer(r"(?<!\w)" + re.escape(word), folded)
                start = next(
                    (m.start() for m in found if not _in_street_name(folded, m.start())), None
                )
                if start is not None:
                    typed = _typed_word(text, folded, origin, start)
                    hits[category] = TermHit(category, typed, word)
                    break
    return [hits[c] for c in SpecialCategory if c in hits]


def _fold_with_origin(text: str) -> tuple[str, list[int]]:
    """*text* folded as ``fold`` does, with the index in *text* of each folded character
    (folding may change the length: "ß" becomes "ss", a combining accent goes)."""
    if text.isascii():
        return text.lower(), list(range(len(text)))
    parts: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        folded = fold(char)
        parts.append(folded)
        origin += [index] * len(folded)
    return "".join(parts), origin


def _typed_word(text: str, folded: str, origin: list[int], start: int) -> str:
    """The whole word of *text* whose folded form starts at *start* ("diabet" in the
    folded text finds "Diabète" as typed)."""
    end = start + len(re.match(r"\w*", folded[start:])[0])  # type: ignore[index]
    first = origin[start]
    last = origin[max(start, end - 1)] + 1
    # The accents that follow the last letter (decomposed text) belong to the word.
    while last < len(text) and unicodedata.combining(text[last]):
        last += 1
    return text[first:last]


#: Endings of Dutch street names ("Kerkstraat", "Ziekenhuislaan", "Kapelsesteenweg").
_STREET_ENDINGS = ("straat", "plein", "laan", "weg", "dreef", "lei", "kaai", "markt", "baan")
#: Words after a name that make it a street ("Church Street") and before it that make it
#: one in French ("Rue de l'Église", "Place de la Mosquée").
_STREET_AFTER = frozenset({"street", "st", "road", "rd", "lane", "avenue", "square"})
_STREET_BEFORE = re.compile(
    r"(?:^|\W)(?:rue|place|avenue|chemin|chaussee|boulevard|impasse|quai|allee|square|"
    r"dreve|sentier)\W+(?:(?:de|du|des|la|le|l)\W+){0,2}$"
)


def _in_street_name(folded: str, start: int) -> bool:
    """Is the word at *start* part of a street name (an address, not a fact about anyone)?

    Addresses in notes ("Home address: Kerkstraat 1, 9000 Gent") name churches and
    hospitals without saying anything about the person.
    """
    word = re.match(r"\w+", folded[start:])
    if word is None:
        return False
    if word[0].endswith(_STREET_ENDINGS) and len(word[0]) > 6:
        return True
    after = re.match(r"\W+(\w+)", folded[start + len(word[0]) :])
    if after is not None and after[1] in _STREET_AFTER:
        return True
    return _STREET_BEFORE.search(folded[max(0, start - 40) : start]) is not None
