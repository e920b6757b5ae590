"""Search is as forgiving on PostgreSQL as on SQLite: accents and case folded,
word prefixes, every word must match, only the columns a role may read, syntax literal."""

from __future__ import annotations

import datetime as dt

from privacycrm_desktop.domain.access import Role
from privacycrm_desktop.domain.contacts import ContactInput
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services

CARD = SourceInput(SourceKind.BUSINESS_CARD, "Trade fair", dt.date(2026, 2, 20))


def test_search_folds_accents_and_case_and_matches_word_prefixes(
    svc: Services, owner: Actor
) -> None:
    zoe = svc.contacts.create(
        owner,
        ContactInput(
            first_name="Zoë",
            last_name="Lefèvre",
            emails=("zoe@example.be",),
            street="Rue Haute 1",
            postcode="4000",
            city="Liège",
        ),
        CARD,
    )
    jan = svc.contacts.create(
        owner,
        ContactInput(
            first_name="Jan",
            last_name="Peeters",
            organisation="Bakkerij Peeters",
            phones=("0475 12 34 56",),
            city="Gent",
        ),
        CARD,
    )
    angst = svc.contacts.create(owner, ContactInput(first_name="ZOË", last_name="ÅNGSTRÖM"), CARD)

    def found(query: str) -> set[int]:
        rows = svc.contacts.page(owner, query=query)
        assert len(rows) == svc.contacts.count(owner, query)
        return {r.id for r in rows}

    assert found("liege") == {zoe}
    assert found("LIÈGE") == {zoe}
    assert found("zoe") == {zoe, angst}
    assert found("angstrom") == {angst}
    assert found("pee") == {jan}
    assert found("eeters") == set()  # not from the middle of a word
    assert found("jan gent") == {jan}
    assert found("jan liege") == set()
    assert found("bakkerij") == {jan}
    assert found('"NEAR( * AND') == set()
    assert found("0475 12 34") == {jan}


def test_search_leaves_out_the_columns_a_role_may_not_read(svc: Services, owner: Actor) -> None:
    svc.contacts.create(
        owner, ContactInput(first_name="Eva", last_name="Jacobs", phones=("0475 99 88 77",)), CARD
    )
    assert svc.contacts.count(owner, "0475998877") == 1
    svc.auth.add_user(owner, "reader", "reader-password-1", Role.READ_ONLY)
    reader = svc.auth.login("reader", "reader-password-1")
    # Read-only staff see phone numbers masked: a number finds nobody for them.
    assert svc.contacts.count(reader, "0475998877") == 0
    assert svc.contacts.count(reader, "jacobs") == 1
