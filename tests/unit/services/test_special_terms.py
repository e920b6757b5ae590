"""The special-category term lists as notes are written: compounds, names of illnesses,
German notes, hidden characters inside a word; and ordinary words they must leave alone."""

from __future__ import annotations

import pytest

from privacycrm_desktop.services.special_terms import scan_notes


@pytest.mark.parametrize(
    ("notes", "typed"),
    [
        ("heeft borstkanker", "borstkanker"),
        ("Parkinson sinds 2020", "Parkinson"),
        ("Gewerkschaft IG Metall", "Gewerkschaft"),
        ("Brustkrebs seit 2019", "Brustkrebs"),
        ("dia\u00adbetes type 2", "dia\u00adbetes"),
        ("dia\u200bbetes", "dia\u200bbetes"),
        ("délégué syndical", "délégué"),
        ("suikerpatiënt", "suikerpatiënt"),
        ("vakbondsafgevaardigde", "vakbondsafgevaardigde"),
        ("lid van de N-VA", "N"),
    ],
)
def test_words_that_suggest_special_category_data_are_found(notes: str, typed: str) -> None:
    (hit,) = scan_notes(notes)
    assert hit.term == typed  # the word as typed, for the message


@pytest.mark.parametrize(
    "notes",
    [
        "PS: bel terug na vier uur",
        "Mr. Dupont, terras aan de Kerkstraat",
        "impatient customer, wants a quote",
        "Christine's sister",
        "ecologische bakkerij",
    ],
)
def test_ordinary_notes_are_left_alone(notes: str) -> None:
    assert scan_notes(notes) == []
