"""The data model (docs/architecture.md, "The data model"), as SQLAlchemy 2 typed models.

Closed sets are stored as their enum's string value; the services convert. Columns that
hold personal data are listed in ``PERSONAL_COLUMNS`` and must appear in the field
catalogue (a test checks it).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    Connection,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    event,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Mapper, mapped_column

from privacycrm_desktop.persistence.dialect import reserve_contact_ids

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with a naming convention, so batch migrations can find constraints."""

    metadata = MetaData(naming_convention=NAMING)


class Setting(Base):
    """Business settings (controller identity, authority, reminders): key and value."""

    __tablename__ = "setting"
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class User(Base):
    """A person who signs in to the app. Passwords only as argon2id hashes."""

    __tablename__ = "app_user"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    role: Mapped[str] = mapped_column(String(30))
    #: Deferred: read only where a password is checked without the server's login roles
    #: (a desk role on PostgreSQL may not read it, persistence/postgres/policy.py).
    password_hash: Mapped[str] = mapped_column(String(200), deferred=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    language: Mapped[str] = mapped_column(String(5), default="en")
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    #: The generation of the user's password: one up at each reset (not at a sign-in nor
    #: at its rehash). A desk signed in with another generation locks (AuthService.
    #: still_signed_in); every desk role may read it, unlike the hash.
    credentials_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class Purpose(Base):
    """A purpose of processing in the register (GDPR 30)."""

    __tablename__ = "purpose"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    legal_basis: Mapped[str] = mapped_column(String(30))
    retention_trigger: Mapped[str] = mapped_column(String(30))
    retention_months: Mapped[int] = mapped_column(Integer)
    data_categories: Mapped[str] = mapped_column(Text, default="")
    recipients: Mapped[str] = mapped_column(Text, default="")
    is_marketing: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Source(Base):
    """Where one or more personal values came from: kind, description, date, who, why."""

    __tablename__ = "source"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    description: Mapped[str] = mapped_column(String(500))
    obtained_on: Mapped[dt.date] = mapped_column(Date)
    entered_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    purpose_id: Mapped[int | None] = mapped_column(ForeignKey("purpose.id"))
    import_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batch.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)


class ImportBatch(Base):
    """One import run, so the whole batch can be undone; its source points back at it.

    The counts are what the run reported (no personal values); ``status`` is "running"
    while chunks are written, then "done" or "cancelled".
    """

    __tablename__ = "import_batch"
    id: Mapped[int] = mapped_column(primary_key=True)
    file_name: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    status: Mapped[str] = mapped_column(String(20), default="done")
    undone_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    file_format: Mapped[str] = mapped_column(String(10), default="")
    purpose_id: Mapped[int | None] = mapped_column(ForeignKey("purpose.id"))
    legal_basis: Mapped[str] = mapped_column(String(30), default="")
    total_rows: Mapped[int] = mapped_column(Integer, default=0)
    imported: Mapped[int] = mapped_column(Integer, default=0)
    merged: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    invalid: Mapped[int] = mapped_column(Integer, default=0)


#: The condition of ``ix_contact_organisation_address``; a query finds them by it as a
#: literal (a bound value would not tell either engine's planner that the index applies).
ORGANISATION_ADDRESS_WHERE = "kind = 'organisation_address'"
#: The columns the list's saved views test, in each order's index (migration 0031).
_VIEWED = ("keep_until", "keep_reason", "relationship")


