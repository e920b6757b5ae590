"""Custom fields: the owner defines them, everybody's outputs carry them (issue 21).

A definition becomes an entry of the database's field catalogue (``AccessService.catalogue``,
``domain.custom_fields.catalogue_for``) and of the stored ``field_catalogue`` (so the owner
can narrow or widen it per role in the field matrix, like any other field).
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

from sqlalchemy import func, select

from privacycrm_desktop.domain.access import Permission, require
from privacycrm_desktop.domain.custom_fields import (
    CustomFieldDefinition,
    CustomKind,
    validate_definition,
)
from privacycrm_desktop.domain.fields import Sensitivity
from privacycrm_desktop.domain.text import N_
from privacycrm_desktop.i18n import (
    _,
    current_language,
    format_date,
    format_number,
    ngettext,
    tr_in,
)
from privacycrm_desktop.persistence.custom_field_models import CustomField, load_definitions
from privacycrm_desktop.persistence.models import FieldCatalogueEntry, Purpose
from privacycrm_desktop.persistence.unit_of_work import UnitOfWork
from privacycrm_desktop.services.access import AccessService
from privacycrm_desktop.services.audit import record_event
from privacycrm_desktop.services.clock import Clock
from privacycrm_desktop.services.dto import Actor


class CustomFieldService:
    """Defines and lists the owner's custom fields."""

    def __init__(self, uow: UnitOfWork, clock: Clock, access: AccessService) -> None:
        self._uow = uow
        self._clock = clock
        self._access = access

    def definitions(self, actor: Actor) -> tuple[CustomFieldDefinition, ...]:
        """Every custom field's definition, in their order."""
        require(actor.role, Permission.VIEW_CONTACTS)
        return self._access.custom_fields(None)

    def purposes(self, actor: Actor) -> list[tuple[str, str]]:
        """The active purposes a field may serve: (code, name)."""
        require(actor.role, Permission.VIEW_CONTACTS)
        with self._uow() as uow:
            rows = uow.session.execute(
                select(Purpose.code, Purpose.name)
                .where(Purpose.active.is_(True))
                .order_by(Purpose.name)
            ).tuples()
            return list(rows)

    def define(self, actor: Actor, definition: CustomFieldDefinition) -> int:
        """Add a custom field (owner only; audited, without its label). Returns its id.

        Raises:
            PermissionDenied: the actor is not the owner.
            ValidationFailed: a bad key, label, option, purpose or category.
        """
        require(actor.role, Permission.EDIT_FIELD_MATRIX)
        now = self._clock.now()
        with self._uow(write=True) as uow:
            session = uow.session
            known = session.scalars(select(Purpose.code)).all()
            taken = [d.key for d in load_definitions(session, None)]
            checked = validate_definition(definition, known, taken)
            position = session.scalar(select(func.coalesce(func.max(CustomField.position), 0)))
            row = CustomField(
                key=checked.key,
                label=checked.label,
                labels=json.dumps(dict(checked.labels), ensure_ascii=False, sort_keys=True),
                kind=checked.kind.value,
                choices=json.dumps(list(checked.choices), ensure_ascii=False),
                purposes=",".join(checked.purposes),
                category=checked.category,
                restricted=checked.restricted,
                searchable=checked.searchable,
                exported=checked.exported,
                applies_to=checked.on.value,
                keep_months=checked.keep_months,
                position=(position or 0) + 1,
                created_by=actor.user_id,
                created_at=now,
            )
            session.add(row)
            sensitivity = Sensitivity.RESTRICTED if checked.restricted else Sensitivity.NORMAL
            session.add(
                FieldCatalogueEntry(
                    field=checked.name,
                    sensitivity=sensitivity.value,
                    purposes=",".join(checked.purposes),
                )
            )
            session.flush()
            record_event(
                session,
                actor=actor.username,
                action="field.define",
                entity="custom_field",
                entity_id=row.id,
                at=now,
                detail=(
                    f"kind={checked.kind.value};restricted={int(checked.restricted)}"
                    f";on={checked.on.value};keep_months={checked.keep_months or ''}"
                ),
            )
            new_id = row.id
        self._access.invalidate()
        return new_id


def keep_text(keep_months: int | None) -> str:
    """A field's keep rule in words, in the UI's language: "12 months", or as long as its
    contact or company (no rule of its own)."""
    if keep_months is None:
        return _("As long as its contact or company")
    return ngettext("{count} month", "{count} months", keep_months).format(
        count=format_number(keep_months)
    )


def _number_text(value: Decimal, language: str, *, grouped: bool) -> str:
    """A number as read: grouped per language ("12.500.000,5"), or as typed ("12500000,5")."""
    if grouped:
        return format_number(value, language)
    text = format(value, "f")
    return text.replace(".", ",") if language in ("nl", "fr") else text


def display_value(
    kind: str, stored: str, language: str | None = None, *, grouped: bool = True
) -> str:
    """A stored custom value as a person reads it, in *language* (the UI's by default):
    numbers with the language's thousands separators unless not *grouped* (an editor's
    text, read back as typed)."""
    if not stored:
        return ""
    language = language or current_language()
    try:
        if kind == CustomKind.DATE:
            return format_date(dt.date.fromisoformat(stored), language)
        if kind == CustomKind.YESNO:
            return tr_in(language, N_("Yes") if stored == "yes" else N_("No"))
        if kind == CustomKind.NUMBER:
            return _number_text(Decimal(stored), language, grouped=grouped)
    except (ValueError, ArithmeticError):
        return stored  # masked, or written by hand: shown as stored
    return stored
