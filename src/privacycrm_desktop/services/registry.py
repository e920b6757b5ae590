"""All services of one database, built by a composition root (app.py, cli.py) from its engine."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from privacycrm_desktop.persistence.unit_of_work import UnitOfWork
from privacycrm_desktop.services.audit import AuditService
from privacycrm_desktop.services.auth import AuthService
from privacycrm_desktop.services.clock import Clock, SystemClock
from privacycrm_desktop.services.contacts import ContactService
from privacycrm_desktop.services.demo import DemoService
from privacycrm_desktop.services.setup import SetupService


@dataclass(frozen=True)
class Services:
    """The use cases the UI and CLI call."""

    setup: SetupService
    auth: AuthService
    contacts: ContactService
    demo: DemoService
    audit: AuditService

    @classmethod
    def build(cls, engine: Engine, clock: Clock | None = None) -> Services:
        """Wire every service to one unit-of-work factory and one clock."""
        clock = clock or SystemClock()
        uow = UnitOfWork(engine)
        return cls(
            setup=SetupService(uow, clock),
            auth=AuthService(uow, clock),
            contacts=ContactService(uow, clock),
            demo=DemoService(uow, clock),
            audit=AuditService(uow),
        )
