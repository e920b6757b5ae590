"""The requests register: deadlines, flags, extension, closing, rights and audit."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from privacycrm_desktop.domain.access import Role
from privacycrm_desktop.domain.contacts import ContactInput
from privacycrm_desktop.domain.errors import NotFound, PermissionDenied, ValidationFailed
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.domain.requests import RequestKind, RequestStatus
from privacycrm_desktop.persistence.models import AuditEvent
from privacycrm_desktop.services.clock import FixedClock
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.services.requests import RequestInput

SOURCE = SourceInput(SourceKind.PHONE_CALL, "Called us", dt.date(2026, 1, 2))


def contact(svc: Services, owner: Actor, name: str = "Zoë") -> int:
    return svc.contacts.create(owner, ContactInput(first_name=name, last_name="Peeters"), SOURCE)


def trail(svc: Services) -> list[tuple[str, str]]:
    with svc.uow() as uow:
        return [
            (a, d)
            for a, d in uow.session.execute(select(AuditEvent.action, AuditEvent.detail)).tuples()
        ]


def test_add_sets_the_due_date_and_lists_with_flags(
    svc: Services, owner: Actor, clock: FixedClock
) -> None:
    cid = contact(svc, owner)
    # Today is 2 March 2026.
    late = svc.requests.add(
        owner,
        RequestInput(
            RequestKind.ACCESS,
            (cid,),
            dt.date(2026, 1, 31),
            channel="e-mail",
            requester="Zoë Peeters",
            identity_verified=True,
            identity_method="copy of identity card",
        ),
    )
    soon = svc.requests.add(owner, RequestInput(RequestKind.ERASURE, (cid,), dt.date(2026, 2, 5)))
    later = svc.requests.add(owner, RequestInput(RequestKind.OBJECTION, (cid, cid)))
    listed = {r.id: r for r in svc.requests.list_requests(owner)}
    assert listed[late].due_on == dt.date(2026, 2, 28)
    assert listed[late].overdue
    assert not listed[late].due_soon
    assert listed[soon].due_on == dt.date(2026, 3, 5)
    assert listed[soon].due_soon
    assert not listed[soon].overdue
    assert listed[later].due_on == dt.date(2026, 4, 2)
    assert not listed[later].due_soon
    assert not listed[later].overdue
    assert listed[later].contact_ids == (cid,)
    assert listed[late].handled_by == "owner"
    assert listed[late].reference == f"R-2026-{late:04d}"
    assert [r.id for r in svc.requests.list_requests(owner)] == [late, soon, later]
    assert [r.id for r in svc.requests.attention(owner)] == [late, soon]
    # No personal value (the requester's name, the identity method) in the audit rows.
    rows = trail(svc)
    assert ("request.add", "kind=access;contacts=1;verified=1") in rows
    assert not any("Zoë" in d or "identity" in d for _a, d in rows)


def test_extension_and_closing(svc: Services, owner: Actor) -> None:
    cid = contact(svc, owner)
    rid = svc.requests.add(owner, RequestInput(RequestKind.ACCESS, (cid,), dt.date(2026, 1, 31)))
    with pytest.raises(ValidationFailed):
        svc.requests.extend(owner, rid, 1, "  ")
    info = svc.requests.extend(owner, rid, 1, "Many requests at once")
    assert info.status is RequestStatus.EXTENDED
    assert info.due_on == dt.date(2026, 3, 31)
    info = svc.requests.extend(owner, rid, 1, "Complex request")
    assert info.due_on == dt.date(2026, 4, 30)
    assert info.extension_months == 2
    with pytest.raises(ValidationFailed):
        svc.requests.extend(owner, rid, 1, "A third month")
    with pytest.raises(ValidationFailed):
        svc.requests.close(owner, rid, "")
    closed = svc.requests.close(owner, rid, "Report sent by e-mail")
    assert closed.status is RequestStatus.DONE
    assert closed.closed_on == dt.date(2026, 3, 2)
    assert not closed.overdue
    assert not closed.due_soon
    with pytest.raises(ValidationFailed):
        svc.requests.close(owner, rid, "again")
    other = svc.requests.add(owner, RequestInput(RequestKind.ERASURE, (cid,)))
    assert svc.requests.close(owner, other, "Legal hold", refused=True).status is (
        RequestStatus.REFUSED
    )
    assert svc.requests.attention(owner) == []
    assert [r.id for r in svc.requests.list_requests(owner, open_only=True)] == []


def test_bad_input_is_refused(svc: Services, owner: Actor) -> None:
    cid = contact(svc, owner)
    with pytest.raises(ValidationFailed):
        svc.requests.add(owner, RequestInput(RequestKind.ACCESS, ()))
    with pytest.raises(ValidationFailed):
        svc.requests.add(owner, RequestInput(RequestKind.ACCESS, (cid,), dt.date(2026, 3, 3)))
    with pytest.raises(ValidationFailed):
        svc.requests.add(owner, RequestInput(RequestKind.ACCESS, (cid,), identity_verified=True))
    with pytest.raises(NotFound):
        svc.requests.add(owner, RequestInput(RequestKind.ACCESS, (cid + 99,)))
    with pytest.raises(NotFound):
        svc.requests.get(owner, 42)
    assert svc.requests.list_requests(owner) == []


@pytest.mark.parametrize("role", [Role.SALES, Role.OFFICE, Role.READ_ONLY])
def test_only_owner_and_privacy_officer_handle_requests(
    svc: Services, owner: Actor, role: Role
) -> None:
    cid = contact(svc, owner)
    rid = svc.requests.add(owner, RequestInput(RequestKind.ACCESS, (cid,)))
    svc.auth.add_user(owner, "someone", "some password 1", role)
    actor = svc.auth.login("someone", "some password 1")
    for call in (
        lambda: svc.requests.add(actor, RequestInput(RequestKind.ACCESS, (cid,))),
        lambda: svc.requests.list_requests(actor),
        lambda: svc.requests.get(actor, rid),
        lambda: svc.requests.extend(actor, rid, 1, "x"),
        lambda: svc.requests.close(actor, rid, "x"),
        lambda: svc.requests.rectify(actor, rid, cid, "city", "a", "b", "x"),
    ):
        with pytest.raises(PermissionDenied):
            call()
    svc.auth.add_user(owner, "officer", "some password 2", Role.PRIVACY_OFFICER)
    officer = svc.auth.login("officer", "some password 2")
    assert [r.id for r in svc.requests.list_requests(officer)] == [rid]


def test_a_rectification_keeps_old_and_new_value_and_reason(svc: Services, owner: Actor) -> None:
    cid = contact(svc, owner)
    rid = svc.requests.add(owner, RequestInput(RequestKind.RECTIFICATION, (cid,)))
    with pytest.raises(ValidationFailed):
        svc.requests.rectify(owner, rid, cid, "city", "Gent", "Gand", " ")
    svc.requests.rectify(owner, rid, cid, "city", "Gentt", "Gent", "Typing error")
    (row,) = svc.requests.rectifications(owner, rid)
    assert (row.field, row.old_value, row.new_value, row.reason) == (
        "city",
        "Gentt",
        "Gent",
        "Typing error",
    )
    assert not any("Gent" in d for _a, d in trail(svc))
