"""Rights requests: kinds, statuses and the one-month deadline (rule 21)."""

from __future__ import annotations

import calendar
import datetime as dt
from enum import StrEnum


class RequestKind(StrEnum):
    """The rights a person can exercise."""

    ACCESS = "access"
    RECTIFICATION = "rectification"
    ERASURE = "erasure"
    OBJECTION = "objection"
    RESTRICTION = "restriction"
    PORTABILITY = "portability"


class RequestStatus(StrEnum):
    """Where a request stands."""

    OPEN = "open"
    EXTENDED = "extended"
    DONE = "done"
    REFUSED = "refused"


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day *months* later, clamped to the last day of a shorter month."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def due_date(received: dt.date, extension_months: int = 0) -> dt.date:
    """One month after receipt, plus an extension of at most two months."""
    if not 0 <= extension_months <= 2:
        raise ValueError("an extension is at most two months")
    return add_months(received, 1 + extension_months)
