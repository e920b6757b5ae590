"""A contact's (or a company's) custom-field values inside a unit of work: read as a role
may see them, written with their source as a role may change them
(``domain.custom_fields``).

Used by the contact writers (services/contact_saving.py), the detail read
(services/contact_details.py), exports, the access report and the search; with
``on=CustomTarget.COMPANY`` by the companies (services/company_custom.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Protocol, cast

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from privacycrm_desktop.domain.access import FieldAccess, mask
from privacycrm_desktop.domain.custom_fields import (
    CustomFieldDefinition,
    CustomTarget,
    parse_values,
)
from privacycrm_desktop.domain.errors import PermissionDenied
from privacycrm_desktop.domain.text import N_
from privacycrm_desktop.persistence.custom_field_models import (
    VALUE_TABLES,
    CompanyCustomValue,
    CustomField,
    CustomValue,
    field_ids,
    load_definitions,
)
from privacycrm_desktop.services.dto import CustomValueInfo, SourceInfo

_SEEN = (FieldAccess.READ, FieldAccess.WRITE, FieldAccess.MASKED)


class _Sources(Protocol):
    def info(
        self, source_id: int, recorded_by: int | None, recorded_at: dt.datetime
    ) -> SourceInfo: ...


def _level(access: Mapping[str, FieldAccess], definition: CustomFieldDefinition) -> FieldAccess:
    return access.get(definition.name, FieldAccess.HIDDEN)


def read_values(
    session: Session,
    access: Mapping[str, FieldAccess],
    contact_id: int,
    sources: _Sources,
    *,
    on: CustomTarget = CustomTarget.CONTACT,
) -> tuple[CustomValueInfo, ...]:
    """The contact's (or with *on*, the company's) custom values the role sees (hidden
    ones are not even read)."""
    definitions = [d for d in load_definitions(session, on) if _level(access, d) in _SEEN]
    if not definitions:
        return ()
    ids = field_ids(session)
    wanted = {ids[d.key]: d for d in definitions}
    model, owner = VALUE_TABLES[on]
    rows = cast(
        "Iterable[CustomValue | CompanyCustomValue]",
        session.execute(
            select(model).where(getattr(model, owner) == contact_id, model.field_id.in_(wanted))
        ).scalars(),
    )
    by_field = {row.field_id: row for row in rows}
    result = []
    for field_id, definition in wanted.items():
        row = by_field.get(field_id)
        if row is None:
            continue
        masked = _level(access, definition) is FieldAccess.MASKED
        result.append(
            CustomValueInfo(
                key=definition.key,
                name=definition.name,
                label=definition.label,
                kind=definition.kind.value,
                value=mask(row.value) if masked else row.value,
                source=None
                if masked
                else sources.info(row.source_id, row.recorded_by, row.recorded_at),
                labels=definition.labels,
                masked=masked,
            )
        )
    return tuple(result)


def changes(
    session: Session,
    access: Mapping[str, FieldAccess],
    contact_id: int | None,
    raw: Mapping[str, str],
    *,
    on: CustomTarget = CustomTarget.CONTACT,
) -> dict[str, str]:
    """The custom values *raw* (key -> text typed) changes: key -> stored form ("" removes).

    Raises:
        ValidationFailed: an unknown key (or a field of the other target) or a value that
            does not fit its field.
        PermissionDenied: a changed value of a field the role may not change.
    """
    if not raw:
        return {}
    definitions = load_definitions(session, on)
    parsed = parse_values(definitions, raw)
    by_key = {d.key: d for d in definitions}
    stored: dict[str, str] = {}
    if contact_id is not None:
        model, owner = VALUE_TABLES[on]
        rows = session.execute(
            select(CustomField.key, model.value)
            .join(CustomField, CustomField.id == model.field_id)
            .where(getattr(model, owner) == contact_id)
        ).tuples()
        stored = {key: value for key, value in rows}
    changed = {k: v for k, v in parsed.items() if v != stored.get(k, "")}
    for key in changed:
        if _level(access, by_key[key]) is not FieldAccess.WRITE:
            raise PermissionDenied(N_("Your role may not fill in some of these fields."))
    return changed


def apply(
    session: Session,
    user_id: int | None,
    contact_id: int,
    changed: Mapping[str, str],
    source_id: int,
    now: dt.datetime,
    *,
    on: CustomTarget = CustomTarget.CONTACT,
) -> None:
    """Store *changed* (from ``changes``) for the contact (or with *on*, the company), each
    new value with *source_id* and recorded now (its keep rule counts from then)."""
    ids = field_ids(session)
    model, owner = VALUE_TABLES[on]
    for key, value in changed.items():
        session.execute(
            delete(model).where(getattr(model, owner) == contact_id, model.field_id == ids[key])
        )
        if value:
            session.add(
                model(
                    **{owner: contact_id},
                    field_id=ids[key],
                    value=value,
                    source_id=source_id,
                    recorded_at=now,
                    recorded_by=user_id,
                )
            )
    session.flush()


def names(changed: Mapping[str, str]) -> list[str]:
    """The catalogue names of the changed fields (for the audit: names, never values)."""
    return [f"cf_{key}" for key in changed]


def values_of(
    session: Session,
    contact_ids: Sequence[int],
    definitions: Sequence[CustomFieldDefinition],
    *,
    on: CustomTarget = CustomTarget.CONTACT,
) -> dict[int, dict[str, str]]:
    """Per contact (or with *on*, company), the stored values of *definitions* (catalogue
    name -> value)."""
    if not contact_ids or not definitions:
        return {}
    ids = field_ids(session)
    names_by_id = {ids[d.key]: d.name for d in definitions if d.key in ids}
    model, owner = VALUE_TABLES[on]
    column = getattr(model, owner)
    found: dict[int, dict[str, str]] = {}
    for chunk in range(0, len(contact_ids), 500):
        rows = session.execute(
            select(column, model.field_id, model.value).where(
                column.in_(contact_ids[chunk : chunk + 500]),
                model.field_id.in_(names_by_id),
            )
        ).tuples()
        for contact_id, field_id, value in rows:
            found.setdefault(contact_id, {})[names_by_id[field_id]] = value
    return found


#: The ids of the contacts' custom fields with the keys that follow (a list of parameters).
_FIELD_IDS = "SELECT f.id FROM custom_field AS f WHERE f.applies_to = 'contact' AND f.key IN "


def search_condition(
    definitions: Iterable[CustomFieldDefinition], access: Mapping[str, FieldAccess], query: str
) -> tuple[str, dict[str, object]] | None:
    """The condition on contact ``c`` finding *query* in a searchable custom field of
    *definitions* (the contacts' fields, as ``AccessService.custom_fields`` keeps them) the
    role may read in full, with its parameters; None when there is none to search.

    Built without reading the database: the fields' ids are looked up by key inside the
    condition, so a search typed sends no statement of its own for the custom fields."""
    text = " ".join(query.split()).casefold()
    if not text:
        return None
    readable = [
        d
        for d in definitions
        if d.searchable and _level(access, d) in (FieldAccess.READ, FieldAccess.WRITE)
    ]
    if not readable:
        return None
    params: dict[str, object] = {f"cf_key{i}": d.key for i, d in enumerate(readable)}
    keys = ", ".join(f":{name}" for name in params)
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    params["cf_like"] = f"%{escaped}%"
    # The keys and the text are parameters; the rest is constant.
    fields = _FIELD_IDS + f"({keys})"
    where = f"v.field_id IN ({fields}) AND lower(v.value) LIKE :cf_like ESCAPE '\\'"
    sql = "c.id IN (SELECT v.contact_id FROM custom_value AS v WHERE " + where + ")"  # noqa: S608
    return sql, params


__all__ = ["apply", "changes", "names", "read_values", "search_condition", "values_of"]
