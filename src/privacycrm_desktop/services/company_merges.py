"""Duplicate companies: find them, merge two or more into one, undo a merge (issue 21);
the merge itself is services/company_merge_rows.py. Owner and privacy officer, as the
merge of contacts (``Permission.MERGE_CONTACTS``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import func, select

from privacycrm_desktop.domain.access import FieldAccess, Permission, require
from privacycrm_desktop.domain.companies import format_vat
from privacycrm_desktop.domain.company_merges import (
    CompanyGroup,
    CompanyKeys,
    CompanyRule,
    company_groups,
)
from privacycrm_desktop.persistence.company_models import Company, CompanyLink
from privacycrm_desktop.persistence.merge_models import CompanyMerge
from privacycrm_desktop.persistence.unit_of_work import UnitOfWork
from privacycrm_desktop.services.clock import Clock
from privacycrm_desktop.services.company_merge_rows import (
    merge_companies_in_session,
    resolve_company_id,
    undo_company_merge_in_session,
)
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.merges import MergeInfo, MergeResult, undo_days

#: The matrix row a company's own values follow (as services/companies.py).
_ACCESS_FIELD = "organisation"


@dataclass(frozen=True)
class CompanyMember:
    """A company of a group as the review shows it ("" for what the role may not see)."""

    company_id: int
    name: str
    vat: str
    postcode: str
    city: str
    email: str
    #: How many people have a current place there.
    people: int


class CompanyMergeService:
    """Find, merge and unmerge duplicate companies."""

    def __init__(self, uow: UnitOfWork, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    def find(self, actor: Actor, rules: Sequence[CompanyRule] | None = None) -> list[CompanyGroup]:
        """Groups of possible duplicate companies by *rules* (all by default)."""
        require(actor.role, Permission.MERGE_CONTACTS)
        with self._uow() as uow:
            rows = uow.session.execute(
                select(Company.id, Company.name_key, Company.vat, Company.postcode, Company.email)
            ).tuples()
            keys = [CompanyKeys(*row) for row in rows]
        return company_groups(keys, tuple(rules) if rules else tuple(CompanyRule))

    def members(
        self, actor: Actor, access: Mapping[str, FieldAccess], company_ids: Sequence[int]
    ) -> list[CompanyMember]:
        """What the review shows of these companies, as *access* allows."""
        require(actor.role, Permission.MERGE_CONTACTS)
        level = access.get(_ACCESS_FIELD, FieldAccess.HIDDEN)
        seen = level in (FieldAccess.READ, FieldAccess.WRITE)
        ids = list(company_ids)
        with self._uow() as uow:
            counted = uow.session.execute(
                select(CompanyLink.company_id, func.count(func.distinct(CompanyLink.contact_id)))
                .where(CompanyLink.company_id.in_(ids), CompanyLink.ended_on.is_(None))
                .group_by(CompanyLink.company_id)
            ).all()
            people = {int(cid): int(n) for cid, n in counted}
            rows = uow.session.scalars(
                select(Company).where(Company.id.in_(ids)).order_by(Company.id)
            ).all()
            return [
                CompanyMember(
                    company_id=c.id,
                    name=c.name if seen else "",
                    vat=format_vat(c.vat) if seen else "",
                    postcode=c.postcode if seen else "",
                    city=c.city if seen else "",
                    email=c.email if seen else "",
                    people=int(people.get(c.id, 0)),
                )
                for c in rows
            ]

    def merge(
        self,
        actor: Actor,
        survivor: int,
        others: Sequence[int],
        take: Mapping[str, int] | None = None,
    ) -> MergeResult:
        """Merge companies *others* into *survivor*, *take* naming the company whose
        value each listed field keeps."""
        require(actor.role, Permission.MERGE_CONTACTS)
        with self._uow(write=True) as uow:
            return merge_companies_in_session(
                uow.session, actor, survivor, others, take or {}, self._clock.now()
            )

    def undo(self, actor: Actor, merge_id: int) -> MergeResult:
        """Undo company merge *merge_id*."""
        require(actor.role, Permission.MERGE_CONTACTS)
        with self._uow(write=True) as uow:
            return undo_company_merge_in_session(uow.session, actor, merge_id, self._clock.now())

    def merges(self, actor: Actor, limit: int = 200) -> list[MergeInfo]:
        """The newest company merges first, with until when each can be undone."""
        require(actor.role, Permission.MERGE_CONTACTS)
        with self._uow() as uow:
            days = undo_days(uow.session)
            rows = uow.session.scalars(
                select(CompanyMerge).order_by(CompanyMerge.id.desc()).limit(limit)
            ).all()
            now = self._clock.now()
            out = []
            for r in rows:
                until = r.created_at + dt.timedelta(days=days)
                open_ = not r.closed and until > now
                out.append(
                    MergeInfo(
                        merge_id=r.id,
                        survivor_id=r.survivor_id,
                        merged_ids=tuple(int(i) for i in r.merged_ids.split(",") if i),
                        created_at=r.created_at,
                        closed=r.closed or ("" if open_ else "expired"),
                        undo_until=until if open_ else None,
                    )
                )
            return out

    def resolve(self, company_id: int) -> int:
        """The company an id (perhaps merged away) stands for now."""
        with self._uow() as uow:
            return resolve_company_id(uow.session, company_id)


__all__ = ["CompanyMember", "CompanyMergeService"]
