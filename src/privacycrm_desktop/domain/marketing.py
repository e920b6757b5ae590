"""Who may be reached for direct marketing, on which channel, and why (rules 1, 3-5, 13).

Pure functions over plain facts: the services gather a ``MarketingSubject`` per contact and
ask ``decide``; the marketing list keeps the reachable ones, the editor explains each
channel in plain words (``explain``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from privacycrm_desktop.domain.consent import (
    Channel,
    ConsentFact,
    ConsentState,
    ConsentStatus,
    consent_state,
)
from privacycrm_desktop.domain.contacts import ContactKind, Relationship
from privacycrm_desktop.domain.normalize import fold
from privacycrm_desktop.domain.text import N_


class Reason(StrEnum):
    """Why a contact is, or is not, reachable on a channel."""

    OPTED_IN = "opted_in"
    SOFT_OPT_IN = "soft_opt_in"
    ORGANISATION_ADDRESS = "organisation_address"
    NO_CONTACT_POINT = "no_contact_point"
    SUPPRESSED = "suppressed"
    OPTED_OUT = "opted_out"
    EXPIRED = "expired"
    NO_CONSENT = "no_consent"
    NOT_A_CUSTOMER = "not_a_customer"
    RELATIONSHIP_ENDED = "relationship_ended"
    NOT_FROM_A_SALE = "not_from_a_sale"
    CATEGORY_NOT_SIMILAR = "category_not_similar"


REACHABLE_REASONS = frozenset({Reason.OPTED_IN, Reason.SOFT_OPT_IN, Reason.ORGANISATION_ADDRESS})

REASON_LABELS = {
    Reason.OPTED_IN: N_("Opted in"),
    Reason.SOFT_OPT_IN: N_("Customer, soft opt-in for similar products"),
    Reason.ORGANISATION_ADDRESS: N_("Organisation address, offer aimed at the company"),
    Reason.NO_CONTACT_POINT: N_("Nothing to reach them by on this channel"),
    Reason.SUPPRESSED: N_("Unsubscribed from all direct marketing"),
    Reason.OPTED_OUT: N_("Opted out"),
    Reason.EXPIRED: N_("Consent expired"),
    Reason.NO_CONSENT: N_("No consent recorded"),
    Reason.NOT_A_CUSTOMER: N_("Soft opt-in needs a customer"),
    Reason.RELATIONSHIP_ENDED: N_("Customer relationship ended"),
    Reason.NOT_FROM_A_SALE: N_("Details did not come from a sale"),
    Reason.CATEGORY_NOT_SIMILAR: N_("Product category not similar to what was bought"),
}

_ALLOWED_PREFIX = {
    Channel.EMAIL: N_("E-mail marketing allowed"),
    Channel.PHONE: N_("Phone marketing allowed"),
    Channel.SMS: N_("SMS marketing allowed"),
    Channel.POST: N_("Marketing by post allowed"),
}
_DENIED_PREFIX = {
    Channel.EMAIL: N_("No e-mail marketing"),
    Channel.PHONE: N_("No phone marketing"),
    Channel.SMS: N_("No SMS marketing"),
    Channel.POST: N_("No marketing by post"),
}


@dataclass(frozen=True)
class MarketingRule:
    """A marketing purpose as the rules need it.

    ``needs_opt_in`` is True for purposes on the basis of consent; otherwise the purpose
    is soft opt-in to customers (rule 3). ``similar`` lists groups of product categories
    the owner declared similar to each other.
    """

    code: str
    needs_opt_in: bool
    similar: tuple[frozenset[str], ...] = ()


@dataclass(frozen=True)
class ContactPoint:
    """An e-mail address, number or postal address, and whether it came from a sale."""

    value: str
    from_sale: bool = False


@dataclass(frozen=True)
class MarketingSubject:
    """What the rules need to know of one contact for one channel."""

    kind: ContactKind
    relationship: Relationship
    relationship_end: dt.date | None
    points: tuple[ContactPoint, ...]
    suppressed: bool
    events: tuple[ConsentFact, ...] = field(default=())


@dataclass(frozen=True)
class Decision:
    """The verdict for one contact, channel and purpose, with what it rests on."""

    reason: Reason
    event: ConsentFact | None = None
    point: ContactPoint | None = None
    categories: tuple[str, ...] = ()

    @property
    def reachable(self) -> bool:
        """True when the contact may receive this marketing on this channel."""
        return self.reason in REACHABLE_REASONS


@dataclass(frozen=True)
class Explanation:
    """A sentence for a person: a msgid whose params are msgids, plain text or dates."""

    message: str
    params: dict[str, str | dt.date]
    allowed: bool


def normalise_category(text: str) -> str:
    """Categories compare folded: "Software " and "software" are the same category."""
    return " ".join(fold(text).split())


def similar_categories(bought: str, offered: str, groups: Iterable[frozenset[str]]) -> bool:
    """True when *offered* is the category *bought*, or both are in one similarity group."""
    a, b = normalise_category(bought), normalise_category(offered)
    if not a or not b:
        return False
    if a == b:
        return True
    return any(
        a in {normalise_category(c) for c in group} and b in {normalise_category(c) for c in group}
        for group in groups
    )


def channel_state(
    events: Sequence[ConsentFact],
    purpose: str,
    channel: Channel,
    today: dt.date,
    marketing_purposes: Iterable[str] = (),
) -> ConsentState:
    """The state of *purpose* on *channel*, where an opt-out for any marketing purpose counts.

    A person who says "no more e-mails" objects to e-mail marketing as such (rule 13), so
    opt-outs recorded under another marketing purpose of the same channel weigh as opt-outs
    of this one; a later opt-in for this purpose still wins (the latest event decides).
    """
    return consent_state(
        _channel_facts(events, purpose, channel, marketing_purposes), purpose, channel, today
    )


def _channel_facts(
    events: Sequence[ConsentFact],
    purpose: str,
    channel: Channel,
    marketing_purposes: Iterable[str],
) -> list[ConsentFact]:
    """The events of *purpose* on *channel*, plus the channel's other marketing opt-outs."""
    others = set(marketing_purposes) - {purpose}
    facts = [e for e in events if e.channel is channel and e.purpose == purpose]
    facts += [
        ConsentFact(
            purpose, channel, e.status, e.recorded_at, e.expires_on, e.method, e.product_category
        )
        for e in events
        if e.channel is channel and e.purpose in others and e.status is ConsentStatus.OPT_OUT
    ]
    return facts


