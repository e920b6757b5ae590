"""``demo`` beside another writer: each chunk takes its contact ids in its own
write transaction, so contacts another program adds between two chunks never collide with
them ("UNIQUE constraint failed: contact.id" before); and the audit event says how many."""

from __future__ import annotations

import functools

from sqlalchemy import text

from privacycrm_desktop.domain.contacts import ContactInput
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.persistence.database import create_engine_for
from privacycrm_desktop.services import demo
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services

SOURCE = SourceInput(SourceKind.PHONE_CALL, "phoned in")


def test_demo_and_another_writer_add_contacts_side_by_side(
    svc: Services, owner: Actor, db_url: str, monkeypatch: object
) -> None:
    # Chunks of 100 instead of 20,000, so a small run has several.
    small = functools.partial(demo.generate_chunks, chunk_size=100)
    monkeypatch.setattr(demo, "generate_chunks", small)
    other = Services.build(create_engine_for(db_url), svc.clock)
    added: list[int] = []

    def meanwhile(written: int, _total: int) -> None:
        # Another program (its own engine and connections) adds a contact between chunks.
        added.append(
            other.contacts.create(owner, ContactInput(last_name=f"Other{written}"), SOURCE)
        )

    try:
        assert svc.demo.generate(owner, 350, seed=4, progress=meanwhile) == 350
    finally:
        other.uow.engine.dispose()
    assert len(added) == 4
    with svc.uow.engine.connect() as conn:
        total = conn.execute(text("SELECT count(*) FROM contact")).scalar_one()
        others = conn.execute(
            text("SELECT count(*) FROM contact WHERE last_name LIKE 'Other%'")
        ).scalar_one()
        details = [
            r[0]
            for r in conn.execute(
                text("SELECT detail FROM audit_event WHERE action = 'demo.generate'")
            )
        ]
    assert (total, others) == (354, 4)
    assert details == ["count=350 seed=4"]
    assert svc.audit.verify() is None
