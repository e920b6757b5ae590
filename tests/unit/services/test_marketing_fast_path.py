"""The marketing list's set-wise decision (``decide_list``) gives every contact the very
decision the per-contact rules give it (``load_facts`` + ``decide``), on a database with
the tricky cases: withdrawn consent, an opt-out on another channel or purpose, opt-outs
keyed by a shared contact point, suppression by e-mail, phone and name + postcode (first
and last name swapped), expired consents, ended relationships, soft opt-in from a sale
or not, organisation addresses, erased and merged contacts."""

from __future__ import annotations

import datetime as dt
import random

from privacycrm_desktop.domain.consent import Channel, ConsentMethod, ConsentStatus
from privacycrm_desktop.domain.contacts import ContactInput, ContactKind, Relationship
from privacycrm_desktop.domain.erasure import ErasureReason
from privacycrm_desktop.domain.errors import ValidationFailed
from privacycrm_desktop.domain.marketing import decide
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.services.clock import FixedClock
from privacycrm_desktop.services.consent_dto import ConsentInput
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.marketing_facts import (
    decide_list,
    get_salt,
    load_facts,
    marketing_rules,
)
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


def test_the_set_wise_list_decides_every_contact_as_the_rules_do_one_by_one(
    services: Services, owner: Actor, clock: FixedClock
) -> None:
    left = _populate(services, owner, clock, 70)
    today = clock.today()
    compared = 0
    reasons = set()
    with services.uow() as uow:
        session = uow.session
        rules = marketing_rules(session)
        salt = get_salt(session)
        facts = load_facts(session, salt)
        assert sorted(f.id for f in facts) == sorted(left)
        for purpose, category in ((NEWSLETTER, None), (SOFT, "tea"), (SOFT, "shoes")):
            for channel in Channel:
                rows = decide_list(session, salt, rules[purpose], rules, channel, today, category)
                assert [r.id for r in rows] == [f.id for f in facts]
                for row, fact in zip(rows, facts, strict=True):
                    expected = decide(
                        fact.subjects[channel], rules[purpose], channel, today, category, rules
                    )
                    assert row.decision == expected, (row.id, purpose, channel, category)
                    assert row.values == fact.values
                    reasons.add(expected.reason)
                    compared += 1
    assert compared == 12 * len(left)
    # The population reaches the cases it is about.
    assert {"suppressed", "opted_out", "opted_in", "expired", "no_consent"} <= {
        r.value for r in reasons
    }
    assert {"soft_opt_in", "organisation_address", "no_contact_point"} <= {r.value for r in reasons}
