"""UI test fixtures: every test starts and ends in English."""

from __future__ import annotations

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
