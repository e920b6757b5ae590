"""The marketing list's set-wise decision (``decide_list``) gives every contact the very
decision the per-contact rules give it (``load_facts`` + ``decide``), on a database with
the tricky cases: withdrawn consent, an opt-out on another channel or purpose, opt-outs
keyed by a shared contact point, suppression by e-mail, phone and name + postcode (first
and last name swapped), expired consents, ended relationships, soft opt-in from a sale
or not, organisation addresses, erased and merged contacts."""

from __future__ import annotations

import datetime as dt
import hmac
import random
from collections import Counter

import pytest
from alembic import command
from sqlalchemy import inspect, text

from privacycrm_desktop.domain.consent import Channel, ConsentMethod, ConsentStatus
from privacycrm_desktop.domain.contacts import ContactInput, ContactKind, Relationship
from privacycrm_desktop.domain.erasure import ErasureReason
from privacycrm_desktop.domain.errors import ValidationFailed
from privacycrm_desktop.domain.marketing import Reason, decide
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.domain.suppression import key_fingerprint, person_digests
from privacycrm_desktop.persistence.contact_digests import (
    EVERY,
    PREFIX,
    refresh,
    stale_contacts,
)
from privacycrm_desktop.persistence.migrate import alembic_config, migrate
from privacycrm_desktop.services.clock import FixedClock
from privacycrm_desktop.services.consent_dto import ConsentInput
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.marketing_facts import get_salt, load_facts, marketing_rules
from privacycrm_desktop.services.marketing_list import decide_list
from privacycrm_desktop.services.registry import Services

NEWSLETTER = "direct_marketing_consent"
SOFT = "direct_marketing_soft_opt_in"
EMAILS = ("ann@x.be", "Ann@X.be", "bert+news@x.be", "bert@x.be", "c.d@gmail.com", "cd@gmail.com")
PHONES = ("+32475111111", "+32475222222", "+3292223344")
NAMES = (("Jan", "Peeters"), ("Peeters", "Jan"), ("Zoë", "Lefèvre"), ("An", "Maes"))
CATEGORIES = ("coffee", "tea", "shoes")


def _populate(services: Services, owner: Actor, clock: FixedClock, count: int) -> list[int]:
    rng = random.Random(23)
    start = clock.today()
    ids = []
    for n in range(count):
        # Most people have their own points; a few share one (or a name) with others.
        first, last = rng.choice(NAMES) if rng.random() < 0.2 else (f"Name{n}", "Test")
        own_email, own_phone = f"p{n}@x.be", f"+3247{n:07d}"
        emails = [rng.choice(EMAILS) if rng.random() < 0.2 else own_email]
        emails += [own_email.replace("@", "+b@")] if rng.random() < 0.2 else []
        phones = [rng.choice(PHONES) if rng.random() < 0.2 else own_phone]
        data = ContactInput(
            kind=rng.choice([ContactKind.PERSON] * 3 + [ContactKind.ORGANISATION_ADDRESS]),
            first_name=first,
            last_name=last,
            organisation=f"Org {n % 3}",
            emails=tuple(dict.fromkeys(emails)) if rng.random() < 0.85 else (),
            phones=tuple(phones) if rng.random() < 0.6 else (),
            street=rng.choice(["", "Markt 1"]),
            postcode=rng.choice(["", "9000", "4000"]),
            city=rng.choice(["", "Gent"]),
            relationship=rng.choice(list(Relationship)),
            relationship_start=start - dt.timedelta(days=400),
            relationship_end=rng.choice(
                [None, start - dt.timedelta(days=5), start + dt.timedelta(days=90)]
            ),
        )
        sale = rng.random() < 0.6
        source = SourceInput(SourceKind.SALE if sale else SourceKind.WEB_FORM, "gen", start)
        ids.append(services.contacts.create(owner, data, source))
    for contact_id in ids:
        for _ in range(rng.randint(0, 4)):
            clock.advance(dt.timedelta(minutes=rng.choice([1, 1, 0])))
            status = rng.choice(list(ConsentStatus))
            expires = rng.choice([None, clock.today() + dt.timedelta(days=rng.randint(1, 60))])
            method = (
                ConsentMethod.SALE
                if status is ConsentStatus.SOFT_OPT_IN
                else ConsentMethod.FORM_BOX_TICKED
            )
            try:
                services.consent.record(
                    owner,
                    ConsentInput(
                        contact_id,
                        rng.choice([NEWSLETTER, SOFT]),
                        rng.choice(list(Channel)),
                        status,
                        method,
                        "ref",
                        None,
                        rng.choice(CATEGORIES),
                        None if status is ConsentStatus.OPT_OUT else expires,
                        opt_out_offered=True,
                    ),
                )
            except ValidationFailed:
                continue
    # Unsubscriptions (suppression of e-mail, phone and name + postcode), an erasure that
    # leaves only point-keyed opt-outs and digests, a merge.
    for contact_id in ids[3:40:9]:
        clock.advance(dt.timedelta(minutes=1))
        services.consent.unsubscribe(owner, contact_id)
    services.erasure.erase(owner, ids[5], ErasureReason.OBJECTION)
    services.merges.merge(owner, ids[7], [ids[8]])
    clock.advance(dt.timedelta(days=30))
    return [i for i in ids if i not in (ids[5], ids[8])]


