"""What a marketing list reads (issue 23): the organisation addresses by their partial
index, of the contacts it lists only the columns the channel's list shows, and the same
list as the rules give one contact at a time."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import Engine, event, text

from privacycrm_desktop.domain.consent import Channel, ConsentMethod, ConsentStatus
from privacycrm_desktop.domain.contacts import ContactInput, ContactKind, Relationship
from privacycrm_desktop.domain.marketing import decide, explain
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.persistence import contact_digests
from privacycrm_desktop.services.clock import FixedClock
from privacycrm_desktop.services.consent_dto import ConsentInput
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.marketing_facts import get_salt, load_facts, marketing_rules
from privacycrm_desktop.services.registry import Services

NEWSLETTER = "direct_marketing_consent"
SOFT = "direct_marketing_soft_opt_in"


@contextmanager
def _statements(engine: Engine) -> Iterator[list[tuple[str, object]]]:
    seen: list[tuple[str, object]] = []

    def record(*args: object) -> None:
        seen.append((str(args[2]), args[3]))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


@pytest.fixture
def listed(svc: Services, owner: Actor, clock: FixedClock) -> list[int]:
    """People and organisation addresses with e-mail, phone and post; opt-ins, an
    opt-out after an opt-in, soft opt-ins from a sale, an unsubscribed person."""
    sale = SourceInput(SourceKind.SALE, "invoice", clock.today())
    ids = []
    for n in range(12):
        kind = ContactKind.ORGANISATION_ADDRESS if n % 4 == 0 else ContactKind.PERSON
        data = ContactInput(
            kind=kind,
            first_name=f"Name{n}",
            last_name="Test",
            organisation=f"Org {n % 3}",
            emails=(f"p{n}@x.be",) if n % 5 else (),
            phones=(f"+3247500{n:04d}",),
            street="Markt 1" if n % 3 else "",
            postcode="9000",
            city="Gent",
            relationship=Relationship.CUSTOMER,
        )
        ids.append(svc.contacts.create(owner, data, sale))
    for n, cid in enumerate(ids):
        for channel in Channel:
            statuses = [ConsentStatus.OPT_IN] if n % 2 else [ConsentStatus.SOFT_OPT_IN]
            if n % 3 == 0:
                statuses.append(ConsentStatus.OPT_OUT)
            for status in statuses:
                clock.advance(dt.timedelta(minutes=1))
                soft = status is ConsentStatus.SOFT_OPT_IN
                svc.consent.record(
                    owner,
                    ConsentInput(
                        cid,
                        SOFT if soft else NEWSLETTER,
                        channel,
                        status,
                        ConsentMethod.SALE if soft else ConsentMethod.FORM_BOX_TICKED,
                        "ref",
                        None,
                        "tea",
                        None,
                        opt_out_offered=True,
                    ),
                )
    svc.consent.unsubscribe(owner, ids[7])
    return ids


@pytest.mark.usefixtures("listed")
def test_organisation_addresses_are_found_by_their_partial_index(
    svc: Services, owner: Actor, engine: Engine
) -> None:
    """Finding them read every contact (kind is in no other index): a tenth of a list of
    50,000 from a million contacts (migration 0027)."""
    with _statements(engine) as seen:
        svc.marketing.build(owner, NEWSLETTER, Channel.EMAIL)
    found = [(sql, params) for sql, params in seen if "kind = 'organisation_address'" in sql]
    assert found, "the organisation addresses are found by the index's own condition"
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            definition = conn.exec_driver_sql(
                "SELECT sql FROM sqlite_schema WHERE name = 'ix_contact_organisation_address'"
            ).scalar_one()
            sql, params = found[0]
            plan = " ".join(
                str(row[3]) for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params)
            )
            by_index = "SCAN contact USING COVERING INDEX ix_contact_organisation_address"
            assert by_index in plan, plan
            assert plan.count("SCAN contact") == plan.count(by_index), plan  # no other scan
        else:
            definition = conn.exec_driver_sql(
                "SELECT indexdef FROM pg_indexes "
                "WHERE indexname = 'ix_contact_organisation_address'"
            ).scalar_one()
    assert "WHERE" in definition, definition
    assert "organisation_address" in definition, definition


@pytest.mark.usefixtures("listed")
def test_a_list_reads_of_the_contacts_it_lists_only_the_columns_its_channel_shows(
    svc: Services, owner: Actor, engine: Engine
) -> None:
    for channel, street in ((Channel.EMAIL, False), (Channel.PHONE, False), (Channel.POST, True)):
        with _statements(engine) as seen:
            result = svc.marketing.build(owner, NEWSLETTER, channel)
        assert result.entries
        listing = [sql for sql, _params in seen if "ORDER BY contact.sort_name" in sql]
        assert len(listing) == 1, listing
        assert ("contact.street" in listing[0]) is street, (channel, listing[0])
        assert "contact.notes" not in listing[0]


def test_the_list_is_what_the_rules_give_one_contact_at_a_time(
    svc: Services, owner: Actor, listed: list[int], clock: FixedClock
) -> None:
    """Every purpose and channel: the entries in name order with the values, point,
    reason and explanation that ``load_facts`` + ``decide`` + ``explain`` give, and the
    others counted by their reason."""
    today = clock.today()
    with svc.uow() as uow:
        session = uow.session
        rules = marketing_rules(session)
        facts = load_facts(session, get_salt(session))
    assert sorted(f.id for f in facts) == sorted(listed)
    point_column = {Channel.EMAIL: "email", Channel.PHONE: "phone", Channel.SMS: "phone"}
    for purpose, category in ((NEWSLETTER, None), (SOFT, "tea"), (SOFT, "coffee")):
        for channel in Channel:
            result = svc.marketing.build(owner, purpose, channel, category)
            expected, excluded = [], {}
            for fact in facts:
                decision = decide(
                    fact.subjects[channel], rules[purpose], channel, today, category, rules
                )
                if not decision.reachable:
                    reason = decision.reason.value
                    excluded[reason] = excluded.get(reason, 0) + 1
                    continue
                values = {c: fact.values[c] for c in result.columns if c in fact.values}
                if channel in point_column:
                    assert decision.point is not None
                    values[point_column[channel]] = decision.point.value
                expected.append((fact.id, values, decision.reason, explain(decision, channel)))
            got = [(e.contact_id, e.values, e.reason, e.explanation) for e in result.entries]
            assert got == expected, (purpose, channel, category)
            assert result.excluded == dict(sorted(excluded.items())), (purpose, channel)
    with svc.uow() as uow:
        kinds = uow.session.execute(text("SELECT DISTINCT kind FROM contact")).scalars()
        assert set(kinds) == {k.value for k in ContactKind}


def test_a_list_looks_for_stale_digests_once_and_again_after_storing_them(
    svc: Services, owner: Actor, listed: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each look reads every contact (half a list of 50,000 from a million): once in the
    list's own read when nothing changed; when something did, the digests are stored and
    the list made in a new read that looks again."""
    svc.marketing.build(owner, NEWSLETTER, Channel.EMAIL)  # stores every digest
    looks: list[object] = []
    real = contact_digests.stale_contacts

    def counting(*args: Any) -> list[int]:
        looks.append(args)
        return real(*args)

    monkeypatch.setattr(contact_digests, "stale_contacts", counting)
    before = svc.marketing.build(owner, NEWSLETTER, Channel.EMAIL)
    assert len(looks) == 1
    assert listed[1] in {e.contact_id for e in before.entries}
    # Given the address of the unsubscribed person (plain SQL: the triggers forget the
    # stored digests), the contact is left out.
    with svc.uow(write=True) as uow:
        uow.session.execute(
            text("UPDATE contact_email SET address = 'p7@x.be' WHERE contact_id = :c"),
            {"c": listed[1]},
        )
    looks.clear()
    after = svc.marketing.build(owner, NEWSLETTER, Channel.EMAIL)
    assert listed[1] not in {e.contact_id for e in after.entries}
    assert after.excluded["suppressed"] == before.excluded["suppressed"] + 1
    assert len(looks) == 3  # the list's read, the store, the new read
