"""The disclosure ledger read back, recipients to notify, special-category overview, evidence."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from privacycrm_desktop.domain.access import Role
from privacycrm_desktop.domain.consent import Channel, ConsentMethod, ConsentStatus
from privacycrm_desktop.domain.contacts import ContactInput
from privacycrm_desktop.domain.errors import NotFound, PermissionDenied
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.domain.special_categories import SpecialCategory
from privacycrm_desktop.persistence.models import AuditEvent
from privacycrm_desktop.services.consent_dto import ConsentInput
from privacycrm_desktop.services.disclosures import DisclosureInput, TransferRefused
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services

SOURCE = SourceInput(SourceKind.PHONE_CALL, "Called us", dt.date(2026, 3, 2))


def add(svc: Services, owner: Actor, name: str = "Zoë") -> int:
    return svc.contacts.create(owner, ContactInput(first_name=name), SOURCE)


def actions(svc: Services, action: str) -> list[str]:
    with svc.uow() as uow:
        return list(
            uow.session.scalars(select(AuditEvent.detail).where(AuditEvent.action == action))
        )


def sales(svc: Services, owner: Actor) -> Actor:
    svc.auth.add_user(owner, "sales", "sales password 1", Role.SALES)
    return svc.auth.login("sales", "sales password 1")


def test_the_ledger_and_the_recipients_to_notify(svc: Services, owner: Actor) -> None:
    zoe, jan = add(svc, owner), add(svc, owner, "Jan")
    day = dt.date(2026, 3, 1)
    svc.disclosures.record(
        owner, DisclosureInput(zoe, "Accountant BV", "invoicing", ("identity",), day, day)
    )
    svc.disclosures.record(
        owner,
        DisclosureInput(zoe, "Mailhouse  BV", "customer_relationship", ("contact",), day),
    )
    svc.disclosures.record(
        owner, DisclosureInput(zoe, "Accountant BV", "invoicing", (), dt.date(2026, 3, 2))
    )
    svc.disclosures.record(owner, DisclosureInput(jan, "Courier NV", "invoicing", (), day))
    with pytest.raises(TransferRefused):
        svc.disclosures.record(
            owner, DisclosureInput(zoe, "Sister NV", "invoicing", (), day, own_marketing=True)
        )
    ledger = svc.disclosures.disclosures(owner, zoe)
    assert [(d.recipient, d.disclosed_on) for d in ledger] == [
        ("Accountant BV", dt.date(2026, 3, 2)),
        ("Mailhouse BV", day),
        ("Accountant BV", day),
    ]
    assert ledger[2].categories == ("identity",)
    assert ledger[2].subject_informed_on == day
    assert ledger[2].recorded_by == "owner"
    assert ledger[2].purpose == "invoicing"
    # Each recipient once; a refused one received nothing and is not listed.
    notify = svc.disclosures.recipients_to_notify(owner, zoe)
    assert [r.name for r in notify] == ["Accountant BV", "Mailhouse BV"]
    assert [r.name for r in svc.disclosures.recipients_to_notify(owner, jan)] == ["Courier NV"]
    known = {r.name: r for r in svc.disclosures.recipients(owner)}
    assert known["Sister NV"].own_marketing
    assert not known["Accountant BV"].own_marketing
    with pytest.raises(NotFound):
        svc.disclosures.disclosures(owner, 999)
    with pytest.raises(NotFound):
        svc.disclosures.recipients_to_notify(owner, 999)


def test_special_overview_follows_consent_and_field_access(svc: Services, owner: Actor) -> None:
    cid = add(svc, owner)
    overview = {s.category: s for s in svc.disclosures.special_overview(owner, cid)}
    assert len(overview) == len(SpecialCategory)
    assert not any(s.unlocked for s in overview.values())
    svc.disclosures.record_special_consent(
        owner, cid, SpecialCategory.HEALTH, ConsentMethod.SIGNED_PAPER, "form ref 12"
    )
    svc.disclosures.record_special(owner, cid, SpecialCategory.HEALTH, "diabetic", SOURCE)
    health = {s.category: s for s in svc.disclosures.special_overview(owner, cid)}[
        SpecialCategory.HEALTH
    ]
    assert health.unlocked
    assert health.consent_method is ConsentMethod.SIGNED_PAPER
    assert health.consent_evidence == "form ref 12"
    assert [v.value for v in health.values] == ["diabetic"]
    # The read is audited with the category, never the value.
    assert actions(svc, "special_category.read") == ["categories=1"]  # never which one
    # Withdrawal locks it again; the value stays on record until erased.
    svc.disclosures.record_special_consent(
        owner, cid, SpecialCategory.HEALTH, ConsentMethod.SIGNED_PAPER, "", withdraw=True
    )
    health = {s.category: s for s in svc.disclosures.special_overview(owner, cid)}[
        SpecialCategory.HEALTH
    ]
    assert not health.unlocked
    seller = sales(svc, owner)
    with pytest.raises(PermissionDenied):
        svc.disclosures.special_overview(seller, cid)
    with pytest.raises(PermissionDenied):
        svc.disclosures.record_special_consent(
            seller, cid, SpecialCategory.RELIGION, ConsentMethod.SIGNED_PAPER, "ref"
        )


def test_special_overview_reads_the_consents_of_every_category_in_one_statement(
    svc: Services, owner: Actor
) -> None:
    """One read of the contact's special-category consents for all nine categories (the
    access report gathers this overview; a statement a category was a round trip each
    on the server), with the same verdicts: written consent with evidence unlocks, a
    withdrawal or a consent without evidence does not."""
    from sqlalchemy import event

    cid = add(svc, owner)
    svc.disclosures.record_special_consent(
        owner, cid, SpecialCategory.HEALTH, ConsentMethod.SIGNED_PAPER, "form ref 12"
    )
    svc.disclosures.record_special_consent(
        owner, cid, SpecialCategory.RELIGION, ConsentMethod.SIGNED_PAPER, "form ref 13"
    )
    svc.disclosures.record_special_consent(
        owner, cid, SpecialCategory.RELIGION, ConsentMethod.SIGNED_PAPER, "", withdraw=True
    )
    engine = svc.uow.engine
    sent: list[str] = []

    def note(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        sent.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", note)
    try:
        overview = {s.category: s for s in svc.disclosures.special_overview(owner, cid)}
    finally:
        event.remove(engine, "before_cursor_execute", note)
    assert [c for c, s in overview.items() if s.unlocked] == [SpecialCategory.HEALTH]
    assert overview[SpecialCategory.HEALTH].consent_evidence == "form ref 12"
    assert len([s for s in sent if "FROM consent_event" in s]) == 1


def test_an_evidence_file_is_read_back_and_its_opening_audited(svc: Services, owner: Actor) -> None:
    cid = add(svc, owner)
    with_file = svc.consent.record(
        owner,
        ConsentInput(
            cid,
            "direct_marketing_consent",
            Channel.POST,
            ConsentStatus.OPT_IN,
            ConsentMethod.SIGNED_PAPER,
            evidence_file=b"scan bytes",
            evidence_file_name="scan.png",
        ),
    )
    without = svc.consent.record(
        owner,
        ConsentInput(
            cid,
            "direct_marketing_consent",
            Channel.PHONE,
            ConsentStatus.OPT_OUT,
            ConsentMethod.VERBAL_PHONE,
        ),
    )
    evidence = svc.consent.evidence_file(owner, with_file)
    assert (evidence.name, evidence.data) == ("scan.png", b"scan bytes")
    assert len(actions(svc, "consent.evidence_open")) == 1
    with pytest.raises(NotFound):
        svc.consent.evidence_file(owner, without)
    with pytest.raises(NotFound):
        svc.consent.evidence_file(owner, 9999)
