"""The duplicate finder over the whole database (issue 21), on both back ends."""

from __future__ import annotations

import datetime as dt

import pytest

from privacycrm_desktop.domain.companies import CompanyInput, LinkInput
from privacycrm_desktop.domain.contacts import ContactInput, ContactKind
from privacycrm_desktop.domain.merges import DuplicateGroup, DuplicateRule
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services

CARD = SourceInput(SourceKind.BUSINESS_CARD, "Batibouw 2026", dt.date(2026, 2, 20))


def _add(svc: Services, owner: Actor, first: str, last: str, **values: object) -> int:
    return svc.contacts.create(
        owner, ContactInput(first_name=first, last_name=last, **values), CARD
    )


class Stop(Exception):
    pass


def test_each_rule_finds_its_groups_and_only_those(svc: Services, owner: Actor) -> None:
    same_mail = [
        _add(svc, owner, "Jan", "Peeters", emails=("jan@example.be",)),
        _add(svc, owner, "Johan", "Peeters", emails=("JAN@example.be",)),
    ]
    same_mobile = [
        _add(svc, owner, "An", "Claes", phones=("0475 11 22 33",)),
        _add(svc, owner, "Anna", "Claes", phones=("+32475112233",)),
    ]
    # A shared landline is no person's: not proposed.
    _add(svc, owner, "Piet", "Maes", phones=("09 223 45 67",))
    _add(svc, owner, "Karel", "Maes", phones=("09 223 45 67",))
    same_place = [
        _add(svc, owner, "Els", "Wouters", postcode="9000"),
        _add(svc, owner, "Els", "Wouters", postcode="9000", city="Gent"),
    ]
    _add(svc, owner, "Els", "Wouters", postcode="2000")  # elsewhere: another person
    same_org = [
        _add(svc, owner, "Tom", "Smet", organisation="Brouwerij Zoë"),
        _add(svc, owner, "Tom", "Smet", organisation="Brouwerij Zoë"),
    ]
    company = svc.companies.add(owner, CompanyInput(name="Acme NV"), CARD)
    same_company = [_add(svc, owner, "Lies", "Goossens"), _add(svc, owner, "Lies", "Goossens")]
    for cid in same_company:
        svc.companies.link(owner, cid, company, LinkInput("Boekhouder"), CARD)
    # Organisation addresses (no person's name) of one organisation are no duplicates.
    svc.contacts.create(
        owner,
        ContactInput(
            kind=ContactKind.ORGANISATION_ADDRESS, organisation="Acme NV", postcode="9000"
        ),
        CARD,
    )
    svc.contacts.create(
        owner,
        ContactInput(
            kind=ContactKind.ORGANISATION_ADDRESS, organisation="Acme NV", postcode="9000"
        ),
        CARD,
    )

    def group(ids: list[int], rule: DuplicateRule) -> DuplicateGroup:
        return DuplicateGroup(tuple(sorted(ids)), (rule,))

    assert svc.duplicates.find(owner) == [
        group(same_mail, DuplicateRule.EMAIL),
        group(same_mobile, DuplicateRule.MOBILE),
        group(same_place, DuplicateRule.NAME_POSTCODE),
        group(same_org, DuplicateRule.NAME_COMPANY),
        group(same_company, DuplicateRule.NAME_COMPANY),
    ]
    assert svc.duplicates.find(owner, [DuplicateRule.EMAIL]) == [
        group(same_mail, DuplicateRule.EMAIL)
    ]
    svc.duplicates.set_rules(owner, [DuplicateRule.MOBILE])
    assert svc.duplicates.find(owner) == [group(same_mobile, DuplicateRule.MOBILE)]


def test_keys_shared_by_two_rules_make_one_group(svc: Services, owner: Actor) -> None:
    a = _add(svc, owner, "Jan", "Peeters", emails=("jan@example.be",), postcode="9000")
    b = _add(svc, owner, "Jan", "Peeters", emails=("jan@example.be",), postcode="9000")
    c = _add(svc, owner, "J", "Peeters", emails=("x@example.be",), phones=("0475 11 22 33",))
    d = _add(svc, owner, "Jan", "Peeters", postcode="9000", phones=("0475 11 22 33",))
    (only,) = svc.duplicates.find(owner)
    assert only.contact_ids == tuple(sorted((a, b, c, d)))
    assert set(only.rules) == {
        DuplicateRule.EMAIL,
        DuplicateRule.MOBILE,
        DuplicateRule.NAME_POSTCODE,
    }


def test_progress_is_told_and_a_cancel_stops_the_search(svc: Services, owner: Actor) -> None:
    _add(svc, owner, "Jan", "Peeters", emails=("jan@example.be",))
    _add(svc, owner, "Jan", "Peeters", emails=("jan@example.be",))
    seen: list[tuple[int, int]] = []
    svc.duplicates.find(owner, progress=lambda done, total: seen.append((done, total)))
    assert seen[0][0] == 0
    assert seen[-1][0] == seen[-1][1] > 1

    def cancel(done: int, total: int) -> None:
        if done >= 1:
            raise Stop

    with pytest.raises(Stop):
        svc.duplicates.find(owner, progress=cancel)


def test_a_contact_holding_a_key_twice_is_no_group_alone(svc: Services, owner: Actor) -> None:
    # The keys are found by their smallest and largest contact (PostgreSQL): one contact
    # holding the same address twice (in two cases) shares it with nobody until another
    # contact has it too.
    one = _add(svc, owner, "Jan", "Peeters", emails=("jan@example.be", "JAN@example.be"))
    assert svc.duplicates.find(owner) == []
    other = _add(svc, owner, "Johan", "Maes", emails=("Jan@Example.be",))
    assert svc.duplicates.find(owner) == [
        DuplicateGroup(tuple(sorted((one, other))), (DuplicateRule.EMAIL,))
    ]
