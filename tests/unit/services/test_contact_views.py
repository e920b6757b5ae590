"""The list's saved views (expired, opted in by e-mail...), keep-until order and the card."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import Engine, event, text

from privacycrm_desktop.domain.access import Role
from privacycrm_desktop.domain.consent import Channel, ConsentMethod, ConsentStatus
from privacycrm_desktop.domain.contacts import ContactInput, Relationship
from privacycrm_desktop.domain.errors import PermissionDenied
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.domain.retention import RECONFIRM_REASON
from privacycrm_desktop.services.clock import FixedClock
from privacycrm_desktop.services.consent_dto import ConsentInput
from privacycrm_desktop.services.dto import Actor, ContactFilter, ContactSort, ListFilter
from privacycrm_desktop.services.registry import Services

NEWSLETTER = "direct_marketing_consent"
SOURCE = SourceInput(SourceKind.BUSINESS_CARD, "Trade fair", dt.date(2025, 2, 20))


def add(services: Services, owner: Actor, last: str, **changes: Any) -> int:
    return services.contacts.create(
        owner, ContactInput(first_name="An", last_name=last, **changes), SOURCE
    )


def set_keep(services: Services, contact_id: int, until: dt.date | None, reason: str) -> None:
    with services.uow(write=True) as uow:
        uow.session.execute(
            text("UPDATE contact SET keep_until = :u, keep_reason = :r WHERE id = :i"),
            {"u": until, "r": reason, "i": contact_id},
        )


def consent(
    services: Services, owner: Actor, contact_id: int, status: ConsentStatus, channel: Channel
) -> None:
    services.consent.record(
        owner,
        ConsentInput(
            contact_id,
            NEWSLETTER,
            channel,
            status,
            ConsentMethod.FORM_BOX_TICKED,
            evidence="web form ref. 4711",
        ),
    )


@pytest.fixture
def people(services: Services, owner: Actor, clock: FixedClock) -> dict[str, int]:
    ids = {
        "expired": add(services, owner, "Expired", relationship=Relationship.CUSTOMER),
        "expiring": add(services, owner, "Expiring"),
        "reconsent": add(services, owner, "Reconsent", emails=("r@example.be",)),
        "opted_in": add(services, owner, "Optedin", emails=("o@example.be",)),
        "opted_out": add(services, owner, "Optedout", emails=("x@example.be",)),
        "phone_in": add(services, owner, "Phonein", phones=("0475 12 34 56",)),
        "supplier": add(services, owner, "Supplier", relationship=Relationship.SUPPLIER),
    }
    consent(services, owner, ids["opted_in"], ConsentStatus.OPT_IN, Channel.EMAIL)
    consent(services, owner, ids["reconsent"], ConsentStatus.OPT_IN, Channel.EMAIL)
    consent(services, owner, ids["opted_out"], ConsentStatus.OPT_IN, Channel.EMAIL)
    consent(services, owner, ids["phone_in"], ConsentStatus.OPT_IN, Channel.PHONE)
    # The later opt-out decides.
    clock.advance(dt.timedelta(minutes=1))
    consent(services, owner, ids["opted_out"], ConsentStatus.OPT_OUT, Channel.EMAIL)
    today = services.clock.today()
    far = today + dt.timedelta(days=3000)
    for cid in ids.values():
        set_keep(services, cid, far, "prospect_follow_up")
    set_keep(services, ids["expired"], today - dt.timedelta(days=1), "no_purpose")
    set_keep(services, ids["expiring"], today + dt.timedelta(days=30), "prospect_follow_up")
    set_keep(services, ids["reconsent"], today + dt.timedelta(days=10), RECONFIRM_REASON)
    return ids


def shown(services: Services, actor: Actor, view: ListFilter, query: str = "") -> set[int]:
    total = services.contacts.count(actor, query, view)
    rows = services.contacts.page(actor, query=query, view=view, limit=200, total=total)
    assert len(rows) == total
    return {row.id for row in rows}


def test_each_view_shows_its_contacts(
    services: Services, owner: Actor, people: dict[str, int]
) -> None:
    expected = {
        ContactFilter.ALL: set(people.values()),
        ContactFilter.EXPIRED: {people["expired"]},
        ContactFilter.EXPIRING: {people["expiring"], people["reconsent"]},
        ContactFilter.RECONSENT: {people["reconsent"]},
        ContactFilter.OPTED_IN: {people["opted_in"], people["reconsent"]},
        ContactFilter.NO_CONSENT: set(people.values()) - {people["opted_in"], people["reconsent"]},
        ContactFilter.RELATIONSHIP: {people["expired"]},
    }
    for kind in ContactFilter:
        assert shown(services, owner, ListFilter(kind)) == expected[kind], kind


def test_views_by_channel_and_relationship(
    services: Services, owner: Actor, people: dict[str, int]
) -> None:
    by_phone = ListFilter(ContactFilter.OPTED_IN, channel=Channel.PHONE)
    assert shown(services, owner, by_phone) == {people["phone_in"]}
    suppliers = ListFilter(ContactFilter.RELATIONSHIP, relationship=Relationship.SUPPLIER)
    assert shown(services, owner, suppliers) == {people["supplier"]}


def test_a_view_narrows_a_search(services: Services, owner: Actor, people: dict[str, int]) -> None:
    view = ListFilter(ContactFilter.OPTED_IN)
    assert shown(services, owner, view, "Optedin") == {people["opted_in"]}
    assert shown(services, owner, view, "Supplier") == set()
    phones = ListFilter(ContactFilter.OPTED_IN, channel=Channel.PHONE)
    assert shown(services, owner, phones, "0475") == {people["phone_in"]}


def test_the_list_sorts_by_keep_until(
    services: Services, owner: Actor, people: dict[str, int]
) -> None:
    rows = services.contacts.page(owner, sort=ContactSort.KEEP_UNTIL)
    assert [r.id for r in rows[:3]] == [people["expired"], people["reconsent"], people["expiring"]]
    backwards = services.contacts.page(owner, sort=ContactSort.KEEP_UNTIL, descending=True)
    assert [r.id for r in backwards] == [r.id for r in rows][::-1]


def test_no_view_by_a_relationship_the_role_may_not_read(
    services: Services, owner: Actor, people: dict[str, int]
) -> None:
    from privacycrm_desktop.domain.access import FieldAccess

    services.auth.add_user(owner, "reader", "another good password", Role.READ_ONLY)
    services.access.set_field_access(owner, Role.READ_ONLY, "relationship", FieldAccess.HIDDEN)
    reader = services.auth.login("reader", "another good password")
    assert ContactFilter.RELATIONSHIP not in services.contacts.filters(reader)
    with pytest.raises(PermissionDenied):
        services.contacts.count(reader, "", ListFilter(ContactFilter.RELATIONSHIP))


def test_the_card_holds_sources_consent_and_why_kept(
    services: Services, owner: Actor, people: dict[str, int]
) -> None:
    card = services.contacts.card(owner, people["reconsent"])
    assert card.detail.last_name == "Reconsent"
    assert card.detail.emails[0].source.description == "Trade fair"
    assert card.keep_reason == RECONFIRM_REASON
    email_lines = [line for line in card.consent if line.verdict.channel is Channel.EMAIL]
    assert [line.verdict.allowed for line in email_lines] == [True]
    assert email_lines[0].purpose  # the purpose the opt-in is for
    assert {line.verdict.channel for line in card.consent} == set(Channel)


def test_the_no_consent_count_reads_the_consents_not_every_contact(
    services: Services, owner: Actor, people: dict[str, int]
) -> None:
    """The count of contacts without consent is all contacts minus those with one: the
    consent events are read, never every contact (a million probed: 86 ms)."""
    seen: list[str] = []

    def record(*args: object) -> None:
        seen.append(str(args[2]))

    view = ListFilter(ContactFilter.NO_CONSENT)
    event.listen(Engine, "before_cursor_execute", record)
    try:
        total = services.contacts.count(owner, "", view)
    finally:
        event.remove(Engine, "before_cursor_execute", record)
    assert total == len(people) - 2  # all but the two opted in by e-mail
    assert shown(services, owner, view) == set(people.values()) - {
        people["opted_in"],
        people["reconsent"],
    }
    # Each count statement starts from the counter or the consent events, not the contacts.
    counts = [s for s in seen if "count(*)" in s or "contact_count" in s]
    assert counts
    assert not any("FROM contact AS c" in s or "NOT IN" in s for s in counts), counts


def test_the_card_reads_why_kept_in_one_statement_and_purpose_names_only_for_events(
    services: Services, owner: Actor, people: dict[str, int]
) -> None:
    """Each statement is a round trip on the server: the keep reason comes with its
    purpose's name in one read, and the purposes' names are read only for a contact with
    a recorded consent event (they name its lines)."""
    from sqlalchemy import event

    engine = services.uow.engine
    sent: list[str] = []

    def note(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        sent.append(" ".join(statement.split()))

    set_keep(services, people["opted_in"], dt.date(2027, 1, 1), NEWSLETTER)
    event.listen(engine, "before_cursor_execute", note)
    try:
        with_event = services.contacts.card(owner, people["opted_in"])
        read_with_event = list(sent)
        sent.clear()
        without = services.contacts.card(owner, people["supplier"])
        read_without = list(sent)
    finally:
        event.remove(engine, "before_cursor_execute", note)
    assert with_event.keep_purpose  # the purpose named by the reason, read with it
    assert [line.purpose for line in with_event.consent if line.purpose]
    assert not [line.purpose for line in without.consent if line.purpose]

    def names_read(statements: list[str]) -> int:
        return sum(
            s.startswith("SELECT purpose.code, purpose.name FROM purpose") for s in statements
        )

    assert names_read(read_with_event) == 1
    assert names_read(read_without) == 0
    for statements in (read_with_event, read_without):
        assert not [s for s in statements if s.startswith("SELECT contact.keep_reason FROM")]
        assert not [s for s in statements if s.startswith("SELECT purpose.name FROM purpose")]
    assert len(read_without) == len(read_with_event) - 1
