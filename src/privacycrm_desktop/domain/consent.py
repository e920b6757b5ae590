"""Consent: channels, statuses and methods, and the state derived from the events."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


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


_PERMISSIVENESS = {ConsentStatus.OPT_OUT: 0, ConsentStatus.SOFT_OPT_IN: 1, ConsentStatus.OPT_IN: 2}


@dataclass(frozen=True)
class ConsentFact:
    """One recorded event, as the rules need it."""

    purpose: str
    channel: Channel
    status: ConsentStatus
    recorded_at: dt.datetime
    expires_on: dt.date | None = None


def current_status(
    events: Iterable[ConsentFact], purpose: str, channel: Channel, today: dt.date
) -> ConsentStatus | None:
    """The state for one purpose and channel: the latest event decides.

    Events recorded at the same moment conflict; the least permissive of them wins.
    An expired opt-in no longer counts. ``None`` means nothing was ever recorded.
    """
    relevant = [e for e in events if e.purpose == purpose and e.channel is channel]
    if not relevant:
        return None
    latest_at = max(e.recorded_at for e in relevant)
    latest = [e for e in relevant if e.recorded_at == latest_at]
    winner = min(latest, key=lambda e: _PERMISSIVENESS[e.status])
    if winner.expires_on is not None and winner.expires_on < today:
        return None
    return winner.status
