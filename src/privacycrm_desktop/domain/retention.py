"""Keep-until dates: how long a contact may be kept, from its purposes (rules 8 and 9).

Which purposes apply to a contact, explicitly:

- ``customer_relationship``: customers and former customers;
- ``invoicing``: customers and former customers with a relationship start date (there
  was a sale, so there are invoices the law makes us keep);
- ``prospect_follow_up``: prospects, suppliers and others (anyone who is not a customer:
  we keep them while we are in touch);
- a marketing purpose (``direct_marketing_consent``, ``direct_marketing_soft_opt_in``,
  or any other purpose marked as marketing): when the contact has an opt-in or soft
  opt-in event for it.

Each purpose keeps the contact for its retention period after its trigger:

- end of the relationship: the relationship end date; a customer without one is still a
  customer (kept open-ended); a former customer without one counts from the last
  interaction, or else from collection;
- last interaction: the latest of the last interaction typed on the contact, the newest
  interaction logged on its timeline (a call, a meeting, an e-mail...) and the collection
  date;
- collection: the date the contact was first recorded;
- withdrawal of consent: the date of the withdrawal. While consent lasts the contact is
  kept until the consent is due for re-confirmation: ``reconfirm_months`` (a setting,
  ``DEFAULT_RECONFIRM_MONTHS``) after it was given or last confirmed, with the reason
  ``RECONFIRM_REASON``, so the cleanup lists the contact and proposes asking again. (It
  once counted as open-ended: recording a newsletter opt-in blanked the date, and those
  contacts never reached the cleanup.)

The keep-until date is the latest date any applicable purpose gives (no purpose left means
the collection date: nothing justifies keeping the contact). Holds (a legal obligation, a
dispute) only extend it: the result is the later of that date and the latest hold end.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from privacycrm_desktop.domain.contacts import Relationship
from privacycrm_desktop.domain.purposes import DEFAULT_PURPOSES, RetentionTrigger
from privacycrm_desktop.domain.text import N_

#: "Kept while a purpose lasts": stored as the largest date so the index orders it last.
OPEN_ENDED = dt.date.max
#: Days before the keep-until date in which a contact counts as "expiring soon".
EXPIRING_WITHIN_DAYS = 30
#: The reason code when a hold decides the date, or when no purpose applies.
HOLD_REASON = "hold"
NO_PURPOSE_REASON = "no_purpose"
#: The reason code when a lasting consent decides the date: it is due for re-confirmation.
RECONFIRM_REASON = "consent_reconfirmation"
#: Months after a consent was given (or last confirmed) until it is asked again.
DEFAULT_RECONFIRM_MONTHS = 24

CUSTOMER_RELATIONSHIP = "customer_relationship"
INVOICING = "invoicing"
PROSPECT_FOLLOW_UP = "prospect_follow_up"

_CUSTOMERS = frozenset({Relationship.CUSTOMER, Relationship.FORMER_CUSTOMER})

REASON_LABELS = {
    HOLD_REASON: N_("Hold"),
    NO_PURPOSE_REASON: N_("No purpose left"),
    RECONFIRM_REASON: N_("Consent due for re-confirmation"),
}


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day *months* later, clamped to the end of a shorter month (and to
    ``OPEN_ENDED``)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    if year > OPEN_ENDED.year:
        return OPEN_ENDED
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class RetentionRule:
    """A purpose's retention rule: *months* after *trigger*."""

    code: str
    trigger: RetentionTrigger
    months: int
    is_marketing: bool = False


DEFAULT_RULES: Mapping[str, RetentionRule] = {
    spec.code: RetentionRule(
        spec.code, spec.retention_trigger, spec.retention_months, spec.is_marketing
    )
    for spec in DEFAULT_PURPOSES
}


@dataclass(frozen=True)
class MarketingPermission:
    """A marketing purpose the contact agreed to (opt-in or soft opt-in).

    ``withdrawn_on`` is None while the permission lasts on some channel, else the date of
    the last withdrawal; ``granted_on`` is when a lasting permission was last given or
    confirmed (None: not known, counted from collection).
    """

    purpose_code: str
    withdrawn_on: dt.date | None = None
    granted_on: dt.date | None = None


