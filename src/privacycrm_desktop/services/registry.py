"""All services of one database, built by a composition root (app.py, cli.py) from its engine."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from privacycrm_desktop.persistence.unit_of_work import UnitOfWork
from privacycrm_desktop.services.access import AccessService
from privacycrm_desktop.services.access_report import AccessReportService
from privacycrm_desktop.services.audit import AuditService
from privacycrm_desktop.services.auth import AuthService
from privacycrm_desktop.services.cleanup import CleanupService
from privacycrm_desktop.services.clock import Clock, SystemClock
from privacycrm_desktop.services.consent import ConsentService
from privacycrm_desktop.services.contacts import ContactService
from privacycrm_desktop.services.demo import DemoService
from privacycrm_desktop.services.disclosures import DisclosureService
from privacycrm_desktop.services.erasure import ErasureService
from privacycrm_desktop.services.letters import LetterService
from privacycrm_desktop.services.marketing import MarketingService
from privacycrm_desktop.services.quality import QualityService
from privacycrm_desktop.services.reports import ReportService
from privacycrm_desktop.services.request_actions import RequestActionService
from privacycrm_desktop.services.requests import RequestService
from privacycrm_desktop.services.retention import RetentionService
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
    requests: RequestService
    access_reports: AccessReportService
    letters: LetterService
    request_actions: RequestActionService
    retention: RetentionService
    erasure: ErasureService
    cleanup: CleanupService
    quality: QualityService

    @classmethod
    def build(cls, engine: Engine, clock: Clock | None = None) -> Services:
        """Wire every service to one unit-of-work factory and one clock."""
        clock = clock or SystemClock()
        uow = UnitOfWork(engine)
        # One matrix cache, shared, so the owner's change reaches the contact service.
        access = AccessService(uow, clock)
        contacts = ContactService(uow, clock, access)
        consent = ConsentService(uow, clock)
        disclosures = DisclosureService(uow, clock, access)
        requests = RequestService(uow, clock)
        access_reports = AccessReportService(uow, clock, contacts, consent, disclosures)
        erasure = ErasureService(uow, clock)
        return cls(
            setup=SetupService(uow, clock),
            auth=AuthService(uow, clock),
            contacts=contacts,
            demo=DemoService(uow, clock),
            audit=AuditService(uow, clock),
            access=access,
            consent=consent,
            statements=StatementService(uow, clock),
            marketing=MarketingService(uow, clock, access),
            disclosures=disclosures,
            reports=ReportService(uow, clock, access),
            requests=requests,
            access_reports=access_reports,
            letters=LetterService(uow, clock, requests, contacts, disclosures, access_reports),
            request_actions=RequestActionService(requests, consent, erasure, disclosures, contacts),
            retention=RetentionService(uow, clock),
            erasure=erasure,
            cleanup=CleanupService(uow, clock),
            quality=QualityService(uow, clock),
        )
