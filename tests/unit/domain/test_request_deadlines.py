"""The one-month deadline of rights requests (rule 21, GDPR 12(3)): a table of hard dates."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from privacycrm_desktop.domain.requests import add_months, due_date

D = dt.date


@pytest.mark.parametrize(
    ("received", "extension", "due"),
    [
        (D(2026, 1, 15), 0, D(2026, 2, 15)),
        (D(2026, 1, 31), 0, D(2026, 2, 28)),  # 31 January: clamped to February's end
        (D(2028, 1, 31), 0, D(2028, 2, 29)),  # leap year
        (D(2100, 1, 31), 0, D(2100, 2, 28)),  # a century is no leap year
        (D(2000, 1, 31), 0, D(2000, 2, 29)),  # ...but every 400 years it is
        (D(2028, 2, 29), 0, D(2028, 3, 29)),
        (D(2026, 3, 31), 0, D(2026, 4, 30)),
        (D(2026, 5, 31), 0, D(2026, 6, 30)),
        (D(2026, 8, 31), 0, D(2026, 9, 30)),
        (D(2026, 12, 31), 0, D(2027, 1, 31)),  # over the year end
        (D(2026, 12, 15), 0, D(2027, 1, 15)),
        (D(2026, 2, 28), 0, D(2026, 3, 28)),  # the end of February is not "month end"
        (D(2026, 1, 31), 1, D(2026, 3, 31)),  # extension counts from receipt, not the due date
        (D(2026, 1, 31), 2, D(2026, 4, 30)),
        (D(2026, 11, 30), 2, D(2027, 2, 28)),
        (D(2027, 11, 30), 2, D(2028, 2, 29)),
        (D(2026, 10, 31), 2, D(2027, 1, 31)),
    ],
)
def test_due_dates(received: dt.date, extension: int, due: dt.date) -> None:
    assert due_date(received, extension) == due


@pytest.mark.parametrize("extension", [-1, 3, 12])
def test_an_extension_is_at_most_two_months(extension: int) -> None:
    with pytest.raises(ValueError, match="two months"):
        due_date(D(2026, 1, 1), extension)


@given(st.dates(min_value=D(1990, 1, 1), max_value=D(2090, 12, 31)), st.integers(0, 2))
def test_due_date_is_within_the_month_and_never_early(received: dt.date, extension: int) -> None:
    due = due_date(received, extension)
    months = 1 + extension
    assert (due.year - received.year) * 12 + due.month - received.month == months
    assert due.day <= received.day
    assert due > received
    assert add_months(received, months) == due
