"""Interactions: log, list (the timeline) and delete calls, meetings, e-mails, letters,
visits and notes on a person or a company (issue 22).

What a role sees follows the field matrix: kind, date and summary the field ``activities``,
details and attached files the restricted ``activity_details``. A desk whose owner hides
the details from it still logs a call (a summary) without reading the notes of others, and
its queries never name the hidden columns (the PostgreSQL server refuses them to it). The
special-category check runs on the summary and the details as on the notes. Each change is
one transaction with its audit event (ids and codes only, never the text) and the
recomputed keep-until date: a person's last interaction counts from the newest one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    bindparam,
    delete,
    func,
    select,
)
from sqlalchemy.orm import Session

from privacycrm_desktop.domain.access import FieldAccess, Permission, mask, require
from privacycrm_desktop.domain.activities import (
    ACTIVITIES_FIELD,
    DETAILS_FIELD,
    ActivityInput,
    ActivityKind,
    checked,
)
from privacycrm_desktop.domain.errors import (
    NotFound,
    PermissionDenied,
    StorageFull,
    StorageLocked,
    StorageReadOnly,
)
from privacycrm_desktop.domain.provenance import SourceKind, validate_source
from privacycrm_desktop.persistence.activity_models import Activity, ActivityPerson
from privacycrm_desktop.persistence.activity_queries import TimelineShape, timeline_statement
from privacycrm_desktop.persistence.company_models import Company
from privacycrm_desktop.persistence.models import Contact, Source
from privacycrm_desktop.persistence.unit_of_work import UnitOfWork
from privacycrm_desktop.services.access import AccessService
from privacycrm_desktop.services.activity_names import owner_names, people_of
from privacycrm_desktop.services.audit import AUDIT_WAIT_MS, record_event
from privacycrm_desktop.services.audit_spool import event_values
from privacycrm_desktop.services.clock import Clock
from privacycrm_desktop.services.consent_dto import EvidenceFile
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.retention import recompute
from privacycrm_desktop.services.special_terms import check_notes

#: Interactions per page of the timeline.
PAGE = 50
_READABLE = (FieldAccess.READ, FieldAccess.WRITE)
_SEEN = (FieldAccess.MASKED, FieldAccess.READ, FieldAccess.WRITE)


@dataclass(frozen=True)
class ActivityInfo:
    """One interaction as the timeline shows it to one role.

    ``details`` and ``attachment_name`` are None when the role may not see them (never an
    empty value standing for a hidden one); masked texts are masked already.
    """

    id: int
    kind: ActivityKind
    occurred_at: dt.datetime
    summary: str
    details: str | None
    attachment_name: str | None
    recorded_by: str
    recorded_at: dt.datetime
    source_kind: SourceKind | None
    source: str
    #: Shown on this timeline because the person took part (the interaction is another
    #: person's or a company's).
    linked: bool = False
    #: The other people who took part (contact ids).
    people: tuple[int, ...] = ()
    #: Their names in the same order, as the role may read them ("" for a name the role
    #: does not see).
    people_names: tuple[str, ...] = ()
    #: On a person's timeline, for a linked interaction: the name of the person or the
    #: company whose interaction it is (as the role may read it; "" when hidden).
    owner_name: str = ""

    @property
    def cursor(self) -> tuple[dt.datetime, int]:
        """Where the next (older) page starts."""
        return self.occurred_at, self.id


@dataclass(frozen=True)
class LastInteraction:
    """The newest interaction of a person: when and what kind."""

    occurred_at: dt.datetime
    kind: ActivityKind


class ActivityService:
    """The timeline of a person or a company, as the actor's role allows."""

    def __init__(self, uow: UnitOfWork, clock: Clock, access: AccessService | None = None) -> None:
        self._uow = uow
        self._clock = clock
        self._access = access or AccessService(uow, clock)

    def now(self) -> dt.datetime:
        """The services' time (the log form's default: now)."""
        return self._clock.now()

    def levels(self, actor: Actor) -> tuple[FieldAccess, FieldAccess]:
        """The actor's access to the interactions and to their details."""
        matrix = self._access.access_for(actor.role)
        return (
            matrix.get(ACTIVITIES_FIELD, FieldAccess.HIDDEN),
            matrix.get(DETAILS_FIELD, FieldAccess.HIDDEN),
        )

    def may_log(self, actor: Actor) -> bool:
        """May *actor* log an interaction (a summary, at least)?"""
        try:
            require(actor.role, Permission.EDIT_CONTACTS)
        except PermissionDenied:
            return False
        return self.levels(actor)[0] is FieldAccess.WRITE

    # -- writing ------------------------------------------------------------------------

    def add(self, actor: Actor, contact_id: int, data: ActivityInput) -> int:
        """Log an interaction with a person; returns its id.

        Raises:
            ValidationFailed: no summary, a text too long, a date in the future, a source
                without a kind or description.
            SpecialCategoryUnconfirmed: the text suggests special-category data and the
                user did not confirm it.
            PermissionDenied: the role may not log interactions, or not write details.
            NotFound: no such contact (or no such linked person).
        """
        return self._add(actor, data, contact_id=contact_id)

    def add_to_company(self, actor: Actor, company_id: int, data: ActivityInput) -> int:
        """Log an interaction with a company (as ``add``)."""
        return self._add(actor, data, company_id=company_id)

    def _add(
        self,
        actor: Actor,
        data: ActivityInput,
        *,
        contact_id: int | None = None,
        company_id: int | None = None,
    ) -> int:
        with self._uow(write=True) as uow:
            return self.add_in(
                uow.session, actor, data, contact_id=contact_id, company_id=company_id
            )

    def add_in(
        self,
        session: Session,
        actor: Actor,
        data: ActivityInput,
        *,
        contact_id: int | None = None,
        company_id: int | None = None,
    ) -> int:
        """Log an interaction in the caller's write transaction (an import's: all rows or
        none); as ``add``. Everything is checked before the first write, so a refusal
        leaves nothing of the row in *session*."""
        self._require_writable(actor, details=bool(data.details.strip()) or bool(data.attachment))
        now = self._clock.now()
        clean = checked(data, now)
        source = validate_source(clean.source, self._clock.today()) if clean.source else None
        check_notes(f"{clean.summary}\n{clean.details}", clean.special_confirmed)
        owner = Contact if contact_id is not None else Company
        if session.get(owner, contact_id if contact_id is not None else company_id) is None:
            raise NotFound
        people = [p for p in clean.people if p != contact_id]
        if people:
            found = set(session.scalars(select(Contact.id).where(Contact.id.in_(people))))
            if found != set(people):
                raise NotFound
        source_id = None
        if source is not None:
            assert source.kind is not None
            row = Source(
                kind=source.kind.value,
                description=source.description,
                obtained_on=source.obtained_on,
                entered_by=actor.user_id,
                created_at=now,
            )
            session.add(row)
            session.flush()
            source_id = row.id
        activity = Activity(
            contact_id=contact_id,
            company_id=company_id,
            kind=clean.kind.value,
            occurred_at=clean.occurred_at,
            summary=clean.summary,
            details=clean.details,
            attachment=clean.attachment,
            attachment_name=clean.attachment_name,
            source_id=source_id,
            recorded_by=actor.user_id,
            recorded_at=now,
        )
        session.add(activity)
        session.flush()
        if people:
            session.add_all(ActivityPerson(activity_id=activity.id, contact_id=p) for p in people)
            session.flush()
        touched = ([contact_id] if contact_id is not None else []) + people
        if touched:
            recompute(session, touched)
        owner_key = f"contact={contact_id}" if contact_id is not None else f"company={company_id}"
        record_event(
            session,
            actor=actor.username,
            action="activity.add",
            entity="activity",
            entity_id=activity.id,
            at=now,
            detail=f"{owner_key};kind={clean.kind.value};"
            f"attachment={int(clean.attachment is not None)};people={len(people)}",
        )
        return activity.id

    def delete(self, actor: Actor, activity_id: int) -> None:
        """Delete an interaction (logged by mistake); the keep-until date follows.

        Raises:
            NotFound: no such interaction.
            PermissionDenied: the role may not change interactions.
        """
        self._require_writable(actor, details=False)
        now = self._clock.now()
        with self._uow(write=True) as uow:
            session = uow.session
            found = session.execute(
                select(Activity.id, Activity.contact_id, Activity.company_id).where(
                    Activity.id == activity_id
                )
            ).first()
            if found is None:
                raise NotFound
            _id, contact_id, company_id = found
            linked = list(
                session.scalars(
                    select(ActivityPerson.contact_id).where(
                        ActivityPerson.activity_id == activity_id
                    )
                )
            )
            session.execute(delete(ActivityPerson).where(ActivityPerson.activity_id == activity_id))
            session.execute(delete(Activity).where(Activity.id == activity_id))
            touched = ([contact_id] if contact_id is not None else []) + linked
            if touched:
                recompute(session, touched)
            owner_key = (
                f"contact={contact_id}" if contact_id is not None else f"company={company_id}"
            )
            record_event(
                session,
                actor=actor.username,
                action="activity.delete",
                entity="activity",
                entity_id=activity_id,
                at=now,
                detail=owner_key,
            )

    def _require_writable(self, actor: Actor, *, details: bool) -> None:
        require(actor.role, Permission.EDIT_CONTACTS)
        summary, detail = self.levels(actor)
        if summary is not FieldAccess.WRITE or (details and detail is not FieldAccess.WRITE):
            raise PermissionDenied

    # -- reading ------------------------------------------------------------------------

    def timeline(
        self,
        actor: Actor,
        contact_id: int | None = None,
        *,
        company_id: int | None = None,
        kinds: Collection[ActivityKind] | None = None,
        after: tuple[dt.datetime, int] | None = None,
        limit: int = PAGE,
        with_details: bool = True,
    ) -> list[ActivityInfo]:
        """One page of a person's (or a company's) interactions, newest first: those older
        than *after* (a previous page's last ``cursor``), of *kinds* when given.

        Details shown are a read of restricted data, on record (``activity.read_details``).
        Without *with_details* (the card's list) they are not read at all (``details`` is
        None, as for a role that may not see them): one interaction's come with ``one``.

        One range of the timeline index, read backwards: a page costs the same with ten
        or ten thousand interactions.

        Raises:
            PermissionDenied: the role does not see interactions.
            NotFound: no such contact or company.
        """
        require(actor.role, Permission.VIEW_CONTACTS)
        summary_level, details_level = self.levels(actor)
        if summary_level is FieldAccess.HIDDEN:
            raise PermissionDenied
        matrix = self._access.access_for(actor.role)
        if not with_details:
            details_level = FieldAccess.HIDDEN
        with self._uow() as uow:
            session = uow.session
            owner_id = contact_id if contact_id is not None else company_id
            model = Contact if contact_id is not None else Company
            if owner_id is None or (
                session.connection().execute(select(model.id).where(model.id == owner_id)).first()
                is None
            ):
                raise NotFound
            shape = TimelineShape(
                "contact" if contact_id is not None else "company",
                details_level is not FieldAccess.HIDDEN,
                kinds is not None,
                after is not None,
            )
            params: dict[str, object] = {"owner": owner_id, "limit": limit}
            if kinds is not None:
                params["kinds"] = sorted(ActivityKind(k).value for k in kinds)
            if after is not None:
                params["at"], params["last"] = after
            rows = self._rows(session, shape, params, limit, (summary_level, details_level), matrix)
        if any(r.details or r.attachment_name for r in rows):
            self._audit_details(actor, contact_id, company_id, len(rows))
        return rows

    def _audit_details(
        self, actor: Actor, contact_id: int | None, company_id: int | None, count: int
    ) -> None:
        """Restricted details were shown: on record (which person, how many, no text), as
        the contact service audits a read of the notes. A write lock held elsewhere does
        not hold the read up: the event waits for the next write."""
        owner_key = f"contact={contact_id}" if contact_id is not None else f"company={company_id}"
        entity = "contact" if contact_id is not None else "company"
        entity_id = contact_id if contact_id is not None else company_id
        at = self._clock.now()
        detail = f"{owner_key};shown={count}"

        def audit(session: Session, extra: str = "") -> None:
            record_event(
                session,
                actor=actor.username,
                action="activity.read_details",
                entity=entity,
                entity_id=entity_id,
                at=at,
                detail=detail + extra,
            )

        try:
            with self._uow(write=True, wait_ms=AUDIT_WAIT_MS) as uow:
                audit(uow.session)
        except (StorageLocked, StorageReadOnly, StorageFull):
            event = event_values(
                actor=actor.username,
                action="activity.read_details",
                entity=entity,
                entity_id=entity_id,
                at=at,
                detail=detail + ";deferred=1",
            )
            self._uow.defer(lambda session: audit(session, ";deferred=1"), event)

    def _rows(
        self,
        session: Session,
        shape: TimelineShape,
        params: dict[str, object],
        limit: int,
        levels: tuple[FieldAccess, FieldAccess],
        matrix: dict[str, FieldAccess],
    ) -> list[ActivityInfo]:
        """Up to *limit* interactions newest first, by the statement of *shape* (made once)
        with *params*; an interaction the person both owns and took part in shows once.
        The people who took part and the owners of linked ones named as *matrix* lets."""
        summary_level, details_level = levels
        conn = session.connection()
        found: dict[int, Any] = {}
        for row in conn.execute(timeline_statement(shape), params).all():
            if row[0] not in found or not row[-1]:  # the person's own row wins
                found[row[0]] = row
        rows = sorted(found.values(), key=lambda r: (r[2], r[0]), reverse=True)[:limit]
        sees_details = shape.details
        people = people_of(conn, matrix, [row[0] for row in rows if row[-2]])
        linked = [row for row in rows if row[-1]]
        person_names, company_names = owner_names(
            conn,
            matrix,
            {row[8] for row in linked if row[8] is not None},
            {row[9] for row in linked if row[9] is not None},
        )
        masked_summary = summary_level is FieldAccess.MASKED
        masked_details = details_level is FieldAccess.MASKED
        result = []
        for row in rows:
            details = attachment = None
            if sees_details:
                details = mask(row[10]) if masked_details and row[10] else row[10]
                attachment = mask(row[11]) if masked_details and row[11] else row[11]
            took_part = people.get(row[0], [])
            owner_name = ""
            if row[-1]:
                owner_name = (
                    person_names.get(row[8], "")
                    if row[8] is not None
                    else company_names.get(row[9], "")
                )
            result.append(
                ActivityInfo(
                    id=row[0],
                    kind=ActivityKind(row[1]),
                    occurred_at=row[2],
                    summary=mask(row[3]) if masked_summary else row[3],
                    details=details,
                    attachment_name=attachment,
                    recorded_by=row[5] or "",
                    recorded_at=row[4],
                    source_kind=SourceKind(row[6]) if row[6] else None,
                    source=row[7] or "",
                    linked=bool(row[-1]),
                    people=tuple(cid for cid, _name in took_part),
                    people_names=tuple(name for _cid, name in took_part),
                    owner_name=owner_name,
                )
            )
        return result

    def one(self, actor: Actor, activity_id: int) -> ActivityInfo:
        """One interaction with its details as the role may see them (their reading on
        record): what the card shows for the interaction chosen in its list.

        Raises:
            PermissionDenied: the role does not see interactions.
            NotFound: no such interaction.
        """
        require(actor.role, Permission.VIEW_CONTACTS)
        summary_level, details_level = self.levels(actor)
        if summary_level is FieldAccess.HIDDEN:
            raise PermissionDenied
        matrix = self._access.access_for(actor.role)
        with self._uow() as uow:
            session = uow.session
            owner = session.execute(
                select(Activity.contact_id, Activity.company_id).where(Activity.id == activity_id)
            ).first()
            if owner is None:
                raise NotFound
            shape = TimelineShape("one", details_level is not FieldAccess.HIDDEN, False, False)
            params: dict[str, object] = {"owner": activity_id, "limit": 1}
            levels = (summary_level, details_level)
            rows = self._rows(session, shape, params, 1, levels, matrix)
        if rows[0].details or rows[0].attachment_name:
            self._audit_details(actor, owner[0], owner[1], 1)
        return rows[0]

    def count(
        self, actor: Actor, contact_id: int | None = None, *, company_id: int | None = None
    ) -> int:
        """How many interactions a person (those they took part in included) or a company
        has (the timeline's heading)."""
        require(actor.role, Permission.VIEW_CONTACTS)
        if self.levels(actor)[0] is FieldAccess.HIDDEN:
            raise PermissionDenied
        with self._uow() as uow:
            if contact_id is None:
                return int(
                    uow.session.scalar(
                        select(func.count()).where(Activity.company_id == company_id)
                    )
                    or 0
                )
            own = uow.session.scalar(select(func.count()).where(Activity.contact_id == contact_id))
            linked = uow.session.scalar(
                select(func.count())
                .select_from(ActivityPerson)
                .join(Activity, Activity.id == ActivityPerson.activity_id)
                .where(
                    ActivityPerson.contact_id == contact_id,
                    Activity.contact_id.is_distinct_from(contact_id),
                )
            )
            return int(own or 0) + int(linked or 0)

    def last(self, actor: Actor, contact_id: int) -> LastInteraction | None:
        """A person's newest interaction (its kind and date), if any."""
        require(actor.role, Permission.VIEW_CONTACTS)
        if self.levels(actor)[0] is FieldAccess.HIDDEN:
            raise PermissionDenied
        with self._uow() as uow:
            return last_interactions(uow.session, [contact_id]).get(contact_id)

    def attachment(self, actor: Actor, activity_id: int) -> EvidenceFile:
        """The file attached to an interaction (its opening is audited).

        Raises:
            NotFound: no such interaction, or it has no file.
            PermissionDenied: the role may not read interaction details.
        """
        require(actor.role, Permission.VIEW_CONTACTS)
        if self.levels(actor)[1] not in _READABLE:
            raise PermissionDenied
        with self._uow(write=True) as uow:
            session = uow.session
            found = session.execute(
                select(Activity.attachment, Activity.attachment_name).where(
                    Activity.id == activity_id
                )
            ).first()
            if found is None or found[0] is None:
                raise NotFound
            record_event(
                session,
                actor=actor.username,
                action="activity.attachment_open",
                entity="activity",
                entity_id=activity_id,
                at=self._clock.now(),
            )
            return EvidenceFile(found[1] or "attachment", bytes(found[0]))


