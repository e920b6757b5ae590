"""The editor's duplicate check: the keys of ``domain.duplicates`` found in the database."""

from __future__ import annotations

import datetime as dt

import pytest

from privacycrm_desktop.domain.access import FieldAccess
from privacycrm_desktop.domain.contacts import ContactInput
from privacycrm_desktop.domain.duplicates import MatchKind
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.services.contact_duplicates import EDITOR_KEYS, find_duplicates
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services

SOURCE = SourceInput(SourceKind.PHONE_CALL, "Phone call", dt.date(2025, 1, 2))
STORED = ContactInput(
    first_name="Zoë",
    last_name="Peeters",
    emails=("Zoe@Example.be",),
    phones=("+32475123456",),
    postcode="9000",
)
#: A form sharing only one key with STORED, per key.
FORMS = {
    MatchKind.EMAIL: ContactInput(last_name="Other", emails=("zoe@example.BE",)),
    MatchKind.MOBILE: ContactInput(last_name="Other", phones=("0475/12.34.56",)),
    MatchKind.NAME_POSTCODE: ContactInput(first_name="zoe", last_name="PEETERS", postcode="9000"),
}


def test_every_key_the_editor_warns_about_is_covered() -> None:
    assert set(FORMS) == set(EDITOR_KEYS)


@pytest.mark.parametrize("kind", EDITOR_KEYS)
def test_a_shared_key_finds_the_stored_contact(
    services: Services, owner: Actor, kind: MatchKind
) -> None:
    cid = services.contacts.create(owner, STORED, SOURCE)
    [hit] = services.contacts.duplicates(owner, FORMS[kind])
    assert (hit.contact_id, hit.kind, hit.name) == (cid, kind, "Peeters, Zoë")
    # The contact being edited is not its own duplicate.
    assert services.contacts.duplicates(owner, FORMS[kind], cid) == []


def test_a_landline_half_an_address_or_a_name_elsewhere_finds_nothing(
    services: Services, owner: Actor
) -> None:
    services.contacts.create(owner, STORED, SOURCE)
    services.contacts.create(owner, ContactInput(last_name="Shop", phones=("+3292345678",)), SOURCE)
    form = ContactInput(
        first_name="Zoë",
        last_name="Peeters",
        postcode="1000",
        emails=("zoe@",),
        phones=("09 234 56 78", "04"),
    )
    assert services.contacts.duplicates(owner, form) == []


def test_the_same_name_is_told(services: Services, owner: Actor) -> None:
    services.contacts.create(owner, STORED, SOURCE)
    swapped = ContactInput(first_name="Peeters", last_name="Zoë", emails=("zoe@example.be",))
    [hit] = services.contacts.duplicates(owner, swapped)
    assert hit.same_name
    other = ContactInput(first_name="Jan", last_name="Peeters", emails=("zoe@example.be",))
    [hit] = services.contacts.duplicates(owner, other)
    assert not hit.same_name


def test_a_role_that_may_not_read_names_is_told_no_name(services: Services, owner: Actor) -> None:
    cid = services.contacts.create(owner, STORED, SOURCE)
    access = {"emails": FieldAccess.READ}
    with services.uow() as uow:
        [hit] = find_duplicates(uow.session, access, FORMS[MatchKind.EMAIL])
    assert (hit.contact_id, hit.name) == (cid, "")


def test_a_consent_is_checked_before_any_contact_exists(services: Services, owner: Actor) -> None:
    from privacycrm_desktop.domain.consent import Channel, ConsentMethod, ConsentStatus
    from privacycrm_desktop.domain.errors import ValidationFailed
    from privacycrm_desktop.services.consent_dto import ConsentInput

    data = ConsentInput(
        0, "direct_marketing_consent", Channel.EMAIL, ConsentStatus.OPT_IN, ConsentMethod.SALE
    )
    with pytest.raises(ValidationFailed) as refused:
        services.consent.check(owner, data)
    assert {p.field for p in refused.value.problems} >= {"evidence"}
    services.consent.check(
        owner,
        ConsentInput(
            0,
            "direct_marketing_consent",
            Channel.EMAIL,
            ConsentStatus.OPT_IN,
            ConsentMethod.FORM_BOX_TICKED,
            evidence="ref. 4711",
        ),
    )
