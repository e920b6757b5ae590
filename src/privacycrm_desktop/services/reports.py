"""PDF reports of the accountability file: the register of processing and the short notice.

Gathers plain values (controller, purposes, fields, roles, recipients, statement) and
hands them to ``privacycrm_desktop.reports``; returns the PDF bytes.
"""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select

from privacycrm_desktop.domain.access import (
    ROLE_LABELS,
    ROLE_PERMISSIONS,
    FieldAccess,
    Permission,
    Role,
    require,
)
from privacycrm_desktop.domain.errors import FieldProblem, ValidationFailed
from privacycrm_desktop.domain.fields import FIELD_CATALOGUE, Sensitivity
from privacycrm_desktop.domain.purposes import (
    DATA_CATEGORY_LABELS,
    LEGAL_BASIS_LABELS,
    retention_text,
)
from privacycrm_desktop.domain.text import N_
from privacycrm_desktop.persistence.models import Recipient, Setting, User
from privacycrm_desktop.persistence.unit_of_work import UnitOfWork
from privacycrm_desktop.services.access import AccessService
from privacycrm_desktop.services.audit import record_event
from privacycrm_desktop.services.backup import backup_max_age_days
from privacycrm_desktop.services.clock import Clock
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.setup import SetupService
from privacycrm_desktop.services.statements import STATEMENT_LANGUAGES, StatementService

SENSITIVITY_LABELS = {
    Sensitivity.NORMAL: N_("Normal"),
    Sensitivity.RESTRICTED: N_("Restricted"),
    Sensitivity.SPECIAL_CATEGORY: N_("Special category"),
}
#: Permission values (strings, so a permission added later falls back to its own name).
PERMISSION_LABELS = {
    "contacts.view": N_("view contacts"),
    "contacts.create": N_("add contacts"),
    "contacts.edit": N_("edit contacts"),
    "contacts.merge": N_("merge duplicate contacts"),
    "users.manage": N_("manage users"),
    "audit.view": N_("read the audit trail"),
    "export": N_("export"),
    "report.access": N_("access reports"),
    "erase": N_("erase"),
    "requests.manage": N_("handle requests"),
    "consent.record": N_("record consent"),
    "marketing.lists": N_("marketing lists"),
    "settings.edit": N_("edit settings"),
    "import": N_("import"),
    "backup": N_("backups"),
    "backup.restore": N_("restore a backup"),
    "cleanup": N_("annual cleanup"),
    "fields.matrix": N_("set field access"),
}


class ReportService:
    """Makes the PDFs of the accountability file."""

    def __init__(self, uow: UnitOfWork, clock: Clock, access: AccessService | None = None) -> None:
        self._uow = uow
        self._clock = clock
        self._policy = access or AccessService(uow, clock)
        self._statements = StatementService(uow, clock)
        self._setup = SetupService(uow, clock)

    def _authority(self, language: str) -> str:
        with self._uow() as uow:
            row = uow.session.get(Setting, f"authority.{language}")
            return row.value if row is not None else ""

    def processing_register(self, actor: Actor, language: str) -> bytes:
        """The register of processing activities as a PDF in *language*."""
        from privacycrm_desktop.reports import processing_register as report

        require(actor.role, Permission.EDIT_SETTINGS)
        _check_language(language)
        company = self._setup.company()
        purposes = self._statements.purposes(actor)
        names = {p.code: p.name for p in purposes}
        with self._uow() as uow:
            session = uow.session
            users = Counter(session.scalars(select(User.role).where(User.active.is_(True))).all())
            backup_days = backup_max_age_days(session)
            recipients = [
                report.RegisterRecipient(r.name, r.kind, r.country)
                for r in session.scalars(select(Recipient).order_by(Recipient.name))
            ]
        roles = []
        for role in Role:
            access = self._policy.access_for(role)
            roles.append(
                report.RegisterRole(
                    label=ROLE_LABELS[role],
                    users=users.get(role.value, 0),
                    hidden_fields=tuple(
                        spec.label
                        for spec in FIELD_CATALOGUE
                        if access[spec.name] is FieldAccess.HIDDEN
                    ),
                    permissions=tuple(
                        PERMISSION_LABELS.get(p.value, p.value)
                        for p in Permission
                        if p in ROLE_PERMISSIONS.get(role, frozenset())
                    ),
                )
            )
        register_purposes = []
        for p in purposes:
            message, params = retention_text(p.retention_trigger, p.retention_months)
            register_purposes.append(
                report.RegisterPurpose(
                    name=p.name,
                    description=p.description,
                    legal_basis=LEGAL_BASIS_LABELS[p.legal_basis],
                    retention=message,
                    retention_params=params,
                    data_categories=tuple(
                        DATA_CATEGORY_LABELS.get(c, c) for c in p.data_categories
                    ),
                    recipients=p.recipients,
                    marketing=p.is_marketing,
                )
            )
        data = report.RegisterData(
            controller=company.name,
            address=company.address,
            vat_number=company.vat_number,
            privacy_email=company.privacy_email,
            authority=self._authority(language),
            purposes=tuple(register_purposes),
            fields=tuple(
                report.RegisterField(
                    spec.label,
                    SENSITIVITY_LABELS[spec.sensitivity],
                    tuple(names[c] for c in spec.purposes if c in names),
                )
                for spec in FIELD_CATALOGUE
            ),
            roles=tuple(roles),
            recipients=tuple(recipients),
            generated_on=self._clock.today(),
            backup_max_age_days=backup_days,
        )
        pdf = report.render(data, language)
        self._log(actor, "report.processing_register", language)
        return pdf

    def short_notice(self, actor: Actor, language: str) -> bytes:
        """The printable short privacy notice in *language* (the current statement)."""
        from privacycrm_desktop.reports import short_notice as report

        require(actor.role, Permission.VIEW_CONTACTS)
        _check_language(language)
        company = self._setup.company()
        statement = self._statements.current(language)
        data = report.NoticeData(
            statement=statement.text,
            version=statement.version,
            controller=company.name,
            address=company.address,
            privacy_email=company.privacy_email,
            authority=self._authority(language),
        )
        pdf = report.render(data, language)
        self._log(actor, "report.short_notice", language)
        return pdf

    def _log(self, actor: Actor, action: str, language: str) -> None:
        """Every report made is on record, with its language, never its content."""
        with self._uow(write=True) as uow:
            record_event(
                uow.session,
                actor=actor.username,
                action=action,
                entity="report",
                entity_id="-",
                at=self._clock.now(),
                detail=f"language={language}",
            )


def _check_language(language: str) -> None:
    if language not in STATEMENT_LANGUAGES:
        raise ValidationFailed([FieldProblem("language", N_("Choose Dutch, French or English."))])
