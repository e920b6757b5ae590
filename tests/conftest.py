"""Shared fixtures: a fresh, migrated and initialised database with its services."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest

from privacycrm_desktop.persistence.database import create_engine_for
from privacycrm_desktop.persistence.migrate import migrate
from privacycrm_desktop.services.clock import FixedClock
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.services.setup import CompanyInput

OWNER = "owner"
OWNER_PASSWORD = "correct horse battery"
COMPANY = CompanyInput(
    name="Acme BV", address="Kerkstraat 1, 9000 Gent", vat_number="0403.170.701", language="en"
)


@pytest.fixture
def clock() -> FixedClock:
    """A clock standing still at a known moment."""
    return FixedClock(dt.datetime(2025, 3, 14, 10, 0))


@pytest.fixture
def database_path(tmp_path: Path) -> Path:
    """Where the test's database file lives."""
    return tmp_path / "privacycrm.db"


@pytest.fixture
def bare_services(database_path: Path, clock: FixedClock) -> Iterator[Services]:
    """Services on a migrated but not yet initialised database."""
    engine = create_engine_for(database_path)
    migrate(engine)
    yield Services.build(engine, clock)
    engine.dispose()


@pytest.fixture
def services(bare_services: Services) -> Services:
    """Services on a migrated database with the owner and company set up."""
    bare_services.setup.initialise(COMPANY, OWNER, OWNER_PASSWORD)
    return bare_services


@pytest.fixture
def owner(services: Services) -> Actor:
    """The owner, signed in."""
    return services.auth.login(OWNER, OWNER_PASSWORD)


@pytest.fixture(autouse=True)
def no_stray_threads() -> Iterator[None]:
    """Background jobs end within their test: a worker outliving it may crash the next."""
    yield
    import sys

    if "PySide6.QtCore" not in sys.modules:
        return
    from PySide6.QtCore import QThreadPool

    assert QThreadPool.globalInstance().waitForDone(10_000)
