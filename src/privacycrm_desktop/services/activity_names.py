"""Who an interaction is about, by name, as a role may read names: the people who took
part and, on a person's timeline, whose interaction (a person's or a company's) it is.

Read for one page of the timeline at a time (two queries, only for the rows that need
them); a name part the role does not see is left out, a masked one is masked.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from sqlalchemy import Connection, select

from privacycrm_desktop.domain.access import FieldAccess
from privacycrm_desktop.persistence.activity_models import ActivityPerson
from privacycrm_desktop.persistence.company_models import Company
from privacycrm_desktop.persistence.models import Contact
from privacycrm_desktop.services.company_links import shown_value
from privacycrm_desktop.services.tasks import name_of


def people_of(
    conn: Connection, access: Mapping[str, FieldAccess], activity_ids: Collection[int]
) -> dict[int, list[tuple[int, str]]]:
    """activity id -> the (contact id, name) of each person who took part, by name."""
    result: dict[int, list[tuple[int, str]]] = {}
    if not activity_ids:
        return result
    rows = conn.execute(
        select(
            ActivityPerson.activity_id,
            ActivityPerson.contact_id,
            Contact.first_name,
            Contact.last_name,
            Contact.organisation,
        )
        .join(Contact, Contact.id == ActivityPerson.contact_id)
        .where(ActivityPerson.activity_id.in_(list(activity_ids)))
        .order_by(ActivityPerson.activity_id, Contact.sort_name, ActivityPerson.contact_id)
    ).tuples()
    matrix = dict(access)
    for aid, cid, first, last, organisation in rows:
        result.setdefault(aid, []).append((cid, name_of(matrix, first, last, organisation)))
    return result


def owner_names(
    conn: Connection,
    access: Mapping[str, FieldAccess],
    contact_ids: Collection[int],
    company_ids: Collection[int],
) -> tuple[dict[int, str], dict[int, str]]:
    """The names of the people (contact id -> name) and companies (company id -> name)
    whose interactions a person took part in."""
    matrix = dict(access)
    people: dict[int, str] = {}
    companies: dict[int, str] = {}
    if contact_ids:
        for cid, first, last, organisation in conn.execute(
            select(Contact.id, Contact.first_name, Contact.last_name, Contact.organisation).where(
                Contact.id.in_(list(contact_ids))
            )
        ).tuples():
            people[cid] = name_of(matrix, first, last, organisation)
    if company_ids:
        level = matrix.get("organisation", FieldAccess.HIDDEN)
        for company_id, name in conn.execute(
            select(Company.id, Company.name).where(Company.id.in_(list(company_ids)))
        ).tuples():
            companies[company_id] = shown_value(name, level)
    return people, companies
