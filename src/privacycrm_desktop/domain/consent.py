"""Consent: channels, statuses and methods, and the state derived from the events."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from privacycrm_desktop.domain.text import N_


class Channel(StrEnum):
    """Ways a person can be reached for marketing."""

    EMAIL = "email"
    PHONE = "phone"
    SMS = "sms"
    POST = "post"


class ConsentStatus(StrEnum):
    """What an event says; ordered from least to most permissive in ``_PERMISSIVENESS``."""

    OPT_OUT = "opt_out"
    SOFT_OPT_IN = "soft_opt_in"
    OPT_IN = "opt_in"


class ConsentMethod(StrEnum):
    """How consent was given or withdrawn."""

    FORM_BOX_TICKED = "form_box_ticked"
    SIGNED_PAPER = "signed_paper"
    VERBAL_PHONE = "verbal_phone"
    EMAIL_REPLY = "email_reply"
    UNSUBSCRIBE_LINK = "unsubscribe_link"
    IN_PERSON = "in_person"
    SALE = "sale"
    #: Applied by the app: the person's address or number is on the suppression list.
    SUPPRESSION_LIST = "suppression_list"
    #: Applied by the app: stated in an imported file (evidence: file name and row).
    IMPORTED_RECORD = "imported_record"


CHANNEL_LABELS = {
    Channel.EMAIL: N_("E-mail"),
    Channel.PHONE: N_("Phone"),
    Channel.SMS: N_("SMS"),
    Channel.POST: N_("Post"),
}
STATUS_LABELS = {
    ConsentStatus.OPT_IN: N_("Opt-in"),
    ConsentStatus.OPT_OUT: N_("Opt-out"),
    ConsentStatus.SOFT_OPT_IN: N_("Soft opt-in (customer)"),
}
METHOD_LABELS = {
    ConsentMethod.FORM_BOX_TICKED: N_("Form, box ticked by the person"),
    ConsentMethod.SIGNED_PAPER: N_("Signed paper"),
    ConsentMethod.VERBAL_PHONE: N_("Verbally, by phone"),
    ConsentMethod.EMAIL_REPLY: N_("E-mail reply"),
    ConsentMethod.UNSUBSCRIBE_LINK: N_("Unsubscribe link"),
    ConsentMethod.IN_PERSON: N_("In person"),
    ConsentMethod.SALE: N_("At a sale"),
    ConsentMethod.SUPPRESSION_LIST: N_("Suppression list (an earlier objection)"),
    ConsentMethod.IMPORTED_RECORD: N_("Imported file (the file stated it)"),
}
#: How a method reads inside a sentence ("opted out by phone on 2 March 2026").
METHOD_PHRASES = {
    ConsentMethod.FORM_BOX_TICKED: N_("by ticking a box on a form"),
    ConsentMethod.SIGNED_PAPER: N_("on signed paper"),
    ConsentMethod.VERBAL_PHONE: N_("by phone"),
    ConsentMethod.EMAIL_REPLY: N_("by e-mail"),
    ConsentMethod.UNSUBSCRIBE_LINK: N_("through an unsubscribe link"),
    ConsentMethod.IN_PERSON: N_("in person"),
    ConsentMethod.SALE: N_("at a sale"),
    ConsentMethod.SUPPRESSION_LIST: N_("through the suppression list"),
    ConsentMethod.IMPORTED_RECORD: N_("as stated in an imported file"),
}
#: Methods a person can choose in the form (the others are applied by the app itself).
CHOOSABLE_METHODS = tuple(
    m
    for m in ConsentMethod
    if m not in (ConsentMethod.SUPPRESSION_LIST, ConsentMethod.IMPORTED_RECORD)
)
#: Methods that leave a written trace (special categories need written consent, rule 10).
WRITTEN_METHODS = frozenset(
    {ConsentMethod.FORM_BOX_TICKED, ConsentMethod.SIGNED_PAPER, ConsentMethod.EMAIL_REPLY}
)

_PERMISSIVENESS = {ConsentStatus.OPT_OUT: 0, ConsentStatus.SOFT_OPT_IN: 1, ConsentStatus.OPT_IN: 2}


@dataclass(frozen=True)
class ConsentFact:
    """One recorded event, as the rules need it."""

    purpose: str
    channel: Channel
    status: ConsentStatus
    recorded_at: dt.datetime
    expires_on: dt.date | None = None
    method: ConsentMethod | None = None
    product_category: str = ""


@dataclass(frozen=True)
class ConsentState:
    """The derived state of one purpose and channel.

    ``status`` is None when nothing valid holds; ``decided_by`` is the event that decides
    (also when it has expired, so the app can say since when); ``expired`` says that the
    deciding opt-in or soft opt-in has run out.
    """

    status: ConsentStatus | None
    decided_by: ConsentFact | None
    expired: bool = False


def consent_state(
    events: Iterable[ConsentFact], purpose: str, channel: Channel, today: dt.date
) -> ConsentState:
    """The state for one purpose and channel: the latest event decides.

    Events recorded at the same moment conflict; the least permissive of them wins, so
    the order in which they are listed never matters. A single opt-out withdraws any
    earlier consent. An opt-in or soft opt-in past its expiry date no longer counts; an
    opt-out never expires.

    Args:
        events: the recorded events (of any purpose and channel).
        purpose: the purpose code.
        channel: the channel.
        today: the date the state is asked for.

    Returns:
        The state, with the deciding event.
    """
    relevant = [e for e in events if e.purpose == purpose and e.channel is channel]
    if not relevant:
        return ConsentState(None, None)
    latest_at = max(e.recorded_at for e in relevant)
    latest = [e for e in relevant if e.recorded_at == latest_at]
    winner = min(latest, key=lambda e: (_PERMISSIVENESS[e.status], _expiry_key(e)))
    if (
        winner.status is not ConsentStatus.OPT_OUT
        and winner.expires_on is not None
        and winner.expires_on < today
    ):
        return ConsentState(None, winner, expired=True)
    return ConsentState(winner.status, winner)


def _expiry_key(event: ConsentFact) -> dt.date:
    # Among equally permissive events of one moment, the one expiring first decides.
    return event.expires_on or dt.date.max


def current_status(
    events: Iterable[ConsentFact], purpose: str, channel: Channel, today: dt.date
) -> ConsentStatus | None:
    """The status for one purpose and channel (see ``consent_state``); None if none holds."""
    return consent_state(events, purpose, channel, today).status
