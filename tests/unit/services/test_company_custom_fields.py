"""Custom fields on companies through the service layer (issue 21): values with their
source, changed with a new source, never a contact's field on a company (nor the other way
round), and the reading of a restricted one audited by field name."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from privacycrm_desktop.domain.access import Role
from privacycrm_desktop.domain.companies import CompanyInput
from privacycrm_desktop.domain.contacts import ContactInput
from privacycrm_desktop.domain.custom_fields import CustomFieldDefinition, CustomKind, CustomTarget
from privacycrm_desktop.domain.errors import SourceMissing, ValidationFailed
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.persistence.models import AuditEvent
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services

CARD = SourceInput(SourceKind.BUSINESS_CARD, "Trade fair", dt.date(2026, 2, 20))
CALL = SourceInput(SourceKind.PHONE_CALL, "Called back", dt.date(2026, 3, 1))


def _define(svc: Services, owner: Actor) -> None:
    company = CustomTarget.COMPANY
    for definition in (
        CustomFieldDefinition("sector", "Sector", CustomKind.TEXT, on=company),
        CustomFieldDefinition("credit", "Credit", CustomKind.NUMBER, restricted=True, on=company),
        CustomFieldDefinition("hobby", "Hobby", CustomKind.TEXT),
    ):
        svc.custom_fields.define(owner, definition)


def _events(svc: Services, action: str) -> list[tuple[str, str, str]]:
    with svc.uow() as uow:
        rows = uow.session.execute(
            select(AuditEvent.actor, AuditEvent.entity_id, AuditEvent.detail)
            .where(AuditEvent.action == action)
            .order_by(AuditEvent.id)
        ).tuples()
        return [(str(a), str(e), str(d)) for a, e, d in rows]


def test_company_values_keep_their_source_and_stay_apart_from_contacts(
    svc: Services, owner: Actor
) -> None:
    _define(svc, owner)
    cid = svc.companies.add(owner, CompanyInput(name="Acme NV"), CARD, {"credit": "12 500,5"})
    detail = svc.companies.get(owner, cid)
    (credit,) = detail.custom
    assert (credit.key, credit.value) == ("credit", "12500.5")
    assert credit.source is not None
    assert credit.source.description == "Trade fair"
    # A changed value gets the new source; an unchanged one keeps its own.
    saved = svc.companies.update(
        owner, cid, detail.version, detail.values, CALL, {"sector": "Food"}
    )
    sources = {c.key: c.source.description for c in saved.custom if c.source}
    assert sources == {"sector": "Called back", "credit": "Trade fair"}
    assert saved.version == detail.version + 1
    # Nothing changed: no source needed; a change needs one.
    svc.companies.update(owner, cid, saved.version, saved.values, None, {"sector": "Food"})
    with pytest.raises(SourceMissing):
        svc.companies.update(owner, cid, saved.version, saved.values, None, {"sector": "Bars"})
    # A contact's field is no company's, and a company's no contact's.
    with pytest.raises(ValidationFailed):
        svc.companies.add(owner, CompanyInput(name="B"), CARD, {"hobby": "chess"})
    with pytest.raises(ValidationFailed):
        svc.contacts.create(owner, ContactInput(last_name="X", extra={"sector": "x"}), CARD)
    assert [d.key for d in svc.companies.custom_fields(owner)] == ["sector", "credit"]
    assert [d.key for d in svc.contacts.custom_fields(owner)] == ["hobby"]
    # The audit names the fields written, never a value.
    (create,) = _events(svc, "company.create")
    assert create[2] == "fields=cf_credit"


def test_reading_a_restricted_company_value_is_audited_by_field_name(
    svc: Services, owner: Actor
) -> None:
    _define(svc, owner)
    svc.auth.add_user(owner, "sales", "a long password 1", Role.SALES)
    sales = svc.auth.login("sales", "a long password 1")
    cid = svc.companies.add(owner, CompanyInput(name="Acme NV"), CARD, {"sector": "Food"})
    svc.companies.get(owner, cid)
    assert _events(svc, "company.read_restricted") == []  # no restricted value yet
    version = svc.companies.get(owner, cid).version
    svc.companies.update(owner, cid, version, CompanyInput(name="Acme NV"), CALL, {"credit": "9"})
    svc.companies.get(owner, cid)
    svc.companies.get(sales, cid)  # sales does not see it: nothing read, nothing noted
    assert [c.key for c in svc.companies.get(sales, cid).custom] == ["sector"]
    # The update's answer shows it (once), the owner's card again; sales never.
    assert _events(svc, "company.read_restricted") == [("owner", str(cid), "fields=cf_credit")] * 2


def test_the_card_leaves_restricted_values_unread_as_the_contact_card(
    svc: Services, owner: Actor
) -> None:
    """The card's read hides the restricted fields for every role, as
    ``ContactService.card`` does (``access.card_access``): not read, so nothing audited;
    ``get`` (the editor's read) still gives them, audited."""
    _define(svc, owner)
    cid = svc.companies.add(owner, CompanyInput(name="Acme NV"), CARD, {"credit": "9"})
    before = _events(svc, "company.read_restricted")
    card = svc.companies.card(owner, cid)
    assert card.custom == ()
    assert card.values.name == "Acme NV"
    assert _events(svc, "company.read_restricted") == before
    assert [c.key for c in svc.companies.get(owner, cid).custom] == ["credit"]
    assert _events(svc, "company.read_restricted") == [
        *before,
        ("owner", str(cid), "fields=cf_credit"),
    ]
