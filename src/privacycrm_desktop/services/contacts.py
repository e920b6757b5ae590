"""Contacts: the list, search, the editor's data, and saving with provenance."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence

from sqlalchemy import Row, delete, select
from sqlalchemy.orm import Session, defer, undefer
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.orm.interfaces import ORMOption

from privacycrm_desktop.domain.access import (
    FieldAccess,
    Permission,
    mask,
    require,
)
from privacycrm_desktop.domain.consent import ConsentMethod
from privacycrm_desktop.domain.contact_columns import stored_columns
from privacycrm_desktop.domain.contacts import (
    ContactInput,
    ContactKind,
    Language,
    Relationship,
    validate_contact,
)
from privacycrm_desktop.domain.edit_conflicts import (
    CONFLICT_FIELDS,
    ConflictDetail,
    FieldConflict,
    input_from,
    three_way,
)
from privacycrm_desktop.domain.errors import (
    EditConflict,
    FieldProblem,
    NotFound,
    PermissionDenied,
    SourceMissing,
    StorageFull,
    StorageLocked,
    StorageReadOnly,
    ValidationFailed,
)
from privacycrm_desktop.domain.fields import FIELD_CATALOGUE, Sensitivity
from privacycrm_desktop.domain.normalize import phone_prefix, sort_name
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind, validate_source
from privacycrm_desktop.domain.suppression import (
    ErasedPersonRefused,
    HashKind,
    SuppressionReason,
    candidate_digests,
    name_postcode,
)
from privacycrm_desktop.domain.text import N_
from privacycrm_desktop.persistence import contact_queries as queries
from privacycrm_desktop.persistence import search
from privacycrm_desktop.persistence.models import (
    Contact,
    ContactEmail,
    ContactPhone,
    FieldProvenance,
    Source,
    Suppression,
    User,
)
from privacycrm_desktop.persistence.unit_of_work import UnitOfWork
from privacycrm_desktop.services.access import AccessService
from privacycrm_desktop.services.audit import AUDIT_WAIT_MS, record_event
from privacycrm_desktop.services.audit_spool import event_values
from privacycrm_desktop.services.clock import Clock
from privacycrm_desktop.services.consent import opt_out_everywhere
from privacycrm_desktop.services.dto import (
    ROW_FIELDS,
    Actor,
    ContactDetail,
    ContactRow,
    ContactSort,
    SourcedValue,
    SourceInfo,
    SuppressionHit,
)
from privacycrm_desktop.services.marketing_facts import get_salt
from privacycrm_desktop.services.retention import recompute as recompute_keep_until
from privacycrm_desktop.services.special_terms import check_notes

#: Scalar fields of a contact, in the editor's order; lists (emails, phones) apart.
SCALAR_FIELDS = (
    "kind",
    "first_name",
    "last_name",
    "organisation",
    "street",
    "postcode",
    "city",
    "country",
    "language",
    "birth_date",
    "notes",
    "relationship",
    "relationship_start",
    "relationship_end",
    "last_interaction",
)
_SOURCED = {spec.name for spec in FIELD_CATALOGUE if spec.needs_source}
_RESTRICTED = {spec.name for spec in FIELD_CATALOGUE if spec.sensitivity is not Sensitivity.NORMAL}
#: FTS columns and the fields whose values they hold (a hidden field is not searched).
_FTS_FIELDS = {
    "name": ("first_name", "last_name"),
    "organisation": ("organisation",),
    "emails": ("emails",),
    "phones": ("phones",),
    "place": ("street", "postcode", "city"),
}
#: A screenful: the most rows one call of the list gives. More at once is an export, with
#: its permission, purpose, recipient and audit entry (issue 16); the window's blocks and
#: the export dialog's look-up of a selection read the list in windows of this size.
MAX_PAGE = 200
#: The fields each list order reads: every order ends on the name (sort_name: last name,
#: first name, organisation), so each needs those as well.
_NAME_FIELDS = ("first_name", "last_name", "organisation")
_SORT_FIELDS: dict[ContactSort, tuple[str, ...]] = {
    ContactSort.NAME: _NAME_FIELDS,
    ContactSort.ORGANISATION: _NAME_FIELDS,
    ContactSort.CITY: ("city", *_NAME_FIELDS),
    ContactSort.RELATIONSHIP: ("relationship", *_NAME_FIELDS),
}
#: The evidence of opt-outs a new contact inherits from the suppression list.
SUPPRESSION_EVIDENCE = "suppression list"
#: How often a save merges somebody else's newer version before it gives up.
_MERGE_ATTEMPTS = 3
_SEEN = (FieldAccess.READ, FieldAccess.WRITE, FieldAccess.MASKED)
#: Restricted fields nothing else is derived from: a role that may not see one never reads
#: it (mapped ``deferred``), so a PostgreSQL server may refuse it the column (issue 10).
_UNREAD_WHEN_HIDDEN = ("birth_date", "notes")
#: What a field not read at all stands in as (then blanked like any hidden value).
_BLANK = ContactInput()


class _VersionMoved(Exception):
    """The stored version is not the one the editor loaded (rolled back, then compared)."""


class ContactService:
    """Listing, searching, reading and saving contacts, as the actor's role allows."""

    def __init__(self, uow: UnitOfWork, clock: Clock, access: AccessService | None = None) -> None:
        self._uow = uow
        self._clock = clock
        self._policy = access or AccessService(uow, clock)

    # -- the list ---------------------------------------------------------------------

    def _access(self, actor: Actor) -> dict[str, FieldAccess]:
        return self._policy.access_for(actor.role)

    def field_access(self, actor: Actor) -> dict[str, FieldAccess]:
        """How much of each field *actor* may see and change (the editor's new-contact form)."""
        return dict(self._access(actor))

    def _match(self, actor: Actor, query: str) -> search.SearchTerms | None:
        access = self._access(actor)
        columns = [
            column
            for column, fields in _FTS_FIELDS.items()
            if all(access[f] in (FieldAccess.READ, FieldAccess.WRITE) for f in fields)
        ]
        return search.search_terms(query, columns)

    def _phone_prefix(self, actor: Actor, query: str) -> str | None:
        """The number being typed, when the query is one and the user may read phones."""
        if self._access(actor)["phones"] not in (FieldAccess.READ, FieldAccess.WRITE):
            return None
        return phone_prefix(query)

    def allowed_sort(self, actor: Actor, sort: ContactSort) -> ContactSort | None:
        """*sort*, or the name order when *sort* uses a field *actor* may not read; None
        (the order of entry) when the names are not readable either.

        Rows ordered by a hidden field would give away that field's order (who lives in
        which city, alphabetically): such a sort is ignored (issue 16).
        """
        access = self._access(actor)
        for candidate in (sort, ContactSort.NAME):
            if all(
                access.get(f, FieldAccess.HIDDEN) in (FieldAccess.READ, FieldAccess.WRITE)
                for f in _SORT_FIELDS[candidate]
            ):
                return candidate
        return None

    def count(self, actor: Actor, query: str = "") -> int:
        """How many contacts the list shows for *query* (all when the query is empty)."""
        require(actor.role, Permission.VIEW_CONTACTS)
        with self._uow() as uow:
            if not query.strip():
                return queries.count_all(uow.session)
            prefix = self._phone_prefix(actor, query)
            if prefix is not None:
                return queries.count_phone_prefix(uow.session, prefix)
            match = self._match(actor, query)
            return 0 if match is None else queries.count_matches(uow.session, match)

    def page(
        self,
        actor: Actor,
        *,
        query: str = "",
        sort: ContactSort = ContactSort.NAME,
        descending: bool = False,
        offset: int = 0,
        limit: int = 200,
        total: int | None = None,
    ) -> list[ContactRow]:
        """A window of the list, sorted; *total* (from ``count``) saves a second count."""
        require(actor.role, Permission.VIEW_CONTACTS)
        limit = max(0, min(limit, MAX_PAGE))
        allowed = self.allowed_sort(actor, sort)
        order = queries.ENTRY_ORDER if allowed is None else allowed.value
        with self._uow() as uow:
            session = uow.session
            if not query.strip():
                rows = queries.window(session, order, descending, offset, limit, total)
            elif (prefix := self._phone_prefix(actor, query)) is not None:
                if total is None:
                    total = queries.count_phone_prefix(session, prefix)
                rows = queries.phone_window(
                    session, prefix, total, order, descending, offset, limit
                )
            else:
                match = self._match(actor, query)
                if match is None:
                    return []
                if total is None:
                    total = queries.count_matches(session, match)
                rows = queries.search_window(
                    session, match, total, order, descending, offset, limit
                )
        access = self._access(actor)
        return [_list_row(access, r) for r in rows]

    # -- one contact ------------------------------------------------------------------

    def get(self, actor: Actor, contact_id: int) -> ContactDetail:
        """Everything the editor shows, with the source of each value."""
        require(actor.role, Permission.VIEW_CONTACTS)
        access = self._access(actor)
        restricted = sorted(
            f for f in _RESTRICTED if access.get(f, FieldAccess.HIDDEN) is not FieldAccess.HIDDEN
        )
        if not restricted:
            with self._uow() as uow:
                return self._detail(uow.session, actor, contact_id)
        now = self._clock.now()
        fields = "fields=" + ",".join(restricted)

        def audit(session: Session, extra: str = "") -> None:
            # Which restricted fields were shown, never their values.
            record_event(
                session,
                actor=actor.username,
                action="contact.read_restricted",
                entity="contact",
                entity_id=contact_id,
                at=now,
                detail=fields + extra,
            )

        try:
            with self._uow(write=True, wait_ms=AUDIT_WAIT_MS) as uow:
                detail = self._detail(uow.session, actor, contact_id)
                audit(uow.session)
                return detail
        except (StorageLocked, StorageReadOnly, StorageFull):
            # Another program holds the write lock, or the file cannot be written: the
            # read does not wait for it; its audit event waits for the next write (issue 17).
            with self._uow() as uow:
                detail = self._detail(uow.session, actor, contact_id)
            event = event_values(
                actor=actor.username,
                action="contact.read_restricted",
                entity="contact",
                entity_id=contact_id,
                at=now,
                detail=fields + ";deferred=1",
            )
            self._uow.defer(lambda session: audit(session, ";deferred=1"), event)
            return detail

    def _detail(self, session: Session, actor: Actor, contact_id: int) -> ContactDetail:
        access = self._access(actor)
        contact = session.get(Contact, contact_id, options=_load_options(access))
        if contact is None:
            raise NotFound
        unread = _not_loaded(access)
        sources = _SourceCache(session)
        default = sources.info(contact.source_id, contact.created_by, contact.created_at)
        provenance = {name: default for name in SCALAR_FIELDS if name in _SOURCED}
        for row in session.scalars(
            select(FieldProvenance).where(FieldProvenance.contact_id == contact_id)
        ):
            provenance[row.field] = sources.info(row.source_id, row.recorded_by, row.recorded_at)

        def listed(field: str) -> tuple[SourcedValue, ...]:
            level = access[field]
            if level is FieldAccess.HIDDEN:
                return ()
            items: Sequence[ContactEmail | ContactPhone]
            if field == "emails":
                items = session.scalars(
                    select(ContactEmail)
                    .where(ContactEmail.contact_id == contact_id)
                    .order_by(ContactEmail.position)
                ).all()
            else:
                items = session.scalars(
                    select(ContactPhone)
                    .where(ContactPhone.contact_id == contact_id)
                    .order_by(ContactPhone.position)
                ).all()
            result = []
            for item in items:
                value = item.address if isinstance(item, ContactEmail) else item.number
                shown = mask(value) if level is FieldAccess.MASKED else value
                info = sources.info(item.source_id, item.recorded_by, item.recorded_at)
                result.append(SourcedValue(shown, info))
            return tuple(result)

        values: dict[str, object] = {}
        for name in SCALAR_FIELDS:
            value = getattr(_BLANK, name) if name in unread else getattr(contact, name)
            level = access.get(name, FieldAccess.HIDDEN)
            if level is FieldAccess.HIDDEN:
                value = "" if isinstance(value, str) else None
                provenance.pop(name, None)
            elif level is FieldAccess.MASKED:
                # A masked date or choice has no "last characters": it is left out.
                value = mask(value) if isinstance(value, str) else None
            values[name] = value
        return ContactDetail(
            id=contact.id,
            version=contact.version,
            kind=ContactKind(contact.kind),
            first_name=str(values["first_name"]),
            last_name=str(values["last_name"]),
            organisation=str(values["organisation"]),
            emails=listed("emails"),
            phones=listed("phones"),
            street=str(values["street"]),
            postcode=str(values["postcode"]),
            city=str(values["city"]),
            country=str(values["country"] or "BE"),
            language=Language(contact.language),
            birth_date=_date(values["birth_date"]),
            notes=str(values["notes"] or ""),
            relationship=Relationship(contact.relationship),
            relationship_start=_date(values["relationship_start"]),
            relationship_end=_date(values["relationship_end"]),
            last_interaction=_date(values["last_interaction"]),
            keep_until=contact.keep_until,
            created_at=contact.created_at,
            updated_at=contact.updated_at,
            provenance=provenance,
            field_access={k: v.value for k, v in access.items()},
        )

    def suggest_source(self, actor: Actor, contact_id: int | None) -> SourceInput:
        """A sensible default source: the contact's most recent one, else a phone call today."""
        today = self._clock.today()
        if contact_id is not None:
            with self._uow() as uow:
                latest = uow.session.execute(
                    select(Source)
                    .join(Contact, Contact.source_id == Source.id)
                    .where(Contact.id == contact_id)
                ).scalar_one_or_none()
                newest = uow.session.execute(
                    select(Source)
                    .join(FieldProvenance, FieldProvenance.source_id == Source.id)
                    .where(FieldProvenance.contact_id == contact_id)
                    .order_by(FieldProvenance.recorded_at.desc())
                    .limit(1)
                ).scalar_one_or_none()
                chosen = newest or latest
                if chosen is not None:
                    return SourceInput(SourceKind(chosen.kind), chosen.description, today)
        return SourceInput(SourceKind.PHONE_CALL, "", today)

    # -- the suppression list -------------------------------------------------------------

    def suppression_check(
        self, actor: Actor, data: ContactInput, contact_id: int | None = None
    ) -> SuppressionHit | None:
        """Does the form match the suppression list? The editor asks before saving.

        For a new contact every e-mail address, phone number and the name + postcode are
        checked; for an existing one (*contact_id*) only addresses and numbers it does not
        have yet. A match of a person who asked to be forgotten comes first.

        Returns:
            The match, or None (also while the form holds invalid values: saving will say
            what is wrong with them).
        """
        require(actor.role, Permission.VIEW_CONTACTS)
        try:
            checked = validate_contact(data, self._clock.today())
        except ValidationFailed:
            return None
        with self._uow() as uow:
            session = uow.session
            if contact_id is None:
                return _suppression_hit(session, checked, check_name=True)
            old_emails, old_phones = _points(session, contact_id)
            return _suppression_hit(session, checked, old_emails, old_phones)

    # -- saving -----------------------------------------------------------------------

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
                *special_confirmed* is False (rule 10: the user looked and confirmed).
        """
        require(actor.role, Permission.CREATE_CONTACTS)
        today, now = self._clock.today(), self._clock.now()
        self._check_writable(actor, _filled_fields(data))
        data = validate_contact(data, today)
        check_notes(data.notes, special_confirmed)
        checked_source = validate_source(source, today)
        with self._uow(write=True) as uow:
            session = uow.session
            hit = _suppression_hit(session, data, check_name=True)
            if hit is not None and hit.reason is SuppressionReason.ERASURE:
                raise ErasedPersonRefused(hit.value, hit.since)
            source_row = self._add_source(session, actor, checked_source, now)
            contact = Contact(
                **{name: getattr(data, name) for name in SCALAR_FIELDS},
                sort_name=sort_name(data.last_name, data.first_name, data.organisation),
                primary_email=data.emails[0] if data.emails else "",
                primary_phone=data.phones[0] if data.phones else "",
                source_id=source_row.id,
                created_by=actor.user_id,
                created_at=now,
                updated_at=now,
            )
            session.add(contact)
            session.flush()
            self._add_list_values(session, actor, contact.id, data, source_row.id, now)
            session.flush()
            self._reindex(session, contact, data)
            opt_outs = _inherit_objection(session, hit, contact, actor, now)
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
        writable = [f for f in CONFLICT_FIELDS if access.get(f) is FieldAccess.WRITE]
        visible = [f for f in CONFLICT_FIELDS if access.get(f, FieldAccess.HIDDEN) in _SEEN]
        restricted = sorted(f for f in _RESTRICTED if f in visible)
        with self._uow(write=bool(restricted)) as uow:
            session = uow.session
            stored = self._detail(session, actor, contact_id)
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
            emails, phones = _points(session, contact_id)
            # Fields the user may not change are validated with their stored values...
            unread = _unread(access)
            raw = {
                f: getattr(contact, f)
                for f in SCALAR_FIELDS
                if f not in writable and f not in unread
            }
            raw |= {"emails": emails, "phones": phones}
            raw = {f: v for f, v in raw.items() if f not in writable}
        mine = validate_contact(dataclasses.replace(data, **raw), self._clock.today())
        theirs = input_from(stored)
        # ... and leave this function as the user may see them, never more.
        mine = dataclasses.replace(mine, **{f: getattr(theirs, f) for f in raw})
        conflicts, merged, taken = three_way(base, theirs, mine, writable, visible)
        return ConflictDetail(
            contact_id=contact_id,
            version=stored.version,
            conflicts=tuple(_with_author(c, stored) for c in conflicts),
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
            # Fields the user cannot see keep their stored value whatever the form says;
            # hidden restricted ones are not even read, and never written (``changed``).
            unread = _unread(access)
            merged = dataclasses.replace(
                data,
                **{
                    name: getattr(contact, name)
                    for name in SCALAR_FIELDS
                    if access.get(name) is not FieldAccess.WRITE and name not in unread
                },
            )
            old_emails = list(
                session.scalars(select(ContactEmail).where(ContactEmail.contact_id == contact_id))
            )
            old_phones = list(
                session.scalars(select(ContactPhone).where(ContactPhone.contact_id == contact_id))
            )
            if access["emails"] is not FieldAccess.WRITE:
                merged = dataclasses.replace(merged, emails=tuple(e.address for e in old_emails))
            if access["phones"] is not FieldAccess.WRITE:
                merged = dataclasses.replace(merged, phones=tuple(p.number for p in old_phones))
            merged = validate_contact(merged, today)
            changed = [
                n
                for n in SCALAR_FIELDS
                if n not in unread and getattr(contact, n) != getattr(merged, n)
            ]
            emails_changed = tuple(e.address for e in old_emails) != merged.emails
            phones_changed = tuple(p.number for p in old_phones) != merged.phones
            if not changed and not emails_changed and not phones_changed:
                return self._detail(session, actor, contact_id)
            if "notes" in changed:
                check_notes(merged.notes, special_confirmed)
            hit = _suppression_hit(
                session,
                merged,
                tuple(e.address for e in old_emails),
                tuple(p.number for p in old_phones),
            )
            if hit is not None and hit.reason is SuppressionReason.ERASURE:
                raise ErasedPersonRefused(hit.value, hit.since)
            sourced_change = any(n in _SOURCED for n in changed) or emails_changed or phones_changed
            source_row = None
            if sourced_change:
                source_row = self._add_source(session, actor, validate_source(source, today), now)
            with session.no_autoflush:
                for name in changed:
                    setattr(contact, name, getattr(merged, name))
                    if source_row is not None and name in _SOURCED:
                        self._set_provenance(session, actor, contact_id, name, source_row.id, now)
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
                contact.sort_name = sort_name(
                    merged.last_name, merged.first_name, merged.organisation
                )
                contact.primary_email = merged.emails[0] if merged.emails else ""
                contact.primary_phone = merged.phones[0] if merged.phones else ""
                contact.updated_at = now
            session.flush()
            self._reindex(session, contact, merged)
            opt_outs = _inherit_objection(session, hit, contact, actor, now)
            recompute_keep_until(session, [contact_id])
            names = sorted(
                changed
                + (["emails"] if emails_changed else [])
                + (["phones"] if phones_changed else [])
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
            return self._detail(session, actor, contact_id)

    # -- helpers ----------------------------------------------------------------------

    def _check_writable(self, actor: Actor, fields: Sequence[str]) -> None:
        access = self._access(actor)
        if any(access.get(f) is not FieldAccess.WRITE for f in fields):
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

    def _reindex(self, session: Session, contact: Contact, data: ContactInput) -> None:
        search.index_rows(session, [(contact.id, stored_columns(data).search)])


class _SourceCache:
    """Sources and user names looked up once per read."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._sources: dict[int, Source] = {}
        self._users: dict[int, str] = {}

    def info(self, source_id: int, recorded_by: int | None, recorded_at: dt.datetime) -> SourceInfo:
        source = self._sources.get(source_id)
        if source is None:
            source = self._session.get(Source, source_id)
            if source is None:
                raise NotFound
            self._sources[source_id] = source
        user_id = recorded_by if recorded_by is not None else source.entered_by
        name = ""
        if user_id is not None:
            if user_id not in self._users:
                user = self._session.get(User, user_id)
                self._users[user_id] = user.username if user else ""
            name = self._users[user_id]
        return SourceInfo(
            source_id=source.id,
            kind=SourceKind(source.kind),
            description=source.description,
            obtained_on=source.obtained_on,
            entered_by=name,
            recorded_at=recorded_at,
        )


