"""The idle lock's clock and watcher: after a quiet spell the window hides personal data.

The clock counts time the computer was suspended (``CLOCK_BOOTTIME`` on Linux), so
closing the laptop lid for an hour locks the window on waking even though no timer fired
meanwhile. Tests inject a controlled clock and call ``check()``: no sleeping.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Protocol

from PySide6.QtCore import QEvent, QObject, QTimer

#: How often the watcher looks at the clock; a lock is at most this late.
CHECK_INTERVAL_MS = 5_000
_ACTIVITY = frozenset(
    {
        QEvent.Type.KeyPress,
        QEvent.Type.MouseButtonPress,
        QEvent.Type.MouseMove,
        QEvent.Type.Wheel,
        QEvent.Type.TouchBegin,
    }
)


class IdleClock(Protocol):
    """Seconds from an arbitrary start, never going backwards."""

    def seconds(self) -> float:
        """The current reading."""
        ...


def _boottime() -> float:
    return time.clock_gettime(time.CLOCK_BOOTTIME)


class SuspendAwareClock:
    """``CLOCK_BOOTTIME`` (counts suspend) where the system has it, else ``monotonic``.

    Windows' ``monotonic`` (QueryPerformanceCounter) already counts sleep; macOS's does
    not, and there the lock may come late after a sleep; the check on wake still runs.
    """

    def __init__(self, source: Callable[[], float] | None = None) -> None:
        if source is None:
            source = _boottime if hasattr(time, "CLOCK_BOOTTIME") else time.monotonic
        self._source = source

    def seconds(self) -> float:
        """The current reading, in seconds."""
        return self._source()


class ManualClock:
    """A clock that moves only when told to (tests)."""

    def __init__(self) -> None:
        self.now = 0.0

    def seconds(self) -> float:
        """The clock's reading."""
        return self.now

    def advance(self, delta: dt.timedelta) -> None:
        """Let *delta* pass (awake or suspended, it is the same to this clock)."""
        self.now += delta.total_seconds()


class IdleWatcher(QObject):
    """Calls *on_idle* once when no key or mouse activity was seen for *timeout*."""

    def __init__(
        self,
        timeout: dt.timedelta,
        on_idle: Callable[[], None],
        clock: IdleClock | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._timeout = timeout.total_seconds()
        self._on_idle = on_idle
        self._clock = clock or SuspendAwareClock()
        self._last_activity = self._clock.seconds()
        self._paused = False
        self.timer = QTimer(self)
        self.timer.setInterval(CHECK_INTERVAL_MS)
        self.timer.timeout.connect(self.check)

    def set_timeout(self, timeout: dt.timedelta) -> None:
        """Use another idle time from now on."""
        self._timeout = timeout.total_seconds()

    def start(self, target: QObject) -> None:
        """Watch the input events that reach *target* (the application) and start checking."""
        target.installEventFilter(self)
        self.touch()
        self.timer.start()

    def stop(self, target: QObject) -> None:
        """Stop watching *target*."""
        target.removeEventFilter(self)
        self.timer.stop()

    def touch(self) -> None:
        """Count now as activity (and resume after an unlock)."""
        self._last_activity = self._clock.seconds()
        self._paused = False

    def idle_seconds(self) -> float:
        """How long nothing happened."""
        return self._clock.seconds() - self._last_activity

    def check(self) -> bool:
        """Lock when the idle time has run out; True when it did just now."""
        if self._paused or self.idle_seconds() < self._timeout:
            return False
        self._paused = True  # once per idle spell, until ``touch()``
        self._on_idle()
        return True

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in _ACTIVITY and not self._paused:
            self._last_activity = self._clock.seconds()
        return False
