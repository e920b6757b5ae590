"""Custom fields the owner defines at run time (domain/custom_fields.py), and their values.

``custom_field`` holds the definitions; ``custom_value`` one value of one contact for one
field, as text in the field's normal form, with its source like every other value. The
value's column is a person's data of the field its ``field_id`` names (catalogue name
``cf_<key>``): ``CUSTOM_VALUE_COLUMNS`` says so, as ``models.PERSONAL_COLUMNS`` does for the
fixed fields. A field defined for companies keeps its values in ``company_custom_value``
(migration 0018), one per company and field, in the same form. The tables join
``Base.metadata`` when this module is imported.
"""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from privacycrm_desktop.domain.custom_fields import CustomFieldDefinition, CustomKind, CustomTarget
from privacycrm_desktop.persistence.models import Base


class CustomField(Base):
    """One custom field's definition."""

    __tablename__ = "custom_field"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(40), unique=True)
    label: Mapped[str] = mapped_column(String(80))
    #: The label's translations as JSON: {"nl": "...", "fr": "..."}.
    labels: Mapped[str] = mapped_column(Text, default="{}")
    kind: Mapped[str] = mapped_column(String(10))
    #: The options of a choice field as a JSON list.
    choices: Mapped[str] = mapped_column(Text, default="[]")
    #: Purpose codes, comma-separated.
    purposes: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(60))
    restricted: Mapped[bool] = mapped_column(Boolean, default=False)
    searchable: Mapped[bool] = mapped_column(Boolean, default=False)
    exported: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    #: What the field belongs to: "contact" or "company" (``CustomTarget``).
    applies_to: Mapped[str] = mapped_column(String(10), default="contact", server_default="contact")
    #: Months a value is kept from its recording; None: as long as its contact or company.
    keep_months: Mapped[int | None] = mapped_column(Integer)


class CustomValue(Base):
    """One contact's value of one custom field, with its source."""

    __tablename__ = "custom_value"
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contact.id", ondelete="CASCADE"), primary_key=True
    )
    field_id: Mapped[int] = mapped_column(
        ForeignKey("custom_field.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    value: Mapped[str] = mapped_column(Text)
    source_id: Mapped[int] = mapped_column(ForeignKey("source.id"), index=True)
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))


class CompanyCustomValue(Base):
    """One company's value of one custom field defined for companies, with its source."""

    __tablename__ = "company_custom_value"
    company_id: Mapped[int] = mapped_column(
        ForeignKey("company.id", ondelete="CASCADE"), primary_key=True
    )
    field_id: Mapped[int] = mapped_column(
        ForeignKey("custom_field.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    value: Mapped[str] = mapped_column(Text)
    source_id: Mapped[int] = mapped_column(ForeignKey("source.id"), index=True)
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))


#: Columns holding a custom-field value: its field is the row's ``field_id``.
CUSTOM_VALUE_COLUMNS = ("custom_value.value", "company_custom_value.value")
#: The table of each target's values and the column naming the record they belong to.
VALUE_TABLES: dict[CustomTarget, tuple[type[CustomValue] | type[CompanyCustomValue], str]] = {
    CustomTarget.CONTACT: (CustomValue, "contact_id"),
    CustomTarget.COMPANY: (CompanyCustomValue, "company_id"),
}


def load_definitions(
    session: Session, on: CustomTarget | None = CustomTarget.CONTACT
) -> tuple[CustomFieldDefinition, ...]:
    """The custom fields' definitions of *on* (contacts by default; None: every one), in
    the order they were defined."""
    statement = select(CustomField).order_by(CustomField.position, CustomField.id)
    if on is not None:
        statement = statement.where(CustomField.applies_to == on.value)
    rows = session.scalars(statement)
    return tuple(
        CustomFieldDefinition(
            key=row.key,
            label=row.label,
            kind=CustomKind(row.kind),
            purposes=tuple(p for p in row.purposes.split(",") if p),
            category=row.category,
            restricted=row.restricted,
            searchable=row.searchable,
            exported=row.exported,
            choices=tuple(json.loads(row.choices or "[]")),
            labels=tuple(sorted(json.loads(row.labels or "{}").items())),
            on=CustomTarget(row.applies_to or CustomTarget.CONTACT),
            keep_months=row.keep_months,
        )
        for row in rows
    )


def field_ids(session: Session) -> dict[str, int]:
    """Each custom field's key and id."""
    return {k: i for k, i in session.execute(select(CustomField.key, CustomField.id)).tuples()}
