"""Finding and merging duplicate companies, and undoing a merge (issue 21), on both back
ends."""

from __future__ import annotations

import datetime as dt
import importlib
import pkgutil
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, select, text

import privacycrm_desktop.persistence as persistence_package
from privacycrm_desktop.domain.access import Role
from privacycrm_desktop.domain.activities import ActivityInput, ActivityKind
from privacycrm_desktop.domain.companies import CompanyInput, LinkInput
from privacycrm_desktop.domain.company_merges import CompanyRule
from privacycrm_desktop.domain.contacts import ContactInput
from privacycrm_desktop.domain.erasure import ErasureReason
from privacycrm_desktop.domain.errors import NotFound, PermissionDenied
from privacycrm_desktop.domain.merges import MergeRefused
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.domain.tasks import TaskDraft
from privacycrm_desktop.persistence.merge_rows import load_all_tables
from privacycrm_desktop.persistence.models import Base
from privacycrm_desktop.services.company_merge_rows import COMPANY_MERGE_RULES, company_references
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.merge_moves import ref_name
from privacycrm_desktop.services.registry import Services

CARD = SourceInput(SourceKind.BUSINESS_CARD, "Batibouw 2026, stand 12", dt.date(2026, 2, 20))
CALL = SourceInput(SourceKind.PHONE_CALL, "Called about the offer", dt.date(2026, 3, 1))


def test_every_table_referring_to_companies_has_a_merge_rule() -> None:
    """A table added later with a foreign key to the company fails here until the merge
    says what to do with its rows (services/company_merge_rows.py)."""
    for info in pkgutil.walk_packages(
        persistence_package.__path__, persistence_package.__name__ + "."
    ):
        if ".migrations" not in info.name:
            importlib.import_module(info.name)
    load_all_tables()
    found = {ref_name(table, column) for table, column in company_references()}
    assert len(found) >= 5
    assert found == set(COMPANY_MERGE_RULES)


