"""Saving contacts: a new contact, and changes with their provenance, merged with what
somebody else saved meanwhile where no field was changed by both.

Every save stores the contact's derived columns (sort name, primary e-mail and phone, the
full-text row) from ``domain.contact_columns``, as every other writer does, and applies
``domain.edit_rights``: a field the role may not change keeps its stored value.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from privacycrm_desktop.domain.access import FieldAccess, Permission, require
from privacycrm_desktop.domain.consent import ConsentMethod
from privacycrm_desktop.domain.contact_columns import stored_columns
from privacycrm_desktop.domain.contacts import SCALAR_FIELDS, ContactInput, validate_contact
from privacycrm_desktop.domain.edit_conflicts import (
    CONFLICT_FIELDS,
    ConflictDetail,
    FieldConflict,
    input_from,
    three_way,
)
from privacycrm_desktop.domain.edit_rights import (
    keep_stored,
    kept_fields,
    may_change,
    unread_fields,
)
from privacycrm_desktop.domain.errors import (
    EditConflict,
    NotFound,
    PermissionDenied,
    SourceMissing,
)
from privacycrm_desktop.domain.provenance import SourceInput, validate_source
from privacycrm_desktop.domain.suppression import (
    ErasedPersonRefused,
    HashKind,
    SuppressionReason,
    candidate_digests,
    name_postcode,
    numbers_to_look_up,
)
from privacycrm_desktop.domain.text import N_
from privacycrm_desktop.persistence import search
from privacycrm_desktop.persistence.models import (
    Contact,
    ContactEmail,
    ContactPhone,
    FieldProvenance,
    Source,
    Suppression,
)
from privacycrm_desktop.persistence.unit_of_work import UnitOfWork
from privacycrm_desktop.services import custom_values
from privacycrm_desktop.services.access import AccessService
from privacycrm_desktop.services.audit import record_event
from privacycrm_desktop.services.clock import Clock
from privacycrm_desktop.services.consent import opt_out_everywhere
from privacycrm_desktop.services.contact_details import RESTRICTED, SOURCED, points, read_detail
from privacycrm_desktop.services.dto import (
    Actor,
    ContactDetail,
    SourcedValue,
    SourceInfo,
    SuppressionHit,
)
from privacycrm_desktop.services.marketing_facts import get_salt
from privacycrm_desktop.services.retention import recompute as recompute_keep_until
from privacycrm_desktop.services.special_terms import check_notes

#: The evidence of opt-outs a new contact inherits from the suppression list.
SUPPRESSION_EVIDENCE = "suppression list"
#: How often a save merges somebody else's newer version before it gives up.
_MERGE_ATTEMPTS = 3
_SEEN = (FieldAccess.READ, FieldAccess.WRITE, FieldAccess.MASKED)


class _VersionMoved(Exception):
    """The stored version is not the one the editor loaded (rolled back, then compared)."""


class ContactWriter:
    """Creates contacts and saves changes to them, as the actor's role allows
    (``ContactService`` hands its saves here)."""

    def __init__(self, uow: UnitOfWork, clock: Clock, access: AccessService) -> None:
        self._uow = uow
        self._clock = clock
        self._policy = access

    def _access(self, actor: Actor) -> dict[str, FieldAccess]:
        return self._policy.access_for(actor.role)

    def create(
        self,
        actor: Actor,
        data: ContactInput,
        source: SourceInput | None,
        *,
        special_confirmed: bool = False,
    ) -> int:
        """Save a new contact; every value gets *source*. Returns the new id.

        Raises:
            SpecialCategoryUnconfirmed: the notes suggest special-category data and
                *special_confirmed* is False (the user must have looked and confirmed).
        """
        require(actor.role, Permission.CREATE_CONTACTS)
        today, now = self._clock.today(), self._clock.now()
        self._check_writable(actor, filled_fields(data))
        extra, data = data.extra, validate_contact(data, today)
        check_notes(data.notes, special_confirmed)
        checked_source = validate_source(source, today)
        columns = stored_columns(data)
        with self._uow(write=True) as uow:
            session = uow.session
            hit = suppression_hit(session, data, check_name=True)
            if hit is not None and hit.reason is SuppressionReason.ERASURE:
                raise ErasedPersonRefused(hit.value, hit.since)
            custom = custom_values.changes(session, self._access(actor), None, extra)
            source_row = self._add_source(session, actor, checked_source, now)
            contact = Contact(
                **{name: getattr(data, name) for name in SCALAR_FIELDS},
                sort_name=columns.sort_name,
                primary_email=columns.primary_email,
                primary_phone=columns.primary_phone,
                source_id=source_row.id,
                created_by=actor.user_id,
                created_at=now,
                updated_at=now,
            )
            session.add(contact)
            session.flush()
            self._add_list_values(session, actor, contact.id, data, source_row.id, now)
            custom_values.apply(session, actor.user_id, contact.id, custom, source_row.id, now)
            search.index_rows(session, [(contact.id, columns.search)])
            opt_outs = inherit_objection(session, hit, contact, actor, now)
            recompute_keep_until(session, [contact.id])
            record_event(
                session,
                actor=actor.username,
                action="contact.create",
                entity="contact",
                entity_id=contact.id,
                at=now,
                detail=f"suppression_opt_outs={opt_outs}" if opt_outs else "",
            )
            return contact.id

    def update(
        self,
        actor: Actor,
        contact_id: int,
        expected_version: int,
        data: ContactInput,
        source: SourceInput | None,
        base: ContactInput | None = None,
        *,
        special_confirmed: bool = False,
    ) -> ContactDetail:
        """Save changes; changed values get *source* (required when anything changed).

        *base* is what the editor loaded (``edit_conflicts.input_from(detail)``). When
        somebody else saved the contact after *expected_version*, nothing of theirs is
        overwritten: with *base*, the fields only they changed are taken over and the save
        goes through if no field was changed by both; otherwise (and always without *base*)
        ``EditConflict`` carries the fields to choose from and the version to save against.
        A save that wins between our read and our write (the version column's check at
        flush, ``StaleDataError``, possible on PostgreSQL) is the same conflict.
        Changed notes suggesting special-category data need *special_confirmed*
        (``SpecialCategoryUnconfirmed``), as for ``create``.
        """
        require(actor.role, Permission.EDIT_CONTACTS)
        conflict: ConflictDetail | None = None
        for _attempt in range(_MERGE_ATTEMPTS):
            try:
                return self._save_changes(
                    actor, contact_id, expected_version, data, source, special_confirmed
                )
            except (_VersionMoved, StaleDataError):
                pass  # rolled back; see what is stored now
            conflict = self._conflict(actor, contact_id, data, base)
            if base is None or conflict.conflicts:
                raise EditConflict(detail=conflict)
            expected_version, data, base = conflict.version, conflict.merged, conflict.theirs
        raise EditConflict(detail=conflict)

    def _conflict(
        self, actor: Actor, contact_id: int, data: ContactInput, base: ContactInput | None
    ) -> ConflictDetail:
        """Compare what is stored now with the typed *data* and the loaded *base*."""
        access = self._access(actor)
        writable = [f for f in CONFLICT_FIELDS if may_change(access, f)]
        visible = [f for f in CONFLICT_FIELDS if access.get(f, FieldAccess.HIDDEN) in _SEEN]
        restricted = sorted(f for f in RESTRICTED if f in visible)
        with self._uow(write=bool(restricted)) as uow:
            session = uow.session
            stored = read_detail(session, access, contact_id)
            if restricted:
                # Their values are shown as the editor shows them: audited the same way.
                record_event(
                    session,
                    actor=actor.username,
                    action="contact.read_restricted",
                    entity="contact",
                    entity_id=contact_id,
                    at=self._clock.now(),
                    detail="fields=" + ",".join(restricted),
                )
            contact = session.get(Contact, contact_id)
            if contact is None:
                raise NotFound
            emails, phones = points(session, contact_id)
            stored_postcode = contact.postcode
            # Fields the user may not change are validated with their stored values...
            kept = kept_fields(access)
            values = _stored_values(contact, kept, emails, phones)
        settled = ContactInput(emails=emails, phones=phones, postcode=stored_postcode)
        mine = validate_contact(
            keep_stored(data, access, values), self._clock.today(), settled=settled
        )
        theirs = input_from(stored)
        # ... and leave this function as the user may see them, never more.
        mine = dataclasses.replace(mine, **{f: getattr(theirs, f) for f in kept})
        conflicts, merged, taken = three_way(base, theirs, mine, writable, visible)
        return ConflictDetail(
            contact_id=contact_id,
            version=stored.version,
            conflicts=tuple(with_author(c, stored) for c in conflicts),
            theirs=theirs,
            merged=merged,
            taken_over=taken,
            changed_at=stored.updated_at,
        )

    def _save_changes(
        self,
        actor: Actor,
        contact_id: int,
        expected_version: int,
        data: ContactInput,
        source: SourceInput | None,
        special_confirmed: bool = False,
    ) -> ContactDetail:
        today, now = self._clock.today(), self._clock.now()
        with self._uow(write=True) as uow:
            session = uow.session
            # FOR UPDATE on PostgreSQL: a concurrent save of this contact waits for ours
            # (SQLite's writers are serialised by BEGIN IMMEDIATE already).
            contact = session.get(Contact, contact_id, with_for_update=True)
            if contact is None:
                raise NotFound
            if contact.version != expected_version:
                raise _VersionMoved
            access = self._access(actor)
            old_emails = list(
                session.scalars(select(ContactEmail).where(ContactEmail.contact_id == contact_id))
            )
            old_phones = list(
                session.scalars(select(ContactPhone).where(ContactPhone.contact_id == contact_id))
            )
            # Fields the user may not change keep their stored value whatever the form says;
            # hidden restricted ones are not even read, and never written (``changed``).
            unread = unread_fields(access)
            values = _stored_values(
                contact,
                kept_fields(access),
                tuple(e.address for e in old_emails),
                tuple(p.number for p in old_phones),
            )
            # A value stored as it is (an import kept a number it could not read) does not
            # stop a save that leaves it unchanged.
            settled = ContactInput(
                emails=tuple(e.address for e in old_emails),
                phones=tuple(p.number for p in old_phones),
                postcode=contact.postcode,
            )
            merged = validate_contact(keep_stored(data, access, values), today, settled=settled)
            changed = [
                n
                for n in SCALAR_FIELDS
                if n not in unread and getattr(contact, n) != getattr(merged, n)
            ]
            emails_changed = tuple(e.address for e in old_emails) != merged.emails
            phones_changed = tuple(p.number for p in old_phones) != merged.phones
            custom = custom_values.changes(session, access, contact_id, data.extra)
            if not changed and not emails_changed and not phones_changed and not custom:
                return read_detail(session, access, contact_id)
            if "notes" in changed:
                check_notes(merged.notes, special_confirmed)
            hit = suppression_hit(
                session,
                merged,
                tuple(e.address for e in old_emails),
                tuple(p.number for p in old_phones),
            )
            if hit is not None and hit.reason is SuppressionReason.ERASURE:
                raise ErasedPersonRefused(hit.value, hit.since)
            sourced_change = (
                any(n in SOURCED for n in changed) or emails_changed or phones_changed or custom
            )
            source_row = None
            if sourced_change:
                source_row = self._add_source(session, actor, validate_source(source, today), now)
            with session.no_autoflush:
                for name in changed:
                    setattr(contact, name, getattr(merged, name))
                    if source_row is not None and name in SOURCED:
                        self._set_provenance(session, actor, contact_id, name, source_row.id, now)
                if custom:
                    assert source_row is not None
                    custom_values.apply(
                        session, actor.user_id, contact_id, custom, source_row.id, now
                    )
                if emails_changed or phones_changed:
                    assert source_row is not None
                    self._replace_list_values(
                        session,
                        actor,
                        contact_id,
                        merged,
                        old_emails,
                        old_phones,
                        source_row.id,
                        now,
                    )
                columns = stored_columns(merged)
                contact.sort_name = columns.sort_name
                contact.primary_email = columns.primary_email
                contact.primary_phone = columns.primary_phone
                contact.updated_at = now
            session.flush()
            search.index_rows(session, [(contact.id, columns.search)])
            opt_outs = inherit_objection(session, hit, contact, actor, now)
            recompute_keep_until(session, [contact_id])
            names = sorted(
                changed
                + (["emails"] if emails_changed else [])
                + (["phones"] if phones_changed else [])
                + custom_values.names(custom)
            )
            record_event(
                session,
                actor=actor.username,
                action="contact.update",
                entity="contact",
                entity_id=contact_id,
                at=now,
                detail="fields="
                + ",".join(names)
                + (f";suppression_opt_outs={opt_outs}" if opt_outs else ""),
            )
            return read_detail(session, access, contact_id)

    # -- helpers ----------------------------------------------------------------------

    def _check_writable(self, actor: Actor, fields: Sequence[str]) -> None:
        access = self._access(actor)
        if not all(may_change(access, f) for f in fields):
            raise PermissionDenied(N_("Your role may not fill in some of these fields."))

    def _add_source(
        self, session: Session, actor: Actor, source: SourceInput, now: dt.datetime
    ) -> Source:
        if source.kind is None or source.obtained_on is None:
            raise SourceMissing
        row = Source(
            kind=source.kind.value,
            description=source.description,
            obtained_on=source.obtained_on,
            entered_by=actor.user_id,
            created_at=now,
        )
        session.add(row)
        session.flush()
        return row

    def _set_provenance(
        self,
        session: Session,
        actor: Actor,
        contact_id: int,
        field: str,
        source_id: int,
        now: dt.datetime,
    ) -> None:
        row = session.execute(
            select(FieldProvenance).where(
                FieldProvenance.contact_id == contact_id, FieldProvenance.field == field
            )
        ).scalar_one_or_none()
        if row is None:
            session.add(
                FieldProvenance(
                    contact_id=contact_id,
                    field=field,
                    source_id=source_id,
                    recorded_at=now,
                    recorded_by=actor.user_id,
                )
            )
        else:
            row.source_id, row.recorded_at, row.recorded_by = source_id, now, actor.user_id

    def _add_list_values(
        self,
        session: Session,
        actor: Actor,
        contact_id: int,
        data: ContactInput,
        source_id: int,
        now: dt.datetime,
    ) -> None:
        for position, address in enumerate(data.emails):
            session.add(
                ContactEmail(
                    contact_id=contact_id,
                    address=address,
                    position=position,
                    source_id=source_id,
                    recorded_at=now,
                    recorded_by=actor.user_id,
                )
            )
        for position, number in enumerate(data.phones):
            session.add(
                ContactPhone(
                    contact_id=contact_id,
                    number=number,
                    position=position,
                    source_id=source_id,
                    recorded_at=now,
                    recorded_by=actor.user_id,
                )
            )

    def _replace_list_values(
        self,
        session: Session,
        actor: Actor,
        contact_id: int,
        data: ContactInput,
        old_emails: list[ContactEmail],
        old_phones: list[ContactPhone],
        source_id: int,
        now: dt.datetime,
    ) -> None:
        """Keep unchanged values with their own source; new values get the new source."""
        kept_emails = {e.address: e for e in old_emails}
        kept_phones = {p.number: p for p in old_phones}
        session.execute(delete(ContactEmail).where(ContactEmail.contact_id == contact_id))
        session.execute(delete(ContactPhone).where(ContactPhone.contact_id == contact_id))
        for position, address in enumerate(data.emails):
            old = kept_emails.get(address)
            session.add(
                ContactEmail(
                    contact_id=contact_id,
                    address=address,
                    position=position,
                    source_id=old.source_id if old else source_id,
                    recorded_at=old.recorded_at if old else now,
                    recorded_by=old.recorded_by if old else actor.user_id,
                )
            )
        for position, number in enumerate(data.phones):
            old_p = kept_phones.get(number)
            session.add(
                ContactPhone(
                    contact_id=contact_id,
                    number=number,
                    position=position,
                    source_id=old_p.source_id if old_p else source_id,
                    recorded_at=old_p.recorded_at if old_p else now,
                    recorded_by=old_p.recorded_by if old_p else actor.user_id,
                )
            )


def suppression_hit(
    session: Session,
    data: ContactInput,
    old_emails: Sequence[str] = (),
    old_phones: Sequence[str] = (),
    *,
    check_name: bool = False,
) -> SuppressionHit | None:
    """The first suppression-list match of the validated *data*'s new points, or None.

    Erasure matches come before objections: they refuse the save.
    """
    salt = get_salt(session)
    if salt is None:
        return None  # nothing was ever suppressed in this database
    keys: list[tuple[HashKind, str, str]] = [
        (HashKind.EMAIL, e, e) for e in data.emails if e not in old_emails
    ]
    keys += [
        (HashKind.PHONE, p, p)
        for p in numbers_to_look_up(data.emails, data.phones)
        if p not in old_phones
    ]
    key = name_postcode(data.first_name, data.last_name, data.postcode)
    if check_name and key:
        shown = f"{data.first_name} {data.last_name}".strip() + f", {data.postcode}"
        keys.append((HashKind.NAME_POSTCODE, key, shown))
    if not keys:
        return None
    # Every stored form of each point (sub-addresses, swapped names, old lists).
    digests = {
        (kind, digest): shown
        for kind, value, shown in keys
        for digest in candidate_digests(salt, kind, value)
    }
    found = session.execute(
        select(
            Suppression.hash_kind, Suppression.digest, Suppression.reason, Suppression.created_at
        ).where(Suppression.digest.in_([d for _k, d in digests]))
    ).tuples()
    hits = [
        SuppressionHit(
            SuppressionReason(reason),
            HashKind(kind),
            digests[(HashKind(kind), digest)],
            created_at.date(),
        )
        for kind, digest, reason, created_at in found
        if (HashKind(kind), digest) in digests
    ]
    erased = [h for h in hits if h.reason is SuppressionReason.ERASURE]
    return (erased or hits)[0] if hits else None


def inherit_objection(
    session: Session,
    hit: SuppressionHit | None,
    contact: Contact,
    actor: Actor,
    now: dt.datetime,
) -> int:
    """Give a contact matching an objection its opt-outs, in the save's transaction."""
    if hit is None or hit.reason is not SuppressionReason.OBJECTION:
        return 0
    salt = get_salt(session)
    assert salt is not None
    return opt_out_everywhere(
        session, salt, contact, actor, now, ConsentMethod.SUPPRESSION_LIST, SUPPRESSION_EVIDENCE
    )