def _compare(
    services: Services, today: dt.date, left: list[int], tag: int | None = None
) -> set[str]:
    """Compare ``decide_list`` with ``load_facts`` + ``decide`` for every purpose and
    channel (the contacts of *tag* when given): the contacts it decides one by one get the
    very decision, those it only counts are counted under the reason they have; the
    reasons met."""
    reasons = set()
    with services.uow() as uow:
        session = uow.session
        rules = marketing_rules(session)
        salt = get_salt(session)
        facts = load_facts(session, salt)
        assert sorted(f.id for f in facts) == sorted(left)
        # A card's facts (its own suppression rows and keyed opt-outs only) are the same.
        for fact in facts:
            assert load_facts(session, salt, [fact.id]) == [fact]
        if tag is not None:
            tagged = set(
                session.execute(
                    text("SELECT contact_id FROM contact_tag WHERE tag_id = :t"), {"t": tag}
                ).scalars()
            )
            facts = [f for f in facts if f.id in tagged]
        for purpose, category in ((NEWSLETTER, None), (SOFT, "tea"), (SOFT, "shoes")):
            for channel in Channel:
                decided = decide_list(
                    session, salt, rules[purpose], rules, channel, today, category, tag=tag
                )
                by_id = {r.id: r for r in decided.rows}
                # In name order, as the list shows them.
                assert [r.id for r in decided.rows] == [f.id for f in facts if f.id in by_id]
                counted: Counter[Reason] = Counter()
                for fact in facts:
                    expected = decide(
                        fact.subjects[channel], rules[purpose], channel, today, category, rules
                    )
                    reasons.add(expected.reason.value)
                    row = by_id.get(fact.id)
                    if row is None:
                        counted[expected.reason] += 1
                        continue
                    point = expected.point.value if expected.point is not None else None
                    assert (row.reason, row.event, row.point, row.categories) == (
                        expected.reason,
                        expected.event,
                        point,
                        expected.categories,
                    ), (row.id, purpose, channel, category)
                    assert row.reachable is expected.reachable
                    # The columns the list's rows hold (the channel's: no street in an
                    # e-mail list).
                    assert row.values == {c: fact.values[c] for c in row.values}
                    assert set(row.values) >= {"first_name", "last_name", "language"}
                # Only "no consent" and "no contact point" are counted without reading.
                assert counted == Counter(decided.rest), (purpose, channel, category)
                assert set(counted) <= {Reason.NO_CONSENT, Reason.NO_CONTACT_POINT}
    return reasons


def _stale(services: Services) -> set[int]:
    with services.uow() as uow:
        salt = get_salt(uow.session)
        assert salt is not None
        # The contacts (not the mark of the key made after they were: EVERY).
        return set(stale_contacts(uow.session.connection(), key_fingerprint(salt))) - {EVERY}


def _store(services: Services) -> None:
    with services.uow(write=True) as uow:
        salt = get_salt(uow.session)
        assert salt is not None
        refresh(uow.session.connection(), salt)


def test_the_set_wise_list_decides_every_contact_as_the_rules_do_one_by_one(
    services: Services, owner: Actor, clock: FixedClock
) -> None:
    left = _populate(services, owner, clock, 70)
    today = clock.today()
    # Every contact hashed in the list (nothing stored yet), ...
    assert _stale(services) == set(left)
    reasons = _compare(services, today, left)
    # ... every one from the stored digests, ...
    _store(services)
    assert not _stale(services)
    assert _compare(services, today, left) == reasons
    # ... and some of each after their points changed (the triggers forgot theirs).
    with services.uow(write=True) as uow:
        conn = uow.session.connection()
        conn.execute(
            text("UPDATE contact_email SET address = 'bert@x.be' WHERE contact_id = :c"),
            {"c": left[10]},
        )
        conn.execute(
            text("UPDATE contact SET first_name = 'Jan', last_name = 'Peeters' WHERE id = :c"),
            {"c": left[11]},
        )
    assert _stale(services) == {left[10], left[11]}
    _compare(services, today, left)
    # A tag's list: its contacts only, decided or counted alike.
    tag = services.tags.create(owner, "fair")
    services.tags.assign(owner, tag, left[::3])
    _compare(services, today, left, tag)
    # The population reaches the cases it is about.
    assert {
        "suppressed",
        "opted_out",
        "opted_in",
        "expired",
        "no_consent",
        "soft_opt_in",
        "organisation_address",
        "no_contact_point",
    } <= reasons


