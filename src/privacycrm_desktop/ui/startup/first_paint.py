"""The main window's first paint: who is told of it (the start-up benchmark, the self-test),
and the start-up work that waits for it (issue 23: start-up near the floor).

The expiry counts, a pending scrub, pressing requests and task reminders are not needed to
paint the list: they run right after its first paint, from the event loop, and in a window
that has not painted within ``AFTER_PAINT_AT_THE_LATEST_MS`` (never shown, covered) then.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from PySide6.QtCore import QTimer

#: A window that has not painted by then runs its start-up work all the same.
AFTER_PAINT_AT_THE_LATEST_MS = 1000


class Painter(Protocol):
    """A widget that calls its ``first_paint_callback`` once, at its first paint."""

    first_paint_callback: Callable[[], None] | None


class FirstPaintMixin:
    """``on_first_paint`` and ``after_first_paint`` for the main window; it calls
    ``watch_first_paint`` with the widgets of which the first to paint counts."""

    _first_paint_listeners: list[Callable[[], None]]
    _after_paint: list[Callable[[], object]] | None
    _painters: tuple[Painter, ...] = ()

    def start_first_paint_watch(self) -> None:
        """Before anything asks: no listener, no job yet."""
        self._first_paint_listeners = []
        self._after_paint = []

    def watch_first_paint(self, *painters: Painter) -> None:
        """Whichever of *painters* paints first is the first paint."""
        self._painters = painters
        for painter in painters:
            painter.first_paint_callback = self._first_painted
        QTimer.singleShot(AFTER_PAINT_AT_THE_LATEST_MS, self._run_after_paint)

    def on_first_paint(self, listener: Callable[[], None]) -> None:
        """Call *listener* at the first paint (the start-up benchmark, the self-test)."""
        self._first_paint_listeners.append(listener)

    def after_first_paint(self, job: Callable[[], object]) -> None:
        """Run *job* right after the first paint (at once when that is past): start-up
        work the first paint does not need."""
        if self._after_paint is None:
            job()
        else:
            self._after_paint.append(job)

    def _first_painted(self) -> None:
        for painter in self._painters:
            painter.first_paint_callback = None
        listeners, self._first_paint_listeners = self._first_paint_listeners, []
        for listener in listeners:
            listener()
        # After the paint has reached the screen: from the event loop, not inside paintEvent.
        QTimer.singleShot(0, self._run_after_paint)

    def _run_after_paint(self) -> None:
        jobs, self._after_paint = self._after_paint, None
        for job in jobs or ():
            job()
