"""A person's name split into first and last name the way Belgian and Dutch names work.

A surname may begin with particles that belong to it: "Van den Broeck", "De Smet",
"d'Hondt", "van der Berg", "Vande Velde", "Le Grand", "de la Fontaine", "Di Rupo". A full
name written as one text ("Jan Van den Broeck") is therefore not split at its last space:
the surname starts at the first particle that follows a given name. Belgian lists also
write the surname first ("Van den Broeck Jan", "PEETERS Jan", "Peeters, Jan"); those
forms are recognised by a leading particle, by capitals, or by the comma.

Courtesy titles ("Mr.", "Mevr.", "Mme") carry no part of the name and are left out; a
generational suffix ("Jr.", "III") stays with the surname. A lone word is taken as the
last name: a business file names people by surname ("Peeters"), and the contact list
sorts by it.
"""

from __future__ import annotations

import re

from privacycrm_desktop.domain.normalize import fold

#: Words that begin a surname (folded: lower case, no accents), in Dutch, French,
#: German, Italian, Spanish and Portuguese. Longer particles ("van der") are runs of
#: these words.
SURNAME_PARTICLES = frozenset(
    {
        # Dutch and Flemish
        "van",
        "vande",
        "vanden",
        "vander",
        "vd",
        "de",
        "den",
        "der",
        "het",
        "'t",
        "te",
        "ten",
        "ter",
        "in",
        "op",
        "uit",
        "uijt",
        "onder",
        "voor",
        # French
        "du",
        "des",
        "la",
        "le",
        "les",
        # German
        "von",
        "vom",
        "zu",
        "zum",
        "zur",
        # Italian, Spanish, Portuguese
        "di",
        "da",
        "del",
        "della",
        "dei",
        "degli",
        "dos",
        "das",
        "do",
        "lo",
    }
)
#: Particles that begin a surname only before another particle ("in 't Veld",
#: "op de Beeck"): alone they are ordinary words.
_LEADING_ONLY = frozenset({"in", "op", "uit", "uijt", "onder", "voor"})
#: Elided particles written against the name: "d'Hondt", "l'Écluse", "D'Alcantara".
_ELIDED = re.compile(r"^(?:d|l|dell|all)['’]\S", re.IGNORECASE)
#: Courtesy titles before a name (folded, without the final dot): no part of the name.
COURTESY_TITLES = frozenset(
    {
        "mr",
        "mrs",
        "ms",
        "miss",
        "mx",
        "sir",
        "dame",
        "dhr",
        "mevr",
        "mej",
        "heer",
        "mevrouw",
        "juffrouw",
        "mw",
        "mme",
        "mlle",
        "monsieur",
        "madame",
        "mademoiselle",
        "herr",
        "frau",
    }
)
#: Academic and professional titles (folded, without the final dot): no part of the
#: name either, but a structured name's title is kept beside it (see ``name_parts``).
ACADEMIC_TITLES = frozenset({"dr", "prof", "ir", "ing", "drs", "lic", "mag", "ds"})
#: Generational and degree suffixes after a name (folded, without the final dot).
NAME_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv", "phd", "md", "esq", "fils", "pere"})
_GENERATIONAL = frozenset({"jr", "sr", "i", "ii", "iii", "iv", "fils", "pere"})


def _key(word: str) -> str:
    return fold(word).rstrip(".").replace("’", "'")


def is_particle(word: str) -> bool:
    """Does *word* begin a surname ("van", "De", "d'Hondt")?"""
    return _key(word) in SURNAME_PARTICLES or bool(_ELIDED.match(word))


def is_title(word: str) -> bool:
    """Is *word* a courtesy or academic title ("Mr.", "Mevr.", "Mme", "Dr.")?"""
    return _key(word) in COURTESY_TITLES or _key(word) in ACADEMIC_TITLES


def _is_suffix(word: str) -> bool:
    return _key(word.rstrip(",")) in NAME_SUFFIXES


