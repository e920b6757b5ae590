"""Merging duplicate contacts and undoing a merge (issue 21), on both back ends."""

from __future__ import annotations

import datetime as dt
import importlib
import pkgutil
from pathlib import Path

import pytest
from sqlalchemy import select, text

import privacycrm_desktop.persistence as persistence_package
from helpers.merge_dump import dump
from privacycrm_desktop.domain.access import Role
from privacycrm_desktop.domain.companies import CompanyInput, LinkInput
from privacycrm_desktop.domain.consent import Channel, ConsentMethod, ConsentStatus
from privacycrm_desktop.domain.contacts import ContactInput
from privacycrm_desktop.domain.erasure import ErasureReason
from privacycrm_desktop.domain.errors import NotFound, PermissionDenied
from privacycrm_desktop.domain.merges import MergeRefused
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.domain.requests import RequestKind
from privacycrm_desktop.persistence.merge_rows import contact_references, load_all_tables
from privacycrm_desktop.persistence.models import AuditEvent
from privacycrm_desktop.services.clock import FixedClock
from privacycrm_desktop.services.consent_dto import ConsentInput
from privacycrm_desktop.services.disclosures import DisclosureInput
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.merge_moves import MERGE_RULES, ref_name
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.services.requests import RequestInput

CARD = SourceInput(SourceKind.BUSINESS_CARD, "Batibouw 2026, stand 12", dt.date(2026, 2, 20))
CALL = SourceInput(SourceKind.PHONE_CALL, "Called about the offer", dt.date(2026, 3, 1))
NEWSLETTER = "direct_marketing_consent"


def _user(svc: Services, owner: Actor, role: Role) -> Actor:
    name = f"u_{role.value}"
    svc.auth.add_user(owner, name, "a long password 1", role)
    return svc.auth.login(name, "a long password 1")


def test_every_table_referring_to_contacts_has_a_merge_rule() -> None:
    """A table added later with a foreign key to the contact fails here until the merge
    says what to do with its rows (services/merge_moves.py)."""
    for info in pkgutil.walk_packages(
        persistence_package.__path__, persistence_package.__name__ + "."
    ):
        if ".migrations" not in info.name:
            importlib.import_module(info.name)
    load_all_tables()
    found = {ref_name(table, column) for table, column in contact_references()}
    assert len(found) >= 10
    assert found == set(MERGE_RULES)


def _two_of_one_person(svc: Services, owner: Actor) -> tuple[int, int]:
    first = svc.contacts.create(
        owner,
        ContactInput(
            first_name="Zoë",
            last_name="Lefèvre",
            emails=("zoe@example.be",),
            phones=("0475 12 34 56",),
            city="Gent",
        ),
        CARD,
    )
    second = svc.contacts.create(
        owner,
        ContactInput(
            first_name="Zoe",
            last_name="Lefevre",
            emails=("ZOE@example.be", "zoe.l@work.be"),
            phones=("0476 99 88 77",),
            postcode="9000",
            street="Kerkstraat 1",
            city="Brugge",
            notes="Prefers mornings",
        ),
        CALL,
    )
    return first, second


