"""Window sizes that fit the screen and are remembered between runs.

Every dialog calls :func:`size_window` at the end of its constructor: it gets the size it
had last time on this PC (UiSettings), or the size it asks for, never more than the free
area of the screen less a title bar, so a 1024 x 600 netbook shows every button. The size
is saved when the dialog hides (OK, Cancel, closing). Only the size: a dialog opens centred
on its window, wherever that is now.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QSize
from PySide6.QtWidgets import QWidget

from privacycrm_desktop.ui.common import settings as ui_settings
from privacycrm_desktop.ui.common import widgets


def title_bar_height(window: QWidget) -> int:
    """Room kept above a window for the system's title bar and frame (two text lines)."""
    return 2 * window.fontMetrics().height()


def screen_room(window: QWidget) -> QSize:
    """The largest size a window may take: the screen's free area, less a title bar."""
    available = widgets.available_geometry(window)
    return QSize(available.width(), available.height() - title_bar_height(window))


def capped(size: QSize, window: QWidget) -> QSize:
    """*size*, made no larger than the screen holds."""
    return size.boundedTo(screen_room(window))


class SizeMemory(QObject):
    """Saves its window's size under *key* each time the window hides."""

    def __init__(self, window: QWidget, key: str) -> None:
        super().__init__(window)
        self.key = key
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Hide and isinstance(watched, QWidget):
            shared = ui_settings.shared_settings()
            if shared is not None:
                shared.set_window_size(self.key, watched.size())
        return False


def size_window(window: QWidget, preferred: QSize | None = None) -> None:
    """Give *window* its remembered size, else *preferred* (else its size hint), within the
    screen; remember its size again when it hides. The key is the window's class name."""
    key = type(window).__name__
    shared = ui_settings.shared_settings()
    saved = shared.window_size(key) if shared is not None else None
    wanted = saved or preferred or window.sizeHint()
    window.resize(capped(wanted, window))
    SizeMemory(window, key)


def memory_of(window: QWidget) -> SizeMemory | None:
    """The size memory *window* was given by :func:`size_window`, if any."""
    return window.findChild(SizeMemory)
