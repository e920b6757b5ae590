"""The access report's lines for merges into a person's contact: while a merge can be
undone, a copy of the merged contacts' data is kept (services/merges.py); the report says
so, with the ids merged and the day the copy goes, and lists every personal value the
copy holds (``copied_values``: the free-text columns of ``PERSONAL_COLUMNS``, the custom
fields' values and the sources' descriptions, of every table in the copy), as does the
copy of a company merge holding a row of the person's (their place there)."""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from privacycrm_desktop.domain.fields import FIELDS_BY_NAME
from privacycrm_desktop.domain.text import N_
from privacycrm_desktop.i18n import format_date, format_number, tr_in
from privacycrm_desktop.persistence.custom_field_models import CUSTOM_VALUE_COLUMNS
from privacycrm_desktop.persistence.merge_models import (
    CompanyMerge,
    ContactMerge,
    ContactRedirect,
    merges_into,
)
from privacycrm_desktop.persistence.models import PERSONAL_COLUMNS
from privacycrm_desktop.services.merges import undo_days

if TYPE_CHECKING:
    from privacycrm_desktop.reports.access_report import ReportDatum

MERGE_LABEL = N_("Merged contacts")
MERGE_TEXT = N_(
    "Merged into this contact: contact no. {ids}. A copy of the data as it was is kept "
    "until {date} so the merge can be undone."
)


COPY_LABEL = N_("Kept with the copy of a merge: {field}")
SOURCE_LABEL = N_("source")
CUSTOM_LABEL = N_("custom field")
#: Personal columns holding codes or copies of other columns: shown where they belong.
_NOT_FREE_TEXT = frozenset(
    {"relationship", "language", "country", "kind", "category", "tag_id", "company_id"}
)
_DERIVED = frozenset({"sort_name", "primary_email", "primary_phone"})


def _copied_columns(table: str) -> dict[str, str]:
    """The columns of *table* whose values the report lists from a merge's copy, with
    the label of each (a msgid)."""
    found: dict[str, str] = {}
    for qualified, field in PERSONAL_COLUMNS.items():
        name, _dot, column = qualified.partition(".")
        if name != table or column in _NOT_FREE_TEXT or column in _DERIVED:
            continue
        if name == "contact_tag":
            continue  # copies of the contact's own columns, kept by a trigger
        found[column] = FIELDS_BY_NAME[field].label if field in FIELDS_BY_NAME else field
    for qualified in CUSTOM_VALUE_COLUMNS:
        name, _dot, column = qualified.partition(".")
        if name == table:
            found[column] = CUSTOM_LABEL
    if table == "source":
        found["description"] = SOURCE_LABEL
    return found


def copied_values(
    snapshot: dict[str, list[dict[str, Any]]], person_ids: set[int] | None = None
) -> list[tuple[str, str]]:
    """(label msgid, value) of each personal value in a merge's copy, once each; with
    *person_ids*, only of rows of those people (a company merge's copy)."""
    out: dict[tuple[str, str], None] = {}
    for name, rows in snapshot.items():
        table = name.split(".", 1)[0]
        columns = _copied_columns(table)
        for row in rows:
            if person_ids is not None and row.get("contact_id") not in person_ids:
                continue
            for column, label in columns.items():
                value = row.get(column)
                if value not in (None, ""):
                    out[(label, str(value))] = None
    return list(out)


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
        copied = copied_values(json.loads(merge.snapshot))
        _add_copies(items, entries, copied, contact_id, language, merge.created_at, until)
    people = {contact_id, *_merged_into(session, contact_id)}
    for company_merge in session.scalars(
        select(CompanyMerge).where(CompanyMerge.snapshot != "").order_by(CompanyMerge.id)
    ):
        until = (company_merge.created_at + dt.timedelta(days=days)).date()
        copied = copied_values(json.loads(company_merge.snapshot), people)
        _add_copies(items, entries, copied, contact_id, language, company_merge.created_at, until)
    return items, entries


def _merged_into(session: Session, contact_id: int) -> list[int]:
    return list(
        session.scalars(
            select(ContactRedirect.old_id).where(ContactRedirect.survivor_id == contact_id)
        )
    )


def _add_copies(
    items: list[ReportDatum],
    entries: list[dict[str, Any]],
    copied: list[tuple[str, str]],
    contact_id: int,
    language: str,
    at: dt.datetime,
    until: dt.date,
) -> None:
    from privacycrm_desktop.reports.access_report import ReportDatum

    for label, value in copied:
        field = tr_in(language, label)
        items.append(ReportDatum(tr_in(language, COPY_LABEL, field=field), value, None, at.date()))
        entries.append(
            {
                "contact_id": contact_id,
                "field": "merge_copy",
                "value": {"label": field, "value": value},
                "held_since": at.date().isoformat(),
                "kept_until": until.isoformat(),
                "source": None,
            }
        )
