"""An import's places at companies: a row naming a function or a department with its
organisation links the contact it became (or merged into) to that company, with the
batch's source; a name no company has yet (folded and trimmed, ``company_key``) makes the
company. A contact linked to the company now is left as it is. Set-based, as
``tag_links.put_tags``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import Connection, insert, select

from privacycrm_desktop.domain.companies import company_key
from privacycrm_desktop.persistence.company_models import Company, CompanyLink
from privacycrm_desktop.persistence.models import Base

_T = Base.metadata.tables

#: (contact id, organisation, function, department)
Place = tuple[int, str, str, str]


def put_places(
    conn: Connection,
    places: Sequence[Place],
    source_id: int,
    now: dt.datetime,
    user_id: int | None,
) -> int:
    """Link each contact to its organisation's company with the function and department;
    returns how many links were made."""
    wanted = [
        (cid, " ".join(org.split()), function, department)
        for cid, org, function, department in places
        if org.strip() and (function or department)
    ]
    if not wanted:
        return 0
    names: dict[str, str] = {}
    for _cid, org, _f, _d in wanted:
        names.setdefault(company_key(org), org)  # named as the file first writes it
    found = conn.execute(
        select(Company.name_key, Company.id)
        .where(Company.name_key.in_(list(names)))
        .order_by(Company.id)
    )
    ids: dict[str, int] = {}
    for key, company_id in found:
        ids.setdefault(str(key), int(company_id))
    missing = [key for key in names if key not in ids]
    if missing:
        conn.execute(
            insert(_T["company"]),
            [
                {
                    "name": names[key],
                    "name_key": key,
                    "legal_form": "",
                    "vat": "",
                    "street": "",
                    "postcode": "",
                    "city": "",
                    "country": "BE",
                    "email": "",
                    "phone": "",
                    "website": "",
                    "relationship": "prospect",
                    "notes": "",
                    "source_id": source_id,
                    "created_by": user_id,
                    "created_at": now,
                    "updated_at": now,
                    "version": 1,
                }
                for key in missing
            ],
        )
        made = conn.execute(
            select(Company.name_key, Company.id).where(Company.name_key.in_(missing))
        )
        ids.update({str(key): int(company_id) for key, company_id in made})
    contact_ids = [cid for cid, *_rest in wanted]
    current = set(
        conn.execute(
            select(CompanyLink.contact_id, CompanyLink.company_id).where(
                CompanyLink.contact_id.in_(contact_ids), CompanyLink.ended_on.is_(None)
            )
        ).tuples()
    )
    rows = []
    for cid, org, function, department in wanted:
        company_id = ids[company_key(org)]
        if (cid, company_id) in current:
            continue
        current.add((cid, company_id))
        rows.append(
            {
                "contact_id": cid,
                "company_id": company_id,
                "function": function,
                "department": department,
                "started_on": None,
                "ended_on": None,
                "source_id": source_id,
                "created_by": user_id,
                "created_at": now,
            }
        )
    if rows:
        conn.execute(insert(_T["company_link"]), rows)
    return len(rows)