def test_a_merge_moves_everything_keeps_sources_and_undo_restores_exactly(
    svc: Services, owner: Actor, clock: FixedClock
) -> None:
    keep, other = _two_of_one_person(svc, owner)
    vip = svc.tags.create(owner, "VIP", "#ff0000")
    fair = svc.tags.create(owner, "Fair", "#00ff00")
    svc.tags.assign(owner, vip, [keep, other])
    svc.tags.assign(owner, fair, [other])
    consent = ConsentInput(
        other,
        NEWSLETTER,
        Channel.EMAIL,
        ConsentStatus.OPT_IN,
        ConsentMethod.FORM_BOX_TICKED,
        "web form ref. 4711",
    )
    svc.consent.record(owner, consent)
    day = dt.date(2025, 3, 1)
    svc.disclosures.record(
        owner, DisclosureInput(other, "Accountant BV", "invoicing", ("identity",), day)
    )
    request_id = svc.requests.add(owner, RequestInput(RequestKind.ACCESS, (keep, other), day))
    svc.retention.add_hold(owner, other, "dispute", dt.date(2027, 1, 1))
    company = svc.companies.add(owner, CompanyInput(name="Brouwerij NV"), CARD)
    svc.companies.link(owner, other, company, LinkInput("Aankoper"), CALL)
    with svc.uow() as uow:
        before = dump(uow.session.connection(), [keep, other])

    result = svc.merges.merge(owner, keep, [other], {"city": other})

    detail = svc.contacts.get(owner, keep)
    values = detail
    assert values.city == "Brugge"  # chosen
    assert values.postcode == "9000"  # empty on the survivor: filled
    assert values.first_name == "Zoë"  # the survivor's
    assert values.notes == "Prefers mornings"
    # The addresses united, the one both had once.
    assert sorted(e.value for e in values.emails) == ["zoe.l@work.be", "zoe@example.be"]
    assert len(values.phones) == 2
    assert detail.provenance["city"].kind is SourceKind.PHONE_CALL
    assert detail.provenance["first_name"].kind is SourceKind.BUSINESS_CARD
    with pytest.raises(NotFound):
        svc.contacts.get(owner, other)
    assert svc.merges.resolve(other) == keep
    with svc.uow() as uow:
        conn = uow.session.connection()
        after = dump(conn, [keep, other])
        tags = conn.execute(
            text("SELECT tag_id FROM contact_tag WHERE contact_id = :c ORDER BY tag_id"),
            {"c": keep},
        ).scalars()
        assert sorted(tags) == sorted([vip, fair])
        owners = {
            table: {r[column] for r in rows}
            for table, column, rows in (
                ("consent_event", 1, after["consent_event.contact_id"]),
                ("disclosure", 1, after["disclosure.contact_id"]),
                ("retention_hold", 1, after["retention_hold.contact_id"]),
            )
        }
        assert all(found == {keep} for found in owners.values()), owners
        assert len(after["request_contact.contact_id"]) == 1  # the request once, on keep
        assert after["request_contact.contact_id"][0][0] == request_id
        assert {r[1] for r in after["company_link.contact_id"]} == {keep}
        events = conn.execute(
            select(AuditEvent.action, AuditEvent.detail).where(
                AuditEvent.action.like("contact.merge%")
            )
        ).all()
    assert events == [("contact.merge", f"merge={result.merge_id};merged={other}")]

    svc.merges.undo(owner, result.merge_id)
    with svc.uow() as uow:
        restored = dump(uow.session.connection(), [keep, other])
    assert restored == before
    assert svc.merges.resolve(other) == other
    with pytest.raises(MergeRefused):
        svc.merges.undo(owner, result.merge_id)


def test_undo_is_refused_after_the_limit_and_after_the_survivor_was_erased(
    svc: Services, owner: Actor, clock: FixedClock
) -> None:
    keep, other = _two_of_one_person(svc, owner)
    old = svc.merges.merge(owner, keep, [other])
    clock.advance(dt.timedelta(days=8))
    svc.merges.set_undo_days(owner, 7)
    with pytest.raises(MergeRefused, match="7 days"):
        svc.merges.undo(owner, old.merge_id)
    keep, other = _two_of_one_person(svc, owner)
    merged = svc.merges.merge(owner, keep, [other])
    svc.erasure.erase(owner, keep, ErasureReason.OTHER)
    with pytest.raises(MergeRefused, match="erased"):
        svc.merges.undo(owner, merged.merge_id)
    with svc.uow() as uow:
        copies = uow.session.execute(
            text("SELECT snapshot, result, closed FROM contact_merge ORDER BY id")
        ).all()
    # Nothing of the erased person stays in the merge records, nor of the expired one.
    assert [tuple(c) for c in copies] == [("", "", "expired"), ("", "", "erased")]


def test_desk_roles_may_not_merge_and_bad_merges_are_refused(svc: Services, owner: Actor) -> None:
    keep, other = _two_of_one_person(svc, owner)
    for role in (Role.SALES, Role.OFFICE, Role.READ_ONLY):
        desk = _user(svc, owner, role)
        with pytest.raises(PermissionDenied):
            svc.merges.merge(desk, keep, [other])
        with pytest.raises(PermissionDenied):
            svc.duplicates.find(desk)
    with pytest.raises(MergeRefused):
        svc.merges.merge(owner, keep, [keep])
    with pytest.raises(MergeRefused):
        svc.merges.merge(owner, keep, [other], {"city": 999_999})
    with pytest.raises(NotFound):
        svc.merges.merge(owner, keep, [999_999])
    assert svc.contacts.get(owner, other).city == "Brugge"  # nothing happened


def test_a_chain_of_merges_leads_old_ids_to_the_last_survivor(svc: Services, owner: Actor) -> None:
    a, b = _two_of_one_person(svc, owner)
    c = svc.contacts.create(owner, ContactInput(first_name="Z", last_name="Lefèvre"), CARD)
    first = svc.merges.merge(owner, b, [a])
    second = svc.merges.merge(owner, c, [b])
    assert svc.merges.resolve(a) == c
    with pytest.raises(MergeRefused, match="undo that merge first"):
        svc.merges.undo(owner, first.merge_id)
    svc.merges.undo(owner, second.merge_id)
    assert svc.merges.resolve(a) == b
    svc.merges.undo(owner, first.merge_id)
    assert svc.merges.resolve(a) == a
    assert svc.contacts.get(owner, a).city == "Gent"


