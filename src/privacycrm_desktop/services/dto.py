"""Values that cross from services to the UI and CLI: frozen dataclasses, never ORM objects."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from privacycrm_desktop.domain.access import Role
from privacycrm_desktop.domain.consent import Channel
from privacycrm_desktop.domain.contacts import ContactKind, Language, Relationship
from privacycrm_desktop.domain.fields import list_columns
from privacycrm_desktop.domain.provenance import SourceKind
from privacycrm_desktop.domain.suppression import HashKind, SuppressionReason

if TYPE_CHECKING:
    from privacycrm_desktop.services.consent_dto import ChannelVerdict


@dataclass(frozen=True)
class Actor:
    """The signed-in user on whose behalf a service acts."""

    user_id: int
    username: str
    role: Role
    language: str = "en"
    #: The generation of the password they signed in with (``app_user.credentials_version``):
    #: a reset elsewhere makes it old, and the desk locks (``AuthService.still_signed_in``).
    credentials_version: int = 0


class SignInChange(StrEnum):
    """Why a desk's sign-in no longer holds (``AuthService.sign_in_change``)."""

    #: The owner reset the password: it may be known to someone else.
    RESET = "reset"
    #: The owner changed the role or deactivated the user (or the server refuses them).
    ACCESS = "access"


@dataclass(frozen=True)
class CompanyInfo:
    """The controller of the data (rule 12)."""

    name: str
    address: str
    vat_number: str
    privacy_email: str
    language: str

    @property
    def home_country(self) -> str:
        """The office's country: its VAT number's prefix (``BE0403...``), else Belgium.

        Phone numbers of this country are shown in their national form, others in the
        international one (``normalize.phone_display``).
        """
        prefix = self.vat_number.strip()[:2].upper()
        if prefix.isalpha() and len(prefix) == 2:
            return "GR" if prefix == "EL" else prefix
        return "BE"


@dataclass(frozen=True)
class UserInfo:
    """A user as the administration screen shows it; never the hash."""

    id: int
    username: str
    role: Role
    active: bool
    language: str
    locked: bool


class ContactSort(StrEnum):
    """Orders the contact list can be sorted by; each has an index."""

    NAME = "name"
    ORGANISATION = "organisation"
    CITY = "city"
    RELATIONSHIP = "relationship"
    #: The keep-until date (then its reason and the entry order): no personal field.
    KEEP_UNTIL = "keep_until"


@dataclass(frozen=True)
class ListBookmarks:
    """The sort keys of every ``stride``-th row of the whole list (or of a saved view) in
    one order, read once (``ContactService.bookmarks``) so that ``page`` reaches any
    window by key, not by OFFSET. Opaque to the UI, which keeps them until the list
    changes."""

    order: str
    total: int
    stride: int
    keys: tuple[tuple[object, ...], ...]
    #: The saved view whose rows they mark (None: the whole list).
    view: ListFilter | None = None
    #: The tag whose contacts they mark (None: no tag filter).
    tag: int | None = None


class ContactFilter(StrEnum):
    """The list's saved views: which contacts it shows besides the search text."""

    ALL = "all"
    #: The keep-until date passed.
    EXPIRED = "expired"
    #: The keep-until date falls within the next 30 days.
    EXPIRING = "expiring"
    #: A lasting consent decides the keep-until date, and that date is near or passed.
    RECONSENT = "reconsent"
    #: No opt-in or soft opt-in holds on the channel for any marketing purpose.
    NO_CONSENT = "no_consent"
    #: An opt-in holds on the channel for a marketing purpose.
    OPTED_IN = "opted_in"
    #: Of one relationship (prospect, customer...).
    RELATIONSHIP = "relationship"


@dataclass(frozen=True)
class ListFilter:
    """A saved view of the list: *kind*, with its channel or relationship where it has one."""

    kind: ContactFilter = ContactFilter.ALL
    channel: Channel = Channel.EMAIL
    relationship: Relationship = Relationship.CUSTOMER

    @property
    def active(self) -> bool:
        """False for the whole list."""
        return self.kind is not ContactFilter.ALL


@dataclass(frozen=True)
class ContactRow:
    """One line of the contact list, with fields the user may not see already blanked."""

    id: int
    name: str
    organisation: str
    email: str
    phone: str
    city: str
    relationship: Relationship
    keep_until: dt.date | None
    #: The columns of this row hidden from the user's role ("name", "organisation", "email",
    #: "phone", "city", "relationship"): blank above, yet not empty (JSON leaves them out).
    hidden: tuple[str, ...] = ()


