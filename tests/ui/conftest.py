"""UI test fixtures: every test starts and ends in English; cycles collected on this thread."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from privacycrm_desktop import i18n


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    """Reset the interface language around each test (the wizard and login change it)."""
    from privacycrm_desktop.ui.qt_i18n import apply_language

    i18n.set_language("en")
    yield
    apply_language("en")


@pytest.fixture(autouse=True, scope="session")
def collect_on_the_ui_thread() -> Iterator[None]:
    """As the app does (ui/main_thread_gc.py): no automatic collection in worker threads."""
    gc.disable()
    yield
    gc.enable()


@pytest.fixture(autouse=True)
def collect_after_each_test() -> Iterator[None]:
    """Collect the test's cycles here, on the UI thread, once its workers have ended."""
    yield
    gc.collect()