def test_an_old_export_uid_of_a_merged_away_contact_names_the_survivor(
    svc: Services, owner: Actor
) -> None:
    from privacycrm_desktop.services.contact_uids import ContactUids

    keep, other = _two_of_one_person(svc, owner)
    with svc.uow() as uow:
        uid = ContactUids(uow.session).uid(other)
    svc.merges.merge(owner, keep, [other])
    with svc.uow() as uow:
        uids = ContactUids(uow.session)
        assert uids.contact_id(uid) == keep
        assert uids.contact_id(uids.uid(keep)) == keep


def test_the_audit_viewer_says_where_a_merged_away_contact_leads(
    svc: Services, owner: Actor
) -> None:
    from privacycrm_desktop.services.audit_text import describe_record

    keep, other = _two_of_one_person(svc, owner)
    svc.merges.merge(owner, keep, [other])
    shown = {
        (e.action, e.entity_id): describe_record(e.entity, e.entity_id, e.record_name, "en")
        for e in svc.audit.list_events(owner)
        if e.entity == "contact"
    }
    assert shown[("contact.create", str(other))] == (f"Contact no. {other}, merged into no. {keep}")
    assert shown[("contact.create", str(keep))] == f"Contact no. {keep}"


def test_erasing_the_survivor_leaves_no_byte_of_the_merged_contacts(
    svc: Services, owner: Actor, db_path: Path
) -> None:
    canary = "qzxmergecanary"
    source = SourceInput(SourceKind.BUSINESS_CARD, f"{canary}source", dt.date(2025, 2, 20))
    keep = svc.contacts.create(owner, ContactInput(first_name="Zoë", last_name="Keep"), CARD)
    other = svc.contacts.create(
        owner,
        ContactInput(
            first_name=f"{canary}first",
            last_name="Keep",
            emails=(f"{canary}@example.be",),
            notes=f"{canary}notes",
            street=f"{canary}street",
        ),
        source,
    )
    svc.merges.merge(owner, keep, [other], {"street": keep})
    assert canary.encode() in file_bytes(db_path)
    svc.erasure.erase(owner, keep, ErasureReason.ERASURE_REQUEST)
    raw = file_bytes(db_path)
    at = raw.find(canary.encode())
    assert at < 0, raw[max(0, at - 200) : at + 100]


def file_bytes(db_path: Path) -> bytes:
    parts = [db_path, Path(f"{db_path}-wal"), Path(f"{db_path}-shm")]
    return b"".join(p.read_bytes().lower() for p in parts if p.exists())


def test_the_access_report_lists_the_copy_kept_of_a_merge_until_it_goes(
    svc: Services, owner: Actor, clock: FixedClock
) -> None:
    import json

    keep, other = _two_of_one_person(svc, owner)
    done = svc.merges.merge(owner, keep, [other])
    document = json.loads(svc.access_reports.produce(owner, keep, "en").json)
    merged = [d for d in document["data"] if d["field"] == "merged_contacts"]
    assert merged == [
        {
            "contact_id": keep,
            "field": "merged_contacts",
            "value": [other],
            "held_since": clock.now().date().isoformat(),
            "kept_until": (clock.now() + dt.timedelta(days=30)).date().isoformat(),
            "source": None,
        }
    ]
    svc.merges.undo(owner, done.merge_id)
    document = json.loads(svc.access_reports.produce(owner, keep, "en").json)
    assert [d for d in document["data"] if d["field"] == "merged_contacts"] == []


def _custom(svc: Services, owner: Actor, cid: int) -> str:
    (value,) = (v.value for v in svc.contacts.get(owner, cid).custom if v.key == "customer_no")
    return value


def test_a_custom_field_keeps_the_value_chosen_and_undo_gives_both_back(
    svc: Services, owner: Actor
) -> None:
    # Seen from outside: the other contact's value was dropped, and --take refused it.
    from privacycrm_desktop.domain.custom_fields import CustomFieldDefinition, CustomKind

    svc.custom_fields.define(owner, CustomFieldDefinition("customer_no", "No.", CustomKind.TEXT))
    keep = svc.contacts.create(
        owner, ContactInput(first_name="Zoë", extra={"customer_no": "K-1"}), CARD
    )
    other = svc.contacts.create(
        owner, ContactInput(first_name="Zoe", extra={"customer_no": "K-2"}), CARD
    )
    assert (_custom(svc, owner, keep), _custom(svc, owner, other)) == ("K-1", "K-2")
    with svc.uow() as uow:
        before = dump(uow.session.connection(), [keep, other])
    with pytest.raises(MergeRefused):
        svc.merges.merge(owner, keep, [other], {"cf_unknown": other})
    done = svc.merges.merge(owner, keep, [other], {"cf_customer_no": other})
    assert _custom(svc, owner, keep) == "K-2"
    svc.merges.undo(owner, done.merge_id)
    assert (_custom(svc, owner, keep), _custom(svc, owner, other)) == ("K-1", "K-2")
    with svc.uow() as uow:
        assert dump(uow.session.connection(), [keep, other]) == before


