"""The register of rights requests (rules 13-17 and 21): due in one month, extendable by two.

Owner and privacy officer only (``Permission.MANAGE_REQUESTS``). Every change is one
transaction with its audit event; audit rows carry ids, kinds and counts, never the
requester's name or any other personal value.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from privacycrm_desktop.domain.access import Permission, require
from privacycrm_desktop.domain.contacts import display_name
from privacycrm_desktop.domain.errors import FieldProblem, NotFound, ValidationFailed
from privacycrm_desktop.domain.requests import RequestKind, RequestStatus, due_date
from privacycrm_desktop.domain.text import N_
from privacycrm_desktop.persistence.models import Contact, RequestContact, RightsRequest, User
from privacycrm_desktop.persistence.record_models import Rectification
from privacycrm_desktop.persistence.unit_of_work import UnitOfWork
from privacycrm_desktop.services.audit import record_event
from privacycrm_desktop.services.clock import Clock
from privacycrm_desktop.services.dto import Actor

#: A request due within this many days is flagged at start-up.
DUE_SOON_DAYS = 7
MAX_TEXT = 300

REQUEST_KIND_LABELS = {
    RequestKind.ACCESS: N_("Access"),
    RequestKind.RECTIFICATION: N_("Rectification"),
    RequestKind.ERASURE: N_("Erasure"),
    RequestKind.OBJECTION: N_("Objection to direct marketing"),
    RequestKind.RESTRICTION: N_("Restriction"),
    RequestKind.PORTABILITY: N_("Portability"),
}
REQUEST_STATUS_LABELS = {
    RequestStatus.OPEN: N_("Open"),
    RequestStatus.EXTENDED: N_("Extended"),
    RequestStatus.DONE: N_("Done"),
    RequestStatus.REFUSED: N_("Refused"),
}


@dataclass(frozen=True)
class RequestInput:
    """A request as it reached the business."""

    kind: RequestKind
    contact_ids: tuple[int, ...]
    received_on: dt.date | None = None
    channel: str = ""
    requester: str = ""
    identity_verified: bool = False
    identity_method: str = ""


@dataclass(frozen=True)
class RequestInfo:
    """One line of the register, with its deadline flags computed for today."""

    id: int
    kind: RequestKind
    received_on: dt.date
    channel: str
    requester: str
    identity_verified: bool
    identity_method: str
    due_on: dt.date
    extension_months: int
    extension_reason: str
    status: RequestStatus
    outcome: str
    handled_by: str
    closed_on: dt.date | None
    contact_ids: tuple[int, ...]
    overdue: bool
    due_soon: bool
    #: Who the request is about, by name ("Lefèvre, Zoë"), in the order of ``contact_ids``;
    #: an erased contact has no name left ("").
    contact_names: tuple[str, ...] = ()

    @property
    def is_open(self) -> bool:
        """Not yet closed (done or refused)."""
        return self.status in (RequestStatus.OPEN, RequestStatus.EXTENDED)

    @property
    def reference(self) -> str:
        """The reference printed on letters and reports ("R-2026-0007")."""
        return request_reference(self.id, self.received_on)


@dataclass(frozen=True)
class RectificationInfo:
    """A correction: old and new value and why."""

    id: int
    contact_id: int
    request_id: int | None
    field: str
    old_value: str
    new_value: str
    reason: str
    recorded_at: dt.datetime


def request_reference(request_id: int, received_on: dt.date) -> str:
    """The reference of a request: year received and number."""
    return f"R-{received_on.year}-{request_id:04d}"


def _problem(field: str, message: str) -> ValidationFailed:
    return ValidationFailed([FieldProblem(field, message)])


def _clean(value: str, field: str) -> str:
    text = " ".join(value.split())
    if len(text) > MAX_TEXT:
        raise ValidationFailed(
            [FieldProblem(field, N_("Too long: at most {limit} characters."), {"limit": MAX_TEXT})]
        )
    return text


class RequestService:
    """Recording, extending and closing rights requests."""

    def __init__(self, uow: UnitOfWork, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    def today(self) -> dt.date:
        """Today as the services see it (the default date received)."""
        return self._clock.today()

    def add(self, actor: Actor, data: RequestInput) -> int:
        """Register a request; its due date is one month after receipt (clamped).

        Raises:
            PermissionDenied: not owner or privacy officer.
            ValidationFailed: no contact, a date in the future, text too long.
            NotFound: a contact id that does not exist.
        """
        require(actor.role, Permission.MANAGE_REQUESTS)
        today = self._clock.today()
        kind = RequestKind(data.kind)
        received = data.received_on or today
        if received > today:
            raise _problem("received_on", N_("A request cannot be received in the future."))
        contact_ids = tuple(dict.fromkeys(data.contact_ids))
        if not contact_ids:
            raise _problem("contact", N_("Choose the contact the request is about."))
        channel = _clean(data.channel, "channel")
        requester = _clean(data.requester, "requester")
        method = _clean(data.identity_method, "identity_method")
        if data.identity_verified and not method:
            raise _problem("identity_method", N_("Say how the identity was checked."))
        now = self._clock.now()
        with self._uow(write=True) as uow:
            session = uow.session
            for cid in contact_ids:
                if session.get(Contact, cid) is None:
                    raise NotFound
            row = RightsRequest(
                kind=kind.value,
                received_on=received,
                channel=channel,
                requester=requester,
                identity_verified=data.identity_verified,
                identity_method=method,
                due_on=due_date(received),
                extension_months=0,
                status=RequestStatus.OPEN.value,
                handled_by=actor.user_id,
                created_at=now,
            )
            session.add(row)
            session.flush()
            session.add_all(RequestContact(request_id=row.id, contact_id=c) for c in contact_ids)
            record_event(
                session,
                actor=actor.username,
                action="request.add",
                entity="rights_request",
                entity_id=row.id,
                at=now,
                detail=f"kind={kind.value};contacts={len(contact_ids)};"
                f"verified={int(data.identity_verified)}",
            )
            return row.id

    def get(self, actor: Actor, request_id: int) -> RequestInfo:
        """One request."""
        require(actor.role, Permission.MANAGE_REQUESTS)
        with self._uow() as uow:
            row = uow.session.get(RightsRequest, request_id)
            if row is None:
                raise NotFound
            return self._info(uow.session, row, self._clock.today())

    def list_requests(self, actor: Actor, *, open_only: bool = False) -> list[RequestInfo]:
        """The register, soonest due first among open ones, then closed ones newest first."""
        require(actor.role, Permission.MANAGE_REQUESTS)
        today = self._clock.today()
        with self._uow() as uow:
            query = select(RightsRequest)
            if open_only:
                query = query.where(
                    RightsRequest.status.in_(
                        [RequestStatus.OPEN.value, RequestStatus.EXTENDED.value]
                    )
                )
            rows = uow.session.scalars(query).all()
            infos = [self._info(uow.session, r, today) for r in rows]
        opened = sorted((i for i in infos if i.is_open), key=lambda i: (i.due_on, i.id))
        closed = sorted(
            (i for i in infos if not i.is_open),
            key=lambda i: (i.closed_on or i.received_on, i.id),
            reverse=True,
        )
        return opened + closed

    def attention(self, actor: Actor) -> list[RequestInfo]:
        """Open requests that are overdue or due within seven days (start-up notice)."""
        return [i for i in self.list_requests(actor, open_only=True) if i.overdue or i.due_soon]

    def extend(self, actor: Actor, request_id: int, months: int, reason: str) -> RequestInfo:
        """Extend the deadline by *months* (1 or 2, at most two in all) with a reason."""
        require(actor.role, Permission.MANAGE_REQUESTS)
        reason = " ".join(reason.split())
        if not reason:
            raise _problem("extension_reason", N_("Give the reason for the extension."))
        with self._uow(write=True) as uow:
            session = uow.session
            row = self._open_row(session, request_id)
            total = row.extension_months + months
            if months < 1 or total > 2:
                raise _problem(
                    "extension_months", N_("A request can be extended by two months at most.")
                )
            row.extension_months = total
            row.extension_reason = reason
            row.due_on = due_date(row.received_on, total)
            row.status = RequestStatus.EXTENDED.value
            row.handled_by = actor.user_id
            record_event(
                session,
                actor=actor.username,
                action="request.extend",
                entity="rights_request",
                entity_id=row.id,
                at=self._clock.now(),
                detail=f"months={total}",
            )
            return self._info(session, row, self._clock.today())

    def close(
        self, actor: Actor, request_id: int, outcome: str, *, refused: bool = False
    ) -> RequestInfo:
        """Close a request as done (or refused, with the reason as outcome)."""
        require(actor.role, Permission.MANAGE_REQUESTS)
        outcome = outcome.strip()
        if not outcome:
            raise _problem("outcome", N_("Describe the outcome."))
        if len(outcome) > 2000:
            raise ValidationFailed(
                [
                    FieldProblem(
                        "outcome", N_("Too long: at most {limit} characters."), {"limit": 2000}
                    )
                ]
            )
        with self._uow(write=True) as uow:
            session = uow.session
            row = self._open_row(session, request_id)
            row.status = (RequestStatus.REFUSED if refused else RequestStatus.DONE).value
            row.outcome = outcome
            row.closed_on = self._clock.today()
            row.handled_by = actor.user_id
            record_event(
                session,
                actor=actor.username,
                action="request.close",
                entity="rights_request",
                entity_id=row.id,
                at=self._clock.now(),
                detail=f"status={row.status}",
            )
            return self._info(session, row, self._clock.today())

    def rectify(
        self,
        actor: Actor,
        request_id: int | None,
        contact_id: int,
        field: str,
        old_value: str,
        new_value: str,
        reason: str,
    ) -> int:
        """Keep a correction's old and new value and its reason (rule 14).

        The contact itself is changed through the contact service; this is the record.
        """
        require(actor.role, Permission.MANAGE_REQUESTS)
        if not reason.strip():
            raise _problem("reason", N_("Give the reason for the correction."))
        now = self._clock.now()
        with self._uow(write=True) as uow:
            session = uow.session
            if session.get(Contact, contact_id) is None:
                raise NotFound
            if request_id is not None and session.get(RightsRequest, request_id) is None:
                raise NotFound
            row = Rectification(
                contact_id=contact_id,
                request_id=request_id,
                field=field,
                old_value=old_value,
                new_value=new_value,
                reason=reason.strip(),
                recorded_by=actor.user_id,
                recorded_at=now,
            )
            session.add(row)
            session.flush()
            record_event(
                session,
                actor=actor.username,
                action="request.rectify",
                entity="rectification",
                entity_id=row.id,
                at=now,
                detail=f"contact={contact_id};request={request_id or '-'};field={field}",
            )
            return row.id

    def rectifications(self, actor: Actor, request_id: int) -> list[RectificationInfo]:
        """The corrections made for a request."""
        require(actor.role, Permission.MANAGE_REQUESTS)
        with self._uow() as uow:
            rows = uow.session.scalars(
                select(Rectification)
                .where(Rectification.request_id == request_id)
                .order_by(Rectification.id)
            ).all()
            return [
                RectificationInfo(
                    r.id,
                    r.contact_id,
                    r.request_id,
                    r.field,
                    r.old_value,
                    r.new_value,
                    r.reason,
                    r.recorded_at,
                )
                for r in rows
            ]

    def _open_row(self, session: Session, request_id: int) -> RightsRequest:
        row = session.get(RightsRequest, request_id)
        if row is None:
            raise NotFound
        if row.status not in (RequestStatus.OPEN.value, RequestStatus.EXTENDED.value):
            raise _problem("status", N_("This request is already closed."))
        return row

    def _info(self, session: Session, row: RightsRequest, today: dt.date) -> RequestInfo:
        contact_ids: Sequence[int] = session.scalars(
            select(RequestContact.contact_id)
            .where(RequestContact.request_id == row.id)
            .order_by(RequestContact.contact_id)
        ).all()
        names = {
            contact_id: display_name(first or "", last or "", organisation or "")
            for contact_id, first, last, organisation in session.execute(
                select(
                    Contact.id, Contact.first_name, Contact.last_name, Contact.organisation
                ).where(Contact.id.in_(contact_ids))
            )
        }
        handler = ""
        if row.handled_by is not None:
            user = session.get(User, row.handled_by)
            handler = user.username if user else ""
        status = RequestStatus(row.status)
        is_open = status in (RequestStatus.OPEN, RequestStatus.EXTENDED)
        return RequestInfo(
            id=row.id,
            kind=RequestKind(row.kind),
            received_on=row.received_on,
            channel=row.channel,
            requester=row.requester,
            identity_verified=row.identity_verified,
            identity_method=row.identity_method,
            due_on=row.due_on,
            extension_months=row.extension_months,
            extension_reason=row.extension_reason,
            status=status,
            outcome=row.outcome,
            handled_by=handler,
            closed_on=row.closed_on,
            contact_ids=tuple(contact_ids),
            contact_names=tuple(names.get(c, "") for c in contact_ids),
            overdue=is_open and row.due_on < today,
            due_soon=is_open and today <= row.due_on <= today + dt.timedelta(days=DUE_SOON_DAYS),
        )
