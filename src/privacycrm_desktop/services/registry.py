"""All services of one database, built by a composition root (app.py, cli.py) from its engine."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from privacycrm_desktop.persistence.unit_of_work import UnitOfWork
from privacycrm_desktop.services.access import AccessService
from privacycrm_desktop.services.audit import AuditService
from privacycrm_desktop.services.auth import AuthService
from privacycrm_desktop.services.clock import Clock, SystemClock
from privacycrm_desktop.services.consent import ConsentService
from privacycrm_desktop.services.contacts import ContactService
from privacycrm_desktop.services.demo import DemoService
from privacycrm_desktop.services.disclosures import DisclosureService
from privacycrm_desktop.services.marketing import MarketingService
from privacycrm_desktop.services.reports import ReportService
from privacycrm_desktop.services.setup import SetupService
from privacycrm_desktop.services.statements import StatementService


@dataclass(frozen=True)
class Services:
    """The use cases the UI and CLI call."""

    setup: SetupService
    auth: AuthService
    contacts: ContactService
    demo: DemoService
    audit: AuditService
    consent: ConsentService
    statements: StatementService
    marketing: MarketingService
    disclosures: DisclosureService
    reports: ReportService
    access: AccessService

    @classmethod
    def build(cls, engine: Engine, clock: Clock | None = None) -> Services:
        """Wire every service to one unit-of-work factory and one clock."""
        clock = clock or SystemClock()
        uow = UnitOfWork(engine)
        # One matrix cache, shared, so the owner's change reaches the contact service.
        access = AccessService(uow, clock)
        return cls(
            setup=SetupService(uow, clock),
            auth=AuthService(uow, clock),
            contacts=ContactService(uow, clock, access),
            demo=DemoService(uow, clock),
            audit=AuditService(uow, clock),
            access=access,
            consent=ConsentService(uow, clock),
            statements=StatementService(uow, clock),
            marketing=MarketingService(uow, clock, access),
            disclosures=DisclosureService(uow, clock, access),
            reports=ReportService(uow, clock, access),
        )