def _surname_start(words: list[str]) -> int:
    """Where the surname begins in "given names + surname" (at least one word left)."""
    for index in range(1, len(words) - 1):
        key = _key(words[index])
        if _ELIDED.match(words[index]):
            return index
        if key in SURNAME_PARTICLES and (key not in _LEADING_ONLY or is_particle(words[index + 1])):
            return index
    # An elided surname may be the last word: "Jan d'Hondt".
    return len(words) - 1


def _surname_first(words: list[str]) -> tuple[str, str] | None:
    """(first, last) when the surname is written first: particles or capitals lead."""
    if len(words) > 1 and is_particle(words[0]) and not _ELIDED.match(words[0]):
        end = 1
        while end < len(words) and is_particle(words[end]):
            end += 1
        # The particle run and the word after it are the surname: "Van den Broeck Jan".
        end = min(end + 1, len(words))
        return " ".join(words[end:]), " ".join(words[:end])
    # "PEETERS Jan", "Jan VAN DEN BROECK": a block of capitals at either end is the
    # surname (initials such as "J.P." are no surname).
    capitals = [w.isupper() and "." not in w and sum(c.isalpha() for c in w) > 1 for w in words]
    count = sum(capitals)
    if 0 < count < len(words):
        if all(capitals[:count]):
            return " ".join(words[count:]), " ".join(words[:count])
        if all(capitals[-count:]):
            return " ".join(words[:-count]), " ".join(words[-count:])
    return None


def split_full_name(full: str) -> tuple[str, str]:
    """(first, last) from a full name written as one text.

    "Jan Van den Broeck" -> ("Jan", "Van den Broeck"); "Peeters, Jan" -> ("Jan",
    "Peeters"); "Van den Broeck Jan" and "PEETERS Jan" are read surname first;
    "Mr. Jan Peeters Jr." -> ("Jan", "Peeters Jr."); a lone word is the last name.
    """
    text = " ".join(full.split())
    if "," in text:
        last, _sep, first = text.partition(",")
        first_words, last_words = first.split(), last.split()
        # "Peeters, Jan" (surname first) unless the comma only sets off a suffix ("Jan
        # Peeters, Jr.") or the text before it opens with a title ("Mr. Jan Peeters, ...").
        if (
            first_words
            and last_words
            and not all(_is_suffix(w) for w in first_words)
            and not is_title(last_words[0])
        ):
            first, last = _strip_titles(first), _strip_titles(last)
            if first and last:
                return first, last
        text = " ".join(text.replace(",", " ").split())
    words = _strip_titles(text).split()
    if not words:
        return "", ""
    suffix: list[str] = []
    while len(words) > 1 and _is_suffix(words[-1]):
        suffix.insert(0, words.pop().rstrip(","))
    if len(words) == 1:
        return "", " ".join(words + suffix)
    reversed_order = _surname_first(words)
    if reversed_order is not None:
        first, last = reversed_order
        return first, " ".join([last, *suffix])
    start = _surname_start(words)
    return " ".join(words[:start]), " ".join(words[start:] + suffix)


def _strip_titles(text: str) -> str:
    """*text* without the courtesy titles that lead it (a lone title stays: it is a name)."""
    words = text.split()
    while len(words) > 1 and is_title(words[0]):
        words.pop(0)
    return " ".join(words)


def name_parts(
    family: str, given: str, additional: str = "", prefix: str = "", suffix: str = ""
) -> tuple[str, str, str]:
    """(first, last, title) from a structured name (a vCard's N).

    Middle names join the first name, a generational suffix ("Jr.", "III") the last
    name. A courtesy title in *prefix* is left out; any other prefix (an academic or
    noble title) or suffix (a degree: "M.Sc.") is returned as *title* for the caller to
    keep.
    """
    generational = [w for w in suffix.split() if _key(w.rstrip(",")) in _GENERATIONAL]
    degrees = [w for w in suffix.split() if w not in generational]
    first = " ".join(" ".join((given, additional)).split())
    last = " ".join([*family.split(), *generational])
    kept = [w for w in prefix.split() if _key(w) not in COURTESY_TITLES] + degrees
    return first, last, " ".join(kept)