@dataclass(frozen=True)
class Hold:
    """Something that keeps a contact longer: a reason and an end date."""

    reason: str
    until: dt.date


@dataclass(frozen=True)
class RetentionFacts:
    """What the keep-until date of one contact depends on."""

    relationship: Relationship
    collected_on: dt.date
    relationship_start: dt.date | None = None
    relationship_end: dt.date | None = None
    last_interaction: dt.date | None = None
    #: The date of the newest interaction on the contact's timeline.
    last_activity: dt.date | None = None
    marketing: tuple[MarketingPermission, ...] = ()
    holds: tuple[Hold, ...] = ()


@dataclass(frozen=True)
class KeepUntil:
    """The computed date and the reason code: the deciding purpose, ``hold`` or
    ``no_purpose``."""

    date: dt.date
    reason: str

    @property
    def open_ended(self) -> bool:
        """True while a purpose lasts with no end in sight."""
        return self.date == OPEN_ENDED


def applicable_purposes(facts: RetentionFacts, rules: Mapping[str, RetentionRule]) -> list[str]:
    """The codes of the purposes that apply to the contact (see the module docstring)."""
    codes: list[str] = []
    if facts.relationship in _CUSTOMERS:
        codes.append(CUSTOMER_RELATIONSHIP)
        if facts.relationship_start is not None:
            codes.append(INVOICING)
    else:
        codes.append(PROSPECT_FOLLOW_UP)
    codes += [m.purpose_code for m in facts.marketing]
    return [code for code in dict.fromkeys(codes) if code in rules]


def trigger_date(
    facts: RetentionFacts, trigger: RetentionTrigger, purpose_code: str = ""
) -> dt.date | None:
    """The date *trigger* happened for the contact, or None while it has not (open-ended)."""
    last_contact = max(
        filter(None, (facts.last_interaction, facts.last_activity, facts.collected_on))
    )
    if trigger is RetentionTrigger.RELATIONSHIP_END:
        if facts.relationship_end is None and facts.relationship is Relationship.CUSTOMER:
            return None
        return facts.relationship_end or last_contact
    if trigger is RetentionTrigger.CONSENT_WITHDRAWAL:
        permissions = [m for m in facts.marketing if m.purpose_code == purpose_code]
        withdrawn = [m.withdrawn_on for m in permissions if m.withdrawn_on is not None]
        if not permissions or len(withdrawn) < len(permissions):
            return None
        return max(withdrawn)
    return facts.collected_on if trigger is RetentionTrigger.COLLECTION else last_contact


def keep_until(
    facts: RetentionFacts,
    rules: Mapping[str, RetentionRule] = DEFAULT_RULES,
    reconfirm_months: int = DEFAULT_RECONFIRM_MONTHS,
) -> KeepUntil:
    """The date until which the contact may be kept, and why.

    Args:
        facts: the contact's relationship, dates, marketing permissions and holds.
        rules: the retention rule of each active purpose, by code (the stored register).
        reconfirm_months: how long a lasting consent holds before it is asked again.

    Returns:
        The latest date an applicable purpose gives, extended by holds; on a tie the
        first purpose in ``applicable_purposes`` order is the reason.
    """
    best: KeepUntil | None = None
    for code in applicable_purposes(facts, rules):
        rule = rules[code]
        start = trigger_date(facts, rule.trigger, code)
        reason = code
        if start is None and rule.trigger is RetentionTrigger.CONSENT_WITHDRAWAL:
            # A lasting consent is not forever: it is due for re-confirmation.
            until, reason = _reconfirm_by(facts, code, reconfirm_months), RECONFIRM_REASON
        else:
            until = OPEN_ENDED if start is None else add_months(start, rule.months)
        if best is None or until > best.date:
            best = KeepUntil(until, reason)
    if best is None:
        best = KeepUntil(facts.collected_on, NO_PURPOSE_REASON)
    return extend_by_holds(best, facts.holds)


def _reconfirm_by(facts: RetentionFacts, code: str, months: int) -> dt.date:
    granted = [
        m.granted_on or facts.collected_on for m in facts.marketing if m.purpose_code == code
    ]
    return add_months(max(granted, default=facts.collected_on), months)


