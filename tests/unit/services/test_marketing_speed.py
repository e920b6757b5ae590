"""What makes a marketing list of tens of thousands fast: one-shot digests, plain rows,
only the list's channel hashed for the opt-outs keyed by a contact point."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from sqlalchemy import Engine, event

from privacycrm_desktop.domain import suppression
from privacycrm_desktop.domain.consent import Channel
from privacycrm_desktop.domain.suppression import HashKind
from privacycrm_desktop.services import marketing_facts, marketing_rows
from privacycrm_desktop.services.clock import FixedClock
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.marketing_facts import get_salt, marketing_rules
from privacycrm_desktop.services.marketing_list import decide_list
from privacycrm_desktop.services.registry import Services


@pytest.fixture
def unsubscribed(svc: Services, owner: Actor) -> None:
    svc.demo.generate(owner, 40, seed=23)
    first = svc.contacts.page(owner, limit=1)[0]
    svc.consent.unsubscribe(owner, first.id)


def test_the_digest_is_the_hmac_it_always_was() -> None:
    salt = "ab" * 32
    for kind in HashKind:
        expected = hmac.new(
            salt.encode("ascii"), f"{kind.value}:jan@x.be".encode(), hashlib.sha256
        ).hexdigest()
        assert suppression.normalised_digest(salt, kind, "jan@x.be") == expected


@pytest.mark.usefixtures("unsubscribed")
def test_an_email_list_hashes_no_other_channel_for_shared_opt_outs(
    svc: Services, owner: Actor, monkeypatch: pytest.MonkeyPatch, clock: FixedClock
) -> None:
    # Contacts whose digests are not stored (changed since the last list) are hashed.
    kinds: list[HashKind] = []
    real = marketing_rows.suppression_digest

    def counting(salt: str, kind: HashKind, value: str) -> str:
        kinds.append(kind)
        return real(salt, kind, value)

    monkeypatch.setattr(marketing_rows, "suppression_digest", counting)
    with svc.uow() as uow:
        session = uow.session
        rules = marketing_rules(session)
        rows = decide_list(
            session,
            get_salt(session),
            rules["direct_marketing_consent"],
            rules,
            Channel.EMAIL,
            clock.today(),
        ).rows
    assert any(not r.reachable for r in rows)
    assert kinds
    assert set(kinds) == {HashKind.EMAIL}


@pytest.mark.usefixtures("unsubscribed")
def test_consent_events_are_read_as_plain_rows_without_their_evidence_file(
    svc: Services, owner: Actor, engine: Engine
) -> None:
    seen: list[str] = []

    def record(*args: object) -> None:
        seen.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", record)
    try:
        svc.marketing.build(owner, "direct_marketing_consent", Channel.EMAIL)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    reads = [s for s in seen if "FROM consent_event" in s]
    assert reads
    assert not any("evidence_file" in s for s in reads)


def test_a_card_reads_only_the_suppression_rows_and_keyed_opt_outs_under_its_digests(
    svc: Services, owner: Actor, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    svc.demo.generate(owner, 40, seed=23)
    people = svc.contacts.page(owner, limit=40)
    for row in people[:6]:
        svc.consent.unsubscribe(owner, row.id)  # suppression rows, keyed opt-outs
    target = people[10].id
    made: list[object] = []
    real = marketing_facts.event_fact

    def counting(row: object, codes: dict[int, str]) -> object:
        made.append(row)
        return real(row, codes)

    seen: list[tuple[str, object]] = []

    def record(*args: object) -> None:
        seen.append((str(args[2]), args[3]))

    monkeypatch.setattr(marketing_facts, "event_fact", counting)
    event.listen(engine, "before_cursor_execute", record)
    try:
        svc.consent.channels(owner, target)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    # No event row of the unsubscribed contacts (their keyed opt-outs are not this one's).
    assert not [row for row in made if row[0] != target]
    reads = [sql for sql, _params in seen if "FROM suppression" in sql]
    assert reads
    assert all("WHERE suppression.digest IN" in sql for sql in reads), reads
