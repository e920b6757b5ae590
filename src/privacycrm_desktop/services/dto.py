"""Values that cross from services to the UI and CLI: frozen dataclasses, never ORM objects."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from privacycrm_desktop.domain.access import Role
from privacycrm_desktop.domain.contacts import ContactKind, Language, Relationship
from privacycrm_desktop.domain.fields import list_columns
from privacycrm_desktop.domain.provenance import SourceKind
from privacycrm_desktop.domain.suppression import HashKind, SuppressionReason


@dataclass(frozen=True)
class Actor:
    """The signed-in user on whose behalf a service acts."""

    user_id: int
    username: str
    role: Role
    language: str = "en"


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
    #: The contact's tags in name order (none when the role may not see them).
    tags: tuple[TagMark, ...] = ()


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
