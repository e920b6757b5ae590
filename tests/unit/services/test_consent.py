"""Consent with proof, unsubscribe, statements, purposes, disclosures, special categories."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from privacycrm_desktop.domain.access import Role
from privacycrm_desktop.domain.consent import Channel, ConsentMethod, ConsentStatus
from privacycrm_desktop.domain.contacts import ContactInput, Relationship
from privacycrm_desktop.domain.errors import NotFound, PermissionDenied, ValidationFailed
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.domain.special_categories import SpecialCategory
from privacycrm_desktop.i18n import describe_explanation
from privacycrm_desktop.persistence.models import AuditEvent, ConsentEvent, Setting, Suppression
from privacycrm_desktop.services.clock import FixedClock
from privacycrm_desktop.services.consent_dto import ConsentInput
from privacycrm_desktop.services.disclosures import (
    DisclosureInput,
    SpecialCategoryLocked,
    TransferRefused,
)
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services

NEWSLETTER = "direct_marketing_consent"
SOFT = "direct_marketing_soft_opt_in"


def add_contact(svc: Services, owner: Actor, **changes: object) -> int:
    values: dict[str, object] = {
        "first_name": "Zoë",
        "last_name": "Lefèvre",
        "emails": ("zoe@example.be",),
        "phones": ("0475 12 34 56",),
        "street": "Rue Haute 1",
        "postcode": "4000",
        "city": "Liège",
        "relationship": Relationship.CUSTOMER,
    }
    values.update(changes)
    source = SourceInput(SourceKind.SALE, "Invoice 2026-17", dt.date(2026, 3, 1))
    return svc.contacts.create(owner, ContactInput(**values), source)


def opt_in(contact_id: int, channel: Channel = Channel.EMAIL, **changes: object) -> ConsentInput:
    values: dict[str, object] = {
        "contact_id": contact_id,
        "purpose": NEWSLETTER,
        "channel": channel,
        "status": ConsentStatus.OPT_IN,
        "method": ConsentMethod.FORM_BOX_TICKED,
        "evidence": "web form ref. 4711",
    }
    values.update(changes)
    return ConsentInput(**values)


def count(svc: Services, model: type, *where: object) -> int:
    with svc.uow() as uow:
        return int(
            uow.session.execute(select(func.count()).select_from(model).where(*where)).scalar()
        )


def test_an_opt_in_needs_evidence_and_an_explicit_act(svc: Services, owner: Actor) -> None:
    cid = add_contact(svc, owner)
    with pytest.raises(ValidationFailed) as caught:
        svc.consent.record(owner, opt_in(cid, evidence="", method=ConsentMethod.SALE))
    assert {p.field for p in caught.value.problems} == {"evidence", "method"}
    with pytest.raises(ValidationFailed) as caught:
        svc.consent.record(owner, opt_in(cid, purpose="nonsense"))
    assert [p.field for p in caught.value.problems] == ["purpose"]
    with pytest.raises(ValidationFailed):
        svc.consent.record(owner, opt_in(cid, statement_version=99))
    with pytest.raises(ValidationFailed):
        svc.consent.record(owner, opt_in(cid, expires_on=dt.date(2026, 3, 1)))
    with pytest.raises(NotFound):
        svc.consent.record(owner, opt_in(9999))
    assert count(svc, ConsentEvent) == 0


def test_soft_opt_in_needs_a_category_and_the_opt_out_offered(svc: Services, owner: Actor) -> None:
    cid = add_contact(svc, owner)
    soft = opt_in(cid, purpose=SOFT, status=ConsentStatus.SOFT_OPT_IN, method=ConsentMethod.SALE)
    with pytest.raises(ValidationFailed) as caught:
        svc.consent.record(owner, soft)
    assert {p.field for p in caught.value.problems} == {"category", "opt_out_offered"}
    with pytest.raises(ValidationFailed) as caught:
        svc.consent.record(
            owner,
            opt_in(
                cid,
                status=ConsentStatus.SOFT_OPT_IN,
                product_category="coffee",
                opt_out_offered=True,
            ),
        )
    assert [p.field for p in caught.value.problems] == ["status"]


def test_history_is_append_only_and_points_at_the_statement(
    svc: Services, owner: Actor, clock: FixedClock
) -> None:
    cid = add_contact(svc, owner)
    first = svc.consent.record(owner, opt_in(cid))
    clock.advance(dt.timedelta(days=1))
    second = svc.consent.record(
        owner,
        opt_in(cid, status=ConsentStatus.OPT_OUT, method=ConsentMethod.VERBAL_PHONE, evidence=""),
    )
    history = svc.consent.history(owner, cid)
    assert [e.id for e in history] == [second, first]
    assert history[1].statement_version == 1
    assert history[1].recorded_by == "owner"
    assert history[0].statement_version is None
    with svc.uow() as uow:
        row = uow.session.get(ConsentEvent, first)
        assert row is not None
        assert len(row.contact_point_hash) == 64
        assert "zoe" not in row.contact_point_hash
    verdicts = {v.channel: v for v in svc.consent.channels(owner, cid)}
    assert not verdicts[Channel.EMAIL].allowed
    assert describe_explanation(verdicts[Channel.EMAIL].explanation, "en") == (
        "No e-mail marketing: opted out by phone on 3 March 2026."
    )
    assert "3 maart 2026" in describe_explanation(verdicts[Channel.EMAIL].explanation, "nl")
    assert count(svc, AuditEvent, AuditEvent.action == "consent.record") == 2


def test_unsubscribe_is_one_step_for_every_channel_and_survives_erasure(
    svc: Services, owner: Actor
) -> None:
    cid = add_contact(svc, owner)
    svc.consent.record(owner, opt_in(cid))
    svc.consent.record(owner, opt_in(cid, Channel.PHONE, method=ConsentMethod.VERBAL_PHONE))
    assert svc.consent.unsubscribe(owner, cid) == 8  # 2 marketing purposes x 4 channels
    assert not any(v.allowed for v in svc.consent.channels(owner, cid))
    # E-mail, phone, name + postcode, hashed with the database's own secret.
    assert count(svc, Suppression) == 3
    with svc.uow() as uow:
        salt = uow.session.get(Setting, "suppression.salt")
        assert salt is not None
        assert len(salt.value) == 64
        digests = list(uow.session.scalars(select(Suppression.digest)))
    assert all("zoe" not in d and "+32" not in d for d in digests)
    assert count(svc, AuditEvent, AuditEvent.action == "consent.unsubscribe_all") == 1
    # The same person entered again (another record, same address): still suppressed.
    again = add_contact(svc, owner, phones=())
    svc.consent.record(owner, opt_in(again))
    email = {v.channel: v for v in svc.consent.channels(owner, again)}[Channel.EMAIL]
    assert not email.allowed
    assert svc.consent.unsubscribe(owner, again) == 8
    assert count(svc, Suppression) == 3  # nothing new: the digests were known


def test_roles_without_consent_rights_are_refused(svc: Services, owner: Actor) -> None:
    cid = add_contact(svc, owner)
    svc.auth.add_user(owner, "reader", "reader password 1", Role.READ_ONLY)
    reader = svc.auth.login("reader", "reader password 1")
    with pytest.raises(PermissionDenied):
        svc.consent.record(reader, opt_in(cid))
    with pytest.raises(PermissionDenied):
        svc.consent.unsubscribe(reader, cid)


def test_statements_are_versioned_per_language(svc: Services, owner: Actor) -> None:
    nl = svc.statements.current("nl")
    assert nl.version == 1
    assert "Privacyverklaring" in nl.text
    assert svc.statements.current("de").language == "en"
    assert svc.statements.publish(owner, "nl", "# Nieuwe tekst\n\nKort.") == 2
    assert [s.version for s in svc.statements.versions("nl")] == [2, 1]
    assert svc.statements.current("fr").version == 1
    with pytest.raises(ValidationFailed):
        svc.statements.publish(owner, "nl", "   ")


def test_the_owner_edits_a_purpose_and_its_similar_categories(svc: Services, owner: Actor) -> None:
    soft = next(p for p in svc.statements.purposes(owner) if p.code == SOFT)
    edited = svc.statements.update_purpose(
        owner,
        soft.__class__(
            **{**soft.__dict__, "retention_months": 24, "similar_categories": (("coffee", "tea"),)}
        ),
    )
    assert edited.retention_months == 24
    assert edited.similar_categories == (("coffee", "tea"),)
    with pytest.raises(ValidationFailed):
        svc.statements.update_purpose(
            owner, soft.__class__(**{**soft.__dict__, "retention_months": -1})
        )


def test_a_transfer_for_another_company_s_own_use_is_refused(svc: Services, owner: Actor) -> None:
    cid = add_contact(svc, owner)
    disclosure = DisclosureInput(
        cid,
        "Sister company NV",
        "customer_relationship",
        ("contact",),
        dt.date(2026, 3, 2),
        own_marketing=True,
    )
    with pytest.raises(TransferRefused):
        svc.disclosures.record(owner, disclosure)
    assert count(svc, AuditEvent, AuditEvent.action == "transfer.refused") == 1
    ok = DisclosureInput(
        cid,
        "Accountant BV",
        "invoicing",
        ("identity", "address"),
        dt.date(2026, 3, 2),
        dt.date(2026, 3, 2),
    )
    assert svc.disclosures.record(owner, ok) > 0
    # Once known as a company using data for its own marketing, it stays refused.
    with pytest.raises(TransferRefused):
        svc.disclosures.record(
            owner, DisclosureInput(cid, "Sister company NV", "invoicing", (), dt.date(2026, 3, 2))
        )


def test_special_categories_need_written_consent(svc: Services, owner: Actor) -> None:
    cid = add_contact(svc, owner)
    source = SourceInput(SourceKind.PHONE_CALL, "Customer told us", dt.date(2026, 3, 2))
    with pytest.raises(SpecialCategoryLocked):
        svc.disclosures.record_special(owner, cid, SpecialCategory.HEALTH, "diabetic", source)
    with pytest.raises(ValidationFailed):
        svc.disclosures.record_special_consent(
            owner, cid, SpecialCategory.HEALTH, ConsentMethod.VERBAL_PHONE, "call"
        )
    svc.disclosures.record_special_consent(
        owner, cid, SpecialCategory.HEALTH, ConsentMethod.SIGNED_PAPER, "form scanned, ref 12"
    )
    assert svc.disclosures.record_special(owner, cid, SpecialCategory.HEALTH, "diabetic", source)
    # Consent for one category does not open another.
    with pytest.raises(SpecialCategoryLocked):
        svc.disclosures.record_special(owner, cid, SpecialCategory.RELIGION, "x", source)
    hits = svc.disclosures.scan_text("Suikerzieke klant, lid van het ABVV; va à la mosquée")
    assert {h.category for h in hits} == {
        SpecialCategory.HEALTH,
        SpecialCategory.TRADE_UNION,
        SpecialCategory.RELIGION,
    }
