"""The field matrix overrides, the audit viewer's reads and its CSV export."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from privacycrm_desktop.domain.access import FieldAccess, Role
from privacycrm_desktop.domain.contacts import ContactInput
from privacycrm_desktop.domain.csv_cells import neutralise
from privacycrm_desktop.domain.errors import PermissionDenied, ValidationFailed
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.persistence.models import RoleFieldAccess
from privacycrm_desktop.services.audit import AuditFilter, record_event
from privacycrm_desktop.services.clock import FixedClock
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services

GOOD = "another good password"
CARD = SourceInput(SourceKind.BUSINESS_CARD, "Trade fair", dt.date(2026, 2, 20))
ANNE = ContactInput(
    first_name="Anne", last_name="Peeters", notes="Likes jazz", phones=("0475 12 34 56",)
)


def _user(svc: Services, owner: Actor, name: str, role: Role) -> Actor:
    svc.auth.add_user(owner, name, GOOD, role)
    return svc.auth.login(name, GOOD)


def test_override_is_stored_used_and_audited(svc: Services, owner: Actor) -> None:
    office = _user(svc, owner, "olga", Role.OFFICE)
    cid = svc.contacts.create(owner, ANNE, CARD)
    assert svc.contacts.get(office, cid).notes == ""
    svc.access.set_field_access(owner, Role.OFFICE, "notes", FieldAccess.READ)
    assert svc.contacts.get(office, cid).notes == "Likes jazz"
    svc.access.set_field_access(owner, Role.OFFICE, "phones", FieldAccess.MASKED)
    assert svc.contacts.page(office)[0].phone.endswith("456")
    assert "0475" not in svc.contacts.page(office)[0].phone
    # Back to the default: the override row goes.
    svc.access.set_field_access(owner, Role.OFFICE, "notes", FieldAccess.HIDDEN)
    with svc.uow() as uow:
        rows = uow.session.query(RoleFieldAccess).all()
        assert [(r.role, r.field, r.access) for r in rows] == [("office", "phones", "masked")]
    events = [e for e in svc.audit.list_events(owner) if e.action == "access.set"]
    assert [e.entity_id for e in events] == ["office.notes", "office.phones", "office.notes"]
    assert svc.access.matrix(owner)[(Role.OFFICE, "phones")] is FieldAccess.MASKED


def test_a_fresh_service_reads_the_stored_overrides(svc: Services, owner: Actor) -> None:
    svc.access.set_field_access(owner, Role.SALES, "city", FieldAccess.HIDDEN)
    fresh = Services.build(svc.uow.engine, FixedClock(dt.datetime(2026, 3, 2)))
    assert fresh.contacts.field_access(owner)["city"] is FieldAccess.WRITE
    sales = Actor(99, "x", Role.SALES)
    assert fresh.contacts.field_access(sales)["city"] is FieldAccess.HIDDEN


@pytest.mark.parametrize("role", [r for r in Role if r is not Role.OWNER])
def test_only_the_owner_edits_the_matrix(svc: Services, owner: Actor, role: Role) -> None:
    other = _user(svc, owner, "someone", role)
    with pytest.raises(PermissionDenied):
        svc.access.set_field_access(other, Role.OFFICE, "notes", FieldAccess.WRITE)
    with pytest.raises(PermissionDenied):
        svc.access.matrix(other)


def test_unknown_field_is_refused(svc: Services, owner: Actor) -> None:
    with pytest.raises(ValidationFailed):
        svc.access.set_field_access(owner, Role.OFFICE, "shoe_size", FieldAccess.WRITE)


def test_reading_restricted_fields_is_on_record_without_values(svc: Services, owner: Actor) -> None:
    office = _user(svc, owner, "olga", Role.OFFICE)
    sales = _user(svc, owner, "sam", Role.SALES)
    cid = svc.contacts.create(owner, ANNE, CARD)
    svc.contacts.get(office, cid)  # sees no restricted field: nothing to record
    svc.contacts.get(sales, cid)
    reads = [e for e in svc.audit.list_events(owner) if e.action == "contact.read_restricted"]
    assert [(e.actor, e.entity_id, e.detail) for e in reads] == [
        ("sam", str(cid), "fields=birth_date,notes")
    ]


def test_list_events_filters_and_pages(svc: Services, owner: Actor, clock: FixedClock) -> None:
    svc.contacts.create(owner, ANNE, CARD)
    clock.advance(dt.timedelta(days=2))
    _user(svc, owner, "olga", Role.OFFICE)
    everything = svc.audit.list_events(owner)
    assert [e.id for e in everything] == sorted((e.id for e in everything), reverse=True)
    assert svc.audit.count_events(owner) == len(everything)
    by_olga = svc.audit.list_events(owner, AuditFilter(user="olga"))
    assert {e.action for e in by_olga} == {"user.login"}
    created = svc.audit.list_events(owner, AuditFilter(action="contact.create"))
    assert len(created) == 1
    day = clock.today()
    recent = svc.audit.list_events(owner, AuditFilter(date_from=day, date_to=day))
    assert {e.action for e in recent} == {"user.add", "user.login"}
    older = svc.audit.list_events(owner, AuditFilter(date_to=day - dt.timedelta(days=1)))
    assert "contact.create" in {e.action for e in older}
    assert len(older) + len(recent) == len(everything)
    assert svc.audit.list_events(owner, offset=1, limit=2) == everything[1:3]
    users, actions = svc.audit.filter_choices(owner)
    assert users == ["olga", "owner"]
    assert "contact.create" in actions


@pytest.mark.parametrize("role", [Role.SALES, Role.OFFICE, Role.READ_ONLY])
def test_audit_viewer_is_for_owner_and_privacy_officer(
    svc: Services, owner: Actor, role: Role
) -> None:
    other = _user(svc, owner, "someone", role)
    officer = _user(svc, owner, "petra", Role.PRIVACY_OFFICER)
    assert svc.audit.list_events(officer)
    for call in (
        lambda: svc.audit.list_events(other),
        lambda: svc.audit.count_events(other),
        lambda: svc.audit.filter_choices(other),
        lambda: svc.audit.export_csv(other, io.StringIO()),
    ):
        with pytest.raises(PermissionDenied):
            call()


@pytest.mark.parametrize(
    ("cell", "safe"),
    [
        ("=1+1", "'=1+1"),
        ("+32", "'+32"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("\nx", "'\nx"),
        ("plain", "plain"),
        ("", ""),
    ],
)
def test_neutralise(cell: str, safe: str) -> None:
    assert neutralise(cell) == safe


def test_export_csv_neutralises_cells_and_is_audited(svc: Services, owner: Actor) -> None:
    with svc.uow(write=True) as uow:
        record_event(
            uow.session,
            actor='=HYPERLINK("x")',
            action="@evil",
            entity="-1",
            entity_id="+2",
            at=dt.datetime(2026, 3, 2),
            detail="\tx",
        )
    out = io.StringIO()
    count = svc.audit.export_csv(owner, out)
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows[0] == ["id", "at", "actor", "action", "entity", "entity_id", "detail"]
    assert len(rows) == count + 1
    evil = rows[-1]
    assert evil[2:] == ['\'=HYPERLINK("x")', "'@evil", "'-1", "'+2", "'\tx"]
    assert svc.audit.list_events(owner, limit=1)[0].action == "audit.export"
    assert svc.audit.list_events(owner, limit=1)[0].detail == f"count={count}"
    assert svc.audit.verify() is None
