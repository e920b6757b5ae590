"""UI test fixtures: every test starts and ends in English; cycles collected on this thread."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from privacycrm_desktop import i18n


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    """Reset the interface language around each test (the wizard and login change it)."""
    from privacycrm_desktop.ui.common.qt_i18n import apply_language

    i18n.set_language("en")
    yield
    apply_language("en")


@pytest.fixture(autouse=True)
def collect_on_the_ui_thread() -> Iterator[None]:
    """As the app does (ui/common/main_thread_gc.py): no automatic collection while the test runs,
    so no worker thread ever destroys a Qt object; the test's cycles are collected here, on
    the UI thread, once its workers have ended.

    What survives is frozen (``gc.freeze``): later collections walk only what later tests
    make. Without that, every collection walked all a test worker had ever kept (caches,
    module fixtures), and teardowns grew to 3.5 s late in a full run."""
    from PySide6.QtCore import QThreadPool

    gc.disable()
    try:
        yield
        QThreadPool.globalInstance().waitForDone(10_000)
        gc.collect()
        gc.freeze()
    finally:
        gc.enable()
