"""Time as the services see it; tests pass a controlled clock instead of sleeping."""

from __future__ import annotations

import datetime as dt
from typing import Protocol


class Clock(Protocol):
    """Where services get the time from."""

    def now(self) -> dt.datetime:
        """The current time, naive UTC (as stored)."""
        ...

    def today(self) -> dt.date:
        """Today's date where the user is."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> dt.datetime:
        """The current time, naive UTC."""
        return dt.datetime.now(dt.UTC).replace(tzinfo=None)

    def today(self) -> dt.date:
        """Today's local date."""
        return dt.date.today()


class FixedClock:
    """A clock that only moves when told to (for tests and benchmarks)."""

    def __init__(self, start: dt.datetime) -> None:
        self.current = start

    def now(self) -> dt.datetime:
        """The clock's time."""
        return self.current

    def today(self) -> dt.date:
        """The clock's date."""
        return self.current.date()

    def advance(self, delta: dt.timedelta) -> None:
        """Move the clock forward."""
        self.current += delta
