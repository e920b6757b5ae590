"""Tag names and colours: what a name may be, when two are one tag, and a file's cell."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from privacycrm_desktop.domain.errors import ValidationFailed
from privacycrm_desktop.domain.tags import (
    MAX_TAG_NAME,
    join_tags,
    split_tags,
    tag_colour,
    tag_key,
    tag_name,
)


def test_a_name_is_trimmed_and_refused_when_empty_long_or_holding_a_separator() -> None:
    assert tag_name("  Beurs   Gent ") == "Beurs Gent"
    for bad in ("", "   ", "x" * (MAX_TAG_NAME + 1), "a,b", "a;b", "bell\x07"):
        with pytest.raises(ValidationFailed):
            tag_name(bad)


def test_names_that_fold_alike_are_one_tag() -> None:
    assert tag_key("VIP") == tag_key("vip") == tag_key("VÍP")
    assert tag_key("Liège") == tag_key("LIEGE")
    assert tag_key("VIP") != tag_key("VIP 2")


def test_a_colour_is_written_as_rrggbb() -> None:
    assert tag_colour(" #FFaa00 ") == "#ffaa00"
    for bad in ("red", "#fff", "#12345g", "ffaa00"):
        with pytest.raises(ValidationFailed):
            tag_colour(bad)


def test_a_cell_gives_each_name_once_in_its_order() -> None:
    assert split_tags("VIP, Beurs Gent;vip ,, ") == ("VIP", "Beurs Gent")
    assert split_tags("") == ()
    assert split_tags("a\x00b, " + "y" * 80) == ("a b", "y" * MAX_TAG_NAME)


_names = st.lists(
    st.text(min_size=1, max_size=MAX_TAG_NAME).filter(lambda t: bool(t.strip())),
    max_size=5,
)


@given(_names)
def test_every_name_a_cell_gives_is_a_valid_name(names: list[str]) -> None:
    for name in split_tags(",".join(names)):
        assert tag_name(name) == name


@given(_names)
def test_valid_names_joined_then_split_come_back(names: list[str]) -> None:
    valid = []
    for raw in names:
        try:
            name = tag_name(raw)
        except ValidationFailed:
            continue
        if tag_key(name) not in {tag_key(v) for v in valid}:
            valid.append(name)
    assert split_tags(join_tags(valid)) == tuple(valid)
