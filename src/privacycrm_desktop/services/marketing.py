"""Marketing lists that reach only who may be reached (rules 1, 3-6, 13, 20).

Choose a purpose, a channel and (for soft opt-in) a product category: the list holds the
reachable contacts with the reason each one qualifies, plus how many were left out for
which reason. Columns follow the user's field access (a hidden field is never in the list
or its CSV). A CSV export is logged with purpose and recipient; a recipient that would use
the contacts for its own marketing is refused (rule 6).
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import gc
import io
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import select

from privacycrm_desktop.domain.access import FieldAccess, Permission, mask, require
from privacycrm_desktop.domain.consent import Channel
from privacycrm_desktop.domain.csv_cells import neutralise, phone_cell
from privacycrm_desktop.domain.errors import FieldProblem, PermissionDenied, ValidationFailed
from privacycrm_desktop.domain.marketing import (
    REACHABLE_REASONS,
    Decision,
    Explanation,
    Reason,
    explain,
    normalise_category,
)
from privacycrm_desktop.domain.suppression import key_fingerprint
from privacycrm_desktop.domain.text import N_
from privacycrm_desktop.persistence import contact_digests
from privacycrm_desktop.persistence.models import Purpose
from privacycrm_desktop.persistence.record_models import Disclosure
from privacycrm_desktop.persistence.unit_of_work import UnitOfWork
from privacycrm_desktop.services.access import AccessService
from privacycrm_desktop.services.audit import record_event
from privacycrm_desktop.services.clock import Clock
from privacycrm_desktop.services.consent_dto import MarketingEntry, MarketingList
from privacycrm_desktop.services.disclosures import DisclosureService, find_recipient
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.marketing_facts import get_salt, marketing_rules
from privacycrm_desktop.services.marketing_list import CONTACT_INDEX, ListDecisions, decide_list
from privacycrm_desktop.services.marketing_rows import PROGRESS_STEP

#: List columns and the catalogue field each one shows.
_BASE_COLUMNS = (
    ("first_name", "first_name"),
    ("last_name", "last_name"),
    ("organisation", "organisation"),
    ("language", "language"),
)
_CHANNEL_COLUMNS = {
    Channel.EMAIL: (("email", "emails"),),
    Channel.PHONE: (("phone", "phones"),),
    Channel.SMS: (("phone", "phones"),),
    Channel.POST: (
        ("street", "street"),
        ("postcode", "postcode"),
        ("city", "city"),
        ("country", "country"),
    ),
}
INTERNAL = "internal"


class MarketingService:
    """Builds marketing lists and exports them."""

    def __init__(self, uow: UnitOfWork, clock: Clock, access: AccessService | None = None) -> None:
        self._uow = uow
        self._clock = clock
        # The same field policy as the contact list: a hidden field never reaches a list.
        self._policy = access or AccessService(uow, clock)

    def build(
        self,
        actor: Actor,
        purpose: str,
        channel: Channel,
        category: str | None = None,
        progress: Callable[[int, int], None] | None = None,
        *,
        tag: int | None = None,
    ) -> MarketingList:
        """The reachable contacts for *purpose* on *channel* about *category*.

        *progress*, when given, is told ``(done, total)`` now and then; an exception it
        raises (a cancel) stops the work. *tag*: only the contacts carrying the tag of
        that id (for a role that may see tags).

        Raises:
            ValidationFailed: unknown or non-marketing purpose; soft opt-in without a category.
            PermissionDenied: the role may not build marketing lists.
        """
        # Paused: the list makes a few objects per contact and none refer to each other;
        # the cyclic collector's passes over them cost a third of the time.
        with _collector_paused():
            return self._build(actor, purpose, channel, category, progress, tag=tag)

    def _build(
        self,
        actor: Actor,
        purpose: str,
        channel: Channel,
        category: str | None = None,
        progress: Callable[[int, int], None] | None = None,
        *,
        tag: int | None = None,
    ) -> MarketingList:
        require(actor.role, Permission.MARKETING_LISTS)
        category = normalise_category(category) if category and category.strip() else None
        today = self._clock.today()
        decide = functools.partial(
            self._decide, actor, purpose, channel, today, category, progress, tag
        )
        found = decide(stale_ok=False)
        if found is None:
            # Contacts changed since the last list: their digests are stored first (a
            # write), and the list is made in a new read (hashing only those changed since).
            self._store_digests()
            found = decide(stale_ok=True)
        assert found is not None
        decided, access = found
        # The role's field rules, once for the list: which columns, where in a row, masked.
        shown = tuple(
            (column, CONTACT_INDEX.get(column, -1), access[field] is FieldAccess.MASKED)
            for column, field in _BASE_COLUMNS + _CHANNEL_COLUMNS[channel]
            if access[field] is not FieldAccess.HIDDEN
        )
        columns = tuple(column for column, _index, _masked in shown)
        entries, excluded = _entries(decided, shown, channel, progress)
        return MarketingList(
            purpose, channel, category, columns, tuple(entries), dict(sorted(excluded.items()))
        )

    def _decide(
        self,
        actor: Actor,
        purpose: str,
        channel: Channel,
        today: dt.date,
        category: str | None,
        progress: Callable[[int, int], None] | None,
        tag: int | None,
        *,
        stale_ok: bool,
    ) -> tuple[ListDecisions, dict[str, FieldAccess]] | None:
        """The list's decisions and the role's field access, in one read; None (without
        *stale_ok*) when contacts' stored digests are stale: the caller stores them and asks
        again. One look for stale digests a list, in the list's own read (it was two: one
        before, one in it; each reads every contact)."""
        with self._uow() as uow:
            session = uow.session
            rules = marketing_rules(session)
            rule = rules.get(purpose)
            if rule is None:
                raise ValidationFailed(
                    [FieldProblem("purpose", N_("Choose an active marketing purpose."))]
                )
            if not rule.needs_opt_in and category is None:
                raise ValidationFailed(
                    [
                        FieldProblem(
                            "category",
                            N_(
                                "Choose the product category the offer is about: soft opt-in "
                                "covers only products similar to what was bought."
                            ),
                        )
                    ]
                )
            access = self._policy.access_for(actor.role)
            if tag is not None and access.get("tags") not in (FieldAccess.READ, FieldAccess.WRITE):
                raise PermissionDenied  # the list would tell who carries the tag
            salt = get_salt(session)
            stale = None
            if salt is not None:
                stale = contact_digests.stale_contacts(session.connection(), key_fingerprint(salt))
                if stale and not stale_ok:
                    return None
            decided = decide_list(
                session, salt, rule, rules, channel, today, category, progress, tag, stale=stale
            )
        return decided, access

    def _store_digests(self) -> None:
        """Store the suppression digests of the contacts changed since the last list
        (persistence/contact_digests.py), so the list joins instead of hashing them."""
        with self._uow(write=True) as uow:
            salt = get_salt(uow.session)
            if salt is not None:
                contact_digests.refresh(uow.session.connection(), salt)

    def export_csv(
        self,
        actor: Actor,
        purpose: str,
        channel: Channel,
        category: str | None = None,
        recipient: str = "",
        progress: Callable[[int, int], None] | None = None,
        *,
        tag: int | None = None,
    ) -> tuple[bytes, int]:
        """The list as CSV (UTF-8 with BOM, formulas neutralised); logged as an export.

        A named *recipient* (a mailing house, a printer) gets a disclosure per contact in
        the ledger; one that would use the contacts for its own marketing is refused.

        *progress* is as for ``build``; nothing is logged when it stops the work.

        Returns:
            The file's bytes and how many contacts it holds.
        """
        require(actor.role, Permission.EXPORT)
        name = " ".join(recipient.split())
        DisclosureService(self._uow, self._clock).refuse_own_use(actor, name, False, "export")
        result = self.build(actor, purpose, channel, category, progress, tag=tag)
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(["id", *result.columns, "reason"])
        for entry in result.entries:
            writer.writerow(
                [
                    str(entry.contact_id),
                    *(
                        (phone_cell if c == "phone" else neutralise)(entry.values.get(c, ""))
                        for c in result.columns
                    ),
                    entry.reason.value,
                ]
            )
        data = ("\ufeff" + buffer.getvalue()).encode("utf-8")
        self._log_export(actor, result, name)
        return data, len(result.entries)

    def _log_export(self, actor: Actor, result: MarketingList, recipient: str) -> None:
        now, today = self._clock.now(), self._clock.today()
        with self._uow(write=True) as uow:
            session = uow.session
            recipient_id = INTERNAL
            if recipient:
                row = find_recipient(session, recipient)
                recipient_id = str(row.id)
                purpose_id = session.execute(
                    select(Purpose.id).where(Purpose.code == result.purpose)
                ).scalar_one()
                categories = ",".join(result.columns)
                session.add_all(
                    Disclosure(
                        contact_id=entry.contact_id,
                        recipient_id=row.id,
                        purpose_id=purpose_id,
                        categories=categories,
                        disclosed_on=today,
                        recorded_by=actor.user_id,
                    )
                    for entry in result.entries
                )
            record_event(
                session,
                actor=actor.username,
                action="export.marketing_csv",
                entity="purpose",
                entity_id=result.purpose,
                at=now,
                detail=f"channel={result.channel.value};count={len(result.entries)};"
                f"recipient={recipient_id}",
            )


def _entries(
    decided: ListDecisions,
    shown: tuple[tuple[str, int, bool], ...],
    channel: Channel,
    progress: Callable[[int, int], None] | None,
) -> tuple[list[MarketingEntry], Counter[str]]:
    """The list's entries (the reachable contacts, with the *shown* columns: name, index
    in a row or -1 for the contact point, masked) and how many were left out per reason
    (the second half of the progress)."""
    rows = decided.rows
    plain = [(column, index) for column, index, masked in shown if index >= 0 and not masked]
    masked = [(column, index) for column, index, hidden in shown if index >= 0 and hidden]
    point_column = next(((c, m) for c, index, m in shown if index < 0), None)
    entries: list[MarketingEntry] = []
    add = entries.append
    # Entries are made as tuples (a NamedTuple's own constructor costs a call an entry).
    entry_of = tuple.__new__
    left_out: Counter[Reason] = Counter(decided.rest)
    explained: dict[tuple[object, ...], Explanation] = {}
    seen: dict[tuple[object, ...], Explanation] = {}  # the rows keep their events alive
    total = 2 * len(rows)
    reachable = REACHABLE_REASONS
    for number, (cid, raw, reason, event, point, categories) in enumerate(rows, start=len(rows)):
        if progress is not None and number % PROGRESS_STEP == 0:
            progress(number, total)
        if reason not in reachable:
            left_out[reason] += 1
            continue
        values = {column: raw[index] for column, index in plain}
        for column, index in masked:
            values[column] = mask(raw[index])
        if point_column is not None:
            column, hide = point_column
            values[column] = mask(point or "") if hide else point or ""
        # The explanation reads the reason, the deciding event and the categories
        # only: contacts decided alike share it (a list of 50,000 has few distinct).
        # By the event's identity first (the list's events alike are one fact, and
        # hashing one by value costs a call per field), then by value.
        same = (reason, id(event), categories)
        explanation = seen.get(same)
        if explanation is None:
            key = (reason, event, categories)
            explanation = explained.get(key)
            if explanation is None:
                decision = Decision(reason, event, None, categories)
                explanation = explained[key] = explain(decision, channel)
            seen[same] = explanation
        add(entry_of(MarketingEntry, (cid, values, reason, explanation)))
    if progress is not None:
        progress(total, total)
    return entries, Counter({reason.value: n for reason, n in left_out.items()})


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off for the block (as it was after it)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
