"""Qt calls that crash this PySide6 version, kept out of ui/ by reading its code.

``QWidget.screen()`` ties the QScreen it returns to the widget's Python wrapper; when the
cycle collector frees the wrapper, the QScreen is deleted and Qt crashes later on (seen
as segmentation faults in the UI tests). ``ui.common.widgets.available_geometry`` is the way.
"""

from __future__ import annotations

import ast
from pathlib import Path

import privacycrm_desktop

UI = Path(privacycrm_desktop.__file__).parent / "ui"


def widget_screen_calls(source: str) -> list[int]:
    """Lines calling ``<something>.screen()`` with no argument."""
    return [
        node.lineno
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "screen"
        and not node.args
    ]


def test_the_scan_finds_a_widget_screen_call() -> None:
    assert widget_screen_calls("geometry = self.screen().availableGeometry()\n") == [1]
    assert widget_screen_calls("screen = QGuiApplication.primaryScreen()\n") == []


def test_no_widget_asks_for_its_screen() -> None:
    found = {
        path.relative_to(UI).as_posix(): lines
        for path in sorted(UI.rglob("*.py"))
        if (lines := widget_screen_calls(path.read_text(encoding="utf-8")))
    }
    assert not found, f"use ui.common.widgets.available_geometry instead: {found}"
