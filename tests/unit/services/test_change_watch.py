"""Another desk saves a contact; this desk's subscription hears of it.

Runs on SQLite and, with a test server, on PostgreSQL (where migration 0006's trigger sends
the notification): each desk is its own ``Services`` with its own engine.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
from collections.abc import Iterator

import pytest

from privacycrm_desktop.domain.contacts import ContactInput
from privacycrm_desktop.domain.erasure import ErasureReason
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.persistence.database import create_engine_for
from privacycrm_desktop.services.clock import FixedClock
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services

CARD = SourceInput(SourceKind.BUSINESS_CARD, "Batibouw 2026, stand 12", dt.date(2026, 2, 20))
ANNE = ContactInput(first_name="Anne", last_name="Peeters", emails=("anne@example.be",))


@pytest.fixture
def desk_b(db_url: str, clock: FixedClock, owner: Actor) -> Iterator[Services]:
    """A second desk: its own engine and services on the same database."""
    engine = create_engine_for(db_url)
    yield Services.build(engine, clock)
    engine.dispose()


def test_a_contact_saved_on_another_desk_is_announced(
    svc: Services, owner: Actor, desk_b: Services
) -> None:
    heard = threading.Event()
    subscription = svc.change_watch.subscribe(owner, heard.set, poll_interval=0.1)
    try:
        assert subscription.active
        assert heard.wait(5), "once as it starts listening"
        heard.clear()
        assert not heard.wait(0.4), "nothing changed since"
        desk_b.contacts.create(owner, ANNE, CARD)
        assert heard.wait(5)
    finally:
        subscription.stop()
    assert not subscription.active


@pytest.mark.slow
def test_version_of_follows_saves_and_erasure(
    svc: Services, owner: Actor, desk_b: Services
) -> None:
    cid = svc.contacts.create(owner, ANNE, CARD)
    first = svc.change_watch.version_of(owner, cid)
    assert first == svc.contacts.get(owner, cid).version
    changed = dataclasses.replace(ANNE, city="Gent")
    desk_b.contacts.update(owner, cid, first, changed, CARD)
    assert svc.change_watch.version_of(owner, cid) == first + 1
    desk_b.erasure.erase(owner, cid, ErasureReason.OTHER)
    assert svc.change_watch.version_of(owner, cid) is None
    assert svc.change_watch.version_of(owner, 999_999) is None
