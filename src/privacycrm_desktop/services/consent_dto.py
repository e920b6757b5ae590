"""Values the consent, purpose, statement and marketing services take and return."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import NamedTuple

from privacycrm_desktop.domain.consent import Channel, ConsentMethod, ConsentStatus
from privacycrm_desktop.domain.marketing import Explanation, Reason
from privacycrm_desktop.domain.purposes import LegalBasis, RetentionTrigger


@dataclass(frozen=True)
class ConsentInput:
    """A consent, opt-out or soft opt-in as a person records it."""

    contact_id: int
    purpose: str
    channel: Channel
    status: ConsentStatus
    method: ConsentMethod
    evidence: str = ""
    statement_version: int | None = None
    product_category: str = ""
    expires_on: dt.date | None = None
    evidence_file: bytes | None = None
    evidence_file_name: str = ""
    #: For a soft opt-in: the person was offered a free opt-out when the details were taken.
    opt_out_offered: bool = False


@dataclass(frozen=True)
class ConsentEventInfo:
    """One event of a contact's append-only consent history."""

    id: int
    purpose: str
    purpose_name: str
    channel: Channel
    status: ConsentStatus
    method: ConsentMethod
    evidence: str
    evidence_file_name: str
    statement_version: int | None
    product_category: str
    recorded_by: str
    recorded_at: dt.datetime
    expires_on: dt.date | None
    #: True when the category and evidence of a written special-category consent are
    #: withheld from the reader's role (the field matrix hides special categories from it).
    withheld: bool = False


@dataclass(frozen=True)
class EvidenceFile:
    """A scanned file kept with a consent event."""

    name: str
    data: bytes


@dataclass(frozen=True)
class ChannelVerdict:
    """Whether a channel may be used for marketing, and why, in plain words."""

    channel: Channel
    allowed: bool
    explanation: Explanation


@dataclass(frozen=True)
class PurposeInfo:
    """A purpose of the register of processing."""

    code: str
    name: str
    description: str
    legal_basis: LegalBasis
    retention_trigger: RetentionTrigger
    retention_months: int
    data_categories: tuple[str, ...]
    recipients: tuple[str, ...]
    is_marketing: bool
    active: bool
    similar_categories: tuple[tuple[str, ...], ...] = ()


@dataclass(frozen=True)
class StatementInfo:
    """A version of the privacy statement in one language."""

    version: int
    language: str
    text: str
    published_at: dt.datetime


class MarketingEntry(NamedTuple):
    """One reachable contact: the columns the user may see, and why they qualify. A named
    tuple, not a frozen dataclass: a list makes tens of thousands, and a frozen dataclass
    sets each field with a call."""

    contact_id: int
    values: dict[str, str]
    reason: Reason
    explanation: Explanation


@dataclass(frozen=True)
class MarketingList:
    """A marketing list: who may be reached, and how many were left out for which reason."""

    purpose: str
    channel: Channel
    category: str | None
    columns: tuple[str, ...]
    entries: tuple[MarketingEntry, ...]
    excluded: dict[str, int] = field(default_factory=dict)
