"""The access report's lines for merges into a person's contact: while a merge can be
undone, a copy of the merged contacts' data is kept (services/merges.py); the report says
so, with the ids merged and the day the copy goes."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from privacycrm_desktop.domain.text import N_
from privacycrm_desktop.i18n import format_date, format_number, tr_in
from privacycrm_desktop.persistence.merge_models import ContactMerge, merges_into
from privacycrm_desktop.services.merges import undo_days

if TYPE_CHECKING:
    from privacycrm_desktop.reports.access_report import ReportDatum

MERGE_LABEL = N_("Merged contacts")
MERGE_TEXT = N_(
    "Merged into this contact: contact no. {ids}. A copy of the data as it was is kept "
    "until {date} so the merge can be undone."
)


def merge_data(
    session: Session, contact_id: int, language: str
) -> tuple[list[ReportDatum], list[dict[str, Any]]]:
    """The merges into *contact_id* whose copy is still kept, as the report lists them
    and as its JSON does."""
    from privacycrm_desktop.reports.access_report import ReportDatum

    days = undo_days(session)
    items: list[ReportDatum] = []
    entries: list[dict[str, Any]] = []
    for merge in session.scalars(
        select(ContactMerge)
        .where(merges_into([contact_id]), ContactMerge.snapshot != "")
        .order_by(ContactMerge.id)
    ):
        ids = [int(i) for i in merge.merged_ids.split(",") if i]
        until = (merge.created_at + dt.timedelta(days=days)).date()
        text = tr_in(
            language,
            MERGE_TEXT,
            ids=", ".join(format_number(i, language) for i in ids),
            date=format_date(until, language),
        )
        items.append(ReportDatum(MERGE_LABEL, text, None, merge.created_at.date()))
        entries.append(
            {
                "contact_id": contact_id,
                "field": "merged_contacts",
                "value": ids,
                "held_since": merge.created_at.date().isoformat(),
                "kept_until": until.isoformat(),
                "source": None,
            }
        )
    return items, entries
