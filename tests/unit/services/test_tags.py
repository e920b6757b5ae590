"""Tags through the service layer, on SQLite and PostgreSQL: the tags themselves, putting
them on many contacts at once, the list filtered by one, and the person's data rules."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import Engine, text

from privacycrm_desktop.domain.access import FieldAccess, Role
from privacycrm_desktop.domain.consent import Channel, ConsentMethod, ConsentStatus
from privacycrm_desktop.domain.contacts import ContactInput
from privacycrm_desktop.domain.erasure import ErasureReason
from privacycrm_desktop.domain.errors import NotFound, PermissionDenied, ValidationFailed
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.services.consent_dto import ConsentInput
from privacycrm_desktop.services.dto import Actor, ContactSort
from privacycrm_desktop.services.registry import Services

CARD = SourceInput(SourceKind.BUSINESS_CARD, "Batibouw 2026", dt.date(2026, 2, 20))
FAIR = SourceInput(SourceKind.EVENT, "Beurs Gent visitors list", dt.date(2026, 3, 1))
PEOPLE = (
    ("Zoë", "Lefèvre", "Liège"),
    ("Jan", "Peeters", "Gent"),
    ("An", "Claes", "Gent"),
    ("Luc", "Maes", "Brugge"),
    ("Els", "Wouters", "Gent"),
)


def _people(svc: Services, owner: Actor) -> list[int]:
    return [
        svc.contacts.create(owner, ContactInput(first_name=f, last_name=last, city=c), CARD)
        for f, last, c in PEOPLE
    ]


def _audit(engine: Engine, action: str) -> list[tuple[str, str, str]]:
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT entity_id, detail, action FROM audit_event WHERE action = :a ORDER BY id"),
            {"a": action},
        ).all()
    return [(str(r[0]), str(r[1]), str(r[2])) for r in rows]


def _user(svc: Services, owner: Actor, name: str, role: Role) -> Actor:
    svc.auth.add_user(owner, name, f"{name} has a good password", role)
    return svc.auth.login(name, f"{name} has a good password")


def test_a_tag_is_made_renamed_recoloured_and_its_name_is_unique_once_folded(
    svc: Services, owner: Actor, engine: Engine
) -> None:
    vip = svc.tags.create(owner, "  VIP  ", "#FF0000")
    assert [(t.name, t.colour, t.contacts) for t in svc.tags.list(owner)] == [("VIP", "#ff0000", 0)]
    for same in ("vip", "VÍP", " v i p ".replace(" ", "")):
        with pytest.raises(ValidationFailed):
            svc.tags.create(owner, same)
    for bad in ("", "a,b", "a;b", "x" * 61, "tab\x07"):
        with pytest.raises(ValidationFailed):
            svc.tags.create(owner, bad)
    with pytest.raises(ValidationFailed):
        svc.tags.recolour(owner, vip, "red")
    fair = svc.tags.create(owner, "Beurs Gent")
    with pytest.raises(ValidationFailed):
        svc.tags.rename(owner, fair, "Vip")
    svc.tags.rename(owner, vip, "Vip klant")
    svc.tags.rename(owner, vip, "VIP klant")  # its own name, other capitals: allowed
    svc.tags.recolour(owner, vip, "#00aa00")
    assert {t.name: t.colour for t in svc.tags.list(owner)}["VIP klant"] == "#00aa00"
    assert svc.tags.find(owner, "vip KLANT").id == vip
    with pytest.raises(NotFound):
        svc.tags.find(owner, "nobody's tag")
    # The audit names the tag by id only.
    events = [e for a in ("create", "rename", "recolour") for e in _audit(engine, f"tag.{a}")]
    assert len(events) == 5
    assert not any("VIP" in detail or "klant" in detail.lower() for _i, detail, _a in events)


def test_a_tag_goes_on_and_off_many_contacts_in_one_call(
    svc: Services, owner: Actor, engine: Engine
) -> None:
    ids = _people(svc, owner)
    vip = svc.tags.create(owner, "VIP")
    assert svc.tags.assign(owner, vip, ids[:3]) == 3
    assert svc.tags.assign(owner, vip, ids[1:4]) == 1  # two carried it already
    assert svc.tags.list(owner)[0].contacts == 4
    assert svc.tags.unassign(owner, vip, [ids[0], ids[4]]) == 1
    assert svc.contacts.count(owner, tag=vip) == 3
    with pytest.raises(NotFound):
        svc.tags.assign(owner, vip, [ids[0], 999_999])
    assert svc.contacts.count(owner, tag=vip) == 3  # nothing of the refused call stayed
    events = _audit(engine, "tag.assign") + _audit(engine, "tag.unassign")
    assert [d for _i, d, _a in events] == [
        "contacts=3;of=3",
        "contacts=1;of=3",
        "contacts=1;of=2",
    ]
    marks = svc.contacts.get(owner, ids[1]).tags
    assert [(m.name, m.tagged_by, m.source) for m in marks] == [("VIP", "owner", None)]


def test_the_list_filtered_by_a_tag_sorts_searches_and_pages(svc: Services, owner: Actor) -> None:
    ids = _people(svc, owner)
    gent = svc.tags.create(owner, "Gent")
    svc.tags.assign(owner, gent, [ids[1], ids[2], ids[4], ids[3]])
    rows = svc.contacts.page(owner, tag=gent)
    assert [r.name for r in rows] == ["Claes, An", "Maes, Luc", "Peeters, Jan", "Wouters, Els"]
    rows = svc.contacts.page(owner, tag=gent, sort=ContactSort.CITY, descending=True)
    assert [r.city for r in rows] == ["Gent", "Gent", "Gent", "Brugge"]
    assert [r.name for r in svc.contacts.page(owner, tag=gent, offset=1, limit=2)] == [
        "Maes, Luc",
        "Peeters, Jan",
    ]
    # With a search: only the tagged contacts it finds.
    assert svc.contacts.count(owner, "gent", tag=gent) == 3
    assert [r.name for r in svc.contacts.page(owner, query="gent", tag=gent)] == [
        "Claes, An",
        "Peeters, Jan",
        "Wouters, Els",
    ]
    assert svc.contacts.count(owner, "zzzz", tag=gent) == 0
    assert svc.contacts.page(owner, query="zzzz", tag=gent) == []
    # A tag on nobody: an empty list, not the whole one.
    empty = svc.tags.create(owner, "Nobody")
    assert svc.contacts.count(owner, tag=empty) == 0
    assert svc.contacts.page(owner, tag=empty) == []


def test_the_filtered_list_follows_a_changed_name_at_once(
    svc: Services, owner: Actor, engine: Engine
) -> None:
    ids = _people(svc, owner)
    gent = svc.tags.create(owner, "Gent")
    svc.tags.assign(owner, gent, ids)
    before = svc.contacts.get(owner, ids[1])  # Jan Peeters
    data = ContactInput(first_name="Jan", last_name="Aerts", city="Gent")
    svc.contacts.update(owner, ids[1], before.version, data, CARD)
    names = [r.name for r in svc.contacts.page(owner, tag=gent)]
    assert names == sorted(names, key=str.casefold)
    assert names[0] == "Aerts, Jan"
    # Read from the end, as a jump to the last page does.
    last = svc.contacts.page(owner, tag=gent, offset=3, limit=2, total=5)
    assert [r.name for r in last] == names[3:]
    desc = svc.contacts.page(owner, tag=gent, descending=True)
    assert [r.name for r in desc] == names[::-1]
    # Every order of the list, either way, gives the same contacts as the whole list does.
    for sort in ContactSort:
        for descending in (False, True):
            whole = svc.contacts.page(owner, sort=sort, descending=descending)
            expected = [r.id for r in whole if r.id in set(ids)]
            for offset in range(5):
                got = svc.contacts.page(
                    owner, sort=sort, descending=descending, offset=offset, limit=1, tag=gent
                )
                assert [r.id for r in got] == expected[offset : offset + 1], (sort, offset)
    with engine.connect() as conn:
        copies = conn.execute(
            text(
                "SELECT count(*) FROM contact_tag t JOIN contact c ON c.id = t.contact_id "
                "WHERE t.sort_name <> c.sort_name OR t.city <> c.city "
                "OR t.organisation <> c.organisation OR t.relationship <> c.relationship"
            )
        ).scalar_one()
    assert copies == 0


def test_a_tag_goes_on_everything_the_list_shows_in_one_statement(
    svc: Services, owner: Actor, engine: Engine
) -> None:
    ids = _people(svc, owner)
    newsletter = svc.tags.create(owner, "Newsletter")
    assert svc.tags.assign_matching(owner, newsletter, svc.contacts.selection(owner, "gent")) == 3
    gent = {r.id for r in svc.contacts.page(owner, tag=newsletter)}
    assert gent == {ids[1], ids[2], ids[4]}
    # The list filtered by another tag (and searched within it).
    vip = svc.tags.create(owner, "VIP")
    svc.tags.assign(owner, vip, [ids[0], ids[2]])
    fair = svc.tags.create(owner, "Fair")
    assert svc.tags.assign_matching(owner, fair, svc.contacts.selection(owner, "", vip)) == 2
    assert svc.tags.unassign_matching(owner, fair, svc.contacts.selection(owner, "claes", vip)) == 1
    assert {r.id for r in svc.contacts.page(owner, tag=fair)} == {ids[0]}
    # A search that can find nothing selects nobody.
    assert svc.tags.assign_matching(owner, fair, svc.contacts.selection(owner, "...")) == 0
    # The whole list.
    assert svc.tags.assign_matching(owner, fair, svc.contacts.selection(owner)) == 4
    assert svc.contacts.count(owner, tag=fair) == 5
    assert [d for _i, d, _a in _audit(engine, "tag.assign")][-1] == "contacts=4"


def test_merging_gives_one_tags_contacts_the_other_and_deleting_takes_it_off_all(
    svc: Services, owner: Actor, engine: Engine
) -> None:
    ids = _people(svc, owner)
    vip, vips = svc.tags.create(owner, "VIP"), svc.tags.create(owner, "VIPs")
    svc.tags.assign(owner, vip, ids[:2])
    svc.tags.assign(owner, vips, ids[1:3], FAIR)
    with pytest.raises(ValidationFailed):
        svc.tags.merge(owner, vip, vip)
    assert svc.tags.merge(owner, vips, vip) == 1  # ids[1] carried both
    assert [t.name for t in svc.tags.list(owner)] == ["VIP"]
    assert {r.id for r in svc.contacts.page(owner, tag=vip)} == set(ids[:3])
    # The link that moved keeps where it came from.
    moved = svc.contacts.get(owner, ids[2]).tags[0]
    assert moved.source is not None
    assert moved.source.description == FAIR.description
    assert svc.tags.delete(owner, vip) == 3
    assert svc.tags.list(owner) == []
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM contact_tag")).scalar_one() == 0
    assert _audit(engine, "tag.merge")[0][:2] == (str(vip), f"from={vips};contacts=1")
    assert _audit(engine, "tag.delete")[0][:2] == (str(vip), "contacts=3")


def test_each_role_does_with_tags_what_its_role_and_the_field_matrix_allow(
    svc: Services, owner: Actor
) -> None:
    ids = _people(svc, owner)
    vip = svc.tags.create(owner, "VIP")
    svc.tags.assign(owner, vip, ids[:2])
    office = _user(svc, owner, "olga", Role.OFFICE)
    reader = _user(svc, owner, "rita", Role.READ_ONLY)
    # Office staff tag contacts and make tags; merging and deleting are settings.
    svc.tags.assign(office, vip, [ids[2]])
    other = svc.tags.create(office, "Beurs")
    with pytest.raises(PermissionDenied):
        svc.tags.merge(office, other, vip)
    with pytest.raises(PermissionDenied):
        svc.tags.delete(office, other)
    # Read-only staff see tags and filter by them, and change nothing.
    assert svc.contacts.count(reader, tag=vip) == 3
    for change in (
        lambda: svc.tags.assign(reader, vip, [ids[3]]),
        lambda: svc.tags.unassign(reader, vip, [ids[0]]),
        lambda: svc.tags.assign_matching(reader, vip, svc.contacts.selection(reader)),
        lambda: svc.tags.create(reader, "Mine"),
        lambda: svc.tags.rename(reader, vip, "Mine"),
    ):
        with pytest.raises(PermissionDenied):
            change()
    # The owner hides tags from office staff: no tags shown, no filter, no tagging.
    svc.access.set_field_access(owner, Role.OFFICE, "tags", FieldAccess.HIDDEN)
    assert svc.contacts.get(office, ids[0]).tags == ()
    assert svc.contacts.get(owner, ids[0]).tags[0].name == "VIP"
    with pytest.raises(PermissionDenied):
        svc.contacts.count(office, tag=vip)
    with pytest.raises(PermissionDenied):
        svc.contacts.page(office, tag=vip)
    with pytest.raises(PermissionDenied):
        svc.contacts.selection(office, "", vip)
    with pytest.raises(PermissionDenied):
        svc.tags.assign(office, vip, [ids[3]])
    assert all(t.contacts == 0 for t in svc.tags.list(office))
    # Read (not write): seen, not changed.
    svc.access.set_field_access(owner, Role.OFFICE, "tags", FieldAccess.READ)
    assert svc.contacts.count(office, tag=vip) == 3
    with pytest.raises(PermissionDenied):
        svc.tags.unassign(office, vip, [ids[0]])


def test_a_persons_tags_are_in_the_access_report_and_go_with_the_erasure(
    svc: Services, owner: Actor, engine: Engine
) -> None:
    ids = _people(svc, owner)
    vip, fair = svc.tags.create(owner, "VIP"), svc.tags.create(owner, "Beurs Gent")
    svc.tags.assign(owner, vip, ids[:2])
    svc.tags.assign(owner, fair, [ids[0]], FAIR)
    report = json.loads(svc.access_reports.produce(owner, ids[0], "nl").json)
    tags = [d for d in report["data"] if d["field"] == "tags"]
    assert [(d["value"], d["source"] and d["source"]["kind"]) for d in tags] == [
        ("Beurs Gent", "event"),
        ("VIP", None),
    ]
    assert tags[0]["held_since"] == "2026-03-01"
    svc.erasure.erase(owner, ids[0], ErasureReason.ERASURE_REQUEST)
    with engine.connect() as conn:
        left = conn.execute(text("SELECT contact_id FROM contact_tag ORDER BY contact_id")).all()
        sources = conn.execute(
            text("SELECT count(*) FROM source WHERE description = :d"), {"d": FAIR.description}
        ).scalar_one()
    assert [r[0] for r in left] == [ids[1]]
    assert sources == 0  # the tag's source named only the erased person's tag
    assert [t.contacts for t in svc.tags.list(owner)] == [0, 1]


def test_a_marketing_list_by_tag_holds_only_the_reachable_contacts_with_the_tag(
    svc: Services, owner: Actor
) -> None:
    ids = [
        svc.contacts.create(
            owner,
            ContactInput(first_name=f, last_name=last, emails=(f"{f.lower()}@example.be",)),
            CARD,
        )
        for f, last, _c in PEOPLE
    ]
    for cid in ids[:4]:
        svc.consent.record(
            owner,
            ConsentInput(
                cid,
                "direct_marketing_consent",
                Channel.EMAIL,
                ConsentStatus.OPT_IN,
                ConsentMethod.SIGNED_PAPER,
                "paper 3",
            ),
        )
    fair = svc.tags.create(owner, "Beurs")
    svc.tags.assign(owner, fair, [ids[0], ids[3], ids[4]])  # ids[4] gave no consent
    everyone = svc.marketing.build(owner, "direct_marketing_consent", Channel.EMAIL)
    tagged = svc.marketing.build(owner, "direct_marketing_consent", Channel.EMAIL, tag=fair)
    assert len(everyone.entries) == 4
    assert [e.contact_id for e in tagged.entries] == sorted([ids[0], ids[3]])
    data, count = svc.marketing.export_csv(
        owner, "direct_marketing_consent", Channel.EMAIL, tag=fair
    )
    assert count == 2
    assert data.decode("utf-8-sig").count("@example.be") == 2
    svc.access.set_field_access(owner, Role.SALES, "tags", FieldAccess.HIDDEN)
    sales = _user(svc, owner, "sam", Role.SALES)
    with pytest.raises(PermissionDenied):
        svc.marketing.build(sales, "direct_marketing_consent", Channel.EMAIL, tag=fair)
