"""Interactions on companies and with linked people (issue 22), on SQLite and PostgreSQL:
a company's timeline, an interaction shown on each linked person's timeline (marked as
linked), erasure taking the link and not the other's interaction, a merge moving links,
the access report listing them, and retention counting from them."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from privacycrm_desktop.domain.activities import ActivityInput, ActivityKind
from privacycrm_desktop.domain.companies import CompanyInput
from privacycrm_desktop.domain.contacts import ContactInput, Relationship
from privacycrm_desktop.domain.erasure import ErasureReason
from privacycrm_desktop.domain.errors import NotFound
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.services.clock import FixedClock
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services

CARD = SourceInput(SourceKind.BUSINESS_CARD, "Batibouw 2026", dt.date(2026, 2, 20))


def _person(svc: Services, owner: Actor, first: str = "Jan") -> int:
    data = ContactInput(first_name=first, last_name="Peeters", relationship=Relationship.PROSPECT)
    return svc.contacts.create(owner, data, CARD)


def _links(engine: Engine) -> list[tuple[int, int]]:
    with engine.connect() as conn:
        return [
            (int(a), int(c))
            for a, c in conn.execute(
                text("SELECT activity_id, contact_id FROM activity_person ORDER BY 1, 2")
            )
        ]


def test_a_company_has_its_own_timeline_and_count(svc: Services, owner: Actor) -> None:
    company = svc.companies.add(owner, CompanyInput(name="Acme BV"), CARD)
    jan = _person(svc, owner)
    made = svc.activities.add_to_company(
        owner, company, ActivityInput(ActivityKind.VISIT, "Visited the plant", people=(jan,))
    )
    svc.activities.add(owner, jan, ActivityInput(ActivityKind.CALL, "Own call"))
    rows = svc.activities.timeline(owner, company_id=company)
    assert [r.id for r in rows] == [made]
    assert rows[0].people == (jan,)
    assert svc.activities.count(owner, company_id=company) == 1
    # The person who took part sees it on their timeline, marked as linked.
    mine = svc.activities.timeline(owner, jan)
    assert {r.id: r.linked for r in mine}[made] is True
    assert svc.activities.count(owner, jan) == 2


def test_linked_people_see_it_newest_first_and_pages_hold(
    svc: Services, owner: Actor, clock: FixedClock
) -> None:
    jan = _person(svc, owner)
    piet = _person(svc, owner, "Piet")
    anna = _person(svc, owner, "Anna")
    now = clock.now()
    made = []
    for days in (5, 4, 3, 2, 1):
        owner_id, other = (jan, piet) if days % 2 else (piet, jan)
        made.append(
            svc.activities.add(
                owner,
                owner_id,
                ActivityInput(
                    ActivityKind.MEETING,
                    f"m{days}",
                    now - dt.timedelta(days=days),
                    people=(other, anna, other),
                ),
            )
        )
    newest_first = list(reversed(made))
    assert [r.id for r in svc.activities.timeline(owner, jan)] == newest_first
    assert [r.id for r in svc.activities.timeline(owner, anna)] == newest_first
    assert all(r.linked for r in svc.activities.timeline(owner, anna))
    page = svc.activities.timeline(owner, jan, limit=2)
    rest = svc.activities.timeline(owner, jan, after=page[-1].cursor, limit=10)
    assert [r.id for r in page + rest] == newest_first
    assert [r.linked for r in page] == [False, True]  # m1 is Jan's, m2 Piet's
    assert svc.activities.count(owner, anna) == 5
    with pytest.raises(NotFound):
        svc.activities.add(owner, jan, ActivityInput(ActivityKind.CALL, "x", people=(anna + 999,)))
    # Deleting the interaction takes its links.
    svc.activities.delete(owner, made[0])
    assert svc.activities.count(owner, anna) == 4


def test_erasing_a_linked_person_takes_the_link_not_the_interaction(
    svc: Services, owner: Actor, engine: Engine
) -> None:
    jan = _person(svc, owner)
    piet = _person(svc, owner, "Piet")
    made = svc.activities.add(
        owner, jan, ActivityInput(ActivityKind.MEETING, "Met both", people=(piet,))
    )
    assert _links(engine) == [(made, piet)]
    svc.erasure.erase(owner, piet, ErasureReason.ERASURE_REQUEST)
    assert _links(engine) == []
    rows = svc.activities.timeline(owner, jan)
    assert [(r.id, r.people) for r in rows] == [(made, ())]
    # Erasing the interaction's owner takes the interaction from the linked person too.
    anna = _person(svc, owner, "Anna")
    other = svc.activities.add(owner, jan, ActivityInput(ActivityKind.CALL, "x", people=(anna,)))
    svc.erasure.erase(owner, jan, ErasureReason.ERASURE_REQUEST)
    assert svc.activities.timeline(owner, anna) == []
    assert (other, anna) not in _links(engine)


def test_a_merge_moves_the_links_and_keeps_one_where_both_took_part(
    svc: Services, owner: Actor, engine: Engine
) -> None:
    jan = _person(svc, owner)
    twin = _person(svc, owner)
    both = _person(svc, owner, "Anna")
    one = svc.activities.add(owner, both, ActivityInput(ActivityKind.CALL, "a", people=(twin,)))
    two = svc.activities.add(owner, both, ActivityInput(ActivityKind.CALL, "b", people=(jan, twin)))
    before = _links(engine)
    merged = svc.merges.merge(owner, jan, [twin])
    assert _links(engine) == [(one, jan), (two, jan)]
    assert {r.id for r in svc.activities.timeline(owner, jan)} == {one, two}
    # The undo puts every link back where it was.
    svc.merges.undo(owner, merged.merge_id)
    assert _links(engine) == before


def test_the_access_report_of_a_linked_person_lists_it(svc: Services, owner: Actor) -> None:
    jan = _person(svc, owner)
    piet = _person(svc, owner, "Piet")
    made = svc.activities.add(
        owner, jan, ActivityInput(ActivityKind.MEETING, "Qlinked meeting", people=(piet,))
    )
    document = json.loads(svc.access_reports.produce(owner, piet, "en").json)
    text_of = json.dumps(document)
    assert "Qlinked meeting" in text_of
    entries = [
        e
        for section in document.values()
        if isinstance(section, list)
        for e in section
        if isinstance(e, dict) and e.get("field") == "activities"
    ]
    assert [(e["value"], e["linked"]) for e in entries] == [("Qlinked meeting", True)]
    assert made


def test_retention_counts_from_an_interaction_the_person_took_part_in(
    svc: Services, owner: Actor, engine: Engine, clock: FixedClock
) -> None:
    jan = _person(svc, owner)
    piet = _person(svc, owner, "Piet")

    def stored(cid: int) -> str:
        with engine.connect() as conn:
            return str(
                conn.execute(
                    text("SELECT keep_until FROM contact WHERE id = :i"), {"i": cid}
                ).scalar()
            )[:10]

    before = stored(piet)
    clock.advance(dt.timedelta(days=100))
    made = svc.activities.add(
        owner, jan, ActivityInput(ActivityKind.MEETING, "Demo", people=(piet,))
    )
    assert stored(piet) > before
    assert stored(piet) == stored(jan)
    last = svc.activities.last(owner, piet)
    assert last is not None
    assert last.kind is ActivityKind.MEETING
    svc.retention.recompute_all()  # the batch recompute agrees with the per-write one
    assert stored(piet) == stored(jan)
    svc.activities.delete(owner, made)
    assert stored(piet) == before
    # Erasing the interaction's owner takes it from the linked person's clock too.
    svc.activities.add(owner, jan, ActivityInput(ActivityKind.MEETING, "Again", people=(piet,)))
    assert stored(piet) > before
    svc.erasure.erase(owner, jan, ErasureReason.ERASURE_REQUEST)
    assert stored(piet) == before


def test_an_import_by_a_role_without_email_addresses_matches_by_id_only(
    svc: Services, owner: Actor, tmp_path: Path
) -> None:
    from privacycrm_desktop.domain.access import FieldAccess, Role

    data = ContactInput(first_name="Jan", last_name="Peeters", emails=("jan@example.be",))
    jan = svc.contacts.create(owner, data, CARD)
    svc.access.set_field_access(owner, Role.SALES, "emails", FieldAccess.HIDDEN)
    svc.auth.add_user(owner, "sam", "sam has a good password", Role.SALES)
    sales = svc.auth.login("sam", "sam has a good password")
    file = tmp_path / "rows.csv"
    file.write_text(
        "Date,Type,Subject,Email,contact_id\n"
        "2026-01-05,Call,By address,jan@example.be,\n"
        f"2026-01-06,Call,By id,,{jan}\n",
        encoding="utf-8",
    )
    done = svc.activity_transfer.import_file(sales, file)
    assert [(r.row, r.reason) for r in done.refused] == [(2, "no_person")]
    assert [r.summary for r in svc.activities.timeline(owner, jan)] == ["By id"]
    # The owner, who sees addresses, matches by them.
    again = svc.activity_transfer.import_file(owner, file)
    assert again.refused == []


@pytest.mark.sqlite_only
def test_the_persons_own_range_stays_one_index_range_beside_the_linked_one(
    svc: Services, owner: Actor, engine: Engine
) -> None:
    from privacycrm_desktop.persistence.activity_queries import TimelineShape, timeline_statement

    jan = _person(svc, owner)
    for i in range(3):
        svc.activities.add(owner, jan, ActivityInput(ActivityKind.CALL, f"c{i}"))
    page = svc.activities.timeline(owner, jan, limit=2)
    statement = timeline_statement(TimelineShape("contact", False, False, True))
    with engine.connect() as conn:
        compiled = statement.compile(conn)
        params = {"owner": jan, "limit": 50, "at": page[-1].occurred_at, "last": page[-1].id}
        plan = [
            str(row[3])
            for row in conn.exec_driver_sql(
                "EXPLAIN QUERY PLAN " + str(compiled),
                tuple(
                    compiled.construct_params(params)[k]
                    if not isinstance(compiled.construct_params(params)[k], dt.datetime)
                    else str(compiled.construct_params(params)[k])
                    for k in compiled.positiontup or ()
                ),
            )
        ]
    own = plan[: plan.index("UNION ALL")]
    assert any("ix_activity_contact_time (contact_id=? AND occurred_at<?)" in p for p in own), plan
    assert not any("TEMP B-TREE" in p for p in own), plan  # the index's order, backwards
    assert any("ix_activity_person_contact (contact_id=?)" in p for p in plan), plan