def dump(conn: Connection, ids: list[int]) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the companies and of every table referring to them (from the schema),
    with the sources they name; the version counter left out."""
    company = Base.metadata.tables["company"]
    rows = conn.execute(select(company).where(company.c.id.in_(ids))).mappings().all()
    out = {"company": sorted(tuple(v for k, v in r.items() if k != "version") for r in rows)}
    sources: set[int] = {r["source_id"] for r in rows}
    for table, column in company_references():
        found = conn.execute(select(table).where(column.in_(ids))).mappings().all()
        out[ref_name(table, column)] = sorted((tuple(r.values()) for r in found), key=repr)
        for fk in table.foreign_keys:
            if fk.column.table.name == "source":
                sources.update(r[fk.parent.name] for r in found if r[fk.parent.name] is not None)
    source = Base.metadata.tables["source"]
    out["source"] = sorted(
        tuple(r) for r in conn.execute(select(source).where(source.c.id.in_(sorted(sources))))
    )
    return out


def _two_of_one_company(svc: Services, owner: Actor) -> tuple[int, int, int]:
    """Two records of one firm (same number), each with people, tags, an interaction and
    a task; a person with a current place at both. Returns (keep, other, that person)."""
    keep = svc.companies.add(
        owner, CompanyInput(name="Brouwerij Zoë", vat="BE0403170701", city="Gent"), CARD
    )
    other = svc.companies.add(
        owner,
        CompanyInput(
            name="Brouwerij Zoe NV",
            vat="BE 0403.170.701",
            postcode="9000",
            city="Gent",
            email="info@zoe.be",
            website="https://zoe.be",
        ),
        CALL,
    )
    both = svc.contacts.create(owner, ContactInput(first_name="An", last_name="Peeters"), CARD)
    past = svc.contacts.create(owner, ContactInput(first_name="Bo", last_name="Maes"), CARD)
    svc.companies.link(owner, both, keep, LinkInput("Buyer", "Purchasing"), CARD)
    svc.companies.link(owner, both, other, LinkInput("Manager", "Board"), CALL)
    svc.companies.link(owner, past, other, LinkInput("Driver", "Logistics"), CALL)
    svc.companies.unlink(owner, svc.companies.links_of(owner, past)[0].link_id)
    svc.tags.tag_company(owner, "brewery", keep)
    svc.tags.tag_company(owner, "brewery", other)
    svc.tags.tag_company(owner, "gent", other)
    svc.activities.add_to_company(owner, other, ActivityInput(ActivityKind.CALL, "Offer"))
    svc.tasks.add(owner, TaskDraft(title="Send the offer", company_id=other))
    return keep, other, both


def test_the_finder_groups_companies_by_number_name_and_postcode_and_mail_domain(
    svc: Services, owner: Actor
) -> None:
    keep, other, _ = _two_of_one_company(svc, owner)
    add = svc.companies.add
    by_place = [
        add(owner, CompanyInput(name="Bakkerij Peeters", postcode="2000"), CARD),
        add(owner, CompanyInput(name="BAKKERIJ  peeters", postcode="2000 "), CARD),
    ]
    by_mail = [
        add(owner, CompanyInput(name="Garage Maes", email="info@maes.be"), CARD),
        add(owner, CompanyInput(name="Garage Maes", email="verkoop@MAES.be"), CARD),
    ]
    add(owner, CompanyInput(name="Garage Maes", email="garage.maes@gmail.com"), CARD)
    add(owner, CompanyInput(name="Bakkerij Peeters", postcode="9000"), CARD)
    groups = {g.company_ids: g.rules for g in svc.company_merges.find(owner)}
    assert groups == {
        (keep, other): (CompanyRule.VAT,),
        tuple(by_place): (CompanyRule.NAME_POSTCODE,),
        tuple(by_mail): (CompanyRule.NAME_EMAIL_DOMAIN,),
    }
    only = svc.company_merges.find(owner, [CompanyRule.VAT])
    assert [g.company_ids for g in only] == [(keep, other)]


def test_a_company_merge_moves_everything_keeps_sources_and_undo_restores_exactly(
    svc: Services, owner: Actor
) -> None:
    keep, other, both = _two_of_one_company(svc, owner)
    with svc.uow() as uow:
        before = dump(uow.session.connection(), [keep, other])
    result = svc.company_merges.merge(owner, keep, [other], {"name": other})
    card = svc.companies.get(owner, keep)
    assert card.values.name == "Brouwerij Zoe NV"
    assert card.provenance["name"].description == CALL.description
    assert card.values.website == "https://zoe.be"  # empty on the survivor: filled
    assert card.provenance["website"].description == CALL.description
    assert card.values.city == "Gent"
    assert card.provenance["city"].description == CARD.description
    assert {t.name for t in card.tags} == {"brewery", "gent"}
    links = svc.companies.links_of(owner, both)
    assert {(link.function, link.ended_on is None) for link in links} == {
        ("Buyer", True),
        ("Manager", False),
    }
    assert {p.contact_id for p in card.people} >= {both}
    assert svc.company_merges.resolve(other) == keep
    with pytest.raises(NotFound):
        svc.companies.get(owner, other)
    with svc.uow() as uow:
        moved = uow.session.execute(
            text("SELECT count(*) FROM activity WHERE company_id = :k"), {"k": keep}
        ).scalar_one()
        tasks = uow.session.execute(
            text("SELECT count(*) FROM task WHERE company_id = :k"), {"k": keep}
        ).scalar_one()
    assert (moved, tasks) == (1, 1)
    actions = [e.action for e in svc.audit.list_events(owner)]
    assert "company.merge" in actions
    svc.company_merges.undo(owner, result.merge_id)
    with svc.uow() as uow:
        after = dump(uow.session.connection(), [keep, other])
    assert after == before
    assert svc.company_merges.resolve(other) == other
    with pytest.raises(MergeRefused, match="undone already"):
        svc.company_merges.undo(owner, result.merge_id)


def test_a_chain_of_company_merges_is_undone_newest_first(svc: Services, owner: Actor) -> None:
    keep, other, _ = _two_of_one_company(svc, owner)
    third = svc.companies.add(owner, CompanyInput(name="Zoë"), CARD)
    first = svc.company_merges.merge(owner, keep, [other])
    second = svc.company_merges.merge(owner, third, [keep])
    assert svc.company_merges.resolve(other) == third
    kept = {m.merge_id: m.survivor_id for m in svc.company_merges.merges(owner)}
    assert kept == {first.merge_id: keep, second.merge_id: third}
    with pytest.raises(MergeRefused, match="undo that merge first"):
        svc.company_merges.undo(owner, first.merge_id)
    svc.company_merges.undo(owner, second.merge_id)
    svc.company_merges.undo(owner, first.merge_id)
    assert svc.company_merges.resolve(other) == other
    assert svc.companies.get(owner, other).values.website == "https://zoe.be"


def test_undo_puts_places_back_at_a_person_merged_since(svc: Services, owner: Actor) -> None:
    """The place of a person merged into another contact since the company merge comes
    back (at the company) for the contact that person is now."""
    keep, other, both = _two_of_one_company(svc, owner)
    twin = svc.contacts.create(owner, ContactInput(first_name="An", last_name="Peeters"), CARD)
    done = svc.company_merges.merge(owner, keep, [other])
    svc.merges.merge(owner, twin, [both])
    svc.company_merges.undo(owner, done.merge_id)
    places = {(link.company_id, link.function) for link in svc.companies.links_of(owner, twin)}
    assert places == {(keep, "Buyer"), (other, "Manager")}


def test_desk_roles_may_not_merge_companies_and_bad_merges_are_refused(
    svc: Services, owner: Actor
) -> None:
    keep, other, _ = _two_of_one_company(svc, owner)
    for role in (Role.SALES, Role.OFFICE, Role.READ_ONLY):
        name = f"u_{role.value}"
        svc.auth.add_user(owner, name, "a long password 1", role)
        desk = svc.auth.login(name, "a long password 1")
        with pytest.raises(PermissionDenied):
            svc.company_merges.merge(desk, keep, [other])
        with pytest.raises(PermissionDenied):
            svc.company_merges.find(desk)
    with pytest.raises(MergeRefused):
        svc.company_merges.merge(owner, keep, [keep])
    with pytest.raises(MergeRefused):
        svc.company_merges.merge(owner, keep, [other], {"city": 999_999})
    with pytest.raises(MergeRefused):
        svc.company_merges.merge(owner, keep, [other], {"source_id": other})
    with pytest.raises(NotFound):
        svc.company_merges.merge(owner, keep, [999_999])
    assert svc.companies.get(owner, other).values.website == "https://zoe.be"


def test_erasing_a_person_empties_the_company_merge_copy_holding_their_place(
    svc: Services, owner: Actor, db_path: Path
) -> None:
    canary = "qzxcompanymergecanary"
    keep, other, _ = _two_of_one_company(svc, owner)
    person = svc.contacts.create(owner, ContactInput(first_name="Cas", last_name="Wouters"), CARD)
    svc.companies.link(owner, person, other, LinkInput(f"{canary}function", "Sales"), CARD)
    done = svc.company_merges.merge(owner, keep, [other])
    assert canary.encode() in _file_bytes(db_path)
    svc.erasure.erase(owner, person, ErasureReason.ERASURE_REQUEST)
    raw = _file_bytes(db_path)
    at = raw.find(canary.encode())
    assert at < 0, raw[max(0, at - 200) : at + 100]
    with pytest.raises(MergeRefused, match="erased"):
        svc.company_merges.undo(owner, done.merge_id)


def _file_bytes(db_path: Path) -> bytes:
    parts = [db_path, Path(f"{db_path}-wal"), Path(f"{db_path}-shm")]
    return b"".join(p.read_bytes().lower() for p in parts if p.exists())


def test_the_review_shows_a_groups_companies_as_the_role_may_see_them(
    svc: Services, owner: Actor
) -> None:
    keep, other, _ = _two_of_one_company(svc, owner)
    access = svc.access.access_for(owner.role)
    members = svc.company_merges.members(owner, access, [keep, other])
    assert [(m.company_id, m.name, m.vat, m.people) for m in members] == [
        (keep, "Brouwerij Zoë", "BE 0403.170.701", 1),
        (other, "Brouwerij Zoe NV", "BE 0403.170.701", 1),
    ]
    hidden = svc.company_merges.members(owner, {}, [keep])
    assert (hidden[0].name, hidden[0].city) == ("", "")


def test_a_company_merge_keeps_the_survivors_custom_values_and_brings_the_others(
    svc: Services, owner: Actor
) -> None:
    from privacycrm_desktop.domain.custom_fields import (
        CustomFieldDefinition,
        CustomKind,
        CustomTarget,
    )

    for key in ("sector", "visit"):
        svc.custom_fields.define(
            owner,
            CustomFieldDefinition(key, key.title(), CustomKind.TEXT, on=CustomTarget.COMPANY),
        )
    keep = svc.companies.add(owner, CompanyInput(name="Zoë"), CARD, {"sector": "Bakery"})
    other = svc.companies.add(
        owner, CompanyInput(name="Zoe NV"), CALL, {"sector": "Brewery", "visit": "Monday"}
    )
    done = svc.company_merges.merge(owner, keep, [other])
    values = {v.key: v.value for v in svc.companies.get(owner, keep).custom}
    assert values == {"sector": "Bakery", "visit": "Monday"}
    svc.company_merges.undo(owner, done.merge_id)
    assert {v.key: v.value for v in svc.companies.get(owner, other).custom} == {
        "sector": "Brewery",
        "visit": "Monday",
    }


def test_the_audit_viewer_says_where_a_merged_away_company_leads(
    svc: Services, owner: Actor
) -> None:
    from privacycrm_desktop.services.audit_text import describe_record

    keep, other, _person = _two_of_one_company(svc, owner)
    svc.company_merges.merge(owner, keep, [other])
    shown = {
        (e.action, e.entity_id): describe_record(e.entity, e.entity_id, e.record_name, "en")
        for e in svc.audit.list_events(owner)
        if e.entity == "company"
    }
    created = [a for a, i in shown if i == str(other)]
    assert created
    for action in created:
        assert shown[(action, str(other))] == f"Company no. {other}, merged into no. {keep}"
    assert all("merged into" not in v for (_a, i), v in shown.items() if i == str(keep))
