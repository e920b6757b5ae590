"""Tags on companies through the services, on SQLite and PostgreSQL: on and off a company,
shown on its card and in the list, the list filtered by one, a merge or delete of the tag
follows, the field matrix holds, and the audit names ids only."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, text

from privacycrm_desktop.domain.access import FieldAccess, Role, mask
from privacycrm_desktop.domain.audit_actions import ACTION_LABELS, AuditAction
from privacycrm_desktop.domain.companies import CompanyInput
from privacycrm_desktop.domain.errors import NotFound, PermissionDenied
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services

CARD = SourceInput(SourceKind.BUSINESS_CARD, "Batibouw 2026", dt.date(2026, 2, 20))
NAMES = ("Brouwerij Zoë NV", "Bakkerij Peeters", "Drukkerij Janssens", "Garage Maes")


def _companies(svc: Services, owner: Actor) -> list[int]:
    return [svc.companies.add(owner, CompanyInput(name=n), CARD) for n in NAMES]


def _user(svc: Services, owner: Actor, name: str, role: Role) -> Actor:
    svc.auth.add_user(owner, name, f"{name} has a good password", role)
    return svc.auth.login(name, f"{name} has a good password")


def _tag_names(svc: Services, actor: Actor, company_id: int) -> list[str]:
    return [t.name for t in svc.companies.get(actor, company_id).tags]


def test_a_tag_goes_on_and_off_a_company_and_shows_on_its_card_and_row(
    svc: Services, owner: Actor, engine: Engine
) -> None:
    ids = _companies(svc, owner)
    vip, gained = svc.tags.tag_company(owner, "VIP", ids[0], colour="#d62728")
    assert gained == 1
    assert svc.tags.tag_company(owner, "vip", ids[0]) == (vip, 0)  # the same tag, once
    svc.tags.tag_company(owner, "Leverancier", ids[0])
    svc.tags.tag_company(owner, "Leverancier", ids[2])
    assert _tag_names(svc, owner, ids[0]) == ["Leverancier", "VIP"]
    assert [t.colour for t in svc.companies.get(owner, ids[0]).tags][1] == "#d62728"
    rows = {r.id: [t.name for t in r.tags] for r in svc.companies.rows(owner)}
    assert rows == {ids[0]: ["Leverancier", "VIP"], ids[1]: [], ids[2]: ["Leverancier"], ids[3]: []}
    assert [t.name for t in svc.tags.company_tags(owner, ids[2])] == ["Leverancier"]
    assert svc.tags.untag_company(owner, vip, ids[0])
    assert not svc.tags.untag_company(owner, vip, ids[0])
    assert _tag_names(svc, owner, ids[0]) == ["Leverancier"]
    # No contact carries a company's tag.
    assert {t.name: t.contacts for t in svc.tags.list(owner)} == {"Leverancier": 0, "VIP": 0}
    with pytest.raises(NotFound):
        svc.tags.tag_company(owner, "VIP", 9999)
    with engine.connect() as conn:
        events = conn.execute(
            text(
                "SELECT action, entity, entity_id, detail FROM audit_event "
                "WHERE action LIKE 'tag.%company' ORDER BY id"
            )
        ).all()
    assert [e[0] for e in events] == [
        "tag.assign_company",
        "tag.assign_company",
        "tag.assign_company",
        "tag.assign_company",
        "tag.unassign_company",
        "tag.unassign_company",
    ]
    assert {(e[1], int(e[2])) for e in events} == {("company", ids[0]), ("company", ids[2])}
    for action in {e[0] for e in events}:
        assert AuditAction(action) in ACTION_LABELS
    for event in events:
        assert not any(name in str(event[3]) for name in ("VIP", "Leverancier", *NAMES))


def test_the_company_list_filters_by_a_tag_with_the_search(svc: Services, owner: Actor) -> None:
    ids = _companies(svc, owner)
    supplier, _gained = svc.tags.tag_company(owner, "Leverancier", ids[0])
    for company in ids[1:3]:
        svc.tags.tag_company(owner, "Leverancier", company)
    tagged = {c for c in ids if "Leverancier" in _tag_names(svc, owner, c)}
    assert svc.companies.count(owner, tag=supplier) == len(tagged)
    assert {r.id for r in svc.companies.rows(owner, tag=supplier)} == tagged
    found = {r.id for r in svc.companies.rows(owner, "erij")}
    assert {r.id for r in svc.companies.rows(owner, "erij", tag=supplier)} == found & tagged
    assert svc.companies.count(owner, "erij", tag=supplier) == len(found & tagged)


def test_merging_or_deleting_a_tag_follows_on_companies(svc: Services, owner: Actor) -> None:
    ids = _companies(svc, owner)
    old, _g = svc.tags.tag_company(owner, "Klant oud", ids[0])
    svc.tags.tag_company(owner, "Klant oud", ids[1])
    new, _g = svc.tags.tag_company(owner, "Klant", ids[1])
    svc.tags.merge(owner, old, new)
    assert _tag_names(svc, owner, ids[0]) == ["Klant"]
    assert _tag_names(svc, owner, ids[1]) == ["Klant"]
    svc.tags.delete(owner, new)
    assert all(_tag_names(svc, owner, c) == [] for c in ids)


@pytest.mark.parametrize("level", [FieldAccess.HIDDEN, FieldAccess.MASKED, FieldAccess.READ])
def test_a_company_s_tags_follow_the_field_matrix(
    svc: Services, owner: Actor, level: FieldAccess
) -> None:
    ids = _companies(svc, owner)
    vip, _g = svc.tags.tag_company(owner, "Strategisch", ids[0])
    svc.access.set_field_access(owner, Role.SALES, "tags", level)
    sam = _user(svc, owner, "sam", Role.SALES)
    expected = {
        FieldAccess.HIDDEN: [],
        FieldAccess.MASKED: [mask("Strategisch")],
        FieldAccess.READ: ["Strategisch"],
    }[level]
    assert _tag_names(svc, sam, ids[0]) == expected
    row = next(r for r in svc.companies.rows(sam) if r.id == ids[0])
    assert [t.name for t in row.tags] == expected
    if level is FieldAccess.READ:
        assert svc.companies.count(sam, tag=vip) == 1
    else:
        with pytest.raises(PermissionDenied):
            svc.companies.rows(sam, tag=vip)
        assert svc.tags.company_tags(sam, ids[0]) == ()
    # Only a role writing the tags puts them on companies.
    with pytest.raises(PermissionDenied):
        svc.tags.tag_company(sam, "Strategisch", ids[1])
    with pytest.raises(PermissionDenied):
        svc.tags.untag_company(sam, vip, ids[0])
