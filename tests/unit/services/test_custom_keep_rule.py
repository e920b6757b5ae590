"""The keep rule of custom fields (issue 21): the cleanup erases exactly the values past
their field's keep period - on contacts and on companies - and nothing else: not the
contact or company, not a value of a field without a rule, not a value recorded later."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from sqlalchemy import select

from privacycrm_desktop.domain.access import Role
from privacycrm_desktop.domain.companies import CompanyInput
from privacycrm_desktop.domain.contacts import ContactInput, Relationship
from privacycrm_desktop.domain.custom_fields import (
    CustomFieldDefinition,
    CustomKind,
    CustomTarget,
)
from privacycrm_desktop.domain.errors import PermissionDenied, ValidationFailed
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.persistence.models import AuditEvent
from privacycrm_desktop.services.clock import FixedClock
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services

CARD = SourceInput(SourceKind.BUSINESS_CARD, "Trade fair", dt.date(2026, 2, 20))
#: Each field: what it belongs to and its keep rule (None: as long as the record).
FIELDS = {
    "badge": (CustomTarget.CONTACT, 6),
    "hobby": (CustomTarget.CONTACT, None),
    "visit": (CustomTarget.COMPANY, 12),
    "sector": (CustomTarget.COMPANY, None),
}


def _pdf_text(pdf: bytes) -> str:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join(p.extract_text() or "" for p in reader.pages).split())


def _define(svc: Services, owner: Actor) -> None:
    for key, (on, months) in FIELDS.items():
        svc.custom_fields.define(
            owner,
            CustomFieldDefinition(key, key.title(), CustomKind.TEXT, on=on, keep_months=months),
        )


def _values(svc: Services, owner: Actor, contacts: list[int], companies: list[int]) -> set[str]:
    found = {f"contact {c} {v.key}" for c in contacts for v in svc.contacts.get(owner, c).custom}
    found |= {f"company {c} {v.key}" for c in companies for v in svc.companies.get(owner, c).custom}
    return found


def test_the_cleanup_erases_exactly_the_values_past_their_keep_period(
    svc: Services, owner: Actor, clock: FixedClock
) -> None:
    _define(svc, owner)
    # Recorded now (2026-03-02): a contact and a company, every field filled in.
    values = {"badge": "Qbadge-old", "hobby": "Qhobby-old"}
    old_person = svc.contacts.create(
        owner,
        ContactInput(
            first_name="Old", last_name="Person", relationship=Relationship.CUSTOMER, extra=values
        ),
        CARD,
    )
    old_company = svc.companies.add(
        owner, CompanyInput(name="Old NV"), CARD, {"visit": "2026-03-01", "sector": "Bakery"}
    )
    # Seven months later: a new person and company, and the old company's visit typed again.
    clock.advance(dt.timedelta(days=214))
    new_person = svc.contacts.create(
        owner,
        ContactInput(
            first_name="New",
            last_name="Person",
            relationship=Relationship.CUSTOMER,
            extra={"badge": "Qbadge-new"},
        ),
        CARD,
    )
    new_company = svc.companies.add(owner, CompanyInput(name="New NV"), CARD, {"visit": "x"})
    contacts, companies = [old_person, new_person], [old_company, new_company]
    before = _values(svc, owner, contacts, companies)
    # Day 214: only the old badge (6 months) has passed; the old visit (12) has not.
    assert [(e.on, e.record_id, e.key) for e in svc.cleanup.expired_values(owner)] == [
        (CustomTarget.CONTACT, old_person, "badge")
    ]
    dry = svc.cleanup.apply(owner, dry_run=True)
    assert dry.values_erased == 1
    assert _values(svc, owner, contacts, companies) == before
    outcome = svc.cleanup.apply(owner)
    assert outcome.values_erased == 1
    # The cleanup report counts them (no value, no name in it).
    report = _pdf_text(svc.cleanup.report_pdf(owner, outcome, "en"))
    assert "Custom field values erased" in report
    assert "Qbadge" not in report
    assert _values(svc, owner, contacts, companies) == before - {f"contact {old_person} badge"}
    # A year and a day after the first values: the old company's visit goes too.
    clock.advance(dt.timedelta(days=366 - 214))
    expired = svc.cleanup.expired_values(owner)
    assert [(e.on, e.record_id, e.field) for e in expired] == [
        (CustomTarget.COMPANY, old_company, "cf_visit")
    ]
    assert expired[0].recorded_on == dt.date(2026, 3, 2)
    assert expired[0].keep_until == dt.date(2027, 3, 2)
    assert svc.cleanup.apply(owner).values_erased == 1
    left = _values(svc, owner, contacts, companies)
    assert left == before - {f"contact {old_person} badge", f"company {old_company} visit"}
    # The records themselves stay; fields without a rule keep their values.
    assert svc.contacts.get(owner, old_person).last_name == "Person"
    assert svc.companies.get(owner, old_company).values.name == "Old NV"
    # The audit names the record and the field, never the value.
    with svc.uow() as uow:
        events = uow.session.execute(
            select(AuditEvent.action, AuditEvent.entity, AuditEvent.entity_id, AuditEvent.detail)
            .where(AuditEvent.action == "cleanup.value_expired")
            .order_by(AuditEvent.id)
        ).all()
    assert [tuple(e) for e in events] == [
        ("cleanup.value_expired", "contact", str(old_person), "field=cf_badge"),
        ("cleanup.value_expired", "company", str(old_company), "field=cf_visit"),
    ]
    assert svc.cleanup.expired_values(owner) == []


def test_a_value_typed_again_counts_from_its_new_date(
    svc: Services, owner: Actor, clock: FixedClock
) -> None:
    _define(svc, owner)
    person = svc.contacts.create(
        owner, ContactInput(first_name="A", last_name="B", extra={"badge": "one"}), CARD
    )
    clock.advance(dt.timedelta(days=150))
    version = svc.contacts.get(owner, person).version
    data = ContactInput(first_name="A", last_name="B", extra={"badge": "two"})
    svc.contacts.update(owner, person, version, data, CARD)
    clock.advance(dt.timedelta(days=60))  # 210 days after the first value, 60 after this one
    assert svc.cleanup.expired_values(owner) == []
    clock.advance(dt.timedelta(days=130))  # 190 days after the second
    assert [e.record_id for e in svc.cleanup.expired_values(owner)] == [person]


def test_only_the_cleanup_roles_list_them_and_a_rule_is_checked(
    svc: Services, owner: Actor
) -> None:
    svc.auth.add_user(owner, "sales", "a long password 1", Role.SALES)
    sales = svc.auth.login("sales", "a long password 1")
    with pytest.raises(PermissionDenied):
        svc.cleanup.expired_values(sales)
    for months in (0, 601):
        with pytest.raises(ValidationFailed):
            svc.custom_fields.define(
                owner, CustomFieldDefinition(f"k{months}", "K", CustomKind.TEXT, keep_months=months)
            )


def test_a_contact_on_hold_keeps_its_values_until_the_hold_ends(
    svc: Services, owner: Actor, clock: FixedClock
) -> None:
    _define(svc, owner)
    held = svc.contacts.create(
        owner, ContactInput(first_name="On", last_name="Hold", extra={"badge": "Qheld"}), CARD
    )
    free = svc.contacts.create(
        owner, ContactInput(first_name="No", last_name="Hold", extra={"badge": "Qfree"}), CARD
    )
    clock.advance(dt.timedelta(days=200))
    svc.retention.add_hold(owner, held, "Dispute about an invoice", dt.date(2027, 3, 1))
    assert [e.record_id for e in svc.cleanup.expired_values(owner)] == [free]
    assert svc.cleanup.apply(owner).values_erased == 1
    assert [v.key for v in svc.contacts.get(owner, held).custom] == ["badge"]
    clock.advance(dt.timedelta(days=200))  # the hold has ended
    assert [e.record_id for e in svc.cleanup.expired_values(owner)] == [held]


def test_the_review_names_whose_values_go_and_the_field_in_each_language(
    svc: Services, owner: Actor, clock: FixedClock
) -> None:
    """The cleanup's review says whose value goes (the contact's or company's name) and the
    field by its label in the user's language; only a role that may clean up is told."""
    labels = (("fr", "Badge (fr)"), ("nl", "Badge (nl)"))
    badge_field = CustomFieldDefinition(
        "badge", "badge", CustomKind.TEXT, labels=labels, keep_months=1
    )
    svc.custom_fields.define(owner, badge_field)
    svc.custom_fields.define(
        owner,
        CustomFieldDefinition(
            "visit", "visit", CustomKind.TEXT, on=CustomTarget.COMPANY, keep_months=1
        ),
    )
    person = svc.contacts.create(
        owner, ContactInput(first_name="Zoë", last_name="Lefèvre", extra={"badge": "B"}), CARD
    )
    company = svc.companies.add(owner, CompanyInput(name="Anker NV"), CARD, {"visit": "x"})
    clock.advance(dt.timedelta(days=40))
    expired = svc.cleanup.expired_values(owner)
    names = svc.cleanup.value_owners(owner, expired)
    assert names == {
        (CustomTarget.CONTACT, person): "Lefèvre, Zoë",
        (CustomTarget.COMPANY, company): "Anker NV",
    }
    badge = next(e for e in expired if e.key == "badge")
    assert [badge.label_in(lang) for lang in ("nl", "fr", "en")] == [
        "Badge (nl)",
        "Badge (fr)",
        "badge",
    ]
    svc.auth.add_user(owner, "sam", "another good password", Role.SALES)
    sales = svc.auth.login("sam", "another good password")
    with pytest.raises(PermissionDenied):
        svc.cleanup.value_owners(sales, expired)