class Contact(Base):
    """A person, or an impersonal organisation address (info@...)."""

    __tablename__ = "contact"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30), default="person")
    first_name: Mapped[str] = mapped_column(String(200), default="")
    last_name: Mapped[str] = mapped_column(String(200), default="")
    organisation: Mapped[str] = mapped_column(String(200), default="")
    street: Mapped[str] = mapped_column(String(200), default="")
    postcode: Mapped[str] = mapped_column(String(20), default="")
    city: Mapped[str] = mapped_column(String(200), default="")
    country: Mapped[str] = mapped_column(String(2), default="BE")
    language: Mapped[str] = mapped_column(String(5), default="nl")
    # Restricted fields are loaded only when asked for (``undefer``): on PostgreSQL a role
    # that may not see them cannot SELECT them at all (persistence/postgres/policy.py).
    birth_date: Mapped[dt.date | None] = mapped_column(Date, deferred=True)
    notes: Mapped[str] = mapped_column(Text, default="", deferred=True)
    relationship: Mapped[str] = mapped_column(String(30), default="prospect")
    relationship_start: Mapped[dt.date | None] = mapped_column(Date)
    relationship_end: Mapped[dt.date | None] = mapped_column(Date)
    last_interaction: Mapped[dt.date | None] = mapped_column(Date)
    # Derived for fast lists: folded "last first"; and the first e-mail/phone for the list.
    sort_name: Mapped[str] = mapped_column(String(400), default="")
    primary_email: Mapped[str] = mapped_column(String(320), default="")
    primary_phone: Mapped[str] = mapped_column(String(32), default="")
    keep_until: Mapped[dt.date | None] = mapped_column(Date)
    # Why keep_until is what it is: the deciding purpose's code, "hold" or "no_purpose".
    # In the index with the date, so the cleanup scan and its summary read the index only.
    keep_reason: Mapped[str] = mapped_column(String(60), default="")
    # The source of every scalar field that has no FieldProvenance row of its own: the
    # values a contact was created with share one source; later changes get their own.
    # Indexed (here and in the other tables pointing at a source) so erasure can tell
    # whether a source is still used without reading every row.
    source_id: Mapped[int] = mapped_column(ForeignKey("source.id"), index=True)
    # Indexed where set (ix_contact_import_batch_id, migration 0026): undoing an import and
    # its history find the batch's contacts by it.
    import_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batch.id"))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012
    __table_args__ = (
        # Each order's index holds what the views test: walked, they read no rows (0011, 0031).
        Index("ix_contact_sort", "sort_name", "id", "keep_until", "keep_reason"),
        Index("ix_contact_city_sort", "city", "sort_name", "id", *_VIEWED),
        Index("ix_contact_org_sort", "organisation", "sort_name", "id", *_VIEWED),
        Index("ix_contact_relationship_sort", "relationship", "sort_name", "id", *_VIEWED[:2]),
        Index("ix_contact_keep_until", "keep_until", "keep_reason", "id", "relationship"),
        # The cleanup summary counts per reason with IN (...) on this one: no sorting.
        Index("ix_contact_keep_reason", "keep_reason", "keep_until"),
        Index("ix_contact_name_postcode", "sort_name", "postcode", "id"),
        # Only the contacts an import brought: every other contact's entry (NULL) was one
        # more b-tree for each erasure to change (migration 0026).
        # Its condition on PostgreSQL: database.with_postgresql_options().
        Index(
            "ix_contact_import_batch_id",
            "import_batch_id",
            sqlite_where=text("import_batch_id IS NOT NULL"),
        ),
        # Only the organisation addresses: a marketing list decides each one (rule 4) and
        # finds them here instead of reading every contact (migration 0028). Its condition
        # on PostgreSQL: database.with_postgresql_options().
        Index(
            "ix_contact_organisation_address", "id", sqlite_where=text(ORGANISATION_ADDRESS_WHERE)
        ),
    )


class ContactEmail(Base):
    """An e-mail address of a contact, with its own source."""

    __tablename__ = "contact_email"
    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contact.id", ondelete="CASCADE"), index=True
    )
    address: Mapped[str] = mapped_column(String(320))
    position: Mapped[int] = mapped_column(Integer, default=0)
    source_id: Mapped[int] = mapped_column(ForeignKey("source.id"), index=True)
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))

    # Duplicate checks of an import look addresses up case-insensitively: migration 0005
    # creates this index as (address COLLATE NOCASE, contact_id); Alembic compares index
    # columns, not their collation, and cannot declare a collated index column itself.
    __table_args__ = (Index("ix_contact_email_address", "address", "contact_id"),)


class ContactPhone(Base):
    """A phone number of a contact (E.164), with its own source."""

    __tablename__ = "contact_phone"
    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contact.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[str] = mapped_column(String(32))
    position: Mapped[int] = mapped_column(Integer, default=0)
    source_id: Mapped[int] = mapped_column(ForeignKey("source.id"), index=True)
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))

    # Phone search by typed prefix (persistence.contact_queries): a range on the number,
    # and the few second numbers, so a contact with two matching numbers counts once.
    __table_args__ = (
        Index("ix_contact_phone_number", "number", "contact_id"),
        Index("ix_contact_phone_extra", "number", sqlite_where=text("position > 0")),
    )


