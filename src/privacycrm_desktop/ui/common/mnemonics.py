"""Keyboard mnemonics (Alt+letter) chosen at run time, unique in each window and language.

A field label's text comes from the catalogue without an ``&``: the same label appears in
the editor, the CLI and the reports. Picking the letter here, in the language on screen,
keeps the mnemonics of one window apart in Dutch, French and English alike.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from PySide6.QtWidgets import QAbstractButton, QLabel, QWidget

_MNEMONIC = re.compile(r"&([^&\s])")


def mnemonic_of(text: str) -> str | None:
    """The letter after the ``&`` in *text* (lower case), if any (``&&`` is an ampersand)."""
    found = _MNEMONIC.search(text.replace("&&", ""))
    return found.group(1).lower() if found else None


def without_mnemonic(text: str) -> str:
    """*text* without its ``&`` (a literal ``&&`` stays)."""
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&&")


def _preferred_positions(text: str) -> list[int]:
    """Where a mnemonic may go, best first: the first letters of words, then any letter.

    ASCII letters and digits only: Alt+é is hard to type on many keyboards.
    """
    usable = [i for i, ch in enumerate(text) if ch.isascii() and ch.isalnum()]
    starts = [i for i in usable if i == 0 or not text[i - 1].isalnum()]
    return starts + [i for i in usable if i not in starts]


def assign_mnemonics(
    widgets: Sequence[QLabel | QAbstractButton], taken: Iterable[str] = ()
) -> dict[str, QWidget]:
    """Give each widget without a mnemonic a letter no other one in the set uses.

    Widgets that already have one keep it (and reserve it), unless an earlier widget or
    *taken* has the same letter (a clash of two translations): then it gets a new one.
    The letters are matched to the widgets as a whole (a maximum bipartite matching, each
    widget trying its preferred letters first), so an early label does not take the only
    letter a later one could use.
    Returns letter -> widget.
    """
    reserved = {letter.lower() for letter in taken}
    result: dict[str, QWidget] = {}
    for widget in widgets:
        letter = mnemonic_of(widget.text())
        if letter is None:
            continue
        if letter in reserved or letter in result:
            widget.setText(without_mnemonic(widget.text()))
        else:
            result[letter] = widget
    free = [w for w in widgets if mnemonic_of(w.text()) is None]
    options: dict[int, list[tuple[str, int]]] = {}
    for number, widget in enumerate(free):
        seen: set[str] = set()
        options[number] = []
        for position in _preferred_positions(widget.text()):
            letter = widget.text()[position].lower()
            if letter not in seen and letter not in reserved and letter not in result:
                seen.add(letter)
                options[number].append((letter, position))
    owner: dict[str, int] = {}

    def place(number: int, visited: set[str]) -> bool:
        for letter, _position in options[number]:
            if letter in visited:
                continue
            visited.add(letter)
            if letter not in owner or place(owner[letter], visited):
                owner[letter] = number
                return True
        return False

    for number in range(len(free)):
        place(number, set())
    for letter, number in owner.items():
        widget = free[number]
        text = widget.text()
        position = dict(options[number])[letter]
        widget.setText(text[:position] + "&" + text[position:])
        result[letter] = widget
    return result


def assign_window_mnemonics(window: QWidget) -> dict[str, QWidget]:
    """Mnemonics for every field label (a label with a buddy) and button of *window*.

    In the order the widgets were made, which is the form's order; what has one keeps it.
    """
    widgets: list[QLabel | QAbstractButton] = []
    for widget in window.findChildren(QWidget):
        if not widget.isVisibleTo(window):
            continue
        labelled = isinstance(widget, QLabel) and widget.buddy() is not None
        if labelled or (isinstance(widget, QAbstractButton) and widget.text()):
            widgets.append(widget)  # type: ignore[arg-type]
    return assign_mnemonics(widgets)


def mnemonics_in(window: QWidget) -> list[tuple[str, str]]:
    """(letter, text) of every visible label with a buddy and every visible button."""
    found: list[tuple[str, str]] = []
    for widget in window.findChildren(QWidget):
        if not widget.isVisibleTo(window):
            continue
        if isinstance(widget, QLabel) and widget.buddy() is None:
            continue
        if isinstance(widget, QLabel | QAbstractButton):
            letter = mnemonic_of(widget.text())
            if letter is not None:
                found.append((letter, widget.text()))
    return found


__all__ = [
    "assign_mnemonics",
    "assign_window_mnemonics",
    "mnemonic_of",
    "mnemonics_in",
    "without_mnemonic",
]
