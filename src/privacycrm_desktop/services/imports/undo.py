"""Undo of an import: its contacts removed and what it merged into others taken back.

Refused when any of them was edited since (its version or ``updated_at`` moved, or a
consent, hold, request or special-category datum was added by hand), with the number
edited. A contact a merge filled gets its stored columns again from what is left
(``domain.contact_columns``), as every writer derives them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import Connection, delete, or_, select, update

from privacycrm_desktop.domain.consent import ConsentMethod
from privacycrm_desktop.domain.contact_columns import stored_columns
from privacycrm_desktop.domain.contacts import ContactInput
from privacycrm_desktop.domain.errors import ImportUndoRefused, NotFound
from privacycrm_desktop.domain.text import N_
from privacycrm_desktop.persistence import search
from privacycrm_desktop.persistence.company_models import Company, CompanyLink, CompanyProvenance
from privacycrm_desktop.persistence.contact_writes import chunks
from privacycrm_desktop.persistence.custom_field_models import CustomValue
from privacycrm_desktop.persistence.models import (
    Base,
    ConsentEvent,
    Contact,
    ContactEmail,
    ContactPhone,
    ContactTag,
    FieldProvenance,
    ImportBatch,
    RequestContact,
    Source,
)
from privacycrm_desktop.persistence.record_models import RetentionHold, SpecialCategoryDatum
from privacycrm_desktop.persistence.unit_of_work import UnitOfWork
from privacycrm_desktop.services.audit import record_event
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.erasure import finish_erasure
from privacycrm_desktop.services.imports.model import MERGE_FIELDS
from privacycrm_desktop.services.retention import recompute, stored_rules

_T = Base.metadata.tables


def undo_batch(uow: UnitOfWork, actor: Actor, batch_id: int, now: dt.datetime) -> int:
    """Remove the batch's contacts and what it merged into others, in one transaction
    with its audit event; returns how many contacts were removed.

    Raises:
        NotFound: no such batch.
        ImportUndoRefused: the batch is undone already, or some of its contacts were
            edited since (``edited`` says how many).
    """
    with uow(write=True) as work:
        session = work.session
        batch = session.get(ImportBatch, batch_id)
        if batch is None:
            raise NotFound
        if batch.undone_at is not None:
            raise ImportUndoRefused(N_("This import was undone already."))
        conn = session.connection()
        changed = edited(conn, batch)
        if changed:
            raise ImportUndoRefused(edited=changed)
        source_ids = batch_sources(conn, batch.id)
        ids = list(conn.scalars(select(Contact.id).where(Contact.import_batch_id == batch.id)))
        merged = merged_contacts(conn, batch.id, source_ids)
        rules = stored_rules(conn)
        # The consent events the import recorded, on its own contacts and on others
        # (a merged row may have brought a consent and nothing else).
        conn.execute(
            delete(ConsentEvent).where(
                ConsentEvent.method == ConsentMethod.IMPORTED_RECORD.value,
                ConsentEvent.recorded_at == batch.created_at,
                ConsentEvent.recorded_by == batch.created_by,
            )
        )
        if source_ids:
            # The tags the import put on contacts (its own and those it merged into).
            conn.execute(delete(ContactTag).where(ContactTag.source_id.in_(source_ids)))
            conn.execute(delete(CustomValue).where(CustomValue.source_id.in_(source_ids)))
            # The places at companies it made, then the companies it made that no one
            # has come to or changed since.
            conn.execute(delete(CompanyLink).where(CompanyLink.source_id.in_(source_ids)))
            linked = select(CompanyLink.company_id)
            conn.execute(
                delete(Company).where(
                    Company.source_id.in_(source_ids),
                    Company.version == 1,
                    Company.id.not_in(linked),
                )
            )
        unmerge(conn, merged, source_ids)
        recompute(conn, merged, rules)
        for part in chunks(ids):
            search.remove(conn, part)
            conn.execute(delete(Contact).where(Contact.id.in_(part)))
        if source_ids:
            drop_unused_sources(conn, source_ids)
        batch.undone_at = now
        record_event(
            session,
            actor=actor.username,
            action="import.undo",
            entity="import_batch",
            entity_id=batch.id,
            at=now,
            detail=f"removed={len(ids)};unmerged={len(merged)}",
        )
    # The removed words leave the index pages and the WAL, as after an erasure.
    finish_erasure(uow)
    return len(ids)


def batch_sources(conn: Connection, batch_id: int) -> list[int]:
    """The ids of the sources the batch wrote."""
    return list(conn.scalars(select(Source.id).where(Source.import_batch_id == batch_id)))


def merged_contacts(conn: Connection, batch_id: int, source_ids: Sequence[int]) -> list[int]:
    """Contacts of other origins the batch merged values or consents into."""
    if not source_ids:
        return []
    found: set[int] = set()
    for table in (FieldProvenance, ContactEmail, ContactPhone):
        found.update(
            conn.scalars(
                select(table.contact_id)
                .join(Contact, Contact.id == table.contact_id)
                .where(
                    table.source_id.in_(source_ids),
                    or_(Contact.import_batch_id.is_(None), Contact.import_batch_id != batch_id),
                )
            )
        )
    return sorted(found)


def edited(conn: Connection, batch: ImportBatch) -> int:
    """How many of the batch's contacts (and contacts it merged into) changed since."""
    own = select(Contact.id).where(Contact.import_batch_id == batch.id)
    changed = set(
        conn.scalars(own.where(or_(Contact.version != 1, Contact.updated_at != Contact.created_at)))
    )
    for table in (RetentionHold, SpecialCategoryDatum, RequestContact):
        changed.update(conn.scalars(select(table.contact_id).where(table.contact_id.in_(own))))
    changed.update(
        c
        for c in conn.scalars(
            select(ConsentEvent.contact_id).where(
                ConsentEvent.contact_id.in_(own),
                or_(
                    ConsentEvent.method != ConsentMethod.IMPORTED_RECORD.value,
                    ConsentEvent.recorded_at != batch.created_at,
                ),
            )
        )
        if c is not None
    )
    merged = merged_contacts(conn, batch.id, batch_sources(conn, batch.id))
    for part in chunks(merged):
        changed.update(
            conn.scalars(
                select(Contact.id).where(
                    Contact.id.in_(part), Contact.updated_at != batch.created_at
                )
            )
        )
    return len(changed)