def decide(  # noqa: PLR0911 (a decision table reads best as early returns)
    subject: MarketingSubject,
    rule: MarketingRule,
    channel: Channel,
    today: dt.date,
    category: str | None = None,
    marketing_purposes: Iterable[str] = (),
) -> Decision:
    """May *subject* receive marketing for *rule* on *channel*, about *category*?

    Order of the checks: something to reach them by, the suppression list, an opt-out,
    then the purpose's own basis: an opt-in in force for consent purposes; for soft
    opt-in an active customer relationship, details from a sale, a category similar to
    one bought and no opt-out since (rule 3). Organisation addresses may receive offers
    aimed at the company unless they objected (rule 4).

    Args:
        subject: the facts of one contact.
        rule: the marketing purpose.
        channel: the channel asked about.
        today: the date of the list.
        category: the product category the offer is about (None: any similar one).
        marketing_purposes: codes of every marketing purpose (their opt-outs count too).

    Returns:
        The decision with its reason and the event and contact point it rests on.
    """
    if not subject.points:
        return Decision(Reason.NO_CONTACT_POINT)
    if subject.suppressed:
        return Decision(Reason.SUPPRESSED)
    state = channel_state(subject.events, rule.code, channel, today, marketing_purposes)
    if state.status is ConsentStatus.OPT_OUT:
        return Decision(Reason.OPTED_OUT, state.decided_by)
    if subject.kind is ContactKind.ORGANISATION_ADDRESS:
        return Decision(Reason.ORGANISATION_ADDRESS, state.decided_by, subject.points[0])
    if state.status is ConsentStatus.OPT_IN:
        return Decision(Reason.OPTED_IN, state.decided_by, subject.points[0])
    if rule.needs_opt_in or state.status is None:
        reason = Reason.EXPIRED if state.expired else Reason.NO_CONSENT
        return Decision(reason, state.decided_by)
    facts = _channel_facts(subject.events, rule.code, channel, marketing_purposes)
    return _soft_opt_in(subject, rule, facts, state, today, category)