def with_author(conflict: FieldConflict, stored: ContactDetail) -> FieldConflict:
    """*conflict* with who entered their value and when (the provenance), when known."""
    infos: list[SourceInfo] = []
    if conflict.field in ("emails", "phones"):
        values: tuple[SourcedValue, ...] = getattr(stored, conflict.field)
        infos = [v.source for v in values]
    elif conflict.field in stored.provenance:
        infos = [stored.provenance[conflict.field]]
    if not infos:
        return conflict
    newest = max(infos, key=lambda i: i.recorded_at)
    return dataclasses.replace(conflict, their_by=newest.entered_by, their_at=newest.recorded_at)


def _stored_values(
    contact: Contact, names: Sequence[str], emails: tuple[str, ...], phones: tuple[str, ...]
) -> dict[str, Any]:
    """The stored values of the fields *names* (never read: any other column)."""
    lists = {"emails": emails, "phones": phones}
    return {n: lists[n] if n in lists else getattr(contact, n) for n in names}


def filled_fields(data: ContactInput) -> list[str]:
    defaults = ContactInput()
    filled = [n for n in SCALAR_FIELDS if getattr(data, n) != getattr(defaults, n)]
    if data.emails:
        filled.append("emails")
    if data.phones:
        filled.append("phones")
    return filled


__all__ = ["SUPPRESSION_EVIDENCE", "ContactWriter", "suppression_hit"]
