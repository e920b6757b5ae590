"""Keep-until dates stored on contacts, holds, and the counts and scan of expired contacts.

The date is computed by ``domain.retention`` and stored on the contact (``keep_until`` and
``keep_reason``), so the list, the warnings and the cleanup scan read an index instead of
recomputing. It is recomputed in the transaction of every change it depends on: contact
create/update, a consent event, a hold, an interaction logged or deleted;
``recompute_all`` fills it for existing data.
An open-ended date (kept while a purpose lasts) is stored as NULL with its reason; NULL
with an empty reason means "not computed yet". The stored columns are written with Core
updates: they are derived, so they do not bump
the contact's edit version (an editor open on the contact stays valid).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import Select, bindparam, func, select, union_all, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from privacycrm_desktop.domain.access import Permission, require
from privacycrm_desktop.domain.consent import ConsentStatus
from privacycrm_desktop.domain.contacts import Relationship
from privacycrm_desktop.domain.errors import FieldProblem, NotFound, ValidationFailed
from privacycrm_desktop.domain.purposes import RetentionTrigger
from privacycrm_desktop.domain.retention import (
    DEFAULT_RECONFIRM_MONTHS,
    EXPIRING_WITHIN_DAYS,
    Hold,
    KeepUntil,
    MarketingPermission,
    RetentionFacts,
    RetentionRule,
    cleanup_reminder_due,
    keep_until,
)
from privacycrm_desktop.domain.text import N_
from privacycrm_desktop.persistence.activity_models import Activity, ActivityPerson
from privacycrm_desktop.persistence.bulk_writes import (
    is_postgresql,
    update_from_arrays,
    vacuum_analyze,
)
from privacycrm_desktop.persistence.models import ConsentEvent, Contact, Purpose, Setting
from privacycrm_desktop.persistence.record_models import KeepUntilCount, RetentionHold
from privacycrm_desktop.persistence.unit_of_work import UnitOfWork
from privacycrm_desktop.services.audit import record_event
from privacycrm_desktop.services.clock import Clock
from privacycrm_desktop.services.dto import Actor

#: The yearly cleanup reminder: month-day it shows from, and the year it last showed.
REMINDER_SETTING = "cleanup.reminder_date"
REMINDED_SETTING = "cleanup.reminded_year"
DEFAULT_REMINDER = "01-15"
#: Months a lasting marketing consent holds before it is asked again.
RECONFIRM_SETTING = "retention.reconfirm_months"
#: How many months a consent may hold before it is due for re-confirmation.
RECONFIRM_MONTHS_RANGE = range(1, 121)
#: Contacts per chunk of the bulk recompute (one Core UPDATE executemany each).
RECOMPUTE_CHUNK = 20_000
MAX_HOLD_REASON = 500

_contact_table = Contact.metadata.tables["contact"]
_STORE = (
    update(_contact_table)
    .where(_contact_table.c.id == bindparam("cid"))
    .values(keep_until=bindparam("ku"), keep_reason=bindparam("kr"))
)


@dataclass(frozen=True)
class HoldInfo:
    """A hold as the UI shows it."""

    id: int
    reason: str
    until: dt.date


@dataclass(frozen=True)
class RetentionCounts:
    """How many contacts have passed their keep-until date, and how many will soon."""

    expired: int
    expiring: int


def stored_rules(conn: Connection | Session) -> dict[str, RetentionRule]:
    """The retention rule of every active purpose in the register, by code."""
    rows = conn.execute(
        select(
            Purpose.code, Purpose.retention_trigger, Purpose.retention_months, Purpose.is_marketing
        ).where(Purpose.active.is_(True))
    ).tuples()
    return {
        code: RetentionRule(code, RetentionTrigger(trigger), months, bool(marketing))
        for code, trigger, months, marketing in rows
    }


def _permissions(
    events: Iterable[tuple[str, str, str, dt.datetime]],
) -> tuple[MarketingPermission, ...]:
    """Marketing permissions from (purpose code, channel, status, recorded at), oldest first."""
    by_channel: dict[tuple[str, str], tuple[bool, dt.date | None]] = {}
    granted: set[str] = set()
    given_on: dict[str, dt.date] = {}
    for code, channel, status, at in events:
        if status == ConsentStatus.OPT_OUT.value:
            active, _withdrawn = by_channel.get((code, channel), (False, None))
            if (code, channel) in by_channel:
                by_channel[(code, channel)] = (False, at.date() if active else _withdrawn)
        else:
            granted.add(code)
            given_on[code] = at.date()  # the latest opt-in (or re-confirmation)
            by_channel[(code, channel)] = (True, None)
    result = []
    for code in sorted(granted):
        states = [state for (c, _ch), state in by_channel.items() if c == code]
        if any(active for active, _w in states):
            result.append(MarketingPermission(code, granted_on=given_on.get(code)))
        else:
            withdrawn = [w for _a, w in states if w is not None]
            if withdrawn:
                result.append(MarketingPermission(code, max(withdrawn)))
    return tuple(result)


def load_facts(conn: Connection | Session, contact_ids: Sequence[int]) -> dict[int, RetentionFacts]:
    """The retention facts of the given contacts (missing ids are left out)."""
    if not contact_ids:
        return {}
    low, high = min(contact_ids), max(contact_ids)
    wanted = set(contact_ids)
    contacts = conn.execute(
        select(
            Contact.id,
            Contact.relationship,
            Contact.created_at,
            Contact.relationship_start,
            Contact.relationship_end,
            Contact.last_interaction,
        ).where(Contact.id.between(low, high))
    ).tuples()
    events: dict[int, list[tuple[str, str, str, dt.datetime]]] = defaultdict(list)
    for cid, code, channel, status, at in conn.execute(
        select(
            ConsentEvent.contact_id,
            Purpose.code,
            ConsentEvent.channel,
            ConsentEvent.status,
            ConsentEvent.recorded_at,
        )
        .join(Purpose, Purpose.id == ConsentEvent.purpose_id)
        .where(ConsentEvent.contact_id.between(low, high), Purpose.is_marketing.is_(True))
        .order_by(ConsentEvent.contact_id, ConsentEvent.recorded_at, ConsentEvent.id)
    ).tuples():
        if cid is not None:
            events[cid].append((code, channel, status, at))
    # The newest logged interaction per contact: their own and those they took part in
    # as a linked person (a meeting they attended is real contact with them).
    both = union_all(
        select(Activity.contact_id.label("cid"), Activity.occurred_at.label("at")).where(
            Activity.contact_id.between(low, high)
        ),
        select(ActivityPerson.contact_id.label("cid"), Activity.occurred_at.label("at"))
        .join(Activity, Activity.id == ActivityPerson.activity_id)
        .where(ActivityPerson.contact_id.between(low, high)),
    ).subquery()
    last_activity = {
        cid: at.date()
        for cid, at in conn.execute(
            select(both.c.cid, func.max(both.c.at)).group_by(both.c.cid)
        ).tuples()
        if cid is not None and at is not None
    }
    holds: dict[int, list[Hold]] = defaultdict(list)
    for cid, reason, until in conn.execute(
        select(RetentionHold.contact_id, RetentionHold.reason, RetentionHold.until).where(
            RetentionHold.contact_id.between(low, high)
        )
    ).tuples():
        holds[cid].append(Hold(reason, until))
    facts = {}
    for cid, relationship, created_at, start, end, last in contacts:
        if cid not in wanted:
            continue
        facts[cid] = RetentionFacts(
            relationship=Relationship(relationship),
            collected_on=created_at.date(),
            relationship_start=start,
            relationship_end=end,
            last_interaction=last,
            last_activity=last_activity.get(cid),
            marketing=_permissions(events.get(cid, ())),
            holds=tuple(holds.get(cid, ())),
        )
    return facts


def reconfirm_months(conn: Connection | Session) -> int:
    """How long a lasting consent holds before it is due for re-confirmation (the setting
    ``RECONFIRM_SETTING``, else ``DEFAULT_RECONFIRM_MONTHS``)."""
    value = conn.execute(select(Setting.value).where(Setting.key == RECONFIRM_SETTING)).scalar()
    try:
        return max(1, int(value)) if value is not None else DEFAULT_RECONFIRM_MONTHS
    except ValueError:
        return DEFAULT_RECONFIRM_MONTHS


def recompute(
    conn: Connection | Session,
    contact_ids: Sequence[int],
    rules: Mapping[str, RetentionRule] | None = None,
) -> dict[int, KeepUntil]:
    """Recompute and store the keep-until date of the given contacts, in the caller's
    transaction; returns what was stored."""
    if isinstance(conn, Session):
        conn.flush()
    rules = stored_rules(conn) if rules is None else rules
    months = reconfirm_months(conn)
    results = {
        cid: keep_until(facts, rules, months)
        for cid, facts in load_facts(conn, contact_ids).items()
    }
    stored = [
        {"cid": cid, "ku": None if r.open_ended else r.date, "kr": r.reason}
        for cid, r in results.items()
    ]
    if stored and is_postgresql(conn):
        # One statement: an executemany is a statement (and a trigger run) a contact.
        update_from_arrays(
            conn,
            "contact",
            "id",
            {"id": "integer", "keep_until": "date", "keep_reason": "text"},
            [{"id": r["cid"], "keep_until": r["ku"], "keep_reason": r["kr"]} for r in stored],
        )
    elif stored:
        conn.execute(_STORE, stored)
    return results


class RetentionService:
    """Keep-until dates, holds and the retention warnings."""

    def __init__(self, uow: UnitOfWork, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    def recompute_all(
        self, progress: Callable[[int, int], None] | None = None, chunk: int = RECOMPUTE_CHUNK
    ) -> int:
        """Recompute every contact's keep-until date (after an upgrade, a rule change, a bulk
        load), in chunks of one transaction each; returns how many contacts were updated."""
        with self._uow.engine.connect() as conn:
            bounds = conn.execute(select(func.min(Contact.id), func.max(Contact.id))).one()
            rules = stored_rules(conn)
        if bounds[0] is None:
            return 0
        low, high = int(bounds[0]), int(bounds[1])
        done = 0
        for start in range(low, high + 1, chunk):
            with self._uow.engine.begin() as conn:
                ids = list(
                    conn.scalars(
                        select(Contact.id).where(Contact.id.between(start, start + chunk - 1))
                    )
                )
                done += len(recompute(conn, ids, rules))
            if progress is not None:
                progress(min(start + chunk, high + 1) - low, high + 1 - low)
        vacuum_analyze(self._uow.engine, "contact")
        return done

    def fill_missing(self, chunk: int = RECOMPUTE_CHUNK) -> int:
        """Compute the date of contacts that have none yet (bulk loads, older versions);
        cheap when there are none (one index probe). Returns how many were filled."""
        filled = 0
        missing = (
            select(Contact.id)
            .where(Contact.keep_until.is_(None), Contact.keep_reason == "")
            .limit(chunk)
        )
        while True:
            with self._uow.engine.begin() as conn:
                ids = list(conn.scalars(missing))
                if ids:
                    recompute(conn, ids)
            filled += len(ids)
            if len(ids) < chunk:
                return filled

    def reconfirm_months(self) -> int:
        """Months until a lasting consent is due for re-confirmation."""
        with self._uow() as uow:
            return reconfirm_months(uow.session)

    def set_reconfirm_months(self, actor: Actor, months: int) -> int:
        """Change the re-confirmation horizon (owner / privacy officer) and recompute every
        keep-until date with it; returns how many contacts were recomputed."""
        require(actor.role, Permission.CLEANUP)
        if months not in RECONFIRM_MONTHS_RANGE:
            raise ValidationFailed(
                [FieldProblem("reconfirm_months", N_("Choose between 1 and 120 months."))]
            )
        with self._uow(write=True) as uow:
            uow.session.merge(Setting(key=RECONFIRM_SETTING, value=str(months)))
            record_event(
                uow.session,
                actor=actor.username,
                action="retention.reconfirm_months",
                entity="setting",
                entity_id=RECONFIRM_SETTING,
                at=self._clock.now(),
                detail=f"months={months}",
            )
        return self.recompute_all()

    def reminder_date(self) -> tuple[int, int]:
        """(month, day) from which the yearly cleanup reminder shows."""
        with self._uow() as uow:
            value = uow.session.get(Setting, REMINDER_SETTING)
        try:
            month, day = (int(p) for p in (value.value if value else DEFAULT_REMINDER).split("-"))
            dt.date(2000, month, day)
        except ValueError:
            return 1, 15
        return month, day

    def set_reminder_date(self, actor: Actor, month: int, day: int) -> None:
        """Change the date of the yearly reminder (a business setting)."""
        require(actor.role, Permission.EDIT_SETTINGS)
        try:
            dt.date(2000, month, day)
        except ValueError:
            raise ValidationFailed([FieldProblem("reminder", N_("This is not a date."))]) from None
        with self._uow(write=True) as uow:
            uow.session.merge(Setting(key=REMINDER_SETTING, value=f"{month:02d}-{day:02d}"))
            record_event(
                uow.session,
                actor=actor.username,
                action="settings.cleanup_reminder",
                entity="setting",
                entity_id=REMINDER_SETTING,
                at=self._clock.now(),
                detail=f"{month:02d}-{day:02d}",
            )

    def take_reminder(self, actor: Actor) -> bool:
        """True once a year from the reminder date, for whoever may run the cleanup, when a
        contact is past its keep-until date (``cleanup_reminder_due``); the reminder is then
        marked as shown for this year."""
        from privacycrm_desktop.domain.access import has_permission

        if not has_permission(actor.role, Permission.CLEANUP):
            return False
        today = self._clock.today()
        expired = self.counts(actor).expired
        with self._uow(write=True) as uow:
            shown = uow.session.get(Setting, REMINDED_SETTING)
            shown_in = int(shown.value) if shown is not None and shown.value.isdigit() else None
            if not cleanup_reminder_due(today, self.reminder_date(), shown_in, expired):
                return False
            uow.session.merge(Setting(key=REMINDED_SETTING, value=str(today.year)))
        return True

    def counts(self, actor: Actor) -> RetentionCounts:
        """Expired and expiring-within-30-days contacts (the main window's warning)."""
        require(actor.role, Permission.VIEW_CONTACTS)
        today = self._clock.today()
        soon = today + dt.timedelta(EXPIRING_WITHIN_DAYS)
        # From the per-date counts the triggers keep (migration 0004): a few thousand rows
        # instead of a third of a million-entry index.
        with self._uow() as uow:
            expired = uow.session.scalar(
                select(func.sum(KeepUntilCount.n)).where(KeepUntilCount.day < today)
            )
            expiring = uow.session.scalar(
                select(func.sum(KeepUntilCount.n)).where(KeepUntilCount.day.between(today, soon))
            )
        return RetentionCounts(int(expired or 0), int(expiring or 0))

    def holds(self, actor: Actor, contact_id: int) -> list[HoldInfo]:
        """The holds on one contact, latest end first."""
        require(actor.role, Permission.VIEW_CONTACTS)
        with self._uow() as uow:
            rows = uow.session.scalars(
                select(RetentionHold)
                .where(RetentionHold.contact_id == contact_id)
                .order_by(RetentionHold.until.desc(), RetentionHold.id)
            )
            return [HoldInfo(h.id, h.reason, h.until) for h in rows]

    def add_hold(self, actor: Actor, contact_id: int, reason: str, until: dt.date) -> int:
        """Keep a contact until *until* for *reason* (a legal obligation, a dispute).

        Raises:
            ValidationFailed: no reason, or an end in the past.
            NotFound: no such contact.
        """
        require(actor.role, Permission.CLEANUP)
        reason = " ".join(reason.split())[:MAX_HOLD_REASON]
        problems = []
        if not reason:
            problems.append(FieldProblem("reason", N_("Give the reason for the hold.")))
        if until < self._clock.today():
            problems.append(FieldProblem("until", N_("A hold must end in the future.")))
        if problems:
            raise ValidationFailed(problems)
        now = self._clock.now()
        with self._uow(write=True) as uow:
            session = uow.session
            if session.get(Contact, contact_id) is None:
                raise NotFound
            hold = RetentionHold(
                contact_id=contact_id,
                reason=reason,
                until=until,
                created_by=actor.user_id,
                created_at=now,
            )
            session.add(hold)
            session.flush()
            recompute(session, [contact_id])
            record_event(
                session,
                actor=actor.username,
                action="retention.hold_add",
                entity="contact",
                entity_id=contact_id,
                at=now,
                detail=f"hold={hold.id};until={until.isoformat()}",
            )
            return hold.id

    def remove_hold(self, actor: Actor, hold_id: int) -> None:
        """End a hold early; the contact's date falls back to what its purposes give."""
        require(actor.role, Permission.CLEANUP)
        now = self._clock.now()
        with self._uow(write=True) as uow:
            session = uow.session
            hold = session.get(RetentionHold, hold_id)
            if hold is None:
                raise NotFound
            contact_id = hold.contact_id
            session.delete(hold)
            session.flush()
            recompute(session, [contact_id])
            record_event(
                session,
                actor=actor.username,
                action="retention.hold_remove",
                entity="contact",
                entity_id=contact_id,
                at=now,
                detail=f"hold={hold_id}",
            )


def expired_query(today: dt.date) -> Select[tuple[int, dt.date | None, str]]:
    """Contacts past their keep-until date, with the reason, oldest first.

    Reads only ``ix_contact_keep_until`` (keep_until, keep_reason, id): a range on the stored
    date, no row lookups, whatever share of the contacts has expired (a test checks the plan).
    """
    return (
        select(Contact.id, Contact.keep_until, Contact.keep_reason)
        .where(Contact.keep_until < today)
        .order_by(Contact.keep_until, Contact.keep_reason, Contact.id)
    )


def expired_summary_query(today: dt.date, reasons: Sequence[str]) -> Select[tuple[str, int]]:
    """How many contacts expired, by reason.

    Reads ``ix_contact_keep_reason`` (keep_reason, keep_until) with ``IN (reasons)``: one
    range per reason, already grouped, so nothing is sorted (a GROUP BY over the date
    index sorted 300,000 entries and took 4x longer). *reasons* are every purpose code
    plus ``hold`` and ``no_purpose``.
    """
    return (
        select(Contact.keep_reason, func.count())
        .where(Contact.keep_reason.in_(sorted(set(reasons))), Contact.keep_until < today)
        .group_by(Contact.keep_reason)
        .order_by(Contact.keep_reason)
    )
