"""People at companies: linking a person to a company, moving, ending a link (issue 21).

A part of ``CompanyService``, kept apart for its size. A person's link (company, function,
department, dates) is the person's data, under the matrix row ``company_links``: the role
must write that row and may edit contacts. Every link has a source; every action is
audited with the company and the link by id only, never a personal value.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from privacycrm_desktop.domain.access import ROLE_PERMISSIONS, FieldAccess, Permission, require
from privacycrm_desktop.domain.companies import LinkInput, validate_link
from privacycrm_desktop.domain.errors import (
    FieldProblem,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from privacycrm_desktop.domain.provenance import SourceInput, validate_source
from privacycrm_desktop.domain.text import N_
from privacycrm_desktop.persistence.company_models import Company, CompanyLink
from privacycrm_desktop.persistence.models import Contact
from privacycrm_desktop.persistence.unit_of_work import UnitOfWork
from privacycrm_desktop.services.access import AccessService
from privacycrm_desktop.services.audit import record_event
from privacycrm_desktop.services.clock import Clock
from privacycrm_desktop.services.company_links import LINKS_FIELD, read_links
from privacycrm_desktop.services.company_writes import add_source
from privacycrm_desktop.services.contact_details import SourceCache
from privacycrm_desktop.services.dto import Actor, CompanyLinkInfo


class CompanyPeople:
    """The people side of ``CompanyService`` (it sets ``_uow``, ``_clock`` and
    ``_policy``)."""

    _uow: UnitOfWork
    _clock: Clock
    _policy: AccessService

    def may_link(self, actor: Actor) -> bool:
        """True when *actor* may link people to companies and end their links."""
        return (
            Permission.EDIT_CONTACTS in ROLE_PERMISSIONS.get(actor.role, frozenset())
            and self._policy.access_for(actor.role).get(LINKS_FIELD) is FieldAccess.WRITE
        )

    def _require_link(self, actor: Actor) -> None:
        require(actor.role, Permission.EDIT_CONTACTS)
        if self._policy.access_for(actor.role).get(LINKS_FIELD) is not FieldAccess.WRITE:
            raise PermissionDenied(N_("Your role may not link people to companies."))

    # -- people -----------------------------------------------------------------------

    def links_of(self, actor: Actor, contact_id: int) -> tuple[CompanyLinkInfo, ...]:
        """The person's companies, current links first, then the past ones."""
        require(actor.role, Permission.VIEW_CONTACTS)
        with self._uow() as uow:
            if uow.session.get(Contact, contact_id) is None:
                raise NotFound
            return read_links(
                uow.session,
                self._policy.access_for(actor.role),
                contact_id,
                SourceCache(uow.session),
            )

    def link(
        self,
        actor: Actor,
        contact_id: int,
        company_id: int,
        data: LinkInput,
        source: SourceInput | None,
    ) -> int:
        """Link a person to a company with a function and department; returns the link's id.

        Raises:
            PermissionDenied: the role may not write the person's company links.
            NotFound: no such contact or company.
            ValidationFailed: the person is linked to that company already (now).
        """
        self._require_link(actor)
        today, now = self._clock.today(), self._clock.now()
        checked = validate_link(data, today)
        checked_source = validate_source(source, today)
        with self._uow(write=True) as uow:
            session = uow.session
            source_row = add_source(session, actor, checked_source, now)
            return self._add_link(
                session, actor, contact_id, company_id, checked, source_row.id, "company.link"
            )

    def move(
        self,
        actor: Actor,
        contact_id: int,
        company_id: int,
        data: LinkInput,
        source: SourceInput | None,
    ) -> int:
        """The person moved to *company_id*: every current link ends the day before the new
        one starts (kept, with that end date), and the new link is made. Returns its id."""
        self._require_link(actor)
        today, now = self._clock.today(), self._clock.now()
        checked = validate_link(data, today)
        checked_source = validate_source(source, today)
        started = checked.started_on or today
        with self._uow(write=True) as uow:
            session = uow.session
            for old in session.scalars(
                select(CompanyLink).where(
                    CompanyLink.contact_id == contact_id, CompanyLink.ended_on.is_(None)
                )
            ):
                old.ended_on = max(started - dt.timedelta(days=1), old.started_on or dt.date.min)
            session.flush()
            source_row = add_source(session, actor, checked_source, now)
            return self._add_link(
                session, actor, contact_id, company_id, checked, source_row.id, "company.move"
            )

    def unlink(self, actor: Actor, link_id: int, ended_on: dt.date | None = None) -> None:
        """End a link (the person left): it stays, with its end date (default today).

        Raises:
            ValidationFailed: the end is before the start, in the future, or already set.
        """
        self._require_link(actor)
        today, now = self._clock.today(), self._clock.now()
        end = ended_on or today
        with self._uow(write=True) as uow:
            session = uow.session
            link = session.get(CompanyLink, link_id)
            if link is None:
                raise NotFound
            if link.ended_on is not None:
                raise ValidationFailed([FieldProblem("ended_on", N_("This link has ended."))])
            if end > today or (link.started_on is not None and end < link.started_on):
                raise ValidationFailed(
                    [FieldProblem("ended_on", N_("The end must lie between start and today."))]
                )
            link.ended_on = end
            session.flush()
            record_event(
                session,
                actor=actor.username,
                action="company.unlink",
                entity="contact",
                entity_id=link.contact_id,
                at=now,
                detail=f"company={link.company_id};link={link.id}",
            )

    def _add_link(
        self,
        session: Session,
        actor: Actor,
        contact_id: int,
        company_id: int,
        data: LinkInput,
        source_id: int,
        action: str,
    ) -> int:
        now = self._clock.now()
        if session.get(Contact, contact_id) is None or session.get(Company, company_id) is None:
            raise NotFound
        current = session.scalar(
            select(CompanyLink.id).where(
                CompanyLink.contact_id == contact_id,
                CompanyLink.company_id == company_id,
                CompanyLink.ended_on.is_(None),
            )
        )
        if current is not None:
            raise ValidationFailed(
                [FieldProblem("company", N_("This person is linked to this company already."))]
            )
        link = CompanyLink(
            contact_id=contact_id,
            company_id=company_id,
            function=data.function,
            department=data.department,
            started_on=data.started_on,
            source_id=source_id,
            created_by=actor.user_id,
            created_at=now,
        )
        session.add(link)
        session.flush()
        # The person's record is the entity; the company and the link by id only.
        record_event(
            session,
            actor=actor.username,
            action=action,
            entity="contact",
            entity_id=contact_id,
            at=now,
            detail=f"company={company_id};link={link.id}",
        )
        return link.id
