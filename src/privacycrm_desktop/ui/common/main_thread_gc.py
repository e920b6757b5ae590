"""Python's cycle collector runs on the UI thread only.

The collector runs in whichever thread happens to allocate when a threshold is crossed. If
that is a background job (an import, a backup, a report), the cycles it frees may hold Qt
widgets, which are then destroyed outside the UI thread: the process crashes some time
later, somewhere unrelated (seen here as segmentation faults inside ``QDialog.exec``). Anki
does the same as this module for the same reason: switch automatic collection off and
collect, generation by generation, from a timer on the UI thread.

At start-up (issue 23: start-up near the floor) the app switches automatic collection off
before its first import (``app.run``): the start makes about a hundred thousand objects that
live as long as the process and no cyclic garbage, and the collector's passes over them cost
some 35 ms of CPU before the first paint (one full pass alone 15 ms). Once the main window
has painted, ``start`` freezes what the start made (``gc.freeze``: later collections do not
walk it) and the timer begins.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

#: How often the UI thread looks at the collector's counts.
INTERVAL_MS = 1000


class MainThreadCollector(QObject):
    """Collect cycles from a UI-thread timer instead of automatically, once ``start`` is
    called (after the main window's first paint)."""

    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        self._thresholds = gc.get_threshold()
        gc.disable()
        self._timer = QTimer(self)
        self._timer.setInterval(INTERVAL_MS)
        self._timer.timeout.connect(self.collect_due)

    def start(self) -> None:
        """Freeze what exists (the start's long-lived objects), then collect from the timer."""
        if self._timer.isActive():
            return
        gc.freeze()
        self._timer.start()

    def is_collecting(self) -> bool:
        """Whether the timer collects (``start`` was called)."""
        return self._timer.isActive()

    def collect_due(self) -> None:
        """Collect the oldest generation whose count passed its threshold, as gc would."""
        counts = gc.get_count()
        for generation in (2, 1, 0):
            if counts[generation] > self._thresholds[generation]:
                gc.collect(generation)
                return


def install(parent: QObject) -> MainThreadCollector:
    """Move cycle collection to the UI thread for as long as *parent* lives; it begins
    at the collector's ``start``."""
    return MainThreadCollector(parent)