class FieldProvenance(Base):
    """The source of one scalar field's current value, when it differs from the contact's."""

    __tablename__ = "field_provenance"
    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contact.id", ondelete="CASCADE"))
    field: Mapped[str] = mapped_column(String(60))
    source_id: Mapped[int] = mapped_column(ForeignKey("source.id"), index=True)
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))

    __table_args__ = (UniqueConstraint("contact_id", "field", name="uq_field_provenance_field"),)


class PrivacyStatement(Base):
    """A version of the privacy statement in one language."""

    __tablename__ = "privacy_statement"
    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    language: Mapped[str] = mapped_column(String(5))
    text: Mapped[str] = mapped_column(Text)
    published_at: Mapped[dt.datetime] = mapped_column(DateTime)

    __table_args__ = (UniqueConstraint("version", "language", name="uq_privacy_statement_version"),)


class ConsentEvent(Base):
    """One consent, opt-out or soft opt-in; append-only. The state is derived."""

    __tablename__ = "consent_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contact.id", ondelete="SET NULL"), index=True
    )
    purpose_id: Mapped[int] = mapped_column(ForeignKey("purpose.id"))
    channel: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(20))
    method: Mapped[str] = mapped_column(String(30))
    evidence: Mapped[str] = mapped_column(String(500), default="")
    evidence_file: Mapped[bytes | None] = mapped_column(LargeBinary)
    evidence_file_name: Mapped[str] = mapped_column(String(300), default="")
    statement_id: Mapped[int | None] = mapped_column(ForeignKey("privacy_statement.id"))
    product_category: Mapped[str] = mapped_column(String(100), default="")
    # Salted hash of the contact point (address or number) so opt-outs survive merges.
    contact_point_hash: Mapped[str] = mapped_column(String(64), default="", index=True)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime)
    expires_on: Mapped[dt.date | None] = mapped_column(Date)


class Recipient(Base):
    """Someone personal data is passed to."""

    __tablename__ = "recipient"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(30))
    country: Mapped[str] = mapped_column(String(2), default="BE")
    own_marketing: Mapped[bool] = mapped_column(Boolean, default=False)
    address: Mapped[str] = mapped_column(Text, default="")


class RightsRequest(Base):
    """A request from a person exercising a right (access, erasure, ...)."""

    __tablename__ = "rights_request"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    received_on: Mapped[dt.date] = mapped_column(Date)
    channel: Mapped[str] = mapped_column(String(30), default="")
    requester: Mapped[str] = mapped_column(String(300), default="")
    identity_verified: Mapped[bool] = mapped_column(Boolean, default=False)
    identity_method: Mapped[str] = mapped_column(String(200), default="")
    due_on: Mapped[dt.date] = mapped_column(Date)
    extension_months: Mapped[int] = mapped_column(Integer, default=0)
    extension_reason: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="open")
    outcome: Mapped[str] = mapped_column(Text, default="")
    handled_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    closed_on: Mapped[dt.date | None] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)


class RequestContact(Base):
    """Which contacts a request is about."""

    __tablename__ = "request_contact"
    request_id: Mapped[int] = mapped_column(
        ForeignKey("rights_request.id", ondelete="CASCADE"), primary_key=True
    )
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contact.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Suppression(Base):
    """A salted hash of a normalised e-mail, phone or name+postcode; never clear text."""

    __tablename__ = "suppression"
    id: Mapped[int] = mapped_column(primary_key=True)
    hash_kind: Mapped[str] = mapped_column(String(20))
    digest: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)

    __table_args__ = (UniqueConstraint("hash_kind", "digest", name="uq_suppression_digest"),)


class AuditEvent(Base):
    """Who did what to which record, when; hash-chained. Never a personal value."""

    __tablename__ = "audit_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(60))
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str] = mapped_column(String(500), default="")
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class FieldCatalogueEntry(Base):
    """A personal field and its sensitivity, as configured (seeded from the domain)."""

    __tablename__ = "field_catalogue"
    field: Mapped[str] = mapped_column(String(60), primary_key=True)
    sensitivity: Mapped[str] = mapped_column(String(30))
    purposes: Mapped[str] = mapped_column(Text, default="")