def extend_by_holds(base: KeepUntil, holds: Iterable[Hold]) -> KeepUntil:
    """*base*, or the latest hold end when that is later: holds never shorten."""
    latest = max((h.until for h in holds), default=None)
    if latest is not None and latest > base.date:
        return KeepUntil(latest, HOLD_REASON)
    return base


def is_expired(until: dt.date | None, today: dt.date) -> bool:
    """True when the contact should have gone already."""
    return until is not None and until < today


def is_expiring(until: dt.date | None, today: dt.date) -> bool:
    """True when the date falls within the next ``EXPIRING_WITHIN_DAYS`` days."""
    return until is not None and today <= until <= today + dt.timedelta(EXPIRING_WITHIN_DAYS)


class CleanupAction(StrEnum):
    """What the annual cleanup does with an expired contact."""

    ERASE = "erase"
    #: Identity goes, a non-identifying record stays for statistics (rule 9).
    ANONYMISE = "anonymise"
    #: Kept for a stated reason (a hold for a year).
    KEEP = "keep"
    #: Kept for a month while the person is asked for consent again.
    ASK_CONSENT = "ask_consent"


CLEANUP_ACTION_LABELS = {
    CleanupAction.ERASE: N_("Erase"),
    CleanupAction.ANONYMISE: N_("Anonymise"),
    CleanupAction.KEEP: N_("Keep (with a reason)"),
    CleanupAction.ASK_CONSENT: N_("Ask for consent again"),
}
#: How long "keep" and "ask for consent again" hold the contact.
KEEP_MONTHS = 12
ASK_CONSENT_DAYS = 30

#: The proposal per reason: former customers are anonymised (the counts of customers stay
#: true), former soft opt-in customers are asked for consent, everyone else is erased.
_PROPOSALS = {
    CUSTOMER_RELATIONSHIP: CleanupAction.ANONYMISE,
    INVOICING: CleanupAction.ANONYMISE,
    "direct_marketing_soft_opt_in": CleanupAction.ASK_CONSENT,
    RECONFIRM_REASON: CleanupAction.ASK_CONSENT,
}


def proposed_action(reason: str) -> CleanupAction:
    """The action the cleanup proposes for a contact that expired for *reason*."""
    return _PROPOSALS.get(reason, CleanupAction.ERASE)


@dataclass(frozen=True)
class Selection:
    """Which of the cleanup's candidates are handled: all except ``ids``, or none except
    ``ids``.

    It speaks of the whole candidate set, never of the rows a list happens to have loaded
    or shows: "Check none" on a list with 500 of 30,000 rows loaded once left 29,500
    checked by default, and the cleanup erased them.
    """

    everyone: bool = True
    #: The exceptions: unchecked ids when ``everyone``, checked ids otherwise.
    ids: frozenset[int] = frozenset()

    @classmethod
    def all(cls) -> Selection:
        """Every candidate."""
        return cls(True)

    @classmethod
    def none(cls) -> Selection:
        """No candidate."""
        return cls(False)

    def includes(self, contact_id: int) -> bool:
        """True when the contact is handled."""
        return (contact_id not in self.ids) if self.everyone else (contact_id in self.ids)

    def with_checked(self, contact_ids: Iterable[int], checked: bool) -> Selection:
        """The same selection with *contact_ids* checked (or unchecked)."""
        ids = set(self.ids)
        # An exception is an id whose state differs from the default.
        (ids.update if checked != self.everyone else ids.difference_update)(contact_ids)
        return Selection(self.everyone, frozenset(ids))

    def count(self, candidates: int) -> int:
        """How many of *candidates* (all of them, ``ids`` among them) are handled."""
        return candidates - len(self.ids) if self.everyone else len(self.ids)


def cleanup_reminder_due(
    today: dt.date, reminder: tuple[int, int], shown_in: int | None, expired: int
) -> bool:
    """Whether the yearly cleanup reminder shows today.

    Once a year, from the reminder's (month, day) on, and only when some contact is past
    its keep-until date: a new database (or one cleaned already) has nothing to clean, and
    its reminder waits, unspent, for the day one has.

    Args:
        today: the date now.
        reminder: (month, day) from which the reminder may show each year.
        shown_in: the year it last showed, if ever.
        expired: how many contacts are past their keep-until date.
    """
    if expired <= 0 or shown_in == today.year:
        return False
    return today >= dt.date(today.year, *reminder)