#: A list column and the fields it shows (the catalogue says which): hidden when the role
#: may see none of them.
ROW_FIELDS = list_columns()


@dataclass(frozen=True)
class SourceInfo:
    """Where a value came from, as shown next to it."""

    source_id: int
    kind: SourceKind
    description: str
    obtained_on: dt.date
    entered_by: str
    recorded_at: dt.datetime


@dataclass(frozen=True)
class SourcedValue:
    """A value of a list field (an e-mail address, a phone number) with its source."""

    value: str
    source: SourceInfo


@dataclass(frozen=True)
class CompanyLinkInfo:
    """A person's place at a company, with the source of the link and its function."""

    link_id: int
    company_id: int
    company_name: str
    function: str
    department: str
    started_on: dt.date | None
    ended_on: dt.date | None
    source: SourceInfo | None

    @property
    def current(self) -> bool:
        """True while the person is still there (the link has no end date)."""
        return self.ended_on is None


@dataclass(frozen=True)
class TagMark:
    """A tag on a contact, as shown with it: when and by whom it was put there, and the
    source when a file brought it."""

    tag_id: int
    name: str
    colour: str
    tagged_at: dt.datetime
    tagged_by: str
    source: SourceInfo | None = None


@dataclass(frozen=True)
class CustomValueInfo:
    """One custom field's value of a contact (``domain.custom_fields``): its stored form
    ("2026-03-02", "12.5", "yes"), masked when the role sees it masked."""

    key: str
    #: The field's name in the catalogue and the matrix (``cf_`` + key).
    name: str
    label: str
    kind: str
    value: str
    source: SourceInfo | None
    #: The owner's translations of the label: (language, label) pairs.
    labels: tuple[tuple[str, str], ...] = ()
    masked: bool = False


@dataclass(frozen=True)
class ContactDetail:
    """Everything the editor shows of one contact, filtered by the user's field access."""

    id: int
    version: int
    kind: ContactKind
    first_name: str
    last_name: str
    organisation: str
    emails: tuple[SourcedValue, ...]
    phones: tuple[SourcedValue, ...]
    street: str
    postcode: str
    city: str
    country: str
    language: Language
    birth_date: dt.date | None
    notes: str
    relationship: Relationship
    relationship_start: dt.date | None
    relationship_end: dt.date | None
    last_interaction: dt.date | None
    keep_until: dt.date | None
    created_at: dt.datetime
    updated_at: dt.datetime
    provenance: dict[str, SourceInfo]
    field_access: dict[str, str]
    #: The companies the person works or worked at, current ones first (empty when the
    #: role may not see them).
    companies: tuple[CompanyLinkInfo, ...] = ()
    #: The contact's tags in name order (none when the role may not see them).
    tags: tuple[TagMark, ...] = ()
    #: The values of the owner's custom fields the role may see, in their order.
    custom: tuple[CustomValueInfo, ...] = ()


@dataclass(frozen=True)
class SuppressionHit:
    """A value typed in the editor matches the suppression list.

    ``value`` is the matching value as the user typed it (never a stored one); ``reason``
    is "objection" (the save goes through, with the opt-out) or "erasure" (refused).
    """

    reason: SuppressionReason
    kind: HashKind
    value: str
    #: When the entry was made (the person objected or asked to be forgotten).
    since: dt.date | None = None


@dataclass(frozen=True)
class OpenRequestInfo:
    """A data subject's request still open for a contact (the card lists them)."""

    reference: str
    kind: str
    due_on: dt.date


@dataclass(frozen=True)
class ConsentLine:
    """Whether marketing may use a channel for a purpose (*purpose*: the purpose's name, a
    msgid; empty when the sentence sums up every purpose of the channel)."""

    purpose: str
    verdict: ChannelVerdict


@dataclass(frozen=True)
class ContactCard:
    """What the main window's card shows of the selected contact, as the role may see it.

    ``detail`` is the editor's read without the restricted fields (hidden fields blank,
    each value with its source); ``consent`` a sentence per purpose and channel that has
    a recorded event, and one per channel without any; ``keep_reason`` is the code
    deciding the keep-until date and ``keep_purpose`` that purpose's name, when a purpose
    decides it.
    """

    detail: ContactDetail
    consent: tuple[ConsentLine, ...]
    keep_reason: str
    keep_purpose: str
    open_requests: tuple[OpenRequestInfo, ...]