class RoleFieldAccess(Base):
    """The owner's override of the default field x role matrix."""

    __tablename__ = "role_field_access"
    role: Mapped[str] = mapped_column(String(30), primary_key=True)
    field: Mapped[str] = mapped_column(
        ForeignKey("field_catalogue.field", ondelete="CASCADE"), primary_key=True
    )
    access: Mapped[str] = mapped_column(String(10))


@event.listens_for(Contact, "before_insert")
def _never_reuse_contact_ids(_mapper: Mapper[Contact], conn: Connection, target: Contact) -> None:
    """A new contact on SQLite gets the next id above every id ever used."""
    if target.id is None and conn.dialect.name == "sqlite":
        target.id = reserve_contact_ids(conn, 1)


_LINK_COLUMNS = ("company_id", "function", "department", "started_on", "ended_on")
#: Columns that hold a person's data, mapped to the catalogue field they belong to.
PERSONAL_COLUMNS: dict[str, str] = {
    "contact.first_name": "first_name",
    "contact.last_name": "last_name",
    "contact.organisation": "organisation",
    "contact.street": "street",
    "contact.postcode": "postcode",
    "contact.city": "city",
    "contact.country": "country",
    "contact.language": "language",
    "contact.birth_date": "birth_date",
    "contact.notes": "notes",
    "contact.relationship": "relationship",
    "contact.relationship_start": "relationship_start",
    "contact.relationship_end": "relationship_end",
    "contact.last_interaction": "last_interaction",
    "contact.sort_name": "last_name",
    "contact.primary_email": "emails",
    "contact.primary_phone": "phones",
    "contact_email.address": "emails",
    "contact_phone.number": "phones",
    "special_category_datum.value": "special_categories",
    "special_category_datum.category": "special_categories",
    # A person's company links (company_models.py; the company's values: services/companies).
    **{f"company_link.{c}": "company_links" for c in _LINK_COLUMNS},
    # Interactions (activity_models.py): kind, date, summary; details and attachment restricted.
    **{f"activity.{c}": "activities" for c in ("kind", "occurred_at", "summary")},
    **{f"activity.{c}": "activity_details" for c in ("details", "attachment", "attachment_name")},
}


# -- Tags: coloured labels, many per contact (field "tags"); a company_tag would match.
class Tag(Base):
    """A coloured label ("#rrggbb"); its name is unique once folded (``folded``)."""

    __tablename__ = "tag"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60))
    folded: Mapped[str] = mapped_column(String(60), unique=True)
    colour: Mapped[str] = mapped_column(String(7), default="#808080")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)


class ContactTag(Base):
    """A tag on a contact (who, when, a file's source), with copies of the contact's sort
    columns (kept by a trigger, migration 0013): a tag's list reads windows by index."""

    __tablename__ = "contact_tag"
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contact.id", ondelete="CASCADE"), primary_key=True
    )
    tag_id: Mapped[int] = mapped_column(ForeignKey("tag.id", ondelete="CASCADE"), primary_key=True)
    source_id: Mapped[int | None] = mapped_column(ForeignKey("source.id"), index=True)
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    sort_name: Mapped[str] = mapped_column(String(400), default="")
    organisation: Mapped[str] = mapped_column(String(200), default="")
    city: Mapped[str] = mapped_column(String(200), default="")
    relationship: Mapped[str] = mapped_column(String(30), default="")
    __table_args__ = tuple(
        Index(f"ix_contact_tag_{name}", "tag_id", *columns, "contact_id")
        for name, columns in (
            ("sort", ("sort_name",)),
            ("org_sort", ("organisation", "sort_name")),
            ("city_sort", ("city", "sort_name")),
            ("relationship_sort", ("relationship", "sort_name")),
        )
    )


PERSONAL_COLUMNS.update(
    {f"contact_tag.{c}": c for c in ("organisation", "city", "relationship")}
    | {"contact_tag.tag_id": "tags", "contact_tag.sort_name": "last_name"}
)
