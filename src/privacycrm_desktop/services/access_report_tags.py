"""The access report's lines for a person's tags: each tag as the PDF prints it and as its
JSON lists it, held since the day it was put on (or its file's date), with its source."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from privacycrm_desktop.domain.provenance import SourceKind
from privacycrm_desktop.domain.text import N_
from privacycrm_desktop.i18n import local_date
from privacycrm_desktop.services.dto import ContactDetail, SourceInfo

if TYPE_CHECKING:
    from privacycrm_desktop.persistence.unit_of_work import UnitOfWork
    from privacycrm_desktop.reports.access_report import ReportDatum, ReportSource


def tag_data(
    detail: ContactDetail,
    source: Callable[[SourceInfo | None], ReportSource | None],
    others: dict[int, ReportSource],
    from_subject: frozenset[SourceKind],
    merges_in: tuple[UnitOfWork, str] | None = None,
) -> tuple[list[ReportDatum], list[dict[str, Any]]]:
    """The contact's tags as the report lists them and as its JSON does; a source not of
    a kind in *from_subject* (the person) goes into *others*. With *merges_in* (the unit of
    work and the report's language), then the copies kept of merges into the contact
    (services/access_report_merges.py)."""
    from privacycrm_desktop.reports.access_report import ReportDatum

    items: list[ReportDatum] = []
    entries: list[dict[str, Any]] = []
    for mark in detail.tags:
        info = mark.source
        held = info.obtained_on if info is not None else local_date(mark.tagged_at)
        made = source(info)
        items.append(ReportDatum(N_("Tag"), mark.name, made, held))
        entries.append(
            {
                "contact_id": detail.id,
                "field": "tags",
                "value": mark.name,
                "held_since": held.isoformat(),
                "source": None
                if info is None
                else {
                    "kind": info.kind.value,
                    "description": info.description,
                    "obtained_on": info.obtained_on.isoformat(),
                },
            }
        )
        if info is not None and made is not None and info.kind not in from_subject:
            others.setdefault(info.source_id, made)
    if merges_in is not None:
        from privacycrm_desktop.services.access_report_merges import merge_data

        with merges_in[0]() as uow:
            merged, merge_entries = merge_data(uow.session, detail.id, merges_in[1])
        items += merged
        entries += merge_entries
    return items, entries
