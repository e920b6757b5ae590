"""The annual cleanup: scan expired contacts, review proposals, apply them (rules 8, 9).

The scan reads the stored keep-until dates through their index (``retention.expired_query``),
so it stays fast on a million contacts. Applying works in batches of ``APPLY_BATCH`` contacts, each
batch one transaction with set-based statements (services/erasure_batch.py), so a crash or
a cancel leaves every contact either fully handled or untouched; the WAL is checkpointed
and truncated once at the end (also after a cancel).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from privacycrm_desktop.domain.access import Permission, require
from privacycrm_desktop.domain.activities import ActivityKind
from privacycrm_desktop.domain.custom_fields import CustomTarget
from privacycrm_desktop.domain.erasure import ErasureReason
from privacycrm_desktop.domain.errors import FieldProblem, ValidationFailed
from privacycrm_desktop.domain.purposes import RetentionTrigger
from privacycrm_desktop.domain.retention import (
    ASK_CONSENT_DAYS,
    KEEP_MONTHS,
    REASON_LABELS,
    CleanupAction,
    Selection,
    add_months,
    proposed_action,
)
from privacycrm_desktop.domain.text import N_
from privacycrm_desktop.persistence.database import bulk_transaction
from privacycrm_desktop.persistence.models import Contact, ContactTag, Purpose
from privacycrm_desktop.persistence.record_models import RetentionHold
from privacycrm_desktop.persistence.unit_of_work import UnitOfWork
from privacycrm_desktop.services.activities import last_interactions
from privacycrm_desktop.services.audit import record_event
from privacycrm_desktop.services.audit_batch import AuditEntry, record_events
from privacycrm_desktop.services.clock import Clock
from privacycrm_desktop.services.custom_expiry import (
    ExpiredValue,
    erase_expired_values,
    expired_values,
    record_names,
)
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.erasure import finish_erasure
from privacycrm_desktop.services.erasure_batch import erase_many
from privacycrm_desktop.services.retention import (
    expired_query,
    expired_summary_query,
    recompute,
    stored_rules,
)

#: Contacts applied per transaction: each batch is one transaction, so a kill or a cancel
#: leaves every contact handled or untouched; progress and cancel come between batches.
APPLY_BATCH = 1000
_ERASING = frozenset({CleanupAction.ERASE, CleanupAction.ANONYMISE})
#: Erasing more than one contact in this many, the search index is rewritten once at the
#: end (``erase_many(scrub_index_later=True)``) instead of a secure-delete per contact:
#: on a million contacts the rewrite cost as much as about 3,000 secure-deletes (on 30,000,
#: as about 150).
INDEX_REWRITE_SHARE = 300
#: How far the WAL may grow during a cleanup before a batch's commit checkpoints it
#: (pages of 4 KiB: 256 MiB; SQLite's default is 1,000 pages, which made every batch's
#: commit copy the pages it changed, nearly all the contact indexes' pages, into the file).
CHECKPOINT_PAGES = 65_536
ASK_CONSENT_REASON = N_("Asked for consent again")


@dataclass(frozen=True)
class ReasonCount:
    """How many expired contacts share one reason; ``label`` is a msgid."""

    reason: str
    label: str
    count: int
    action: CleanupAction


@dataclass(frozen=True)
class ReviewRow:
    """One expired contact in the review list (shown to owner / privacy officer only)."""

    contact_id: int
    name: str
    keep_until: dt.date
    reason: str
    label: str
    action: CleanupAction
    #: When the deciding purpose counts from the last interaction: its date (the newest
    #: logged interaction, a date typed on the contact, else when it was collected) and,
    #: when a logged interaction decided it, its kind: "no interaction since ... (call)".
    last_contact: dt.date | None = None
    last_kind: ActivityKind | None = None


@dataclass(frozen=True)
class CleanupPlan:
    """What the user decided: which candidates are handled (the whole candidate set, see
    ``Selection``), per-contact actions that differ from the proposal, and the reason
    given for keeping."""

    overrides: Mapping[int, CleanupAction] = field(default_factory=dict)
    selection: Selection = field(default_factory=Selection.all)
    keep_reason: str = ""

    def action_for(self, contact_id: int, reason: str) -> CleanupAction | None:
        """The action for one contact, or None when it is left out."""
        if not self.selection.includes(contact_id):
            return None
        return self.overrides.get(contact_id, proposed_action(reason))


@dataclass(frozen=True)
class CleanupOutcome:
    """What apply (or a dry run) did: counts by action and by reason, and when, by whom."""

    by_action: Mapping[str, int]
    by_reason: Mapping[str, int]
    skipped: int
    dry_run: bool
    cancelled: bool
    at: dt.datetime
    actor: str
    #: True when another program kept the erased contacts' bytes from leaving the
    #: database files yet (``services.erasure.retry_scrub`` finishes it).
    scrub_pending: bool = False
    #: Custom values past their field's keep period: erased (a dry run: to be erased).
    values_erased: int = 0
    #: True when something was erased, so its bytes had to leave the database files (the
    #: scrub: done unless ``scrub_pending``); False on a dry run or when nothing was erased.
    scrub_needed: bool = False


def _last_contacts(
    session: Session, page: list[tuple[int, dt.date | None, str]]
) -> dict[int, tuple[dt.date, ActivityKind | None]]:
    """For the page's contacts whose reason counts from the last interaction: its date
    and, when a logged interaction is the latest, its kind."""
    rules = stored_rules(session)
    ids = [
        cid
        for cid, _until, reason in page
        if reason in rules and rules[reason].trigger is RetentionTrigger.LAST_INTERACTION
    ]
    if not ids:
        return {}
    logged = last_interactions(session, ids)
    result: dict[int, tuple[dt.date, ActivityKind | None]] = {}
    for cid, typed, created in session.execute(
        select(Contact.id, Contact.last_interaction, Contact.created_at).where(Contact.id.in_(ids))
    ).tuples():
        newest = logged.get(cid)
        when = newest.occurred_at.date() if newest is not None else None
        latest = max(filter(None, (typed, when, created.date())))
        result[cid] = (latest, newest.kind if newest is not None and when == latest else None)
    return result


def _candidates(
    session: Session, today: dt.date, selection: Selection
) -> tuple[list[tuple[int, dt.date | None, str]], int]:
    """The expired contacts *selection* may handle, oldest first, and how many expired
    contacts it leaves out: when it names the few contacts checked, only those are read
    (not every expired contact of the database)."""
    if selection.everyone:
        return list(session.execute(expired_query(today)).tuples()), 0
    ids = sorted(selection.ids)
    found: list[tuple[int, dt.date | None, str]] = []
    for start in range(0, len(ids), 5000):
        chunk = ids[start : start + 5000]
        found += session.execute(expired_query(today).where(Contact.id.in_(chunk))).tuples()
    expired = session.scalar(
        select(func.count()).select_from(expired_query(today).order_by(None).subquery())
    )
    found.sort(key=lambda row: (row[1] or dt.date.min, row[2], row[0]))
    return found, int(expired or 0) - len(found)


class CleanupService:
    """Scan, review and apply the cleanup of contacts past their keep-until date, and
    print the report."""

    def __init__(self, uow: UnitOfWork, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    def _labels(self) -> dict[str, str]:
        with self._uow() as uow:
            labels = dict(list(uow.session.execute(select(Purpose.code, Purpose.name)).tuples()))
        return {**labels, **REASON_LABELS}

    def summary(self, actor: Actor) -> list[ReasonCount]:
        """Expired contacts by reason, with the proposed action."""
        require(actor.role, Permission.CLEANUP)
        labels = self._labels()
        query = expired_summary_query(self._clock.today(), list(labels))
        with self._uow() as uow:
            rows = uow.session.execute(query).tuples()
            return [
                ReasonCount(reason, labels.get(reason, reason), n, proposed_action(reason))
                for reason, n in rows
            ]

    def tag_selection(self, actor: Actor, tag_id: int, *, only: bool) -> Selection:
        """The cleanup's candidates by a tag: only the contacts carrying it (*only*), or
        every candidate but them (a tag such as "keep: dispute" spares its contacts)."""
        require(actor.role, Permission.CLEANUP)
        with self._uow() as uow:
            expired = expired_query(self._clock.today()).order_by(None).subquery()
            tagged = frozenset(
                uow.session.execute(
                    select(ContactTag.contact_id).where(
                        ContactTag.tag_id == tag_id,
                        ContactTag.contact_id.in_(select(expired.c[0])),
                    )
                ).scalars()
            )
        return Selection(everyone=not only, ids=tagged)

    def review(self, actor: Actor, offset: int = 0, limit: int = 500) -> list[ReviewRow]:
        """A page of expired contacts, oldest first, with why and the proposed action."""
        require(actor.role, Permission.CLEANUP)
        labels = self._labels()
        query = expired_query(self._clock.today()).offset(offset).limit(limit)
        with self._uow() as uow:
            session = uow.session
            page = list(session.execute(query).tuples())
            since = _last_contacts(session, page)
            names = {
                cid: f"{last}, {first}" if last and first else (last or first or org)
                for cid, first, last, org in session.execute(
                    select(
                        Contact.id, Contact.first_name, Contact.last_name, Contact.organisation
                    ).where(Contact.id.in_([r[0] for r in page]))
                ).tuples()
            }
        return [
            ReviewRow(
                cid,
                names.get(cid, ""),
                until or dt.date.min,
                reason,
                labels.get(reason, reason),
                proposed_action(reason),
                *since.get(cid, (None, None)),
            )
            for cid, until, reason in page
        ]

    def apply(
        self,
        actor: Actor,
        plan: CleanupPlan | None = None,
        *,
        dry_run: bool = False,
        progress: Callable[[int, int], None] | None = None,
        should_stop: Callable[[], bool] | None = None,
    ) -> CleanupOutcome:
        """Apply *plan* (the proposals when None) to every expired contact.

        Each batch of ``APPLY_BATCH`` contacts is one transaction (every contact handled
        whole or not at all). *progress* is called between batches with (done, total) and
        may raise to cancel (the worker's ``progress_or_cancel``): what was applied stays,
        the index and WAL are cleaned, and the exception goes on to the caller. Or
        *should_stop* returns True: the loop stops and the outcome says "cancelled".

        Raises:
            ValidationFailed: "keep" without a reason.
        """
        require(actor.role, Permission.CLEANUP)
        plan = plan or CleanupPlan()
        today, started = self._clock.today(), self._clock.now()
        if CleanupAction.KEEP in plan.overrides.values() and not plan.keep_reason.strip():
            raise ValidationFailed(
                [FieldProblem("keep_reason", N_("Give the reason for keeping these contacts."))]
            )
        with self._uow() as uow:
            todo, left_out = _candidates(uow.session, today, plan.selection)
            erasures = sum(1 for cid, _u, why in todo if plan.action_for(cid, why) in _ERASING)
            rewrite = erasures * INDEX_REWRITE_SHARE >= int(
                uow.session.scalar(select(func.count()).select_from(Contact)) or 0
            )
        # Applied in id order: a batch's contacts then share pages of the contact, e-mail
        # and phone tables (inserted in id order), so each batch changes fewer pages.
        todo.sort(key=lambda row: row[0])
        by_action: Counter[str] = Counter()
        by_reason: Counter[str] = Counter()
        skipped = left_out
        erased_any = False
        total = len(todo)
        cancelled = False
        scrubbed = True
        values = 0
        try:
            for start in range(0, total, APPLY_BATCH):
                if progress is not None:
                    progress(start, total)
                if should_stop is not None and should_stop():
                    cancelled = True
                    break
                planned = [
                    (cid, reason, plan.action_for(cid, reason))
                    for cid, _until, reason in todo[start : start + APPLY_BATCH]
                ]
                applied = (
                    {cid for cid, _r, action in planned if action is not None}
                    if dry_run
                    else self._apply_batch(actor, planned, plan.keep_reason, today, rewrite)
                )
                for cid, reason, action in planned:
                    if action is None or cid not in applied:
                        skipped += 1
                        continue
                    erased_any |= action in _ERASING and not dry_run
                    by_action[action.value] += 1
                    by_reason[reason] += 1
            if progress is not None and not cancelled:
                progress(total, total)
            if not cancelled:
                values = self._expire_values(actor, dry_run, today)
                erased_any |= values > 0 and not dry_run
        finally:
            if erased_any:
                scrubbed = finish_erasure(self._uow)
            if not dry_run and (by_action or skipped or values):
                with self._uow(write=True) as uow:
                    record_event(
                        uow.session,
                        actor=actor.username,
                        action="cleanup.apply",
                        entity="cleanup",
                        entity_id=started.date().isoformat(),
                        at=self._clock.now(),
                        detail=";".join(
                            f"{k}={v}"
                            for k, v in sorted(
                                {**by_action, **({"values": values} if values else {})}.items()
                            )
                        ),
                    )
        return CleanupOutcome(
            dict(by_action),
            dict(by_reason),
            skipped,
            dry_run,
            cancelled,
            started,
            actor.username,
            scrub_pending=not scrubbed,
            values_erased=values,
            scrub_needed=erased_any,
        )

    def expired_values(self, actor: Actor) -> list[ExpiredValue]:
        """The custom values past their field's keep period (which record, which field,
        since when; never the value), which the cleanup erases."""
        require(actor.role, Permission.CLEANUP)
        with self._uow() as uow:
            return expired_values(uow.session, self._clock.today())

    def value_owners(
        self, actor: Actor, values: list[ExpiredValue]
    ) -> dict[tuple[CustomTarget, int], str]:
        """Whose *values* they are: the contact's or company's name, for the review."""
        require(actor.role, Permission.CLEANUP)
        with self._uow() as uow:
            return record_names(uow.session, values)

    def _expire_values(self, actor: Actor, dry_run: bool, today: dt.date) -> int:
        """Erase (or on a dry run, count) the values past their keep period."""
        if dry_run:
            with self._uow() as uow:
                return len(expired_values(uow.session, today))
        with self._uow(write=True) as uow:
            now = self._clock.now()
            return len(erase_expired_values(uow.session, actor.username, today, now))

    def _apply_batch(
        self,
        actor: Actor,
        batch: list[tuple[int, str, CleanupAction | None]],
        keep_reason: str,
        today: dt.date,
        rewrite_index: bool,
    ) -> set[int]:
        """One batch, one transaction: a kill leaves each contact handled or untouched.
        Returns the contacts handled (the others are left out, gone or held)."""
        planned = [(cid, r, action) for cid, r, action in batch if action is not None]
        if not planned:
            return set()
        now = self._clock.now()
        erase = [cid for cid, _r, action in planned if action in _ERASING]
        anonymise = {cid for cid, _r, action in planned if action is CleanupAction.ANONYMISE}
        kept = [(cid, action) for cid, _r, action in planned if action not in _ERASING]
        # Foreign keys off: the rows pointing at the batch's contacts go set-based
        # (``persistence.erasure_cascade``), not by SQLite's actions run for each contact.
        with self._uow(write=True, own_cascades=True) as uow:
            session = uow.session
            # The batches rewrite the same index pages: copied into the file once per
            # CHECKPOINT_PAGES, and at the end (finish_erasure), not after every batch.
            bulk_transaction(session.connection(), CHECKPOINT_PAGES)
            applied = {
                done.contact_id
                for done in erase_many(
                    session,
                    actor,
                    erase,
                    ErasureReason.RETENTION_EXPIRED,
                    now,
                    anonymise=anonymise,
                    scrub_index_later=rewrite_index,
                ).erased
            }
            if kept:
                applied |= self._hold(session, actor, kept, keep_reason, today, now)
        return applied

    @staticmethod
    def _hold(
        session: Session,
        actor: Actor,
        kept: list[tuple[int, CleanupAction]],
        keep_reason: str,
        today: dt.date,
        now: dt.datetime,
    ) -> set[int]:
        """Keep contacts a while (a hold), in the caller's transaction; returns those kept
        (the others are gone)."""
        there = set(
            session.scalars(select(Contact.id).where(Contact.id.in_([c for c, _a in kept])))
        )
        entries = []
        for contact_id, action in kept:
            if contact_id not in there:
                continue
            if action is CleanupAction.KEEP:
                reason, until = keep_reason.strip()[:500], add_months(today, KEEP_MONTHS)
            else:
                reason, until = ASK_CONSENT_REASON, today + dt.timedelta(ASK_CONSENT_DAYS)
            session.add(
                RetentionHold(
                    contact_id=contact_id,
                    reason=reason,
                    until=until,
                    created_by=actor.user_id,
                    created_at=now,
                )
            )
            entries.append(
                AuditEntry(
                    f"cleanup.{action.value}", "contact", contact_id, f"until={until.isoformat()}"
                )
            )
        recompute(session, sorted(there))
        record_events(session, actor=actor.username, at=now, entries=entries)
        return there

    def report_pdf(self, actor: Actor, outcome: CleanupOutcome, language: str) -> bytes:
        """The cleanup report (counts, actions, who, when; no personal data) as PDF."""
        require(actor.role, Permission.CLEANUP)
        from privacycrm_desktop.reports.cleanup_report import CleanupReportData, render
        from privacycrm_desktop.services.setup import SetupService

        company = SetupService(self._uow, self._clock).company()
        labels = self._labels()
        data = CleanupReportData(
            company=company.name,
            actor=outcome.actor,
            at=outcome.at,
            dry_run=outcome.dry_run,
            cancelled=outcome.cancelled,
            by_action=tuple(
                (action, outcome.by_action[action.value])
                for action in CleanupAction
                if action.value in outcome.by_action
            ),
            by_reason=tuple(
                (labels.get(reason, reason), n) for reason, n in sorted(outcome.by_reason.items())
            ),
            skipped=outcome.skipped,
            values_erased=outcome.values_erased,
        )
        pdf = render(data, language)
        with self._uow(write=True) as uow:
            record_event(
                uow.session,
                actor=actor.username,
                action="cleanup.report",
                entity="cleanup",
                entity_id=outcome.at.date().isoformat(),
                at=self._clock.now(),
            )
        return pdf