def test_two_current_places_at_one_company_become_one_and_a_past_one(
    svc: Services, owner: Actor, clock: FixedClock
) -> None:
    # Seen from outside: the survivor had two open links to the same company.
    keep, other = _two_of_one_person(svc, owner)
    company = svc.companies.add(owner, CompanyInput(name="Brouwerij Zoë NV"), CARD)
    svc.companies.link(owner, other, company, LinkInput("Buyer", "Purchasing"), CARD)
    svc.companies.link(owner, keep, company, LinkInput("Manager", "Board"), CARD)
    with svc.uow() as uow:
        before = dump(uow.session.connection(), [keep, other])
    done = svc.merges.merge(owner, keep, [other])
    links = svc.companies.links_of(owner, keep)
    current = [(link.function, link.ended_on) for link in links if link.ended_on is None]
    past = [(link.function, link.ended_on) for link in links if link.ended_on is not None]
    assert current == [("Manager", None)]
    assert past == [("Buyer", clock.now().date())]
    svc.merges.undo(owner, done.merge_id)
    with svc.uow() as uow:
        assert dump(uow.session.connection(), [keep, other]) == before


def test_a_later_merge_leaves_the_records_of_past_merges_as_they_were(
    svc: Services, owner: Actor
) -> None:
    """A merge record names the contact it kept for good: merging that contact again
    (after the first merge was undone, or while it is still open) does not rewrite it."""
    a, b = _two_of_one_person(svc, owner)
    c = svc.contacts.create(owner, ContactInput(first_name="Z", last_name="Lefèvre"), CARD)
    undone = svc.merges.merge(owner, b, [a])
    svc.merges.undo(owner, undone.merge_id)
    opened = svc.merges.merge(owner, b, [a])
    later = svc.merges.merge(owner, c, [b])

    def kept() -> dict[int, int | None]:
        return {m.merge_id: m.survivor_id for m in svc.merges.merges(owner)}

    assert kept() == {undone.merge_id: b, opened.merge_id: b, later.merge_id: c}
    with pytest.raises(MergeRefused, match="undo that merge first"):
        svc.merges.undo(owner, opened.merge_id)
    svc.merges.undo(owner, later.merge_id)
    assert kept() == {undone.merge_id: b, opened.merge_id: b, later.merge_id: c}
    svc.merges.undo(owner, opened.merge_id)
    assert svc.merges.resolve(a) == a
    assert svc.contacts.get(owner, a).city == "Gent"


def test_the_access_report_lists_every_personal_value_a_merge_copy_keeps(
    svc: Services, owner: Actor
) -> None:
    """Every value of the merged contact held only in the merge's copy (its name, notes,
    address, a custom value not chosen, its source, its place at a company) is listed,
    found by reading every table of the copy for the planted marks."""
    import json
    import re

    from privacycrm_desktop.domain.custom_fields import CustomFieldDefinition, CustomKind

    svc.custom_fields.define(owner, CustomFieldDefinition("customer_no", "No.", CustomKind.TEXT))
    mark = "qzxcopy"
    keep = svc.contacts.create(
        owner, ContactInput(first_name="Zoë", last_name="Keep", extra={"customer_no": "K-1"}), CARD
    )
    source = SourceInput(SourceKind.BUSINESS_CARD, f"{mark}source", dt.date(2025, 2, 20))
    other = svc.contacts.create(
        owner,
        ContactInput(
            first_name=f"{mark}first",
            last_name="Keep",
            notes=f"{mark}notes",
            street=f"{mark}street",
            emails=(f"{mark}mail@example.be",),
            extra={"customer_no": f"{mark}customer"},
        ),
        source,
    )
    firm = svc.companies.add(owner, CompanyInput(name="Brouwerij"), CARD)
    svc.companies.link(owner, other, firm, LinkInput(f"{mark}function", f"{mark}dept"), CARD)
    svc.merges.merge(owner, keep, [other])
    with svc.uow() as uow:
        copy = uow.session.execute(text("SELECT snapshot FROM contact_merge")).scalar_one()
    held = set(re.findall(rf"{mark}\w+", copy))
    assert len(held) >= 7
    document = json.loads(svc.access_reports.produce(owner, keep, "en").json)
    listed = json.dumps(document["data"])
    assert {h for h in held if h not in listed} == set()
    copies = [d for d in document["data"] if d["field"] == "merge_copy"]
    assert f"{mark}notes" in {d["value"]["value"] for d in copies}