def last_interactions(session: Session, contact_ids: Sequence[int]) -> dict[int, LastInteraction]:
    """The newest interaction of each of *contact_ids* (one index probe each), those they
    took part in as a linked person included: a meeting they attended is real contact
    with them, for retention as for the timeline.

    The two probes are built once and run for each contact with its id bound (building
    and compiling them per contact cost ten times the probes: the cleanup's review reads
    a page of contacts at a time on the UI thread)."""
    newest = (Activity.occurred_at.desc(), Activity.id.desc())
    own = (
        select(Activity.occurred_at, Activity.id, Activity.kind)
        .where(Activity.contact_id == bindparam("cid"))
        .order_by(*newest)
        .limit(1)
    )
    linked = (
        select(Activity.occurred_at, Activity.id, Activity.kind)
        .join(ActivityPerson, ActivityPerson.activity_id == Activity.id)
        .where(ActivityPerson.contact_id == bindparam("cid"))
        .order_by(*newest)
        .limit(1)
    )
    connection = session.connection()
    result: dict[int, LastInteraction] = {}
    for cid in dict.fromkeys(contact_ids):
        found = [
            tuple(row)
            for row in (connection.execute(q, {"cid": cid}).first() for q in (own, linked))
            if row is not None
        ]
        if found:
            at, _id, kind = max(found)
            result[cid] = LastInteraction(at, ActivityKind(kind))
    return result
