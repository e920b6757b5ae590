"""The suppression list checked at data entry (DESIGN "Suppression"; rules 13 and 17)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select

from privacycrm_desktop.domain.consent import Channel, ConsentMethod, ConsentStatus
from privacycrm_desktop.domain.contacts import ContactInput, Relationship
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.domain.suppression import (
    ErasedPersonRefused,
    HashKind,
    SuppressionReason,
    suppression_digest,
)
from privacycrm_desktop.i18n import describe_error
from privacycrm_desktop.persistence.models import AuditEvent, Contact, Suppression
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.marketing_facts import ensure_salt
from privacycrm_desktop.services.registry import Services

SOURCE = SourceInput(SourceKind.PHONE_CALL, "Called us", dt.date(2026, 3, 2))


def person(**changes: object) -> ContactInput:
    values: dict[str, object] = {
        "first_name": "Zoë",
        "last_name": "Lefèvre",
        "emails": ("zoe@example.be",),
        "phones": ("0475 12 34 56",),
        "postcode": "4000",
        "city": "Liège",
        "street": "Rue Haute 1",
        "relationship": Relationship.CUSTOMER,
    }
    values.update(changes)
    return ContactInput(**values)


def forget(svc: Services, kind: HashKind, value: str) -> None:
    """Put a point on the list as an erasure would (no service writes erasures yet)."""
    with svc.uow(write=True) as uow:
        salt = ensure_salt(uow.session)
        uow.session.add(
            Suppression(
                hash_kind=kind.value,
                digest=suppression_digest(salt, kind, value),
                reason=SuppressionReason.ERASURE.value,
                created_at=dt.datetime(2026, 1, 1),
            )
        )


def contacts_in_db(svc: Services) -> int:
    with svc.uow() as uow:
        return len(uow.session.scalars(select(Contact.id)).all())


def test_a_person_who_asked_to_be_forgotten_is_not_entered_again(
    svc: Services, owner: Actor
) -> None:
    forget(svc, HashKind.EMAIL, "ZOE@example.be")
    data = person(emails=(" zoe@EXAMPLE.be ",))
    hit = svc.contacts.suppression_check(owner, data)
    assert hit is not None
    assert hit.reason is SuppressionReason.ERASURE
    assert hit.kind is HashKind.EMAIL
    with pytest.raises(ErasedPersonRefused) as refused:
        svc.contacts.create(owner, data, SOURCE)
    assert contacts_in_db(svc) == 0
    # The message names only what the user typed, in the user's language.
    assert "zoe@example.be" in describe_error(refused.value, "en")
    assert "vergeten" in describe_error(refused.value, "nl")
    assert "oubli" in describe_error(refused.value, "fr")
    # Nor may an existing contact be given the forgotten number.
    forget(svc, HashKind.PHONE, "+32470000001")
    cid = svc.contacts.create(owner, person(emails=("other@example.be",), phones=()), SOURCE)
    version = svc.contacts.get(owner, cid).version
    with pytest.raises(ErasedPersonRefused):
        svc.contacts.update(
            owner,
            cid,
            version,
            person(emails=("other@example.be",), phones=("0470 00 00 01",)),
            SOURCE,
        )
    assert svc.contacts.get(owner, cid).phones == ()


def test_name_and_postcode_of_a_forgotten_person_are_refused_too(
    svc: Services, owner: Actor
) -> None:
    forget(svc, HashKind.NAME_POSTCODE, "Zoe Lefevre|4000")
    with pytest.raises(ErasedPersonRefused):
        svc.contacts.create(owner, person(emails=(), phones=()), SOURCE)
    assert svc.contacts.create(owner, person(emails=(), phones=(), postcode="9000"), SOURCE)


def test_an_unsubscribed_person_entered_again_carries_the_opt_out(
    svc: Services, owner: Actor
) -> None:
    first = svc.contacts.create(owner, person(), SOURCE)
    svc.consent.unsubscribe(owner, first)
    # Entered again under another name, with the same e-mail address: saved, opted out.
    data = person(first_name="Z.", last_name="L.", phones=(), postcode="")
    hit = svc.contacts.suppression_check(owner, data)
    assert hit is not None
    assert hit.reason is SuppressionReason.OBJECTION
    again = svc.contacts.create(owner, data, SOURCE)
    history = svc.consent.history(owner, again)
    assert len(history) == 8  # 2 marketing purposes x 4 channels
    assert all(e.status is ConsentStatus.OPT_OUT for e in history)
    assert all(e.method is ConsentMethod.SUPPRESSION_LIST for e in history)
    assert all(e.evidence == "suppression list" for e in history)
    assert not any(v.allowed for v in svc.consent.channels(owner, again))
    with svc.uow() as uow:
        detail = uow.session.scalars(
            select(AuditEvent.detail).where(
                AuditEvent.action == "contact.create", AuditEvent.entity_id == str(again)
            )
        ).one()
    assert detail == "suppression_opt_outs=8"
    # An opt-in recorded at the same moment loses to the inherited opt-out.
    from privacycrm_desktop.services.consent_dto import ConsentInput

    svc.consent.record(
        owner,
        ConsentInput(
            again,
            "direct_marketing_consent",
            Channel.EMAIL,
            ConsentStatus.OPT_IN,
            ConsentMethod.FORM_BOX_TICKED,
            "web form",
        ),
    )
    assert not {v.channel: v for v in svc.consent.channels(owner, again)}[Channel.EMAIL].allowed


def test_an_existing_contact_given_an_unsubscribed_number_is_opted_out(
    svc: Services, owner: Actor
) -> None:
    first = svc.contacts.create(owner, person(emails=(), street="", postcode=""), SOURCE)
    svc.consent.unsubscribe(owner, first)
    other = svc.contacts.create(
        owner,
        person(first_name="Jan", last_name="Peeters", emails=("jan@example.be",), phones=()),
        SOURCE,
    )
    assert svc.consent.history(owner, other) == []
    data = person(
        first_name="Jan", last_name="Peeters", emails=("jan@example.be",), phones=("+32475123456",)
    )
    hit = svc.contacts.suppression_check(owner, data, other)
    assert hit is not None
    assert hit.reason is SuppressionReason.OBJECTION
    assert hit.value == "+32475123456"
    version = svc.contacts.get(owner, other).version
    svc.contacts.update(owner, other, version, data, SOURCE)
    history = svc.consent.history(owner, other)
    assert len(history) == 8
    assert {e.method for e in history} == {ConsentMethod.SUPPRESSION_LIST}
    # Saving again without a new number adds nothing.
    assert svc.contacts.suppression_check(owner, data, other) is None


def test_no_match_without_a_list(svc: Services, owner: Actor) -> None:
    assert svc.contacts.suppression_check(owner, person()) is None
    cid = svc.contacts.create(owner, person(), SOURCE)
    assert svc.consent.history(owner, cid) == []
    # Invalid input is left to the save's own validation.
    assert svc.contacts.suppression_check(owner, person(emails=("not an address",))) is None


def test_a_forgotten_persons_switchboard_does_not_refuse_a_colleague(
    svc: Services, owner: Actor, tmp_path: Path
) -> None:
    import dataclasses

    from privacycrm_desktop.domain.import_formats import DuplicatePolicy
    from privacycrm_desktop.services.imports import ImportPlan

    # Piet was forgotten: his e-mail address and the office's switchboard are on the list.
    forget(svc, HashKind.EMAIL, "piet@acme.be")
    forget(svc, HashKind.PHONE, "+3225112233")
    karel = person(
        first_name="Karel", last_name="Claes", emails=("karel@acme.be",), phones=("02 511 22 33",)
    )
    assert svc.contacts.suppression_check(owner, karel) is None
    # A record with nothing but that number could be Piet: it is still refused.
    piet = person(first_name="Piet", emails=(), phones=("02 511 22 33",), postcode="")
    hit = svc.contacts.suppression_check(owner, piet)
    assert hit is not None
    assert hit.kind is HashKind.PHONE
    path = tmp_path / "office.csv"
    path.write_text(
        "First name,Last name,Company,E-mail,Phone\n"
        "Karel,Claes,Acme NV,karel@acme.be,02 511 22 33\n"
        ",,Acme NV,info@acme.be,02 511 22 33\n"
        "Piet,,Acme NV,,02 511 22 33\n"
        "P.,,,piet@acme.be,0475 99 88 77\n",
        encoding="utf-8",
    )
    preview = svc.imports.preview(owner, path)
    plan = ImportPlan(
        path, preview.shape, preview.mapping, SOURCE, "customer_relationship", "contract",
        DuplicatePolicy.SKIP,
    )  # fmt: skip
    result = svc.imports.run(owner, dataclasses.replace(plan))
    assert (result.imported, sum(result.skipped.values())) == (2, 2)
