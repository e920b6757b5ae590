"""The keep rule of custom fields (issue 21): a field may say how long each value is kept
(``CustomFieldDefinition.keep_months``, counted from the day the value was recorded); the
yearly cleanup lists the values past that period and erases them - the value, never the
contact or company - each with an audit entry naming the record and the field, never the
value. A field without a keep rule keeps its values as long as their record. A contact
under a retention hold (a dispute, an accountant's request) keeps its values until the
hold ends, as it keeps the contact itself.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from sqlalchemy import and_, delete, exists, or_, select
from sqlalchemy.orm import Session

from privacycrm_desktop.domain.custom_fields import CustomTarget, value_keep_until
from privacycrm_desktop.domain.retention import add_months
from privacycrm_desktop.persistence.company_models import Company
from privacycrm_desktop.persistence.custom_field_models import (
    VALUE_TABLES,
    field_ids,
    load_definitions,
)
from privacycrm_desktop.persistence.merge_models import CompanyMerge, ContactMerge
from privacycrm_desktop.persistence.models import Contact
from privacycrm_desktop.persistence.record_models import RetentionHold
from privacycrm_desktop.services.audit_batch import AuditEntry, record_events


@dataclass(frozen=True)
class ExpiredValue:
    """A custom value past its keep period (never the value itself)."""

    on: CustomTarget
    #: The contact's or company's id.
    record_id: int
    key: str
    #: The field's catalogue name (``cf_<key>``).
    field: str
    label: str
    recorded_on: dt.date
    keep_until: dt.date
    #: The owner's labels by language (``CustomFieldDefinition.labels``).
    labels: tuple[tuple[str, str], ...] = ()

    def label_in(self, language: str) -> str:
        """The field's label in *language*, else the label as defined."""
        return dict(self.labels).get(language) or self.label


def expired_values(session: Session, today: dt.date) -> list[ExpiredValue]:
    """Every custom value whose keep period has passed by *today*, by target, field and
    record. Only the fields with a keep rule are read, each through its field's index."""
    ids = field_ids(session)
    found: list[ExpiredValue] = []
    for definition in load_definitions(session, None):
        if definition.keep_months is None or definition.key not in ids:
            continue
        model, owner = VALUE_TABLES[definition.on]
        # A value recorded before this moment may have expired; the exact day is checked
        # below with the same month arithmetic as every keep-until date.
        bound = dt.datetime.combine(
            add_months(today, -definition.keep_months) + dt.timedelta(days=1), dt.time.min
        )
        query = select(getattr(model, owner), model.recorded_at).where(
            model.field_id == ids[definition.key], model.recorded_at < bound
        )
        if definition.on is CustomTarget.CONTACT:
            held = exists().where(
                RetentionHold.contact_id == getattr(model, owner), RetentionHold.until >= today
            )
            query = query.where(~held)
        rows = session.execute(query.order_by(getattr(model, owner))).tuples()
        for record_id, recorded_at in rows:
            until = value_keep_until(definition, recorded_at.date())
            if until is not None and until < today:
                found.append(
                    ExpiredValue(
                        definition.on,
                        int(record_id),
                        definition.key,
                        definition.name,
                        definition.label,
                        recorded_at.date(),
                        until,
                        definition.labels,
                    )
                )
    return found


def erase_expired_values(
    session: Session, actor: str, today: dt.date, now: dt.datetime
) -> list[ExpiredValue]:
    """Erase every value past its keep period (in the caller's transaction), each with an
    audit entry ("contact 12, field cf_badge"); returns what was erased. The copies of
    such values that a merge keeps for its undo go too (``forget_in_merge_copies``)."""
    copies = forget_in_merge_copies(session, today)
    if copies:
        record_events(
            session,
            actor=actor,
            at=now,
            entries=[
                AuditEntry("cleanup.value_expired", on.value, record, f"field={name}")
                for on, record, name in copies
            ],
        )
    expired = expired_values(session, today)
    if not expired:
        return []
    ids = field_ids(session)
    for target in CustomTarget:
        mine = [e for e in expired if e.on is target]
        model, owner = VALUE_TABLES[target]
        column = getattr(model, owner)
        for start in range(0, len(mine), 500):
            chunk = mine[start : start + 500]
            session.execute(
                delete(model).where(
                    or_(*(and_(column == e.record_id, model.field_id == ids[e.key]) for e in chunk))
                )
            )
    record_events(
        session,
        actor=actor,
        at=now,
        entries=[
            AuditEntry("cleanup.value_expired", e.on.value, e.record_id, f"field={e.field}")
            for e in expired
        ],
    )
    return expired


def record_names(
    session: Session, values: list[ExpiredValue]
) -> dict[tuple[CustomTarget, int], str]:
    """The names of the contacts and companies holding *values*, to say whose value goes
    ("Lefèvre, Zoë"; a company's name)."""
    contacts = {v.record_id for v in values if v.on is CustomTarget.CONTACT}
    companies = {v.record_id for v in values if v.on is CustomTarget.COMPANY}
    names: dict[tuple[CustomTarget, int], str] = {}
    for cid, first, last, org in session.execute(
        select(Contact.id, Contact.first_name, Contact.last_name, Contact.organisation).where(
            Contact.id.in_(contacts)
        )
    ).tuples():
        name = f"{last}, {first}" if last and first else (last or first or org or "")
        names[(CustomTarget.CONTACT, int(cid))] = name
    for cid, name in session.execute(
        select(Company.id, Company.name).where(Company.id.in_(companies))
    ).tuples():
        names[(CustomTarget.COMPANY, int(cid))] = name
    return names


#: The merge records and the key of their copy's custom values, per target.
_MERGE_COPIES: dict[CustomTarget, tuple[type[ContactMerge] | type[CompanyMerge], str, str]] = {
    CustomTarget.CONTACT: (ContactMerge, "custom_value.contact_id", "contact_id"),
    CustomTarget.COMPANY: (CompanyMerge, "company_custom_value.company_id", "company_id"),
}


def forget_in_merge_copies(session: Session, today: dt.date) -> list[tuple[CustomTarget, int, str]]:
    """Take the values past their keep period out of the merges' undo copies (an undo then
    brings the record back without them, as the cleanup would have left it); returns
    (target, record id, field name) of each value taken out. A contact under a retention
    hold keeps its copies' values, as it keeps its own."""
    rules = {
        (d.on, ids[d.key]): d
        for ids in [field_ids(session)]
        for d in load_definitions(session, None)
        if d.keep_months is not None and d.key in ids
    }
    if not rules:
        return []
    held = set(
        session.execute(
            select(RetentionHold.contact_id).where(RetentionHold.until >= today)
        ).scalars()
    )
    gone: list[tuple[CustomTarget, int, str]] = []
    for target, (model, key, owner) in _MERGE_COPIES.items():
        records: list[ContactMerge | CompanyMerge] = list(
            session.scalars(select(model).where(model.snapshot != ""))
        )
        for record in records:
            copy = json.loads(record.snapshot)
            kept = []
            for row in copy.get(key, []):
                definition = rules.get((target, int(row["field_id"])))
                recorded = dt.datetime.fromisoformat(str(row["recorded_at"])).date()
                until = value_keep_until(definition, recorded) if definition else None
                exempt = target is CustomTarget.CONTACT and int(row[owner]) in held
                if definition is not None and until is not None and until < today and not exempt:
                    gone.append((target, int(row[owner]), definition.name))
                else:
                    kept.append(row)
            if key in copy and len(kept) != len(copy[key]):
                copy[key] = kept
                record.snapshot = json.dumps(copy, separators=(",", ":"))
    session.flush()
    return gone
