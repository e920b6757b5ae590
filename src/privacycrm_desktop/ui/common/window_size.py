"""Window sizes that fit the screen and are remembered between runs.

Every dialog calls :func:`size_window` at the end of its constructor: its default button is
made the one Enter presses (``keep_default_button``), and it gets the size it
had last time on this PC (UiSettings), or the size it asks for, never more than the free
area of the screen less a title bar, so a 1024 x 600 netbook shows every button. The size
is saved when the dialog hides (OK, Cancel, closing). Only the size: a dialog opens centred
on its window, wherever that is now.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QSize, Qt
from PySide6.QtWidgets import QComboBox, QFrame, QPushButton, QScrollArea, QWidget, QWizard

from privacycrm_desktop.i18n import current_language
from privacycrm_desktop.ui.common import settings as ui_settings
from privacycrm_desktop.ui.common import widgets


def title_bar_height(window: QWidget) -> int:
    """Room kept above a window for the system's title bar and frame (two text lines)."""
    return 2 * window.fontMetrics().height()


def frame_room(window: QWidget) -> QSize:
    """Room kept around a window for the frame the system draws: the title bar above, and a
    border of a quarter line at each side (a window as wide as a 1024-pixel screen had its
    borders beyond the screen's edges under a window manager)."""
    return QSize(2 * (window.fontMetrics().height() // 4), title_bar_height(window))


def screen_room(window: QWidget) -> QSize:
    """The largest size a window may take: the screen's free area, less its frame.

    A dialog not yet shown has no place of its own: the screen is its parent window's."""
    parent = window.parentWidget()
    available = widgets.available_geometry(parent.window() if parent is not None else window)
    return available.size() - frame_room(window)


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


def size_key(window: QWidget) -> str:
    """The name *window*'s size is remembered under: its class, and the language, as the
    texts' lengths are the language's (a dialog made narrow in English cut its French
    labels)."""
    return f"{type(window).__name__}.{current_language()}"


def size_window(window: QWidget, preferred: QSize | None = None) -> None:
    """Give *window* its remembered size, else *preferred* (else its size hint), within the
    screen; remember its size again when it hides (``size_key``)."""
    key = size_key(window)
    shared = ui_settings.shared_settings()
    saved = shared.window_size(key) if shared is not None else None
    wanted = saved or preferred or window.sizeHint()
    window.resize(capped(wanted, window))
    SizeMemory(window, key)
    keep_default_button(window)


def keep_default_button(window: QWidget) -> None:
    """Make the button *window* flagged as its default the one Enter presses.

    A button made the default before it was in its dialog (``setDefault(True)``, then
    added to a button box) is only flagged: showing, the dialog made the first button of
    its focus chain the default instead, so Enter in "Export contacts" opened the file
    browser rather than exporting. Flagged again now that it is in the dialog, it is the
    dialog's default (Qt ignores setting the flag it already has, hence off, then on). A
    wizard chooses its own default, page by page."""
    if isinstance(window, QWizard):
        return
    for button in window.findChildren(QPushButton):
        if button.isDefault():
            button.setDefault(False)
            button.setDefault(True)


def memory_of(window: QWidget) -> SizeMemory | None:
    """The size memory *window* was given by :func:`size_window`, if any."""
    return window.findChild(SizeMemory)


def let_combos_shrink(root: QWidget, chars: int = 18) -> None:
    """Let every drop-down list in *root* be narrower than its longest entry (down to
    *chars* characters; the open list still shows each entry whole), so a long purpose or
    method does not widen the window past the screen."""
    for combo in root.findChildren(QComboBox):
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        combo.setMinimumContentsLength(chars)


def scrolling(content: QWidget) -> QScrollArea:
    """*content* in a frameless area that scrolls up and down when the screen is too low
    for it (never sideways: it is as wide as *content* needs)."""
    area = QScrollArea()
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setWidgetResizable(True)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    area.setWidget(content)
    bar = area.verticalScrollBar().sizeHint().width()
    area.setMinimumWidth(content.minimumSizeHint().width() + bar)
    return area
