"""Screenshots of the windows under test, to look at (PRIVACYCRM_SCREENSHOT_DIR).

Without the variable the windows are still built and shown, so a test still checks that
each opens; only the saving is skipped.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtWidgets import QApplication, QWidget


def save(widget: QWidget, name: str, *, settle: bool = False) -> None:
    """Save *widget* as ``<name>.png`` in PRIVACYCRM_SCREENSHOT_DIR, when it is set.

    With *settle*, pending events run first, so the layouts have followed the latest
    changes as a person would see the window."""
    if settle:
        QApplication.processEvents()
    folder = os.environ.get("PRIVACYCRM_SCREENSHOT_DIR")
    widget.repaint()
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        assert widget.grab().save(str(Path(folder) / f"{name}.png"))