_BARE_CONTACT = (
    "id, kind, first_name, last_name, organisation, street, postcode, city, country, "
    "language, birth_date, notes, relationship, sort_name, primary_email, primary_phone, "
    "source_id, created_at, updated_at, version"
)


def test_a_change_of_id_leaves_no_digests_for_a_person_inserted_there_later(
    services: Services, owner: Actor, clock: FixedClock
) -> None:
    # An outside test, as a sales user with plain SQL on the server: a contact's digests
    # stored, its id changed, the unsubscribed person inserted at the old id inherited a
    # marker saying "complete, matches nothing" and was listed. No row may stay behind.
    left = _populate(services, owner, clock, 12)
    copy = _BARE_CONTACT.replace("id, ", ":new, ", 1).replace("first_name", "'Hans'", 1)
    with services.uow(write=True) as uow:
        conn = uow.session.connection()
        free = int(conn.execute(text("SELECT max(id) FROM contact")).scalar_one()) + 100
        conn.execute(
            text(f"INSERT INTO contact ({_BARE_CONTACT}) SELECT {copy} FROM contact WHERE id = :c"),
            {"new": free, "c": left[0]},
        )
    _store(services)
    with services.uow() as uow:
        conn = uow.session.connection()
        held = "SELECT count(*) FROM contact_digest WHERE contact_id = :c"
        assert conn.execute(text(held), {"c": free}).scalar_one() > 0  # stored, marker too
    with services.uow(write=True) as uow:
        conn = uow.session.connection()
        conn.execute(
            text("UPDATE contact SET id = :moved WHERE id = :c"), {"moved": free + 1, "c": free}
        )
    with services.uow() as uow:
        conn = uow.session.connection()
        assert conn.execute(text(held), {"c": free}).scalar_one() == 0
        assert conn.execute(text(held), {"c": free + 1}).scalar_one() == 0
    assert free + 1 in _stale(services)  # hashed again at the next list


def test_a_change_of_name_postcode_address_or_number_forgets_that_contacts_digests(
    services: Services, owner: Actor, clock: FixedClock
) -> None:
    left = _populate(services, owner, clock, 12)
    _store(services)
    changes = {
        left[0]: "UPDATE contact SET postcode = '1000' WHERE id = :c",
        left[1]: "UPDATE contact SET last_name = 'Other' WHERE id = :c",
        left[2]: "INSERT INTO contact_phone (contact_id, number, position, source_id, "
        "recorded_at) SELECT :c, '+32470999999', 5, source_id, created_at FROM contact "
        "WHERE id = :c",
        left[3]: "DELETE FROM contact_email WHERE contact_id = :c",
        left[4]: "UPDATE contact_phone SET number = '+32470888888' WHERE contact_id = :c",
    }
    with services.uow(write=True) as uow:
        conn = uow.session.connection()
        # Neither other columns nor other contacts' rows make digests stale.
        conn.execute(
            text("UPDATE contact SET city = 'Brugge', notes = 'x' WHERE id = :c"), {"c": left[5]}
        )
        for contact_id, statement in changes.items():
            conn.execute(text(statement), {"c": contact_id})
    assert _stale(services) == set(changes)
    # Stored again, each set is what hashing the points as they are now gives.
    _store(services)
    with services.uow() as uow:
        conn = uow.session.connection()
        salt = get_salt(uow.session)
        assert salt is not None
        stored = {
            (cid, kind, digest, bool(point))
            for cid, kind, digest, point in conn.execute(
                text("SELECT contact_id, kind, digest, point FROM contact_digest WHERE kind != ''")
            )
        }
        people = conn.execute(
            text("SELECT id, first_name, last_name, postcode FROM contact ORDER BY id")
        ).all()
        emails = conn.execute(text("SELECT contact_id, address FROM contact_email")).all()
        phones = conn.execute(text("SELECT contact_id, number FROM contact_phone")).all()
        fresh = person_digests(
            salt,
            [
                (
                    p.first_name,
                    p.last_name,
                    p.postcode,
                    [a for c, a in emails if c == p.id],
                    [n for c, n in phones if c == p.id],
                )
                for p in people
            ],
        )
        expected = {
            (p.id, kind, digest[:PREFIX], own)
            for p, found in zip(people, fresh, strict=True)
            for kind, digest, own in found
        }
    assert stored == expected
    # An erased contact's digests go with it.
    services.erasure.erase(owner, left[6], ErasureReason.ERASURE_REQUEST)
    with services.uow() as uow:
        gone = uow.session.execute(
            text("SELECT count(*) FROM contact_digest WHERE contact_id = :c"), {"c": left[6]}
        ).scalar()
    assert gone == 0


