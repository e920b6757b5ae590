"""Contacts: the list, search, the editor's data, and saving with provenance.

Reading as a role may see it is in ``contact_details``, saving in ``contact_saving``.
"""

from __future__ import annotations

from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from privacycrm_desktop.domain.access import FieldAccess, Permission, require
from privacycrm_desktop.domain.contacts import ContactInput, validate_contact
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
from privacycrm_desktop.persistence import contact_queries as queries
from privacycrm_desktop.persistence import search, tag_queries
from privacycrm_desktop.persistence.models import Contact, FieldProvenance, Source
from privacycrm_desktop.persistence.tag_queries import IdsSql
from privacycrm_desktop.persistence.unit_of_work import UnitOfWork
from privacycrm_desktop.services.access import AccessService
from privacycrm_desktop.services.audit import AUDIT_WAIT_MS, record_event
from privacycrm_desktop.services.audit_spool import event_values
from privacycrm_desktop.services.clock import Clock
from privacycrm_desktop.services.contact_details import RESTRICTED, list_row, points, read_detail
from privacycrm_desktop.services.contact_saving import ContactWriter, suppression_hit
from privacycrm_desktop.services.dto import (
    Actor,
    ContactDetail,
    ContactRow,
    ContactSort,
    SuppressionHit,
)

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
}


class ContactService:
    """Listing, searching, reading and saving contacts, as the actor's role allows."""

    def __init__(self, uow: UnitOfWork, clock: Clock, access: AccessService | None = None) -> None:
        self._uow = uow
        self._clock = clock
        self._policy = access or AccessService(uow, clock)
        self._writer = ContactWriter(uow, clock, self._policy)

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

    def count(self, actor: Actor, query: str = "", *, tag: int | None = None) -> int:
        """How many contacts the list shows for *query* (all when the query is empty),
        of those carrying the tag with id *tag* when given."""
        require(actor.role, Permission.VIEW_CONTACTS)
        if tag is not None:
            return self._count_tagged(actor, query, tag)
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
        tag: int | None = None,
    ) -> list[ContactRow]:
        """A window of the list, sorted; *total* (from ``count``) saves a second count;
        *tag*: only the contacts carrying the tag with that id."""
        require(actor.role, Permission.VIEW_CONTACTS)
        limit = max(0, min(limit, MAX_PAGE))
        allowed = self.allowed_sort(actor, sort)
        order = queries.ENTRY_ORDER if allowed is None else allowed.value
        if tag is not None:
            return self._page_tagged(actor, query, tag, order, descending, offset, limit, total)
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
        return [list_row(access, r) for r in rows]

    # -- the list filtered by a tag (tags may be hidden from a role: then no filter) ----

    def selection(self, actor: Actor, query: str = "", tag: int | None = None) -> IdsSql | None:
        """What the list shows for *query* and *tag*, as SQL selecting the contact ids
        (for a change of all of them in one statement); None when it shows nobody."""
        require(actor.role, Permission.VIEW_CONTACTS)
        base = self._search_sql(actor, query)
        if base is False:
            return None
        if tag is None:
            return base or ("SELECT id FROM contact", {})
        self._require_tag_filter(actor)
        sql = "SELECT contact_id FROM contact_tag WHERE tag_id = :tag_filter"
        if base is None:
            return sql, {"tag_filter": tag}
        return f"{sql} AND contact_id IN ({base[0]})", {**base[1], "tag_filter": tag}

    def _search_sql(self, actor: Actor, query: str) -> IdsSql | Literal[False] | None:
        """The ids *query* finds as SQL; None for every contact, False for none."""
        if not query.strip():
            return None
        prefix = self._phone_prefix(actor, query)
        if prefix is not None:
            low, high = queries.prefix_bounds(prefix)
            return (
                "SELECT contact_id FROM contact_phone WHERE number >= :low AND number < :high",
                {"low": low, "high": high},
            )
        match = self._match(actor, query)
        if match is None:
            return False
        with self._uow() as uow:
            return search.matching_ids(uow.session, match)

    def _require_tag_filter(self, actor: Actor) -> None:
        # Filtering by a tag tells who carries it: not for a role the tags are hidden from.
        if self._access(actor).get("tags") not in (FieldAccess.READ, FieldAccess.WRITE):
            raise PermissionDenied

    def _count_tagged(self, actor: Actor, query: str, tag: int) -> int:
        self._require_tag_filter(actor)
        base = self._search_sql(actor, query)
        if base is False:
            return 0
        with self._uow() as uow:
            return tag_queries.count_tagged(uow.session, tag, base)

    def _page_tagged(
        self,
        actor: Actor,
        query: str,
        tag: int,
        order: str,
        descending: bool,
        offset: int,
        limit: int,
        total: int | None,
    ) -> list[ContactRow]:
        self._require_tag_filter(actor)
        base = self._search_sql(actor, query)
        if base is False:
            return []
        with self._uow() as uow:
            session = uow.session
            if total is None:
                total = tag_queries.count_tagged(session, tag, base)
            rows = tag_queries.tagged_window(
                session, tag, total, order, descending, offset, limit, base
            )
        access = self._access(actor)
        return [list_row(access, r) for r in rows]

    # -- one contact ------------------------------------------------------------------

    def get(self, actor: Actor, contact_id: int) -> ContactDetail:
        """Everything the editor shows, with the source of each value."""
        require(actor.role, Permission.VIEW_CONTACTS)
        access = self._access(actor)
        restricted = sorted(
            f for f in RESTRICTED if access.get(f, FieldAccess.HIDDEN) is not FieldAccess.HIDDEN
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


__all__ = ["ContactService", "FieldProblem", "ValidationFailed"]
