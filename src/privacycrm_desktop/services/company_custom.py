"""The companies' custom fields (issue 21): which fields a company has, how much of each a
role sees, and the list's cells of them. A part of ``CompanyService``; the values are read
and written by ``services.custom_values`` with ``on=CustomTarget.COMPANY``."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from privacycrm_desktop.domain.access import FieldAccess, Permission, mask, require
from privacycrm_desktop.domain.custom_fields import (
    CustomFieldDefinition,
    CustomTarget,
    list_columns,
)
from privacycrm_desktop.domain.errors import StorageFull, StorageLocked, StorageReadOnly
from privacycrm_desktop.persistence.company_models import Company
from privacycrm_desktop.persistence.custom_field_models import CompanyCustomValue, CustomField
from privacycrm_desktop.persistence.unit_of_work import UnitOfWork
from privacycrm_desktop.services import custom_values
from privacycrm_desktop.services.access import AccessService
from privacycrm_desktop.services.audit import AUDIT_WAIT_MS, record_event
from privacycrm_desktop.services.audit_spool import event_values
from privacycrm_desktop.services.clock import Clock
from privacycrm_desktop.services.dto import Actor, CustomValueInfo


class CompanyCustomFields:
    """The custom-field side of ``CompanyService`` (it sets ``_uow``, ``_clock`` and
    ``_policy``)."""

    _uow: UnitOfWork
    _clock: Clock
    _policy: AccessService

    def _restricted(self) -> frozenset[str]:
        """The company fields whose reading is audited: the restricted custom ones."""
        return frozenset(
            d.name for d in self._policy.custom_fields(CustomTarget.COMPANY) if d.restricted
        )

    def _audit_restricted(
        self, actor: Actor, company_id: int, shown: Sequence[CustomValueInfo]
    ) -> None:
        """Record that *actor* was shown the company's restricted custom values (their
        fields' names), as a contact's restricted fields are; when the database cannot be
        written now, the event waits for the next write."""
        restricted = self._restricted()
        names = sorted(v.name for v in shown if v.name in restricted and not v.masked)
        if not names:
            return
        now = self._clock.now()
        detail = "fields=" + ",".join(names)

        def audit(session: Session, extra: str = "") -> None:
            record_event(
                session,
                actor=actor.username,
                action="company.read_restricted",
                entity="company",
                entity_id=company_id,
                at=now,
                detail=detail + extra,
            )

        try:
            with self._uow(write=True, wait_ms=AUDIT_WAIT_MS) as uow:
                audit(uow.session)
        except (StorageLocked, StorageReadOnly, StorageFull):
            event = event_values(
                actor=actor.username,
                action="company.read_restricted",
                entity="company",
                entity_id=company_id,
                at=now,
                detail=detail + ";deferred=1",
            )
            self._uow.defer(lambda session: audit(session, ";deferred=1"), event)

    def _custom_search(self, actor: Actor, query: str) -> ColumnElement[bool] | None:
        """The condition on ``Company`` finding *query* in a searchable company custom
        field the role may read in full (as a contact's); None when there is none."""
        text = " ".join(query.split()).casefold()
        if not text:
            return None
        access = self._policy.access_for(actor.role)
        keys = [
            d.key
            for d in self._policy.custom_fields(CustomTarget.COMPANY)
            if d.searchable and access.get(d.name) in (FieldAccess.READ, FieldAccess.WRITE)
        ]
        if not keys:
            return None
        escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return Company.id.in_(
            select(CompanyCustomValue.company_id)
            .join(CustomField, CustomField.id == CompanyCustomValue.field_id)
            .where(
                CustomField.key.in_(keys),
                func.lower(CompanyCustomValue.value).like(f"%{escaped}%", escape="\\"),
            )
        )

    def custom_fields(self, actor: Actor) -> tuple[CustomFieldDefinition, ...]:
        """The owner's custom fields of companies (the editor's section is built from them)."""
        require(actor.role, Permission.VIEW_CONTACTS)
        return self._policy.custom_fields(CustomTarget.COMPANY)

    def list_fields(self, actor: Actor) -> tuple[CustomFieldDefinition, ...]:
        """The company custom fields the list may show as columns for *actor*: those the
        role sees (none when it does not see companies), restricted ones left out
        (``list_columns``)."""
        access = self._policy.access_for(actor.role)
        if access.get("organisation", FieldAccess.HIDDEN) is FieldAccess.HIDDEN:
            return ()
        return list_columns(self.custom_fields(actor), access)

    def field_access(self, actor: Actor) -> dict[str, FieldAccess]:
        """How much of each field *actor* may see and change (custom ones included)."""
        return dict(self._policy.access_for(actor.role))

    def custom_cells(self, actor: Actor, company_ids: Sequence[int]) -> dict[int, dict[str, str]]:
        """Per company, its values of the custom fields the role sees (the list's columns of
        them), by catalogue name, masked where the role sees them masked."""
        access = self._policy.access_for(actor.role)
        masked = FieldAccess.MASKED
        shown = list(self.list_fields(actor))
        if not shown:
            return {}
        with self._uow() as uow:
            found = custom_values.values_of(
                uow.session, list(company_ids), shown, on=CustomTarget.COMPANY
            )
        return {
            cid: {n: mask(v) if access[n] is masked else v for n, v in values.items()}
            for cid, values in found.items()
        }