def unmerge(conn: Connection, merged: Sequence[int], source_ids: Sequence[int]) -> None:
    """Take back what a batch merged into other contacts: the fields it filled (they were
    empty before) and the addresses and numbers it added."""
    if not merged:
        return
    table = _T["contact"]
    for part in chunks(merged):
        fields = conn.execute(
            select(FieldProvenance.contact_id, FieldProvenance.field).where(
                FieldProvenance.contact_id.in_(part), FieldProvenance.source_id.in_(source_ids)
            )
        ).tuples()
        by_contact: dict[int, list[str]] = {}
        for cid, name in fields:
            if name in MERGE_FIELDS:
                by_contact.setdefault(cid, []).append(name)
        for cid, names in by_contact.items():
            conn.execute(
                update(table)
                .where(table.c.id == cid)
                .values(**{n: None if n == "birth_date" else "" for n in names})
            )
        conn.execute(
            delete(FieldProvenance).where(
                FieldProvenance.contact_id.in_(part), FieldProvenance.source_id.in_(source_ids)
            )
        )
        conn.execute(
            delete(ContactEmail).where(
                ContactEmail.contact_id.in_(part), ContactEmail.source_id.in_(source_ids)
            )
        )
        conn.execute(
            delete(ContactPhone).where(
                ContactPhone.contact_id.in_(part), ContactPhone.source_id.in_(source_ids)
            )
        )
        rows = conn.execute(
            select(
                Contact.id,
                Contact.first_name,
                Contact.last_name,
                Contact.organisation,
                Contact.street,
                Contact.postcode,
                Contact.city,
                Contact.version,
            ).where(Contact.id.in_(part))
        ).tuples()
        for cid, first, last, org, street, postcode, city, version in rows:
            emails = tuple(
                conn.scalars(
                    select(ContactEmail.address)
                    .where(ContactEmail.contact_id == cid)
                    .order_by(ContactEmail.position)
                )
            )
            phones = tuple(
                conn.scalars(
                    select(ContactPhone.number)
                    .where(ContactPhone.contact_id == cid)
                    .order_by(ContactPhone.position)
                )
            )
            data = ContactInput(
                first_name=first,
                last_name=last,
                organisation=org,
                emails=emails,
                phones=phones,
                street=street,
                postcode=postcode,
                city=city,
            )
            stored = stored_columns(data)
            conn.execute(
                update(table)
                .where(table.c.id == cid)
                .values(
                    sort_name=stored.sort_name,
                    primary_email=stored.primary_email,
                    primary_phone=stored.primary_phone,
                    version=version + 1,
                )
            )
            search.index_rows(conn, [(cid, stored.search)])


def drop_unused_sources(conn: Connection, source_ids: Sequence[int]) -> None:
    """Delete the batch's sources once nothing points at them (the batch row stays)."""
    for sid in source_ids:
        used = False
        for table in (
            Contact,
            ContactEmail,
            ContactPhone,
            FieldProvenance,
            SpecialCategoryDatum,
            Company,
            CompanyProvenance,
            CompanyLink,
        ):
            if conn.execute(select(table.id).where(table.source_id == sid).limit(1)).first():
                used = True
                break
        if not used:
            conn.execute(delete(Source).where(Source.id == sid))


__all__ = [
    "batch_sources",
    "drop_unused_sources",
    "edited",
    "merged_contacts",
    "undo_batch",
    "unmerge",
]
