"""Fitting an address into a box (a label, a window envelope's window) without cutting it.

The lines are kept whole and in order. The text first shrinks with each line on one line
(as the post reads it best) down to a readable size; when a line is still too wide it is
wrapped between words (after a hyphen, a word wider than the box between characters),
trying the sizes from the largest down again. Only an address that fits in no other way
goes below the readable size, down to ``FLOOR``: nothing is ever left out, and nothing
runs over the box's edge short of an address too long for any size.

Widths are measured with the font the PDF is drawn in (``reports.styles.FONT``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from privacycrm_desktop.reports.styles import FONT

MM = 72 / 25.4
#: The size step (points) between two tries.
STEP = 0.5
#: Below this size (points) the text is no longer easy to read: reached only when nothing
#: else fits; the sizes go on down to ``FLOOR``.
FLOOR = 3.0
#: The pieces a word may be broken into: each hyphen stays with what goes before it.
_PARTS = re.compile(r"[^-]*-+|[^-]+")


@dataclass(frozen=True)
class FittedAddress:
    """The lines as printed (a long line wrapped over several) and their size in points."""

    lines: tuple[str, ...]
    size: float
    #: How many printed lines each given line took (1 when not wrapped).
    spans: tuple[int, ...]


def text_width(text: str, size: float) -> float:
    """The width of *text* at *size* points, in mm."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    return float(stringWidth(text, FONT, size)) / MM


def _break_word(word: str, size: float, room: float) -> list[str]:
    pieces: list[str] = []
    current = ""
    for char in word:
        if current and text_width(current + char, size) > room:
            pieces.append(current)
            current = char
        else:
            current += char
    return [*pieces, current] if current else pieces


def wrap_line(line: str, size: float, room: float) -> list[str]:
    """*line* over as many lines of at most *room* mm as it needs: broken between words,
    a hyphenated word after its hyphen, a word wider than *room* between characters."""
    if text_width(line, size) <= room:
        return [line]
    # Each piece, and whether a space goes before it (it starts a word).
    pieces = [
        (part, n == 0) for word in line.split() for n, part in enumerate(_PARTS.findall(word))
    ]
    lines: list[str] = []
    current = ""
    for part, spaced in pieces:
        joined = f"{current} {part}" if current and spaced else current + part
        if text_width(joined, size) <= room:
            current = joined
            continue
        if current:
            lines.append(current)
        broken = _break_word(part, size, room)
        lines += broken[:-1]
        current = broken[-1] if broken else ""
    if current:
        lines.append(current)
    return lines


def _sizes(largest: float, smallest: float) -> list[float]:
    sizes = []
    size = largest
    while size >= smallest - 1e-9:
        sizes.append(round(size, 2))
        size -= STEP
    return sizes


def fit_address(
    lines: Sequence[str],
    room_x: float,
    room_y: float,
    largest: float,
    smallest: float,
    leading: float = 1.2,
) -> FittedAddress:
    """The largest way *lines* fit a box of *room_x* by *room_y* mm: unwrapped from
    *largest* to *smallest* points, then wrapped over the same sizes, then wrapped and
    smaller still (to ``FLOOR``). *leading* is the line distance as a multiple of the
    size."""
    given = [" ".join(line.split()) for line in lines]
    given = [line for line in given if line] or [""]

    def tall(count: int, size: float) -> float:
        return count * size * leading / MM

    for size in _sizes(largest, smallest):
        if tall(len(given), size) <= room_y and all(
            text_width(line, size) <= room_x for line in given
        ):
            return FittedAddress(tuple(given), size, (1,) * len(given))
    size = FLOOR
    for size in _sizes(largest, FLOOR):
        wrapped = [wrap_line(line, size, room_x) for line in given]
        if tall(sum(map(len, wrapped)), size) <= room_y:
            break
    wrapped = [wrap_line(line, size, room_x) for line in given]
    return FittedAddress(
        tuple(piece for pieces in wrapped for piece in pieces),
        size,
        tuple(len(pieces) for pieces in wrapped),
    )