def _soft_opt_in(
    subject: MarketingSubject,
    rule: MarketingRule,
    facts: Sequence[ConsentFact],
    state: ConsentState,
    today: dt.date,
    category: str | None,
) -> Decision:
    event = state.decided_by
    if subject.relationship is Relationship.FORMER_CUSTOMER or (
        subject.relationship is Relationship.CUSTOMER
        and subject.relationship_end is not None
        and subject.relationship_end < today
    ):
        return Decision(Reason.RELATIONSHIP_ENDED, event)
    if subject.relationship is not Relationship.CUSTOMER:
        return Decision(Reason.NOT_A_CUSTOMER, event)
    from_sale = [p for p in subject.points if p.from_sale]
    if not from_sale:
        return Decision(Reason.NOT_FROM_A_SALE, event)
    bought = _bought_categories(facts, today)
    if category is not None and not any(
        similar_categories(b, category, rule.similar) for b in bought
    ):
        return Decision(Reason.CATEGORY_NOT_SIMILAR, event, categories=bought)
    return Decision(Reason.SOFT_OPT_IN, event, from_sale[0], bought)


def _bought_categories(facts: Sequence[ConsentFact], today: dt.date) -> tuple[str, ...]:
    """Categories of the soft opt-ins in force: after the last opt-out, not expired.

    *facts* are one purpose's events on one channel, with the channel's other opt-outs.
    """
    relevant = facts
    last_out = max(
        (e.recorded_at for e in relevant if e.status is ConsentStatus.OPT_OUT), default=None
    )
    found: list[str] = []
    for event in sorted(relevant, key=lambda e: e.recorded_at):
        if event.status is not ConsentStatus.SOFT_OPT_IN or not event.product_category:
            continue
        if last_out is not None and event.recorded_at <= last_out:
            continue
        if event.expires_on is not None and event.expires_on < today:
            continue
        if event.product_category not in found:
            found.append(event.product_category)
    return tuple(found)


def best_decision(decisions: Sequence[Decision]) -> Decision:
    """The decision that explains a channel best: a reachable one, else the weightiest no."""
    order = list(Reason)
    reachable = [d for d in decisions if d.reachable]
    if reachable:
        return min(reachable, key=lambda d: order.index(d.reason))
    return min(decisions, key=lambda d: order.index(d.reason))


def explain(decision: Decision, channel: Channel) -> Explanation:
    """The decision in plain words: "No e-mail marketing: opted out by phone on 2 March 2026".

    The message and the ``prefix``/``method`` params are msgids; ``date`` is a date to
    format in the reader's language; ``categories`` is the owner's own text.
    """
    from privacycrm_desktop.domain.consent import METHOD_PHRASES

    allowed = decision.reachable
    prefix = (_ALLOWED_PREFIX if allowed else _DENIED_PREFIX)[channel]
    event = decision.event
    params: dict[str, str | dt.date] = {"prefix": prefix}
    if event is not None:
        params["date"] = event.recorded_at.date()
        params["method"] = METHOD_PHRASES[event.method] if event.method else ""
    reason = decision.reason
    if reason is Reason.OPTED_OUT and event is not None:
        message = (
            N_("{prefix}: opted out {method} on {date}.")
            if params["method"]
            else N_("{prefix}: opted out on {date}.")
        )
    elif reason is Reason.OPTED_IN and event is not None:
        message = (
            N_("{prefix}: opted in {method} on {date}.")
            if params["method"]
            else N_("{prefix}: opted in on {date}.")
        )
    elif reason is Reason.EXPIRED and event is not None and event.expires_on is not None:
        params["date"] = event.expires_on
        message = N_("{prefix}: the consent expired on {date}.")
    elif reason is Reason.SOFT_OPT_IN and event is not None:
        params["categories"] = ", ".join(decision.categories)
        message = N_(
            "{prefix}: customer since the sale of {date}, for products similar to {categories}."
        )
    elif reason is Reason.ORGANISATION_ADDRESS:
        message = N_("{prefix}: organisation address, for offers aimed at the company.")
    else:
        params = {"prefix": prefix, "reason": REASON_LABELS[reason]}
        message = N_("{prefix}: {reason}.")
    return Explanation(message, params, allowed)
