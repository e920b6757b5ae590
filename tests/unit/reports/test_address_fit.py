"""An address is fitted to its box whole: every character kept, in order, and inside the
box at every size above the floor (a property over made-up addresses)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from privacycrm_desktop.reports.address_fit import FLOOR, MM, fit_address, text_width, wrap_line
from privacycrm_desktop.reports.styles import register_fonts

_LETTERS = "abcdefghijklmnopqrstuvwxyzéèëçôABCDEGHIJKLMVWZ0123456789-'&<>/ "
_LINE = st.text(alphabet=_LETTERS, min_size=1, max_size=90)


def _squeezed(lines: list[str] | tuple[str, ...]) -> str:
    return "".join("".join(lines).split())


@settings(max_examples=80, deadline=None)
@given(
    lines=st.lists(_LINE, min_size=1, max_size=7),
    room_x=st.floats(min_value=25, max_value=100),
    room_y=st.floats(min_value=12, max_value=70),
)
def test_every_character_is_kept_and_the_box_holds_the_lines(
    lines: list[str], room_x: float, room_y: float
) -> None:
    register_fonts()
    fitted = fit_address(lines, room_x, room_y, 10.0, 7.5)
    assert _squeezed(fitted.lines) == _squeezed(lines)
    assert sum(fitted.spans) == len(fitted.lines)
    if fitted.size > FLOOR:
        assert len(fitted.lines) * fitted.size * 1.2 / MM <= room_y + 1e-6
        assert all(text_width(line, fitted.size) <= room_x + 1e-6 for line in fitted.lines)


def test_a_long_line_wraps_between_words_and_after_a_hyphen() -> None:
    register_fonts()
    line = "Burgemeester Vandenpeereboomstraat-Sint-Pieters-Woluwe 1234 bus 56"
    room = text_width("Burgemeester Vandenpeereboomstraat-Sint-", 8)
    assert wrap_line(line, 8, room) == [
        "Burgemeester Vandenpeereboomstraat-Sint-",
        "Pieters-Woluwe 1234 bus 56",
    ]
    # A word wider than the room is broken between its characters, nothing lost.
    word = "Onderwijsvernieuwingsondersteuningsprogrammaverantwoordelijke"
    pieces = wrap_line(word, 8, 30)
    assert len(pieces) > 1
    assert "".join(pieces) == word
    assert all(text_width(p, 8) <= 30 for p in pieces)


def test_the_largest_size_that_fits_is_chosen_each_line_on_one_line_first() -> None:
    register_fonts()
    short = ["An Claes", "Veldstraat 2", "9000 Gent"]
    assert fit_address(short, 60, 30, 10.0, 7.5).size == 10.0
    # Too wide at 10 pt but not at 8: smaller, still one line each.
    wide = ["Marie-Christine Van den Bossche", "9000 Gent"]
    room = text_width(wide[0], 8.0) + 0.01
    fitted = fit_address(wide, room, 30, 10.0, 7.5)
    assert (fitted.size, fitted.spans) == (8.0, (1, 1))