def test_an_expired_value_leaves_the_undo_copy_of_a_merge_too(
    svc: Services, owner: Actor, clock: FixedClock
) -> None:
    from privacycrm_desktop.persistence.merge_models import ContactMerge

    _define(svc, owner)
    svc.merges.set_undo_days(owner, 365)  # the copy outlives the badge's six months
    keep = svc.contacts.create(
        owner, ContactInput(first_name="Ann", last_name="Peeters", extra={"badge": "Qkeep"}), CARD
    )
    other = svc.contacts.create(
        owner, ContactInput(first_name="An", last_name="Peeters", extra={"badge": "Qother"}), CARD
    )
    done = svc.merges.merge(owner, keep, [other])

    def copies() -> str:
        with svc.uow() as uow:
            return "".join(uow.session.scalars(select(ContactMerge.snapshot)))

    assert "Qother" in copies()
    clock.advance(dt.timedelta(days=200))
    assert svc.cleanup.apply(owner).values_erased == 1
    assert "Qother" not in copies()
    assert "Qkeep" not in copies()
    svc.merges.undo(owner, done.merge_id)
    assert svc.contacts.get(owner, other).custom == ()
    with svc.uow() as uow:
        details = list(
            uow.session.scalars(
                select(AuditEvent.detail).where(AuditEvent.action == "cleanup.value_expired")
            )
        )
    assert sorted(details) == ["field=cf_badge"] * 3
