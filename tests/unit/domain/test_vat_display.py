"""Enterprise and VAT numbers are shown as people write them."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from privacycrm_desktop.domain.normalize import normalise_vat, vat_display


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("BE0403170701", "BE 0403.170.701"),
        ("be 0403.170.701", "BE 0403.170.701"),
        ("NL004495445B01", "NL 004495445B01"),
        ("FR40303265045", "FR 40303265045"),
        ("", ""),
        ("12", "12"),
    ],
)
def test_vat_display(stored: str, shown: str) -> None:
    assert vat_display(stored) == shown


@given(st.integers(min_value=0, max_value=9_999_999))
def test_a_valid_belgian_number_shows_in_its_dotted_form_and_reads_back(base: int) -> None:
    # A Belgian enterprise number: eight digits starting with 0, then 97 minus their
    # remainder by 97.
    compact = normalise_vat(f"0{base:07d}{97 - base % 97:02d}")
    shown = vat_display(compact)
    assert shown.startswith("BE ")
    assert shown.count(".") == 2
    assert normalise_vat(shown) == compact
