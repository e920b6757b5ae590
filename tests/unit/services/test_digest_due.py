"""The contacts whose stored suppression digests are due (``contact_digest_due``, migration
0029): kept by triggers, read by the marketing list's stale check instead of every
contact (issue 23: that anti-join over a million contacts was half a list of 50,000)."""

from __future__ import annotations

import datetime as dt
import hmac
import re
from typing import Any

import pytest
from alembic import command
from sqlalchemy import event, text

from privacycrm_desktop.domain.consent import Channel, ConsentMethod, ConsentStatus
from privacycrm_desktop.domain.contacts import ContactInput
from privacycrm_desktop.domain.erasure import ErasureReason
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.domain.suppression import key_fingerprint
from privacycrm_desktop.persistence import contact_digests
from privacycrm_desktop.persistence.migrate import alembic_config, migrate
from privacycrm_desktop.services.consent_dto import ConsentInput
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.marketing_facts import get_salt
from privacycrm_desktop.services.registry import Services

NEWSLETTER = "direct_marketing_consent"
CARD = SourceInput(SourceKind.WEB_FORM, "gen", dt.date(2026, 1, 5))
#: The contact table itself in a statement (not contact_digest, contact_email, ...).
_CONTACT_TABLE = re.compile(r"\bcontact\b(?!_)", re.IGNORECASE)


def _people(services: Services, owner: Actor, count: int) -> list[int]:
    """Subscribed people (name@x.be), one of them unsubscribed (on the suppression list)."""
    ids = []
    for n in range(count):
        contact_id = services.contacts.create(
            owner,
            ContactInput(first_name=f"Name{n}", last_name="Test", emails=(f"p{n}@x.be",)),
            CARD,
        )
        services.consent.record(
            owner,
            ConsentInput(
                contact_id,
                NEWSLETTER,
                Channel.EMAIL,
                ConsentStatus.OPT_IN,
                ConsentMethod.FORM_BOX_TICKED,
                "ref",
                opt_out_offered=True,
            ),
        )
        ids.append(contact_id)
    services.consent.unsubscribe(owner, ids[-1])
    return ids


def _due(services: Services) -> set[int]:
    with services.uow() as uow:
        found = uow.session.execute(text("SELECT contact_id FROM contact_digest_due"))
        return set(found.scalars())


def _listed(services: Services, owner: Actor) -> list[int]:
    built = services.marketing.build(owner, NEWSLETTER, Channel.EMAIL)
    return [entry.contact_id for entry in built.entries]


def test_the_stale_check_of_a_list_reads_no_contact(
    services: Services, owner: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = _people(services, owner, 6)
    _listed(services, owner)  # stores every contact's digests
    engine = services.uow.engine
    seen: list[str] = []
    real = contact_digests.stale_contacts

    def watched(*args: Any) -> list[int]:
        def record(*event_args: object) -> None:
            seen.append(str(event_args[2]))

        event.listen(engine, "before_cursor_execute", record)
        try:
            return real(*args)
        finally:
            event.remove(engine, "before_cursor_execute", record)

    monkeypatch.setattr(contact_digests, "stale_contacts", watched)
    assert _listed(services, owner) == ids[:-1]
    assert seen, "the list looks for stale digests"
    assert not [sql for sql in seen if _CONTACT_TABLE.search(sql)], seen


def test_an_edited_address_makes_the_contact_due_and_the_next_list_stores_it(
    services: Services, owner: Actor
) -> None:
    ids = _people(services, owner, 5)
    # New contacts: nothing stored yet; the key made after them (the first consent).
    assert _due(services) == set(ids) | {contact_digests.EVERY}
    assert _listed(services, owner) == ids[:-1]
    assert _due(services) == set()
    detail = services.contacts.get(owner, ids[0])
    unsubscribed = f"p{len(ids) - 1}@x.be"
    services.contacts.update(
        owner,
        ids[0],
        detail.version,
        ContactInput(first_name="Name0", last_name="Test", emails=(unsubscribed,)),
        CARD,
    )
    assert _due(services) == {ids[0]}
    # The next list stores the new address's digests (and no longer lists the person who
    # now shares the unsubscribed address).
    assert _listed(services, owner) == ids[1:-1]
    assert _due(services) == set()
    with services.uow() as uow:
        salt = get_salt(uow.session)
        assert isinstance(salt, str)
        stored = set(
            uow.session.execute(
                text("SELECT digest FROM contact_digest WHERE contact_id = :c AND kind = 'email'"),
                {"c": ids[0]},
            ).scalars()
        )
    new = hmac.new(salt.encode(), f"email:{unsubscribed}".encode(), "sha256").hexdigest()
    assert new[: contact_digests.PREFIX] in stored


def test_names_numbers_new_and_deleted_contacts_and_a_new_key_keep_the_due_exact(
    services: Services, owner: Actor
) -> None:
    ids = _people(services, owner, 8)
    _listed(services, owner)
    statements = {
        ids[0]: "UPDATE contact SET last_name = 'Other' WHERE id = :c",
        ids[1]: "INSERT INTO contact_phone (contact_id, number, position, source_id, "
        "recorded_at) SELECT id, '+32475000001', 3, source_id, created_at "
        "FROM contact WHERE id = :c",
        ids[2]: "DELETE FROM contact_email WHERE contact_id = :c",
    }
    with services.uow(write=True) as uow:
        conn = uow.session.connection()
        # Neither other columns nor other contacts make digests due.
        conn.execute(text("UPDATE contact SET city = 'Gent' WHERE id = :c"), {"c": ids[3]})
        for contact_id, statement in statements.items():
            conn.execute(text(statement), {"c": contact_id})
    assert _due(services) == set(statements)
    # An erased contact is no longer due (nor a contact at all).
    services.erasure.erase(owner, ids[0], ErasureReason.ERASURE_REQUEST)
    assert ids[0] not in _due(services)
    assert _due(services) == set(statements) - {ids[0]}
    before = _listed(services, owner)
    assert _due(services) == set()
    # A new key: every contact's digests were made with the old one.
    with services.uow(write=True) as uow:
        uow.session.execute(
            text("UPDATE setting SET value = 'another key' WHERE key = 'suppression.salt'")
        )
    with services.uow() as uow:
        conn = uow.session.connection()
        everyone = set(conn.execute(text("SELECT id FROM contact")).scalars())
        salt = get_salt(uow.session)
        assert salt is not None
        stale = contact_digests.stale_contacts(conn, key_fingerprint(salt))
    assert _due(services) == {contact_digests.EVERY}
    assert set(stale) == everyone | {contact_digests.EVERY}
    assert _listed(services, owner) == before
    assert _due(services) == set()


def test_the_migration_fills_the_due_with_exactly_the_contacts_due_now(
    services: Services, owner: Actor
) -> None:
    ids = _people(services, owner, 6)
    _listed(services, owner)
    engine = services.uow.engine
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0028_organisation_address_index")
        # Forgotten by the old triggers: the address of one, the name of another; a
        # third's set made with another key.
        conn.execute(
            text("UPDATE contact_email SET address = 'x@x.be' WHERE contact_id = :c"),
            {"c": ids[1]},
        )
        conn.execute(text("UPDATE contact SET first_name = 'Y' WHERE id = :c"), {"c": ids[2]})
        conn.execute(
            text("UPDATE contact_digest SET digest = 'other' WHERE contact_id = :c AND kind = ''"),
            {"c": ids[3]},
        )
    migrate(engine)
    assert _due(services) == {ids[1], ids[2], ids[3]}
    _listed(services, owner)
    assert _due(services) == set()
