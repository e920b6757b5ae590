"""The companies' custom fields (issue 21): which fields a company has, how much of each a
role sees, and the list's cells of them. A part of ``CompanyService``; the values are read
and written by ``services.custom_values`` with ``on=CustomTarget.COMPANY``."""

from __future__ import annotations

from collections.abc import Sequence

from privacycrm_desktop.domain.access import FieldAccess, Permission, mask, require
from privacycrm_desktop.domain.custom_fields import CustomFieldDefinition, CustomTarget
from privacycrm_desktop.persistence.unit_of_work import UnitOfWork
from privacycrm_desktop.services import custom_values
from privacycrm_desktop.services.access import AccessService
from privacycrm_desktop.services.dto import Actor


class CompanyCustomFields:
    """The custom-field side of ``CompanyService`` (it sets ``_uow`` and ``_policy``)."""

    _uow: UnitOfWork
    _policy: AccessService

    def custom_fields(self, actor: Actor) -> tuple[CustomFieldDefinition, ...]:
        """The owner's custom fields of companies (the editor's section is built from them)."""
        require(actor.role, Permission.VIEW_CONTACTS)
        return self._policy.custom_fields(CustomTarget.COMPANY)

    def field_access(self, actor: Actor) -> dict[str, FieldAccess]:
        """How much of each field *actor* may see and change (custom ones included)."""
        return dict(self._policy.access_for(actor.role))

    def custom_cells(self, actor: Actor, company_ids: Sequence[int]) -> dict[int, dict[str, str]]:
        """Per company, its values of the custom fields the role sees (the list's columns of
        them), by catalogue name, masked where the role sees them masked."""
        require(actor.role, Permission.VIEW_CONTACTS)
        access = self._policy.access_for(actor.role)
        hidden, masked = FieldAccess.HIDDEN, FieldAccess.MASKED
        if access.get("organisation", hidden) is hidden:
            return {}
        shown = [d for d in self.custom_fields(actor) if access.get(d.name, hidden) is not hidden]
        with self._uow() as uow:
            found = custom_values.values_of(
                uow.session, list(company_ids), shown, on=CustomTarget.COMPANY
            )
        return {
            cid: {n: mask(v) if access[n] is masked else v for n, v in values.items()}
            for cid, values in found.items()
        }
