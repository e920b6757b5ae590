"""Python's cycle collector runs on the UI thread only.

The collector runs in whichever thread happens to allocate when a threshold is crossed. If
that is a background job (an import, a backup, a report), the cycles it frees may hold Qt
widgets, which are then destroyed outside the UI thread: the process crashes some time
later, somewhere unrelated (seen here as segmentation faults inside ``QDialog.exec``). Anki
does the same as this module for the same reason: switch automatic collection off and
collect, generation by generation, from a timer on the UI thread.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

#: How often the UI thread looks at the collector's counts.
INTERVAL_MS = 1000


class MainThreadCollector(QObject):
    """Collect cycles from a UI-thread timer instead of automatically."""

    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        self._thresholds = gc.get_threshold()
        gc.disable()
        self._timer = QTimer(self)
        self._timer.setInterval(INTERVAL_MS)
        self._timer.timeout.connect(self.collect_due)
        self._timer.start()

    def collect_due(self) -> None:
        """Collect the oldest generation whose count passed its threshold, as gc would."""
        counts = gc.get_count()
        for generation in (2, 1, 0):
            if counts[generation] > self._thresholds[generation]:
                gc.collect(generation)
                return


def install(parent: QObject) -> MainThreadCollector:
    """Move cycle collection to the UI thread for as long as *parent* lives."""
    return MainThreadCollector(parent)