def _unread(access: dict[str, FieldAccess]) -> frozenset[str]:
    """The restricted fields *access* hides: never read for this role."""
    return frozenset(
        f for f in _UNREAD_WHEN_HIDDEN if access.get(f, FieldAccess.HIDDEN) is FieldAccess.HIDDEN
    )


def _not_loaded(access: dict[str, FieldAccess]) -> frozenset[str]:
    """The scalar fields the editor's data leaves out for this role: every hidden one but
    those it is built from whatever the matrix says (kind, language, relationship)."""
    hidden = {f for f in SCALAR_FIELDS if access.get(f, FieldAccess.HIDDEN) is FieldAccess.HIDDEN}
    return frozenset(hidden - {"kind", "language", "relationship"})


def _load_options(access: dict[str, FieldAccess]) -> list[ORMOption]:
    """Load what the role may see with the contact, and nothing it may not (a PostgreSQL
    server refuses the role those columns, persistence/pg_roles.py)."""
    hidden = _not_loaded(access)
    options: list[ORMOption] = [defer(getattr(Contact, f)) for f in sorted(hidden)]
    options += [undefer(getattr(Contact, f)) for f in _UNREAD_WHEN_HIDDEN if f not in hidden]
    return options


def _list_row(access: dict[str, FieldAccess], row: Row[tuple[object, ...]]) -> ContactRow:
    """A list row with the fields the user may not see blanked and masked ones masked."""
    (cid, first, last, org, email, phone, city, relationship, keep_until) = row._tuple()

    def shown(field: str, value: object) -> str:
        level = access[field]
        text = "" if value is None else str(value)
        if level is FieldAccess.HIDDEN:
            return ""
        return mask(text) if level is FieldAccess.MASKED and text else text

    first_s, last_s = shown("first_name", first), shown("last_name", last)
    name = f"{last_s}, {first_s}" if last_s and first_s else (last_s or first_s)
    keep = keep_until if isinstance(keep_until, dt.date) else None
    if isinstance(keep_until, str):
        keep = dt.date.fromisoformat(keep_until)
    return ContactRow(
        id=int(str(cid)),
        name=name,
        organisation=shown("organisation", org),
        email=shown("emails", email),
        phone=shown("phones", phone),
        city=shown("city", city),
        relationship=Relationship(str(relationship)),
        keep_until=keep,
        hidden=tuple(
            column
            for column, fields in ROW_FIELDS.items()
            if all(access.get(f, FieldAccess.HIDDEN) is FieldAccess.HIDDEN for f in fields)
        ),
    )


