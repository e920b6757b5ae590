"""Tags: coloured labels put on contacts (and, in the same way, on companies).

Pure rules: what a tag name and a colour may be, and when two names are the same tag.
A name is trimmed, at most ``MAX_TAG_NAME`` characters, and holds no comma or semicolon:
those separate tags in a CSV cell and in a vCard's CATEGORIES, so a file written by an
export reads back into the same tags. Two names that fold alike ("Vip", "VIP", "víp")
are one tag.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from enum import StrEnum

from privacycrm_desktop.domain.errors import FieldProblem, ValidationFailed
from privacycrm_desktop.domain.normalize import InvalidValue, clean_text, fold
from privacycrm_desktop.domain.text import N_

MAX_TAG_NAME = 60
#: Characters that separate tags in a file's cell.
SEPARATORS = (",", ";")
DEFAULT_COLOUR = "#808080"
#: Colours offered for a new tag, in turn.
PALETTE = (
    "#1f77b4",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#ff7f0e",
    "#17becf",
    "#8c564b",
    "#e377c2",
)
_COLOUR = re.compile(r"^#[0-9a-f]{6}$")
#: What ``normalize.clean_text`` refuses in a name (C0/C1 controls, line separators).
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


class Tagged(StrEnum):
    """What a tag can be put on; each has its own link table."""

    CONTACT = "contact"
    COMPANY = "company"


def tag_name(text: str) -> str:
    """The name as stored: trimmed, inner white space collapsed.

    Raises:
        ValidationFailed: empty, too long, control characters, or a separator.
    """
    try:
        name = clean_text(text)
    except InvalidValue as exc:
        raise ValidationFailed([FieldProblem("tag", exc.message, dict(exc.params))]) from None
    if not name:
        raise ValidationFailed([FieldProblem("tag", N_("Enter a name for the tag."))])
    if len(name) > MAX_TAG_NAME:
        raise ValidationFailed(
            [
                FieldProblem(
                    "tag", N_("Too long: at most {limit} characters."), {"limit": MAX_TAG_NAME}
                )
            ]
        )
    if any(sep in name for sep in SEPARATORS):
        raise ValidationFailed(
            [FieldProblem("tag", N_("A tag name cannot hold a comma or a semicolon."))]
        )
    return name


def tag_key(name: str) -> str:
    """What makes two names one tag: folded case and accents."""
    return fold(name)


def tag_colour(text: str) -> str:
    """A colour as stored, "#rrggbb" in lower case.

    Raises:
        ValidationFailed: not a colour of that form.
    """
    colour = text.strip().lower()
    if not _COLOUR.match(colour):
        raise ValidationFailed([FieldProblem("colour", N_("Choose a colour written as #rrggbb."))])
    return colour


def split_tags(cell: str) -> tuple[str, ...]:
    """The tag names in a file's cell ("VIP, Newsletter"), each once, in their order;
    control characters are left out and a name too long is cut, so each is a valid name."""
    parts = re.split(r"[,;]", _CONTROL.sub(" ", cell))
    seen: dict[str, str] = {}
    for part in parts:
        name = " ".join(unicodedata.normalize("NFC", part).split())
        if name and tag_key(name) not in seen:
            seen[tag_key(name)] = name[:MAX_TAG_NAME].strip()
    return tuple(seen.values())


def join_tags(names: Iterable[str], separator: str = ", ") -> str:
    """Tag names as one cell of a file: "Newsletter, VIP" (Outlook's: "Newsletter;VIP")."""
    return separator.join(names)
