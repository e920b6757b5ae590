"""The timeline names who took part in an interaction and, on a person's timeline, whose
interaction (a person's or a company's) it is, as the role may read names (on SQLite and
PostgreSQL); the company card's people show an organisation-only contact as the main list
does."""

from __future__ import annotations

import datetime as dt

from privacycrm_desktop.domain.access import FieldAccess, Role
from privacycrm_desktop.domain.activities import ActivityInput, ActivityKind
from privacycrm_desktop.domain.companies import CompanyInput, LinkInput
from privacycrm_desktop.domain.contacts import ContactInput, ContactKind, display_name
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services

CARD = SourceInput(SourceKind.BUSINESS_CARD, "Batibouw 2026", dt.date(2026, 2, 20))
PEOPLE = (("Zoë", "Lefèvre", ""), ("Jan", "Peeters", ""), ("", "", "Qorgcanary Info"))


def _world(svc: Services, owner: Actor) -> tuple[int, list[int]]:
    company = svc.companies.add(owner, CompanyInput(name="Brouwerij Zoë NV"), CARD)
    people = [
        svc.contacts.create(
            owner,
            ContactInput(
                first_name=f,
                last_name=last,
                organisation=o,
                kind=ContactKind.ORGANISATION_ADDRESS if o else ContactKind.PERSON,
            ),
            CARD,
        )
        for f, last, o in PEOPLE
    ]
    return company, people


def test_the_people_who_took_part_and_the_owner_are_named(svc: Services, owner: Actor) -> None:
    company, people = _world(svc, owner)
    zoe = people[0]
    svc.activities.add_to_company(
        owner, company, ActivityInput(ActivityKind.VISIT, "Plant visit", people=tuple(people))
    )
    svc.activities.add(
        owner, zoe, ActivityInput(ActivityKind.CALL, "Zoë's call", people=(people[1],))
    )
    expected = {display_name(f, last, o) for f, last, o in PEOPLE}
    [row] = svc.activities.timeline(owner, company_id=company)
    assert set(zip(row.people, row.people_names, strict=True)) == {
        (cid, display_name(*PEOPLE[i])) for i, cid in enumerate(people)
    }
    assert set(row.people_names) == expected
    assert row.owner_name == ""  # the company's own timeline
    assert set(svc.activities.one(owner, row.id).people_names) == expected
    # On Jan's timeline: the company's visit and Zoë's call, each named by its owner.
    jan = svc.activities.timeline(owner, people[1])
    assert {(r.summary, r.linked, r.owner_name) for r in jan} == {
        ("Plant visit", True, "Brouwerij Zoë NV"),
        ("Zoë's call", True, display_name("Zoë", "Lefèvre")),
    }
    # On Zoë's own timeline her call names no owner, only who else took part.
    own = next(r for r in svc.activities.timeline(owner, zoe) if not r.linked)
    assert (own.owner_name, own.people_names) == ("", (display_name("Jan", "Peeters"),))


def test_names_follow_the_field_matrix(svc: Services, owner: Actor) -> None:
    company, people = _world(svc, owner)
    svc.activities.add_to_company(
        owner, company, ActivityInput(ActivityKind.VISIT, "Plant visit", people=tuple(people))
    )
    svc.auth.add_user(owner, "reader", "reader has a good password", Role.READ_ONLY)
    reader = svc.auth.login("reader", "reader has a good password")
    for field in ("first_name", "last_name", "organisation"):
        svc.access.set_field_access(owner, Role.READ_ONLY, field, FieldAccess.HIDDEN)
    [row] = svc.activities.timeline(reader, company_id=company)
    assert len(row.people) == len(PEOPLE)
    assert row.people_names == ("",) * len(PEOPLE)  # counted, never named
    jan = svc.activities.timeline(reader, people[1])
    assert [r.owner_name for r in jan] == [""]
    svc.access.set_field_access(owner, Role.READ_ONLY, "last_name", FieldAccess.MASKED)
    [row] = svc.activities.timeline(reader, company_id=company)
    shown = [n for n in row.people_names if n]
    assert len(shown) == 2
    assert not any(last in n for n in shown for _f, last, _o in PEOPLE if last)


def test_company_people_name_an_organisation_only_contact(svc: Services, owner: Actor) -> None:
    company, people = _world(svc, owner)
    for cid in people:
        svc.companies.link(owner, cid, company, LinkInput(function="Buyer"), CARD)
    detail = svc.companies.get(owner, company)
    assert sorted(p.name for p in detail.people) == sorted(
        " ".join(x for x in (f, last) if x) or o for f, last, o in PEOPLE
    )
    assert all(p.name for p in detail.people)
