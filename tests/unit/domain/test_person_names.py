"""Full names split the way Belgian and Dutch names work (``domain.person_names``)."""

from __future__ import annotations

import pytest

from privacycrm_desktop.domain.person_names import name_parts, split_full_name


@pytest.mark.parametrize(
    ("full", "first", "last"),
    [
        ("Jan Van den Broeck", "Jan", "Van den Broeck"),
        ("Jan van der Berg", "Jan", "van der Berg"),
        ("Anne-Marie Vande Velde", "Anne-Marie", "Vande Velde"),
        ("Marie de la Fontaine", "Marie", "de la Fontaine"),
        ("Elio Di Rupo", "Elio", "Di Rupo"),
        ("Jan d'Hondt", "Jan", "d'Hondt"),
        ("Gerard 't Hooft", "Gerard", "'t Hooft"),
        ("Ellen in 't Veld", "Ellen", "in 't Veld"),
        ("Jan Pieter Peeters", "Jan Pieter", "Peeters"),
        # A surname alone, particles and all.
        ("De Smet", "", "De Smet"),
        ("d'Hondt", "", "d'Hondt"),
        ("Le Grand", "", "Le Grand"),
        ("Vande Velde", "", "Vande Velde"),
        # A lone word is the last name.
        ("Peeters", "", "Peeters"),
        # Surname first, as Belgian lists write it.
        ("Peeters, Jan", "Jan", "Peeters"),
        ("Van den Broeck, Jan", "Jan", "Van den Broeck"),
        ("Van den Broeck Jan", "Jan", "Van den Broeck"),
        ("PEETERS Jan", "Jan", "PEETERS"),
        ("Jan VAN DEN BROECK", "Jan", "VAN DEN BROECK"),
        ("J.P. Peeters", "J.P.", "Peeters"),
        # Titles left out, a suffix kept with the surname.
        ("Mr. Jan Peeters", "Jan", "Peeters"),
        ("Mevr. An De Vos", "An", "De Vos"),
        ("Dr. Piet Van Hool", "Piet", "Van Hool"),
        ("Jan Peeters, Jr.", "Jan", "Peeters Jr."),
        # ez-vcard's test cards (src/test/resources/ezvcard/io/text, BSD-2-Clause).
        ("Mr. John Richter James Doe Sr.", "John Richter James", "Doe Sr."),
        ("Mr. John Richter, James Doe Sr.", "John Richter James", "Doe Sr."),
        ("  ", "", ""),
    ],
)
def test_full_names_split_the_belgian_way(full: str, first: str, last: str) -> None:
    assert split_full_name(full) == (first, last)


def test_a_structured_name_keeps_middle_names_suffix_and_academic_title() -> None:
    assert name_parts("Doe", "John", "Richter James", "Mr. Dr.", "Sr.") == (
        "John Richter James",
        "Doe Sr.",
        "Dr.",
    )
    assert name_parts("Van den Broeck", "Jan") == ("Jan", "Van den Broeck", "")
