"""Companies and the people linked to them, through the service layer (both back ends)."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from pypdf import PdfReader
from sqlalchemy import Engine, select, text

from privacycrm_desktop.domain.access import FieldAccess, Role, field_access
from privacycrm_desktop.domain.companies import CompanyInput, LegalForm, LinkInput
from privacycrm_desktop.domain.contacts import ContactInput, Relationship
from privacycrm_desktop.domain.erasure import ErasureReason
from privacycrm_desktop.domain.errors import (
    EditConflict,
    NotFound,
    PermissionDenied,
    SourceMissing,
    ValidationFailed,
)
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.persistence.company_models import CompanyLink
from privacycrm_desktop.persistence.models import AuditEvent
from privacycrm_desktop.services.audit import verify_chain
from privacycrm_desktop.services.clock import FixedClock
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services

CARD = SourceInput(SourceKind.BUSINESS_CARD, "Batibouw 2026, stand 12", dt.date(2026, 2, 20))
CALL = SourceInput(SourceKind.PHONE_CALL, "Called about the new office", dt.date(2026, 3, 1))
ACME = CompanyInput(
    name="Brouwerij Zoë NV",
    legal_form=LegalForm.NV,
    vat="0403.170.701",
    street="Kerkstraat 1",
    postcode="9000",
    city="Gent",
    email="info@brouwerij-zoe.be",
    phone="09 223 45 67",
    website="https://brouwerij-zoe.be",
    relationship=Relationship.CUSTOMER,
    notes="Pays on time",
)


def _user(svc: Services, owner: Actor, role: Role) -> Actor:
    name = f"u_{role.value}"
    svc.auth.add_user(owner, name, "a long password 1", role)
    return svc.auth.login(name, "a long password 1")


def _person(svc: Services, owner: Actor, first: str = "Zoë", last: str = "Lefèvre") -> int:
    return svc.contacts.create(owner, ContactInput(first_name=first, last_name=last), CARD)


def _actions(svc: Services) -> list[tuple[str, str, str, str]]:
    with svc.uow() as uow:
        return [
            (e.action, e.entity, e.entity_id, e.detail)
            for e in uow.session.scalars(select(AuditEvent).order_by(AuditEvent.id))
        ]


def test_a_company_is_saved_with_its_number_formatted_and_every_value_sourced(
    svc: Services, owner: Actor
) -> None:
    cid = svc.companies.add(owner, ACME, CARD)
    detail = svc.companies.get(owner, cid)
    assert detail.values.vat == "BE0403170701"
    assert detail.vat_display == "BE 0403.170.701"
    assert detail.values.phone == "+3292234567"
    assert detail.values.legal_form is LegalForm.NV
    for field, source in detail.provenance.items():
        assert source.kind is SourceKind.BUSINESS_CARD, field
    assert ("company.create", "company", str(cid), "") in _actions(svc)


def test_another_eu_vat_number_is_accepted_and_a_wrong_one_refused(
    svc: Services, owner: Actor, engine: Engine
) -> None:
    dutch = CompanyInput(name="Hollandse Handel BV", vat="NL004495445B01", country="NL")
    cid = svc.companies.add(owner, dutch, CARD)
    assert svc.companies.get(owner, cid).vat_display == "NL 004495445B01"
    with pytest.raises(ValidationFailed) as caught:
        svc.companies.add(owner, CompanyInput(name="Fout", vat="BE 0403.170.702"), CARD)
    assert [p.field for p in caught.value.problems] == ["vat"]
    with pytest.raises(ValidationFailed):
        svc.companies.add(owner, CompanyInput(name="  "), CARD)
    with pytest.raises(SourceMissing):
        svc.companies.add(owner, CompanyInput(name="Zonder bron"), None)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM company")).scalar() == 1


def test_a_change_gets_its_own_source_and_a_stale_version_is_a_conflict(
    svc: Services, owner: Actor
) -> None:
    cid = svc.companies.add(owner, ACME, CARD)
    before = svc.companies.get(owner, cid)
    moved = CompanyInput(**{**ACME.__dict__, "street": "Veldstraat 9"})
    after = svc.companies.update(owner, cid, before.version, moved, CALL)
    assert after.values.street == "Veldstraat 9"
    assert after.provenance["street"].kind is SourceKind.PHONE_CALL
    assert after.provenance["name"].kind is SourceKind.BUSINESS_CARD
    assert ("company.update", "company", str(cid), "fields=street") in _actions(svc)
    with pytest.raises(EditConflict):
        svc.companies.update(owner, cid, before.version, ACME, CALL)


def test_list_and_search_by_name_without_accents_or_by_enterprise_number(
    svc: Services, owner: Actor
) -> None:
    acme = svc.companies.add(owner, ACME, CARD)
    svc.companies.add(owner, CompanyInput(name="Bakkerij Peeters"), CARD)
    assert [r.name for r in svc.companies.rows(owner)] == ["Bakkerij Peeters", ACME.name]
    for query in ("zoe", "BROUWERIJ ZOË", "0403170701", "BE 0403.170.701"):
        assert [r.id for r in svc.companies.search(owner, query)] == [acme], query
        assert svc.companies.count(owner, query) == 1, query
    assert svc.companies.search(owner, "100%") == []


def test_people_move_between_companies_and_keep_their_history(
    svc: Services, owner: Actor, clock: FixedClock
) -> None:
    first = svc.companies.add(owner, ACME, CARD)
    second = svc.companies.add(owner, CompanyInput(name="Bakkerij Peeters"), CARD)
    zoe = _person(svc, owner)
    svc.companies.link(
        owner, zoe, first, LinkInput("Aankoper", "Aankoop", dt.date(2025, 1, 6)), CARD
    )
    with pytest.raises(ValidationFailed):
        svc.companies.link(owner, zoe, first, LinkInput("Twice"), CARD)
    clock.advance(dt.timedelta(days=10))
    svc.companies.move(owner, zoe, second, LinkInput("Zaakvoerder"), CALL)
    links = svc.contacts.get(owner, zoe).companies
    assert [(x.company_id, x.function, x.current) for x in links] == [
        (second, "Zaakvoerder", True),
        (first, "Aankoper", False),
    ]
    assert links[1].ended_on == clock.today() - dt.timedelta(days=1)
    assert links[0].source is not None
    assert links[0].source.kind is SourceKind.PHONE_CALL
    people = svc.companies.get(owner, first).people
    assert [(p.contact_id, p.function, p.ended_on is not None) for p in people] == [
        (zoe, "Aankoper", True)
    ]
    svc.companies.unlink(owner, links[0].link_id)
    assert all(not x.current for x in svc.contacts.get(owner, zoe).companies)
    with pytest.raises(ValidationFailed):
        svc.companies.unlink(owner, links[0].link_id)
    actions = [
        a for a in _actions(svc) if a[0] in ("company.link", "company.move", "company.unlink")
    ]
    assert [a[0] for a in actions] == ["company.link", "company.move", "company.unlink"]
    for _action, entity, entity_id, detail in actions:
        assert (entity, entity_id) == ("contact", str(zoe))
        assert "Aankoper" not in detail
        assert "Zaakvoerder" not in detail
    with pytest.raises(NotFound):
        svc.companies.link(owner, zoe, 99_999, LinkInput(), CARD)


def test_every_role_may_do_what_the_matrix_of_the_organisation_allows(
    svc: Services, owner: Actor
) -> None:
    cid = svc.companies.add(owner, ACME, CARD)
    zoe = _person(svc, owner)
    for role in Role:
        actor = owner if role is Role.OWNER else _user(svc, owner, role)
        readable = field_access(role, "organisation") is not FieldAccess.HIDDEN
        writable = svc.companies.may_write(actor)
        assert writable == (
            field_access(role, "organisation") is FieldAccess.WRITE and role is not Role.READ_ONLY
        ), role
        if readable:
            assert svc.companies.get(actor, cid).values.name
        else:
            with pytest.raises(PermissionDenied):
                svc.companies.get(actor, cid)
        name = CompanyInput(name=f"Firma {role.value}")
        if writable:
            svc.companies.add(actor, name, CARD)
        else:
            with pytest.raises(PermissionDenied):
                svc.companies.add(actor, name, CARD)
        may_link = field_access(role, "company_links") is FieldAccess.WRITE and writable
        if may_link:
            link = svc.companies.link(actor, zoe, cid, LinkInput(role.value), CARD)
            svc.companies.unlink(actor, link)
        else:
            with pytest.raises(PermissionDenied):
                svc.companies.link(actor, zoe, cid, LinkInput(role.value), CARD)


def test_a_role_that_sees_company_links_hidden_sees_no_function(
    svc: Services, owner: Actor
) -> None:
    cid = svc.companies.add(owner, ACME, CARD)
    zoe = _person(svc, owner)
    svc.companies.link(owner, zoe, cid, LinkInput("Aankoper"), CARD)
    office = _user(svc, owner, Role.OFFICE)
    svc.access.set_field_access(owner, Role.OFFICE, "company_links", FieldAccess.HIDDEN)
    assert svc.contacts.get(office, zoe).companies == ()
    assert svc.companies.get(office, cid).people == ()
    with pytest.raises(PermissionDenied):
        svc.companies.link(office, zoe, cid, LinkInput(), CARD)


def test_erasure_removes_the_persons_links_and_function_and_keeps_the_company(
    svc: Services, owner: Actor, engine: Engine
) -> None:
    cid = svc.companies.add(owner, ACME, CARD)
    zoe = _person(svc, owner)
    jan = _person(svc, owner, "Jan", "Peeters")
    svc.companies.link(owner, zoe, cid, LinkInput("Qcanaryfunction", "Qcanarydept"), CALL)
    svc.companies.link(owner, jan, cid, LinkInput("Boekhouder"), CARD)
    svc.erasure.erase(owner, zoe, ErasureReason.ERASURE_REQUEST)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT contact_id, function FROM company_link")).all()
        assert [tuple(r) for r in rows] == [(jan, "Boekhouder")]
        # The phone call that only brought Zoë's link went with her.
        assert (
            conn.execute(
                text("SELECT count(*) FROM source WHERE description = :d"), {"d": CALL.description}
            ).scalar()
            == 0
        )
    assert svc.companies.get(owner, cid).values.name == ACME.name
    assert [p.contact_id for p in svc.companies.get(owner, cid).people] == [jan]
    assert verify_chain_ok(svc)


def verify_chain_ok(svc: Services) -> bool:
    with svc.uow() as uow:
        return verify_chain(uow.session) is None


def test_the_access_report_and_its_json_list_the_company_links(svc: Services, owner: Actor) -> None:
    cid = svc.companies.add(owner, ACME, CARD)
    zoe = _person(svc, owner)
    svc.companies.link(owner, zoe, cid, LinkInput("Aankoper", "Aankoop", dt.date(2025, 1, 6)), CALL)
    report = svc.access_reports.produce(owner, zoe, "nl")
    reader = PdfReader(io.BytesIO(report.pdf))
    printed = " ".join(" ".join(page.extract_text() or "" for page in reader.pages).split())
    # In the person's language: "Bedrijf en functie", "functie: Aankoper".
    assert "Bedrijf en functie" in printed
    assert "functie: Aankoper" in printed
    assert ACME.name in printed
    document = json.loads(report.json)
    assert document["company_links"] == [
        {
            "contact_id": zoe,
            "company_id": cid,
            "company": ACME.name,
            "function": "Aankoper",
            "department": "Aankoop",
            "started_on": "2025-01-06",
            "ended_on": None,
        }
    ]
    data = [d for d in document["data"] if d["field"] == "company_links"]
    assert len(data) == 1
    assert "Aankoper" in data[0]["value"]
    assert data[0]["source"]["kind"] == "phone_call"
    assert "Company and function" in svc.access_reports.where_from(owner, zoe, "en")


def test_a_link_missing_a_company_or_person_leaves_nothing(
    svc: Services, owner: Actor, engine: Engine
) -> None:
    zoe = _person(svc, owner)
    with pytest.raises(NotFound):
        svc.companies.link(owner, zoe, 12345, LinkInput("x"), CARD)
    with svc.uow() as uow:
        assert uow.session.scalar(select(CompanyLink.id)) is None


def test_a_company_without_people_or_purpose_is_a_cleanup_candidate(
    svc: Services, owner: Actor
) -> None:
    prospect = svc.companies.add(owner, CompanyInput(name="Prospect BV"), CARD)
    customer = svc.companies.add(
        owner, CompanyInput(name="Klant NV", relationship=Relationship.CUSTOMER), CARD
    )
    staffed = svc.companies.add(owner, CompanyInput(name="Met Mensen"), CARD)
    zoe = _person(svc, owner)
    svc.companies.link(owner, zoe, staffed, LinkInput("Aankoper"), CARD)
    assert svc.companies.cleanup_candidates(owner) == [prospect]
    assert customer not in svc.companies.cleanup_candidates(owner)
    # Her link goes with her erasure; the company is then without people.
    svc.erasure.erase(owner, zoe, ErasureReason.ERASURE_REQUEST)
    assert svc.companies.cleanup_candidates(owner) == [prospect, staffed]
    with pytest.raises(PermissionDenied):
        svc.companies.cleanup_candidates(_user(svc, owner, Role.SALES))