def test_one_insert_of_points_for_many_contacts_forgets_each_ones_digests_at_once(
    services: Services, owner: Actor, clock: FixedClock
) -> None:
    # An import adds the addresses and numbers of thousands of contacts in one statement
    # (COPY on the server): every contact it adds to forgets its digests, the others keep
    # theirs; on the server the trigger runs once for the statement, not once a row.
    left = _populate(services, owner, clock, 12)
    _store(services)
    added, kept = left[:6], left[6:]
    inserts = {
        "contact_email": "SELECT c.id, 'more' || c.id || '@x.be', 7, c.source_id, c.created_at "
        "FROM contact c WHERE c.id IN :ids",
        "contact_phone": "SELECT c.id, '+3247099' || c.id, 7, c.source_id, c.created_at "
        "FROM contact c WHERE c.id IN :ids",
    }
    column = {"contact_email": "address", "contact_phone": "number"}
    with services.uow(write=True) as uow:
        conn = uow.session.connection()
        server = conn.dialect.name == "postgresql"
        for number, (table, rows) in enumerate(inserts.items()):
            ids = added[number * 3 : number * 3 + 3]
            statement = (
                f"INSERT INTO {table} (contact_id, {column[table]}, position, source_id, "
                f"recorded_at) {rows}"
            ).replace(":ids", "(" + ", ".join(str(i) for i in ids) + ")")
            if not server:
                conn.execute(text(statement))
                continue
            plan = [
                str(line)
                for (line,) in conn.execute(text("EXPLAIN (ANALYZE, COSTS OFF) " + statement))
            ]
            # Three rows added, one run of the trigger that forgets their digests.
            forget = [line for line in plan if line.startswith(f"Trigger {table}_digest")]
            assert len(forget) == 1
            assert forget[0].startswith(f"Trigger {table}_digest_insert: ")
            assert forget[0].endswith(" calls=1")
    assert _stale(services) == set(added)
    assert not _stale(services) & set(kept)


def _of(message: bytes, *parts: bytes) -> bool:
    """Whether a hashed message is the key's fingerprint or has one of *parts*."""
    return message == b"key:fingerprint" or any(p in message for p in parts)


def test_a_list_on_stored_digests_hashes_only_the_contacts_changed_since(
    services: Services, owner: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    card = SourceInput(SourceKind.WEB_FORM, "gen", dt.date(2026, 1, 5))
    ids = [
        services.contacts.create(
            owner,
            ContactInput(
                first_name=f"Name{n}", last_name="Test", postcode="9000", emails=(f"p{n}@x.be",)
            ),
            card,
        )
        for n in range(20)
    ]
    services.consent.unsubscribe(owner, ids[3])  # on the suppression list, keyed opt-outs
    services.marketing.build(owner, NEWSLETTER, Channel.EMAIL)  # stores every contact's
    assert not _stale(services)
    hashed: list[bytes] = []
    real = hmac.digest

    def counting(key: bytes, message: bytes, digest: str) -> bytes:
        hashed.append(message)
        return real(key, message, digest)

    monkeypatch.setattr(hmac, "digest", counting)
    services.marketing.build(owner, NEWSLETTER, Channel.EMAIL)
    # The key's fingerprint, and the points of the one contact whose stored prefixes
    # match the list (hashing decides): nobody else's.
    assert b"email:p3@x.be" in hashed
    assert all(_of(m, b"name3", b"p3@") for m in hashed), hashed
    with services.uow(write=True) as uow:
        uow.session.execute(
            text("UPDATE contact_email SET address = 'new@x.be' WHERE contact_id = :c"),
            {"c": ids[0]},
        )
    hashed.clear()
    services.marketing.build(owner, NEWSLETTER, Channel.EMAIL)
    # Stored again from the new address (on a server with its functions, the server
    # hashes it: pcrm_store_digests).
    with services.uow() as uow:
        salt = get_salt(uow.session)
        assert salt is not None
        stored = set(
            uow.session.execute(
                text("SELECT digest FROM contact_digest WHERE contact_id = :c AND kind = 'email'"),
                {"c": ids[0]},
            ).scalars()
        )
    new = hmac.new(salt.encode(), b"email:new@x.be", "sha256").hexdigest()[:PREFIX]
    assert new in stored
    assert all(_of(m, b"name3", b"p3@", b"name0", b"new@") for m in hashed), hashed
    assert not _stale(services)


def test_the_migration_stores_the_digests_of_the_contacts_there_are(
    services: Services, owner: Actor, clock: FixedClock
) -> None:
    left = _populate(services, owner, clock, 10)
    engine = services.uow.engine
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0023_pg_write_rules")
        assert "contact_digest" not in inspect(conn).get_table_names()
    migrate(engine)
    assert not _stale(services)
    _compare(services, clock.today(), left)
