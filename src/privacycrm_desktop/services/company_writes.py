"""The rows a company's save writes beside the company: the source of its new values and
the provenance of each changed field (used by services/companies.py)."""

from __future__ import annotations

import datetime as dt
from dataclasses import fields

from sqlalchemy import select
from sqlalchemy.orm import Session

from privacycrm_desktop.domain.companies import CompanyInput
from privacycrm_desktop.domain.errors import SourceMissing
from privacycrm_desktop.domain.provenance import SourceInput
from privacycrm_desktop.persistence.company_models import CompanyProvenance
from privacycrm_desktop.persistence.models import Source
from privacycrm_desktop.services.dto import Actor


def company_columns(data: CompanyInput) -> dict[str, str]:
    """The company's stored columns from *data* (enums as their values)."""
    values = {f.name: getattr(data, f.name) for f in fields(data)}
    return {k: (v.value if hasattr(v, "value") else v) for k, v in values.items()}


def add_source(session: Session, actor: Actor, source: SourceInput, now: dt.datetime) -> Source:
    """Store *source* (checked) and return its row.

    Raises:
        SourceMissing: no kind or no date.
    """
    if source.kind is None or source.obtained_on is None:
        raise SourceMissing
    row = Source(
        kind=source.kind.value,
        description=source.description,
        obtained_on=source.obtained_on,
        entered_by=actor.user_id,
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row


def set_provenance(
    session: Session, actor: Actor, company_id: int, field: str, source_id: int, now: dt.datetime
) -> None:
    """Give the company's *field* the source *source_id* (its own provenance row)."""
    row = session.scalar(
        select(CompanyProvenance).where(
            CompanyProvenance.company_id == company_id, CompanyProvenance.field == field
        )
    )
    if row is None:
        session.add(
            CompanyProvenance(
                company_id=company_id,
                field=field,
                source_id=source_id,
                recorded_at=now,
                recorded_by=actor.user_id,
            )
        )
    else:
        row.source_id, row.recorded_at, row.recorded_by = source_id, now, actor.user_id
