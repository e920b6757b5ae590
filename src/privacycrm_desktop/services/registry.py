"""All services of one database, built by a composition root (app.py, cli/) from its engine.

Each service is made, and its module imported, on first use: the window that opens on the
contact list needs three of them, and start-up time is a target (bench/bench_startup.py).
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from privacycrm_desktop.persistence.unit_of_work import UnitOfWork
from privacycrm_desktop.services.clock import Clock, SystemClock

if TYPE_CHECKING:
    from privacycrm_desktop.services.access import AccessService
    from privacycrm_desktop.services.access_report import AccessReportService
    from privacycrm_desktop.services.activities import ActivityService
    from privacycrm_desktop.services.activity_transfer import ActivityTransferService
    from privacycrm_desktop.services.audit import AuditService
    from privacycrm_desktop.services.auth import AuthService
    from privacycrm_desktop.services.backup import BackupService
    from privacycrm_desktop.services.change_watch import ChangeWatchService
    from privacycrm_desktop.services.cleanup import CleanupService
    from privacycrm_desktop.services.companies import CompanyService
    from privacycrm_desktop.services.company_merges import CompanyMergeService
    from privacycrm_desktop.services.consent import ConsentService
    from privacycrm_desktop.services.contacts import ContactService
    from privacycrm_desktop.services.custom_fields import CustomFieldService
    from privacycrm_desktop.services.demo import DemoService
    from privacycrm_desktop.services.disclosures import DisclosureService
    from privacycrm_desktop.services.duplicates import DuplicateService
    from privacycrm_desktop.services.erasure import ErasureService
    from privacycrm_desktop.services.exports import ExportService
    from privacycrm_desktop.services.imports import ImportService
    from privacycrm_desktop.services.letters import LetterService
    from privacycrm_desktop.services.marketing import MarketingService
    from privacycrm_desktop.services.merges import MergeService
    from privacycrm_desktop.services.my_day import MyDayService
    from privacycrm_desktop.services.post import PostService
    from privacycrm_desktop.services.quality import QualityService
    from privacycrm_desktop.services.reports import ReportService
    from privacycrm_desktop.services.request_actions import RequestActionService
    from privacycrm_desktop.services.requests import RequestService
    from privacycrm_desktop.services.retention import RetentionService
    from privacycrm_desktop.services.setup import SetupService
    from privacycrm_desktop.services.statements import StatementService
    from privacycrm_desktop.services.storage import StorageService
    from privacycrm_desktop.services.tags import TagService
    from privacycrm_desktop.services.tasks import TaskService


class Services:
    """The use cases the UI and CLI call, sharing one unit-of-work factory and one clock."""

    def __init__(self, engine: Engine, clock: Clock | None = None, *, anchors: bool = True) -> None:
        self.clock = clock or SystemClock()
        self.uow = UnitOfWork(engine)
        if engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:"):
            # No report, export or list saved by the app or the CLI may replace the database.
            from privacycrm_desktop.services.private_files import protect

            protect(str(engine.url.database))
        if anchors:
            # Every committed audit event is noted in this computer's anchor file.
            from privacycrm_desktop.services.audit_anchors import AnchorFile

            anchor_file = AnchorFile.for_engine(engine)
            if anchor_file is not None:
                self.uow.audit_committed = anchor_file.record

    @classmethod
    def build(cls, engine: Engine, clock: Clock | None = None, *, anchors: bool = True) -> Services:
        """Wire every service to one unit-of-work factory and one clock; at every start,
        remove what a killed backup or restore left behind (services/backup/service.py). *anchors*
        False keeps a throw-away database (the self-test's) out of the anchor files."""
        services = cls(engine, clock, anchors=anchors)
        # Not through services.backup: that package is not needed before the first paint.
        from privacycrm_desktop.services.backup_leftovers import clean_leftovers

        clean_leftovers(engine)
        return services

    @cached_property
    def access(self) -> AccessService:
        """One field-matrix cache, shared, so the owner's change reaches every output."""
        from privacycrm_desktop.services.access import AccessService

        return AccessService(self.uow, self.clock)

    @cached_property
    def setup(self) -> SetupService:
        from privacycrm_desktop.services.setup import SetupService

        return SetupService(self.uow, self.clock)

    @cached_property
    def auth(self) -> AuthService:
        from privacycrm_desktop.services.auth import AuthService

        return AuthService(self.uow, self.clock)

    @cached_property
    def contacts(self) -> ContactService:
        from privacycrm_desktop.services.contacts import ContactService

        return ContactService(self.uow, self.clock, self.access)

    @cached_property
    def companies(self) -> CompanyService:
        """Companies and the people linked to them."""
        from privacycrm_desktop.services.companies import CompanyService

        return CompanyService(self.uow, self.clock, self.access)

    @cached_property
    def custom_fields(self) -> CustomFieldService:
        """The owner's custom fields (their catalogue entries live in ``access``)."""
        from privacycrm_desktop.services.custom_fields import CustomFieldService

        return CustomFieldService(self.uow, self.clock, self.access)

    @cached_property
    def demo(self) -> DemoService:
        from privacycrm_desktop.services.demo import DemoService

        return DemoService(self.uow, self.clock)

    @cached_property
    def audit(self) -> AuditService:
        from privacycrm_desktop.services.audit import AuditService

        return AuditService(self.uow, self.clock, backup_folders=self._backup_folders)

    def _backup_folders(self) -> list[Path]:
        """Where the audit check finds backup manifests (the backup settings)."""
        from privacycrm_desktop.services.backup import backup_folders

        return backup_folders(self.uow)

    @cached_property
    def consent(self) -> ConsentService:
        from privacycrm_desktop.services.consent import ConsentService

        return ConsentService(self.uow, self.clock, self.access)

    @cached_property
    def activities(self) -> ActivityService:
        from privacycrm_desktop.services.activities import ActivityService

        return ActivityService(self.uow, self.clock, self.access)

    @cached_property
    def activity_transfer(self) -> ActivityTransferService:
        from privacycrm_desktop.services.activity_transfer import ActivityTransferService

        return ActivityTransferService(self.uow, self.clock, self.access)

    @cached_property
    def tags(self) -> TagService:
        from privacycrm_desktop.services.tags import TagService

        return TagService(self.uow, self.clock, self.access)

    @cached_property
    def tasks(self) -> TaskService:
        """Tasks and follow-ups."""
        from privacycrm_desktop.services.tasks import TaskService

        return TaskService(self.uow, self.clock, self.access)

    @cached_property
    def my_day(self) -> MyDayService:
        """Overdue, today and this week for the signed-in user."""
        from privacycrm_desktop.services.my_day import MyDayService

        return MyDayService(self.uow, self.clock, self.access)

    @cached_property
    def statements(self) -> StatementService:
        from privacycrm_desktop.services.statements import StatementService

        return StatementService(self.uow, self.clock)

    @cached_property
    def marketing(self) -> MarketingService:
        from privacycrm_desktop.services.marketing import MarketingService

        return MarketingService(self.uow, self.clock, self.access)

    @cached_property
    def disclosures(self) -> DisclosureService:
        from privacycrm_desktop.services.disclosures import DisclosureService

        return DisclosureService(self.uow, self.clock, self.access)

    @cached_property
    def reports(self) -> ReportService:
        from privacycrm_desktop.services.reports import ReportService

        return ReportService(self.uow, self.clock, self.access)

    @cached_property
    def requests(self) -> RequestService:
        from privacycrm_desktop.services.requests import RequestService

        return RequestService(self.uow, self.clock)

    @cached_property
    def access_reports(self) -> AccessReportService:
        from privacycrm_desktop.services.access_report import AccessReportService

        return AccessReportService(
            self.uow, self.clock, self.contacts, self.consent, self.disclosures
        )

    @cached_property
    def letters(self) -> LetterService:
        from privacycrm_desktop.services.letters import LetterService

        return LetterService(
            self.uow,
            self.clock,
            self.requests,
            self.contacts,
            self.disclosures,
            self.access_reports,
        )

    @cached_property
    def request_actions(self) -> RequestActionService:
        from privacycrm_desktop.services.request_actions import RequestActionService

        return RequestActionService(
            self.requests, self.consent, self.erasure, self.disclosures, self.contacts
        )

    @cached_property
    def retention(self) -> RetentionService:
        from privacycrm_desktop.services.retention import RetentionService

        return RetentionService(self.uow, self.clock)

    @cached_property
    def erasure(self) -> ErasureService:
        from privacycrm_desktop.services.erasure import ErasureService

        return ErasureService(self.uow, self.clock)

    @cached_property
    def merges(self) -> MergeService:
        """Merging duplicate contacts and undoing a merge."""
        from privacycrm_desktop.services.merges import MergeService

        return MergeService(self.uow, self.clock)

    @cached_property
    def company_merges(self) -> CompanyMergeService:
        """Finding, merging and unmerging duplicate companies."""
        from privacycrm_desktop.services.company_merges import CompanyMergeService

        return CompanyMergeService(self.uow, self.clock)

    @cached_property
    def duplicates(self) -> DuplicateService:
        """The duplicate finder over the whole database."""
        from privacycrm_desktop.services.duplicates import DuplicateService

        return DuplicateService(self.uow, self.clock)

    @cached_property
    def cleanup(self) -> CleanupService:
        from privacycrm_desktop.services.cleanup import CleanupService

        return CleanupService(self.uow, self.clock)

    @cached_property
    def quality(self) -> QualityService:
        from privacycrm_desktop.services.quality import QualityService

        return QualityService(self.uow, self.clock)

    @cached_property
    def exports(self) -> ExportService:
        from privacycrm_desktop.services.exports import ExportService

        return ExportService(self.uow, self.clock, self.access, self.disclosures)

    @cached_property
    def post(self) -> PostService:
        """Address labels and mail-merge letters for the post."""
        from privacycrm_desktop.services.post import PostService

        return PostService(self.uow, self.clock, self.access)

    @cached_property
    def imports(self) -> ImportService:
        from privacycrm_desktop.services.imports import ImportService

        return ImportService(self.uow, self.clock, self.access)

    @cached_property
    def backup(self) -> BackupService:
        from privacycrm_desktop.services.backup import BackupService

        return BackupService(self.uow, self.clock)

    @cached_property
    def storage(self) -> StorageService:
        """Write probe, free space and the scheduled integrity check."""
        from privacycrm_desktop.services.storage import StorageService

        return StorageService(self.uow, self.clock)

    @cached_property
    def change_watch(self) -> ChangeWatchService:
        """Changes made on other desks: the list follows them."""
        from privacycrm_desktop.services.change_watch import ChangeWatchService

        return ChangeWatchService(self.uow)
