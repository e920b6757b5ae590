"""Contacts: the list, search, the editor's data, and saving with provenance.

Reading as a role may see it is in ``contact_details``, saving in ``contact_saving``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import cached_property
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from privacycrm_desktop.domain.access import FieldAccess, Permission, has_permission, mask, require
from privacycrm_desktop.domain.consent import ConsentStatus
from privacycrm_desktop.domain.contacts import ContactInput, validate_contact
from privacycrm_desktop.domain.custom_fields import CustomFieldDefinition, list_columns
from privacycrm_desktop.domain.errors import (
    FieldProblem,
    PermissionDenied,
    StorageFull,
    StorageLocked,
    StorageReadOnly,
    ValidationFailed,
)
from privacycrm_desktop.domain.normalize import phone_prefix
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.domain.requests import RequestStatus
from privacycrm_desktop.domain.retention import EXPIRING_WITHIN_DAYS, RECONFIRM_REASON
from privacycrm_desktop.persistence import contact_queries as queries
from privacycrm_desktop.persistence import list_keyset, search
from privacycrm_desktop.persistence.models import (
    Contact,
    FieldProvenance,
    Purpose,
    RequestContact,
    RightsRequest,
    Source,
)
from privacycrm_desktop.persistence.unit_of_work import UnitOfWork
from privacycrm_desktop.services import custom_values
from privacycrm_desktop.services.access import AccessService, card_access
from privacycrm_desktop.services.audit import AUDIT_WAIT_MS, record_event
from privacycrm_desktop.services.audit_spool import event_values
from privacycrm_desktop.services.clock import Clock
from privacycrm_desktop.services.contact_details import (
    RESTRICTED,
    consent_lines,
    list_rows,
    points,
    read_detail,
)
from privacycrm_desktop.services.contact_duplicates import DuplicateHit, find_duplicates
from privacycrm_desktop.services.dto import (
    Actor,
    ContactCard,
    ContactDetail,
    ContactFilter,
    ContactRow,
    ContactSort,
    ListBookmarks,
    ListFilter,
    OpenRequestInfo,
    SuppressionHit,
)
from privacycrm_desktop.services.keyed_list import KeyedList, view_index
from privacycrm_desktop.services.tag_list import TaggedList

if TYPE_CHECKING:
    from privacycrm_desktop.services.contact_saving import ContactWriter

#: FTS columns and the fields whose values they hold (a hidden field is not searched).
_FTS_FIELDS = {
    "name": ("first_name", "last_name"),
    "organisation": ("organisation",),
    "emails": ("emails",),
    "phones": ("phones",),
    "place": ("street", "postcode", "city"),
}
#: A screenful: the most rows one call of the list gives. More at once is an export, with
#: its permission, purpose, recipient and audit entry; the window's blocks and
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
    ContactSort.KEEP_UNTIL: (),
}
#: Consent statuses that let marketing use a channel (the "no consent" view: none holds).
_PERMITTING = (ConsentStatus.OPT_IN.value, ConsentStatus.SOFT_OPT_IN.value)
_OPEN_REQUEST_STATUSES = (RequestStatus.OPEN.value, RequestStatus.EXTENDED.value)


class ContactService(KeyedList, TaggedList):
    """Listing, searching, reading and saving contacts, as the actor's role allows."""

    def __init__(self, uow: UnitOfWork, clock: Clock, access: AccessService | None = None) -> None:
        self._uow = uow
        self._clock = clock
        self._policy = access or AccessService(uow, clock)

    @cached_property
    def _writer(self) -> ContactWriter:  # made at the first save: the list needs none of it
        from privacycrm_desktop.services.contact_saving import ContactWriter

        return ContactWriter(self._uow, self._clock, self._policy)

    # -- the list ---------------------------------------------------------------------

    def _access(self, actor: Actor) -> dict[str, FieldAccess]:
        return self._policy.access_for(actor.role)

    def _restricted(self) -> frozenset[str]:
        """The fields whose reading is audited: the fixed ones and restricted custom ones."""
        custom = (d.name for d in self._policy.custom_fields() if d.restricted)
        return RESTRICTED | frozenset(custom)

    def custom_fields(self, actor: Actor) -> tuple[CustomFieldDefinition, ...]:
        """The owner's custom fields (the editor's section is built from them)."""
        require(actor.role, Permission.VIEW_CONTACTS)
        return self._policy.custom_fields()

    def list_fields(self, actor: Actor) -> tuple[CustomFieldDefinition, ...]:
        """The custom fields the list may show as columns for *actor* (``list_columns``)."""
        require(actor.role, Permission.VIEW_CONTACTS)
        return list_columns(self._policy.custom_fields(), self._access(actor))

    def custom_cells(self, actor: Actor, contact_ids: Sequence[int]) -> dict[int, dict[str, str]]:
        """Per contact, its values of the list's custom columns (``list_fields``), by
        catalogue name, masked where the role sees them masked."""
        access = self._access(actor)
        masked = FieldAccess.MASKED
        shown = list(self.list_fields(actor))
        with self._uow() as uow:
            found = custom_values.values_of(uow.session, list(contact_ids), shown)
        return {
            cid: {n: mask(v) if access[n] is masked else v for n, v in values.items()}
            for cid, values in found.items()
        }

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
        which city, alphabetically): such a sort is ignored.
        """
        access = self._access(actor)
        for candidate in (sort, ContactSort.NAME):
            if all(
                access.get(f, FieldAccess.HIDDEN) in (FieldAccess.READ, FieldAccess.WRITE)
                for f in _SORT_FIELDS[candidate]
            ):
                return candidate
        return None

    def count(  # noqa: PLR0911 (one return per kind of list)
        self,
        actor: Actor,
        query: str = "",
        view: ListFilter | None = None,
        *,
        tag: int | None = None,
    ) -> int:
        """How many contacts the list shows for *query* (all when the query is empty) in
        the saved *view* (the whole list when None), of those carrying the tag with id
        *tag* when given."""
        require(actor.role, Permission.VIEW_CONTACTS)
        if (ahead := self._read_ahead(actor, query, view, tag)) is not None:
            return ahead
        if tag is not None:
            return self._count_tagged(actor, query, tag, view)
        with self._uow(autocommit=True) as uow:
            filtered = self._condition(uow.session, actor, query, view)
            if filtered is not None:
                condition, params = filtered
                if not condition:
                    return 0
                if view is not None and not query.strip():
                    counted = self._count_by_day(uow.session, view)
                    if counted is not None:
                        return counted
                    if view.kind is ContactFilter.NO_CONSENT:
                        holders = queries.consent_holders(_PERMITTING)
                        return queries.count_outside(uow.session, holders, params)
                return queries.count_where(uow.session, condition, params)
            if not query.strip():
                return queries.count_all(uow.session)
            prefix = self._phone_prefix(actor, query)
            if prefix is not None:
                return queries.count_phone_prefix(uow.session, prefix)
            match = self._match(actor, query)
            return 0 if match is None else queries.count_matches(uow.session, match)

    def _count_by_day(self, session: Session, view: ListFilter) -> int | None:
        """The expiry views' counts from the per-day counts (as the status bar's)."""
        today = self._clock.today()
        if view.kind is ContactFilter.EXPIRED:
            return queries.count_keep_until(session, None, today - dt.timedelta(days=1))
        if view.kind is ContactFilter.EXPIRING:
            soon = today + dt.timedelta(days=EXPIRING_WITHIN_DAYS)
            return queries.count_keep_until(session, today, soon)
        return None

    def filters(self, actor: Actor) -> tuple[ContactFilter, ...]:
        """The saved views *actor* may use: a view by relationship only when the role may
        read the relationship (rows chosen by a hidden field would give it away)."""
        readable = self._access(actor).get("relationship") in (
            FieldAccess.READ,
            FieldAccess.WRITE,
        )
        return tuple(f for f in ContactFilter if readable or f is not ContactFilter.RELATIONSHIP)

    def _condition(
        self, session: Session, actor: Actor, query: str, view: ListFilter | None
    ) -> tuple[str, dict[str, object]] | None:
        """The SQL condition on contact ``c`` for *view* and *query* together, or None
        when no view applies (the search's own queries serve). An empty condition: none
        can match (the search text matches no field the role may read)."""
        custom = custom_values.search_condition(
            self._policy.custom_fields(), self._access(actor), query
        )
        active = view is not None and view.active
        if not active and custom is None:
            return None
        params: dict[str, object] = {}
        parts = []
        if view is not None and active:
            parts.append(self._view_condition(actor, view, params))
        if query.strip():
            found = self._text_condition(session, actor, query, params)
            if custom is not None:
                params.update(custom[1])
                found = custom[0] if found is None else f"({found}) OR ({custom[0]})"
            if found is None:
                return "", params
            parts.append(found)
        return " AND ".join(f"({part})" for part in parts), params

    def _view_condition(self, actor: Actor, view: ListFilter, params: dict[str, object]) -> str:
        """The SQL condition of a saved view on contact ``c``; its parameters into *params*."""
        if view.kind not in self.filters(actor):
            raise PermissionDenied
        today = self._clock.today()
        soon = today + dt.timedelta(days=EXPIRING_WITHIN_DAYS)
        params.update(today=today, soon=soon)
        conditions = {
            ContactFilter.EXPIRED: "c.keep_until < :today",
            ContactFilter.EXPIRING: "c.keep_until >= :today AND c.keep_until <= :soon",
            ContactFilter.RECONSENT: "c.keep_reason = :reconfirm AND c.keep_until <= :soon",
            ContactFilter.OPTED_IN: (
                f"c.id IN ({queries.consent_holders([ConsentStatus.OPT_IN.value])})"
            ),
            ContactFilter.NO_CONSENT: f"c.id NOT IN ({queries.consent_holders(_PERMITTING)})",
            ContactFilter.RELATIONSHIP: "c.relationship = :relationship",
        }
        params.update(
            reconfirm=RECONFIRM_REASON,
            channel=view.channel.value,
            relationship=view.relationship.value,
        )
        return conditions[view.kind]

    def _text_condition(
        self, session: Session, actor: Actor, query: str, params: dict[str, object]
    ) -> str | None:
        """The search text's condition on contact ``c`` (None: no readable field to search)."""
        prefix = self._phone_prefix(actor, query)
        if prefix is not None:
            low, high = queries.prefix_bounds(prefix)
            params.update(low=low, high=high)
            return (
                "EXISTS (SELECT 1 FROM contact_phone AS p WHERE p.contact_id = c.id "
                "AND p.number >= :low AND p.number < :high)"
            )
        match = self._match(actor, query)
        if match is None:
            return None
        ids, match_params = search.matching_ids(session, match)
        params.update(match_params)
        return f"c.id IN ({ids})"

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
        view: ListFilter | None = None,
        tag: int | None = None,
        bookmarks: ListBookmarks | None = None,
    ) -> list[ContactRow]:
        """A window of the list, sorted; *total* (from ``count``) saves a second count.

        *view* is a saved view (expired, opted in by e-mail...); None shows every contact.
        *tag*: only the contacts carrying the tag with that id. *bookmarks* (of this order,
        view and total, from ``bookmarks``): the window is read by key, not OFFSET.
        """
        require(actor.role, Permission.VIEW_CONTACTS)
        limit = max(0, min(limit, MAX_PAGE))
        allowed = self.allowed_sort(actor, sort)
        order = queries.ENTRY_ORDER if allowed is None else allowed.value
        if tag is not None:
            return self._page_tagged(
                actor, query, tag, order, descending, offset, limit, total, view, bookmarks
            )
        with self._uow(autocommit=True) as uow:
            session = uow.session
            filtered = self._condition(session, actor, query, view)
            if filtered is not None:
                condition, params = filtered
                if not condition:
                    return []
                if total is None:
                    total = queries.count_where(session, condition, params)
                index = view_index(view, order)
                shape = (order, descending, offset, limit, total)
                rows = self._keyed_view_window(
                    session, filtered, query, view, shape, bookmarks
                ) or queries.filtered_window(
                    session, condition, params, total, order, descending, offset, limit, index
                )
            elif not query.strip():
                keyed = None
                marks = bookmarks and (bookmarks.order, bookmarks.total, bookmarks.view)
                if bookmarks and marks == (order, total, None) and bookmarks.tag is None:
                    keyed = list_keyset.window(
                        session, order, descending, offset, limit, bookmarks.total, bookmarks
                    )
                rows = (
                    keyed
                    if keyed is not None
                    else queries.window(session, order, descending, offset, limit, total)
                )
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
        return list_rows(access, rows)

    # -- one contact ------------------------------------------------------------------

    def get(self, actor: Actor, contact_id: int) -> ContactDetail:
        """Everything the editor shows, with the source of each value."""
        require(actor.role, Permission.VIEW_CONTACTS)
        access = self._access(actor)
        restricted = sorted(
            f
            for f in self._restricted()
            if access.get(f, FieldAccess.HIDDEN) is not FieldAccess.HIDDEN
        )
        if not restricted:
            with self._uow() as uow:
                return read_detail(uow.session, self._access(actor), contact_id)
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
                detail = read_detail(uow.session, self._access(actor), contact_id)
                audit(uow.session)
                return detail
        except (StorageLocked, StorageReadOnly, StorageFull):
            # Another program holds the write lock, or the file cannot be written: the
            # read does not wait for it; its audit event waits for the next write.
            with self._uow() as uow:
                detail = read_detail(uow.session, self._access(actor), contact_id)
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

    def card(self, actor: Actor, contact_id: int) -> ContactCard:
        """What the main window's card shows of one contact, in one unit of work.

        The values come from the editor's read with the restricted fields left hidden (the
        card does not show them, so it never reads them: no audit event per selection),
        with the source of each; then the consent per purpose and channel, why the
        keep-until date is what it is, and the open requests (for who handles them).
        """
        require(actor.role, Permission.VIEW_CONTACTS)
        access = card_access(self._access(actor), self._restricted())
        today = self._clock.today()
        with self._uow() as uow:
            session = uow.session
            detail = read_detail(session, access, contact_id)
            consent = consent_lines(session, contact_id, today)
            # Why the keep-until date is what it is, with the purpose it names: one read.
            reason, purpose = session.execute(
                select(Contact.keep_reason, Purpose.name)
                .outerjoin(Purpose, Purpose.code == Contact.keep_reason)
                .where(Contact.id == contact_id)
            ).one()
            requests: tuple[OpenRequestInfo, ...] = ()
            if has_permission(actor.role, Permission.MANAGE_REQUESTS):
                rows = session.execute(
                    select(
                        RightsRequest.id,
                        RightsRequest.received_on,
                        RightsRequest.kind,
                        RightsRequest.due_on,
                    )
                    .join(RequestContact, RequestContact.request_id == RightsRequest.id)
                    .where(
                        RequestContact.contact_id == contact_id,
                        RightsRequest.status.in_(_OPEN_REQUEST_STATUSES),
                    )
                    .order_by(RightsRequest.due_on, RightsRequest.id)
                ).all()
                requests = tuple(
                    OpenRequestInfo(f"R-{received.year}-{rid:04d}", kind, due)
                    for rid, received, kind, due in rows
                )
        return ContactCard(detail, consent, reason, purpose or "", requests)

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

    # -- duplicates while typing -----------------------------------------------------------

    def duplicates(
        self, actor: Actor, data: ContactInput, contact_id: int | None = None
    ) -> list[DuplicateHit]:
        """Stored contacts other than *contact_id* that share an e-mail address, a mobile
        number or the name with the postcode with the form (``domain.duplicates``' keys).

        The editor asks while the user types (after a pause) and before saving a new
        contact with the name and e-mail address of a stored one.
        """
        require(actor.role, Permission.VIEW_CONTACTS)
        with self._uow() as uow:
            return find_duplicates(uow.session, self._access(actor), data, contact_id)

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
        from privacycrm_desktop.services.contact_saving import suppression_hit

        require(actor.role, Permission.VIEW_CONTACTS)
        try:
            checked = validate_contact(data, self._clock.today())
        except ValidationFailed:
            return None
        with self._uow() as uow:
            session = uow.session
            if contact_id is None:
                return suppression_hit(session, checked, check_name=True)
            old_emails, old_phones = points(session, contact_id)
            return suppression_hit(session, checked, old_emails, old_phones)

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
                *special_confirmed* is False (the user looked and confirmed).
        """
        return self._writer.create(actor, data, source, special_confirmed=special_confirmed)

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

        When somebody else saved the contact after *expected_version*, what only they
        changed is taken over (given *base*, what the editor loaded) and a field both
        changed raises ``EditConflict`` (``ContactWriter.update`` says how).
        """
        return self._writer.update(
            actor,
            contact_id,
            expected_version,
            data,
            source,
            base,
            special_confirmed=special_confirmed,
        )


__all__ = ["ContactService", "DuplicateHit", "FieldProblem", "ValidationFailed"]