def _points(session: Session, contact_id: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The stored e-mail addresses and phone numbers of a contact."""
    emails = session.scalars(
        select(ContactEmail.address).where(ContactEmail.contact_id == contact_id)
    ).all()
    phones = session.scalars(
        select(ContactPhone.number).where(ContactPhone.contact_id == contact_id)
    ).all()
    return tuple(emails), tuple(phones)


def _suppression_hit(
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
    keys += [(HashKind.PHONE, p, p) for p in data.phones if p not in old_phones]
    key = name_postcode(data.first_name, data.last_name, data.postcode)
    if check_name and key:
        shown = f"{data.first_name} {data.last_name}".strip() + f", {data.postcode}"
        keys.append((HashKind.NAME_POSTCODE, key, shown))
    if not keys:
        return None
    # Every stored form of each point (issue 16: sub-addresses, swapped names, old lists).
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


def _inherit_objection(
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


def _with_author(conflict: FieldConflict, stored: ContactDetail) -> FieldConflict:
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


def _filled_fields(data: ContactInput) -> list[str]:
    defaults = ContactInput()
    filled = [n for n in SCALAR_FIELDS if getattr(data, n) != getattr(defaults, n)]
    if data.emails:
        filled.append("emails")
    if data.phones:
        filled.append("phones")
    return filled


def _date(value: object) -> dt.date | None:
    return value if isinstance(value, dt.date) else None


__all__ = ["ContactService", "FieldProblem", "ValidationFailed"]
