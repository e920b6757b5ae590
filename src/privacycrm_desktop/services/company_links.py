"""A person's companies as a role may see them: the contact card, the access report.

Kept apart from ``services.companies`` so that reading a contact does not load the
company service.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from privacycrm_desktop.domain.access import FieldAccess, mask
from privacycrm_desktop.persistence.company_models import Company, CompanyLink
from privacycrm_desktop.persistence.models import Contact
from privacycrm_desktop.services.dto import CompanyLinkInfo

if TYPE_CHECKING:
    from privacycrm_desktop.services.contact_details import SourceCache

#: The catalogue field a person's company links belong to.
LINKS_FIELD = "company_links"


@dataclass(frozen=True)
class CompanyPerson:
    """A person linked to the company, as the card lists them."""

    link_id: int
    contact_id: int
    name: str
    function: str
    department: str
    started_on: dt.date | None
    ended_on: dt.date | None


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


def shown_value(value: str, level: FieldAccess) -> str:
    """*value* as a role with *level* sees it: blank, masked, or itself."""
    if level is FieldAccess.HIDDEN:
        return ""
    return mask(value) if level is FieldAccess.MASKED and value else value


def company_people(
    session: Session, access: Mapping[str, FieldAccess], company_id: int
) -> tuple[CompanyPerson, ...]:
    """The people linked to the company (current first), as the role may see them."""
    level = access.get(LINKS_FIELD, FieldAccess.HIDDEN)
    if level is FieldAccess.HIDDEN:
        return ()
    first_level = access.get("first_name", FieldAccess.HIDDEN)
    last_level = access.get("last_name", FieldAccess.HIDDEN)
    organisation_level = access.get("organisation", FieldAccess.HIDDEN)
    rows = session.execute(
        select(CompanyLink, Contact.first_name, Contact.last_name, Contact.organisation)
        .join(Contact, Contact.id == CompanyLink.contact_id)
        .where(CompanyLink.company_id == company_id)
        .order_by(CompanyLink.ended_on.is_not(None), Contact.sort_name, CompanyLink.id)
    ).all()
    people = []
    for link, first, last, organisation in rows:
        # As the main list: the organisation for a contact without a first or last name.
        name = " ".join(
            p for p in (shown_value(first, first_level), shown_value(last, last_level)) if p
        ) or shown_value(organisation, organisation_level)
        people.append(
            CompanyPerson(
                link_id=link.id,
                contact_id=link.contact_id,
                name=name,
                function=shown_value(link.function, level),
                department=shown_value(link.department, level),
                started_on=link.started_on,
                ended_on=link.ended_on,
            )
        )
    return tuple(people)
