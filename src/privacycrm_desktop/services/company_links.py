"""A person's companies as a role may see them: the contact card, the access report.

Kept apart from ``services.companies`` so that reading a contact does not load the
company service.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from privacycrm_desktop.domain.access import FieldAccess, mask
from privacycrm_desktop.persistence.company_models import Company, CompanyLink
from privacycrm_desktop.services.dto import CompanyLinkInfo

if TYPE_CHECKING:
    from privacycrm_desktop.services.contact_details import SourceCache

#: The catalogue field a person's company links belong to.
LINKS_FIELD = "company_links"


def read_links(
    session: Session,
    access: Mapping[str, FieldAccess],
    contact_id: int,
    sources: SourceCache,
) -> tuple[CompanyLinkInfo, ...]:
    """The person's company links, current ones first, then the past ones newest first;
    none for a role that may not see them, function and department masked for one that
    sees them masked."""
    level = access.get(LINKS_FIELD, FieldAccess.HIDDEN)
    if level is FieldAccess.HIDDEN:
        return ()
    name_level = access.get("organisation", FieldAccess.HIDDEN)
    rows = session.execute(
        select(CompanyLink, Company.name)
        .join(Company, Company.id == CompanyLink.company_id)
        .where(CompanyLink.contact_id == contact_id)
        .order_by(CompanyLink.id)
    ).all()

    def shown(value: str, how: FieldAccess) -> str:
        if how is FieldAccess.HIDDEN:
            return ""
        return mask(value) if how is FieldAccess.MASKED and value else value

    links = [
        CompanyLinkInfo(
            link_id=link.id,
            company_id=link.company_id,
            company_name=shown(name, name_level),
            function=shown(link.function, level),
            department=shown(link.department, level),
            started_on=link.started_on,
            ended_on=link.ended_on,
            source=sources.info(link.source_id, link.created_by, link.created_at),
        )
        for link, name in rows
    ]
    current = [x for x in links if x.current]
    past = sorted(
        (x for x in links if not x.current),
        key=lambda x: (x.ended_on or dt.date.min, x.link_id),
        reverse=True,
    )
    return (*current, *past)
