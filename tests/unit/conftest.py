"""Fixtures for domain, persistence and service tests: a real temporary SQLite database."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from helpers.databases import OwnerSetup, set_up
from privacycrm_desktop.persistence.database import create_engine_for
from privacycrm_desktop.persistence.migrate import migrate
from privacycrm_desktop.services.clock import FixedClock
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.services.setup import CompanyInput

OWNER_PASSWORD = "correct horse battery"


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "crm.db"


@pytest.fixture
def engine(migrated_url: str) -> Iterator[Engine]:
    engine = create_engine_for(migrated_url)
    migrate(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(dt.datetime(2026, 3, 2, 10, 0, 0))


@pytest.fixture
def svc(engine: Engine, clock: FixedClock) -> Services:
    return Services.build(engine, clock)


@pytest.fixture
def owner_setup() -> OwnerSetup:
    return OwnerSetup(
        CompanyInput("Acme BV", "Kerkstraat 1, 9000 Gent", "0403.170.701", "privacy@acme.be", "nl"),
        "owner",
        OWNER_PASSWORD,
    )


@pytest.fixture
def owner(svc: Services, owner_setup: OwnerSetup, request: pytest.FixtureRequest) -> Actor:
    return set_up(request, svc, owner_setup)
