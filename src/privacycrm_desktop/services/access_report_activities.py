"""The access report's lines for a person's interactions (issue 22): each call, meeting,
e-mail, letter, visit or note with its date and summary in the person's language, its
details and attached file's name when the producing role may read them, and its source
(none given: the interaction itself, our own record of it)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from privacycrm_desktop.domain.access import FieldAccess
from privacycrm_desktop.domain.activities import ACTIVITY_KIND_LABELS
from privacycrm_desktop.i18n import format_long_date, local_date, local_moment, tr_in
from privacycrm_desktop.persistence.unit_of_work import UnitOfWork
from privacycrm_desktop.services.activities import ActivityService
from privacycrm_desktop.services.clock import Clock
from privacycrm_desktop.services.dto import Actor, SourceInfo

if TYPE_CHECKING:
    from privacycrm_desktop.reports.access_report import ReportDatum, ReportSource

#: Every interaction of the person goes in the report: no page limit.
_ALL = 10_000_000


def activity_data(
    uow: UnitOfWork,
    clock: Clock,
    actor: Actor,
    contact_id: int,
    language: str,
    source: Callable[[SourceInfo | None], ReportSource | None],
    others: dict[int, ReportSource],
) -> tuple[list[ReportDatum], list[dict[str, Any]]]:
    """The person's interactions, newest first, as the report lists them and as its JSON
    does; nothing when the role does not see interactions. A source the person did not
    give us themselves goes into *others* (keyed by a negative number: no clash with the
    contact's own sources, which the report keys by id)."""
    from privacycrm_desktop.reports.access_report import ReportDatum

    service = ActivityService(uow, clock)
    if service.levels(actor)[0] is FieldAccess.HIDDEN:
        return [], []
    items: list[ReportDatum] = []
    entries: list[dict[str, Any]] = []
    for info in service.timeline(actor, contact_id, limit=_ALL):
        day = local_date(info.occurred_at)
        parts = [format_long_date(day, language), info.summary]
        if info.linked:
            # An interaction the person took part in (another's or a company's).
            parts.insert(1, tr_in(language, "took part"))
        if info.details:
            parts.append(info.details.replace("\n", " / "))
        if info.attachment_name:
            parts.append(tr_in(language, "attached file: {name}", name=info.attachment_name))
        made = None
        if info.source_kind is not None:
            made = source(
                SourceInfo(
                    -info.id, info.source_kind, info.source, day, info.recorded_by, info.recorded_at
                )
            )
            if made is not None and not made.from_subject:
                others.setdefault(-info.id, made)
        items.append(ReportDatum(ACTIVITY_KIND_LABELS[info.kind], " — ".join(parts), made, day))
        entry: dict[str, Any] = {
            "contact_id": contact_id,
            "field": "activities",
            "kind": info.kind.value,
            "occurred_at": local_moment(info.occurred_at).isoformat(),
            "value": info.summary,
            "linked": info.linked,
            "held_since": day.isoformat(),
            "source": None
            if info.source_kind is None
            else {"kind": info.source_kind.value, "description": info.source},
        }
        if info.details is not None:
            entry["details"] = info.details
            entry["attachment"] = info.attachment_name or None
        entries.append(entry)
    return items, entries
