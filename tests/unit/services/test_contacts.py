"""Contacts through the service layer, on a real temporary SQLite database."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, text

from helpers.databases import fresh_services
from privacycrm_desktop.domain.access import Role
from privacycrm_desktop.domain.contacts import ContactInput, ContactKind, Relationship
from privacycrm_desktop.domain.errors import (
    EditConflict,
    PermissionDenied,
    SourceMissing,
    ValidationFailed,
)
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.persistence.sqlite_driver import sqlite3
from privacycrm_desktop.services.audit import verify_chain
from privacycrm_desktop.services.clock import FixedClock
from privacycrm_desktop.services.contacts import MAX_PAGE
from privacycrm_desktop.services.dto import Actor, ContactRow, ContactSort
from privacycrm_desktop.services.registry import Services

CARD = SourceInput(SourceKind.BUSINESS_CARD, "Batibouw 2026, stand 12", dt.date(2026, 2, 20))
ZOE = ContactInput(
    first_name="Zoë",
    last_name="Lefèvre",
    emails=("zoe.lefevre@example.be",),
    phones=("0475 12 34 56",),
    street="Rue Haute 1",
    postcode="4000",
    city="Liège",
    language="fr",
    notes="Prefers calls after 5 pm",
    relationship=Relationship.CUSTOMER,
)


def _rows(engine: Engine, table: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


def test_a_contact_without_a_source_is_refused_and_nothing_is_saved(
    svc: Services, owner: Actor, engine: Engine
) -> None:
    audit_before = _rows(engine, "audit_event")
    for source in (None, SourceInput(None, "x"), SourceInput(SourceKind.SALE, "   ")):
        with pytest.raises(SourceMissing):
            svc.contacts.create(owner, ZOE, source)
    assert _rows(engine, "contact") == 0
    assert _rows(engine, "source") == 0
    assert _rows(engine, "audit_event") == audit_before


def test_every_value_knows_its_source(svc: Services, owner: Actor) -> None:
    cid = svc.contacts.create(owner, ZOE, CARD)
    detail = svc.contacts.get(owner, cid)
    assert detail.phones[0].value == "+32475123456"
    for field in ("first_name", "last_name", "city", "notes"):
        source = detail.provenance[field]
        assert (source.kind, source.description) == (SourceKind.BUSINESS_CARD, CARD.description)
        assert source.obtained_on == dt.date(2026, 2, 20)
        assert source.entered_by == "owner"
    assert detail.emails[0].source.kind is SourceKind.BUSINESS_CARD


def test_a_change_gets_its_own_source_and_the_rest_keeps_theirs(
    svc: Services, owner: Actor, clock: FixedClock
) -> None:
    cid = svc.contacts.create(owner, ZOE, CARD)
    before = svc.contacts.get(owner, cid)
    clock.advance(dt.timedelta(days=3))
    call = SourceInput(SourceKind.PHONE_CALL, "She phoned to give her new address")
    changed = ContactInput(
        **{
            **ZOE.__dict__,
            "city": "Namur",
            "postcode": "5000",
            "phones": ("0475 12 34 56", "+32 9 223 45 67"),
        }
    )
    after = svc.contacts.update(owner, cid, before.version, changed, call)
    assert after.version == before.version + 1
    assert after.provenance["city"].kind is SourceKind.PHONE_CALL
    assert after.provenance["postcode"].obtained_on == dt.date(2026, 3, 5)
    assert after.provenance["first_name"].kind is SourceKind.BUSINESS_CARD
    kinds = [(p.value, p.source.kind) for p in after.phones]
    assert kinds == [
        ("+32475123456", SourceKind.BUSINESS_CARD),
        ("+3292234567", SourceKind.PHONE_CALL),
    ]


def test_a_change_without_a_source_is_refused(svc: Services, owner: Actor) -> None:
    cid = svc.contacts.create(owner, ZOE, CARD)
    before = svc.contacts.get(owner, cid)
    moved = ContactInput(**{**ZOE.__dict__, "city": "Namur", "postcode": "5000"})
    with pytest.raises(SourceMissing):
        svc.contacts.update(owner, cid, before.version, moved, None)
    assert svc.contacts.get(owner, cid).city == "Liège"


def test_a_stale_version_is_a_conflict(svc: Services, owner: Actor) -> None:
    cid = svc.contacts.create(owner, ZOE, CARD)
    version = svc.contacts.get(owner, cid).version
    moved = ContactInput(**{**ZOE.__dict__, "city": "Namur", "postcode": "5000"})
    svc.contacts.update(owner, cid, version, moved, CARD)
    with pytest.raises(EditConflict):
        svc.contacts.update(owner, cid, version, ZOE, CARD)


def test_invalid_values_are_explained_per_field_and_nothing_is_saved(
    svc: Services, owner: Actor, engine: Engine
) -> None:
    bad = ContactInput(first_name="Jan", emails=("jan@",), phones=("12",), postcode="12")
    with pytest.raises(ValidationFailed) as caught:
        svc.contacts.create(owner, bad, CARD)
    assert {p.field for p in caught.value.problems} == {"emails", "phones", "postcode"}
    assert _rows(engine, "contact") == 0


def test_search_forgives_case_and_accents(svc: Services, owner: Actor) -> None:
    svc.contacts.create(owner, ZOE, CARD)
    svc.contacts.create(owner, ContactInput(first_name="Jan", last_name="Peeters"), CARD)
    for query in ("liege", "LIÈGE", "zoe", "lefevre", "0475 12 34", "zoe.lefevre@"):
        assert svc.contacts.count(owner, query) == 1, query
        assert [r.name for r in svc.contacts.page(owner, query=query)] == ["Lefèvre, Zoë"]


@pytest.fixture(scope="module")
def two_people(
    sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Services, Actor]]:
    """A database holding Jan Peeters and Zoë Lefèvre, shared by read-only examples."""
    with fresh_services(sqlite_template, tmp_path_factory.mktemp("two-people")) as (svc, owner):
        svc.contacts.create(owner, ZOE, CARD)
        svc.contacts.create(owner, ContactInput(first_name="Jan", last_name="Peeters"), CARD)
        yield svc, owner


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=30))
@example("OR lefevre")
@example("OR peeters")
@example('" OR "zoe')
@example("NEAR(jan zoe)")
@example("%")
@example("_*")
@example("name:jan")
def test_any_typed_text_is_searched_literally(
    two_people: tuple[Services, Actor], query: str
) -> None:
    svc, owner = two_people
    total = svc.contacts.count(owner, query)
    assert len(svc.contacts.page(owner, query=query, limit=MAX_PAGE, total=total)) == total
    # Typed words narrow the list: none of them is read as search syntax (OR, NEAR, *, ",
    # a column filter) or as a wildcard that would widen it.
    for name, person in (("peeters", "Peeters, Jan"), ("lefevre", "Lefèvre, Zoë")):
        rows = svc.contacts.page(owner, query=f"{name} {query}", limit=MAX_PAGE)
        assert [r.name for r in rows] in ([], [person]), query


def every_row(svc: Services, owner: Actor, **options: Any) -> list[ContactRow]:
    """The whole list, read a screenful (MAX_PAGE rows) at a time."""
    rows: list[ContactRow] = []
    while batch := svc.contacts.page(owner, offset=len(rows), limit=MAX_PAGE, **options):
        rows += batch
    return rows


def test_list_windows_follow_the_sort_order(svc: Services, owner: Actor) -> None:
    svc.demo.generate(owner, 300, seed=3)
    total = svc.contacts.count(owner)
    assert total == 300
    names = [r.name.casefold() for r in every_row(svc, owner)]
    assert len(names) == 300
    window = svc.contacts.page(owner, offset=100, limit=50)
    assert [r.name.casefold() for r in window] == names[100:150]
    by_city = every_row(svc, owner, sort=ContactSort.CITY, descending=True)
    cities = [r.city for r in by_city]
    assert cities == sorted(cities, reverse=True)


@pytest.mark.parametrize("small", [True, False])
def test_search_windows_are_sorted_by_name(
    svc: Services, owner: Actor, monkeypatch: pytest.MonkeyPatch, small: bool
) -> None:
    from privacycrm_desktop.persistence import contact_queries

    monkeypatch.setattr(contact_queries, "SMALL_MATCH_SET", 10_000 if small else 0)
    svc.demo.generate(owner, 400, seed=5)
    total = svc.contacts.count(owner, "gmail")
    assert total > 10
    rows = every_row(svc, owner, query="gmail", total=total)
    assert len(rows) == total
    assert all("gmail" in r.email for r in rows)
    keys = [r.name for r in rows]
    assert svc.contacts.page(owner, query="gmail", offset=5, limit=5) == rows[5:10]
    assert len(keys) == len(set(r.id for r in rows))


def test_every_action_is_audited_without_personal_values(
    svc: Services, owner: Actor, engine: Engine
) -> None:
    cid = svc.contacts.create(owner, ZOE, CARD)
    detail = svc.contacts.get(owner, cid)
    moved = ContactInput(**{**ZOE.__dict__, "city": "Namur", "postcode": "5000"})
    svc.contacts.update(owner, cid, detail.version, moved, CARD)
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT actor, action, entity, entity_id, detail FROM audit_event ORDER BY id")
        ).all()
    actions = [r.action for r in rows]
    # The owner sees notes and birth date: the read of restricted fields is on record.
    assert actions[-3:] == ["contact.create", "contact.read_restricted", "contact.update"]
    dump = repr(rows).casefold()
    for personal in ("zoë", "lefèvre", "liège", "namur", "0475", "example.be", "5000"):
        assert personal not in dump
    with svc.uow() as uow:
        assert verify_chain(uow.session) is None


def test_roles_see_only_their_fields(svc: Services, owner: Actor) -> None:
    cid = svc.contacts.create(owner, ZOE, CARD)
    svc.auth.add_user(owner, "anne", "another good password", Role.OFFICE)
    anne = svc.auth.login("anne", "another good password")
    detail = svc.contacts.get(anne, cid)
    assert detail.notes == ""
    assert "notes" not in detail.provenance
    assert detail.field_access["notes"] == "hidden"
    svc.auth.add_user(owner, "rita", "yet another password", Role.READ_ONLY)
    rita = svc.auth.login("rita", "yet another password")
    row = svc.contacts.page(rita)[0]
    assert row.phone.endswith("456")
    assert "0475" not in row.phone
    assert "47512" not in row.phone
    with pytest.raises(PermissionDenied):
        svc.contacts.create(rita, ZOE, CARD)
    with pytest.raises(PermissionDenied):
        svc.contacts.create(anne, ZOE, CARD)  # notes are hidden from office staff


def test_organisation_addresses_need_the_organisation(svc: Services, owner: Actor) -> None:
    info = ContactInput(kind=ContactKind.ORGANISATION_ADDRESS, emails=("info@acme.be",))
    with pytest.raises(ValidationFailed):
        svc.contacts.create(owner, info, CARD)
    cid = svc.contacts.create(
        owner,
        ContactInput(
            kind=ContactKind.ORGANISATION_ADDRESS, organisation="Acme", emails=("info@acme.be",)
        ),
        CARD,
    )
    assert svc.contacts.page(owner)[0].id == cid


def test_a_ten_megabyte_note_is_refused(svc: Services, owner: Actor, engine: Engine) -> None:
    huge = ContactInput(first_name="Jan", notes="x" * 10_000_000)
    with pytest.raises(ValidationFailed):
        svc.contacts.create(owner, huge, CARD)
    assert _rows(engine, "contact") == 0


def test_markup_in_a_name_is_kept_as_text(svc: Services, owner: Actor, db_path: Path) -> None:
    cid = svc.contacts.create(
        owner, ContactInput(first_name="<b>Jan</b>", last_name="O'Brien"), CARD
    )
    assert svc.contacts.get(owner, cid).first_name == "<b>Jan</b>"
    conn = sqlite3.connect(db_path)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)


@pytest.mark.parametrize("dense", [True, False])
def test_typed_phone_numbers_find_each_contact_once(
    svc: Services, owner: Actor, monkeypatch: pytest.MonkeyPatch, dense: bool
) -> None:
    from privacycrm_desktop.persistence import contact_queries

    svc.demo.generate(owner, 200, seed=9)
    two = ContactInput(
        first_name="An", last_name="Aerts", phones=("0475 11 11 11", "0475 22 22 22")
    )
    other = ContactInput(
        first_name="Bo", last_name="Baert", phones=("+33 1 42 68 53 00", "0475 33 33 33")
    )
    first = svc.contacts.create(owner, two, CARD)
    second = svc.contacts.create(owner, other, CARD)
    if dense:  # make the index walk win whatever the numbers say
        monkeypatch.setattr(contact_queries, "_SORT_COST_PER_MATCH", 1e9)
    for typed in ("0475 11", "+32 475 111", "0032475111111"):
        assert svc.contacts.count(owner, typed) == 1
        assert [r.id for r in svc.contacts.page(owner, query=typed)] == [first]
    total = svc.contacts.count(owner, "0475")
    rows = every_row(svc, owner, query="0475", total=total)
    assert len(rows) == total
    assert len({r.id for r in rows}) == total
    assert {first, second} <= {r.id for r in rows}
    names = [r.name for r in every_row(svc, owner, query="0475")]
    assert names == [r.name for r in rows]
    assert (
        svc.contacts.page(owner, query="0475", offset=total - 3, limit=3, total=total) == rows[-3:]
    )
    assert svc.contacts.count(owner, "+33 1 42") == 1
    assert svc.contacts.count(owner, "9000") == svc.contacts.count(owner, "9000 ")


def test_the_stored_contact_count_follows_every_write(
    svc: Services, owner: Actor, engine: Engine
) -> None:
    svc.demo.generate(owner, 120, seed=2)
    svc.contacts.create(owner, ZOE, CARD)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM contact WHERE id IN (3, 4, 5)"))
        stored = conn.execute(text("SELECT n FROM contact_count")).scalar()
        real = conn.execute(text("SELECT count(*) FROM contact")).scalar()
    assert stored == real == 118
    assert svc.contacts.count(owner) == 118


def test_demo_contacts_know_until_when_they_may_be_kept(
    svc: Services, owner: Actor, engine: Engine
) -> None:
    svc.demo.generate(owner, 200, seed=4)
    with engine.connect() as conn:
        missing = conn.execute(
            text("SELECT count(*) FROM contact WHERE keep_until IS NULL AND keep_reason = ''")
        ).scalar()
    assert missing == 0


def test_the_per_date_keep_until_counts_follow_every_write(
    svc: Services, owner: Actor, engine: Engine
) -> None:
    svc.demo.generate(owner, 150, seed=6)
    with engine.begin() as conn:
        conn.execute(text("UPDATE contact SET keep_until = '2020-01-01' WHERE id % 7 = 0"))
        conn.execute(text("UPDATE contact SET keep_until = NULL WHERE id % 11 = 0"))
        conn.execute(text("DELETE FROM contact WHERE id % 13 = 0"))
        stored = conn.execute(
            text("SELECT day, n FROM keep_until_count WHERE n > 0 ORDER BY day")
        ).all()
        real = conn.execute(
            text(
                "SELECT keep_until, count(*) FROM contact WHERE keep_until IS NOT NULL "
                "GROUP BY keep_until ORDER BY keep_until"
            )
        ).all()
    assert [tuple(r) for r in stored] == [tuple(r) for r in real]
    assert len(real) > 5


def test_a_count_read_ahead_serves_the_next_whole_list_count_only(
    svc: Services, owner: Actor
) -> None:
    """The start counts the list while the window's code loads (issue 23): the next count
    of the whole list is that number, any later one is read again, and a count of
    anything else does not take it."""
    svc.contacts.create(owner, ZOE, CARD)
    svc.contacts.count_ahead(owner)
    svc.contacts.create(owner, ContactInput(first_name="Jan", last_name="Peeters"), CARD)
    assert svc.contacts.count(owner) == 1  # as read ahead, before Jan
    assert svc.contacts.count(owner) == 2  # read again
    svc.contacts.count_ahead(owner)
    assert svc.contacts.count(owner, "Peeters") == 1  # another count: not the one read ahead
    assert svc.contacts.count(owner) == 2
