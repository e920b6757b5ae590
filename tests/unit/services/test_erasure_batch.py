"""Erasure in batches: the same guarantees as one erasure, at a cost per batch, not per
contact; the search index rewritten once, also after a kill between commit and scrub."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, event, text

from privacycrm_desktop.domain.contacts import ContactInput, Relationship
from privacycrm_desktop.domain.erasure import ErasureReason
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.domain.retention import CleanupAction, Selection
from privacycrm_desktop.services import cleanup as cleanup_module
from privacycrm_desktop.services.audit import verify_chain
from privacycrm_desktop.services.cleanup import CleanupPlan, CleanupService
from privacycrm_desktop.services.clock import FixedClock
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.erasure import retry_scrub, scrub_pending
from privacycrm_desktop.services.erasure_batch import INDEX_SCRUB_KEY, erase_many
from privacycrm_desktop.services.registry import Services

from .test_erasure import CANARY, canary_contact, file_bytes, fill_everything

SOURCE = SourceInput(SourceKind.EVENT, "fair", dt.date(2026, 2, 20))
LATER = dt.datetime(2028, 6, 1, 9, 0)


def people(svc: Services, owner: Actor, n: int, tag: str = "p") -> list[int]:
    return [
        svc.contacts.create(
            owner,
            ContactInput(
                first_name=f"Name{tag}{i}",
                last_name=f"Person{tag}{i}",
                emails=(f"{tag}{i}@example.be",),
                phones=(f"+3247{ord(tag[0]) % 10}{i:06d}",),
                postcode="9000",
                relationship=Relationship.PROSPECT,
            ),
            SOURCE,
        )
        for i in range(n)
    ]


def erase_all(cleanup: CleanupService, owner: Actor, ids: list[int]) -> int:
    """Apply an erasure of *ids* through the cleanup; return the SQL statements it ran."""
    plan = CleanupPlan(
        overrides=dict.fromkeys(ids, CleanupAction.ERASE),
        selection=Selection.none().with_checked(ids, True),
    )
    engine = cleanup._uow.engine
    ran = [0]

    def count(*_args: object) -> None:
        ran[0] += 1

    event.listen(engine, "before_cursor_execute", count)
    try:
        outcome = cleanup.apply(owner, plan)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert outcome.by_action == {"erase": len(ids)}
    return ran[0]


def test_a_batch_costs_statements_per_batch_not_per_contact(
    svc: Services, owner: Actor, clock: FixedClock
) -> None:
    few, many = people(svc, owner, 5, "a"), people(svc, owner, 40, "b")
    clock.advance(LATER - clock.now())
    cleanup = CleanupService(svc.uow, clock)
    for_few = erase_all(cleanup, owner, few)
    for_many = erase_all(cleanup, owner, many)
    # One erasure at a time ran about 24 statements a contact (35 contacts: 840 more).
    assert for_many - for_few < 10, (for_few, for_many)
    with svc.uow() as uow:
        assert verify_chain(uow.session) is None
        erased = uow.session.execute(
            text("SELECT count(*) FROM audit_event WHERE action = 'contact.erase'")
        ).scalar()
        ledger = uow.session.execute(text("SELECT count(*) FROM erasure_ledger")).scalar()
    assert (erased, ledger) == (45, 45)
    assert svc.contacts.count(owner) == 0


def test_a_batch_skips_the_held_and_the_gone_and_erases_the_rest(
    svc: Services, owner: Actor, clock: FixedClock
) -> None:
    ids = people(svc, owner, 4)
    svc.erasure.erase(owner, ids[0], ErasureReason.OTHER)
    with svc.uow(write=True) as uow:
        uow.session.execute(
            text(
                "INSERT INTO retention_hold (contact_id, reason, until, created_by, created_at) "
                "VALUES (:c, 'dispute', :u, :by, :at)"
            ),
            {"c": ids[1], "u": dt.date(2030, 1, 1), "by": owner.user_id, "at": clock.now()},
        )
    with svc.uow(write=True) as uow:
        outcome = erase_many(
            uow.session,
            owner,
            [*ids, 999_999],
            ErasureReason.ERASURE_REQUEST,
            clock.now(),
            anonymise={ids[3]},
        )
    assert outcome.missing == {ids[0], 999_999}
    assert outcome.erased_before == {ids[0]}
    assert outcome.held == {ids[1]: (dt.date(2030, 1, 1), "dispute")}
    # E-mail, phone and name + postcode of each on the suppression list.
    assert [(e.contact_id, e.anonymised, e.suppressed) for e in outcome.erased] == [
        (ids[2], False, 3),
        (ids[3], True, 3),
    ]
    assert [c.id for c in svc.contacts.page(owner, limit=10)] == [ids[1]]
    with svc.uow() as uow:
        assert uow.session.execute(text("SELECT count(*) FROM anonymised_record")).scalar() == 1
        assert verify_chain(uow.session) is None


@pytest.mark.sqlite_only
def test_a_cleanup_erasing_many_leaves_no_byte_even_after_a_kill_before_the_scrub(
    svc: Services, owner: Actor, engine: Engine, db_path: Path, clock: FixedClock
) -> None:
    # The first with everything (its import row names its address), two more.
    ids = [svc.contacts.create(owner, canary_contact(t), SOURCE) for t in ("", "1", "2")]
    fill_everything(svc, owner, ids[0], engine)
    others = people(svc, owner, 30)
    # Erased in batches without secure-delete, committed; then killed before the scrub.
    with svc.uow(write=True) as uow:
        erase_many(
            uow.session, owner, ids, ErasureReason.OTHER, clock.now(), scrub_index_later=True
        )
    assert svc.contacts.count(owner, CANARY) == 0  # no longer found at once
    assert CANARY.encode() in file_bytes(db_path)  # but its words are in the index pages
    assert scrub_pending(svc.uow)
    # The next start finishes it.
    assert retry_scrub(svc.uow)
    raw = file_bytes(db_path)
    at = raw.find(CANARY.encode())
    assert at < 0, raw[max(0, at - 200) : at + 100]
    assert not scrub_pending(svc.uow)
    with svc.uow() as uow:
        assert (
            uow.session.execute(
                text("SELECT count(*) FROM setting WHERE key = :k"), {"k": INDEX_SCRUB_KEY}
            ).scalar()
            == 0
        )
        integrity = uow.session.execute(
            text("INSERT INTO contact_fts(contact_fts, rank) VALUES ('integrity-check', 1)")
        )
        assert integrity is not None
    assert svc.contacts.count(owner, "Personp7") == 1  # the others still found
    assert svc.contacts.count(owner) == len(others)


@pytest.mark.sqlite_only
def test_the_yearly_cleanup_in_batches_leaves_no_byte_behind(
    svc: Services,
    owner: Actor,
    engine: Engine,
    db_path: Path,
    clock: FixedClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(cleanup_module, "APPLY_BATCH", 2)
    ids = [svc.contacts.create(owner, canary_contact(t), SOURCE) for t in ("1", "", "2", "3")]
    fill_everything(svc, owner, ids[1], engine)
    # Former customers: kept for the invoicing years after the relationship ended.
    clock.advance(dt.datetime(2032, 1, 1, 9, 0) - clock.now())
    erase_all(CleanupService(svc.uow, clock), owner, ids)
    raw = file_bytes(db_path)
    at = raw.find(CANARY.encode())
    assert at < 0, raw[max(0, at - 200) : at + 100]
    assert not scrub_pending(svc.uow)


def test_a_batchs_ids_go_to_the_server_as_one_array(
    svc: Services, owner: Actor, clock: FixedClock
) -> None:
    """On PostgreSQL the batch's statements take its ids as one array (a thousand
    parameters in each cost the server more than reading the rows), here the eight selects
    of the people's sources; on SQLite as one JSON text read by ``json_each`` (a thousand
    parameters each cost SQLAlchemy rendering them). The rows go the same."""
    ids = people(svc, owner, 12, tag="s")
    engine = svc.uow.engine
    sent: list[tuple[str, object]] = []

    def spy(_conn: object, _cursor: object, statement: str, params: object, *_rest: object) -> None:
        if "UNION" in statement and "source_id" in statement:
            sent.append((statement, params))

    event.listen(engine, "before_cursor_execute", spy)
    try:
        clock.advance(LATER - clock.now())
        erase_all(CleanupService(svc.uow, clock), owner, ids)
    finally:
        event.remove(engine, "before_cursor_execute", spy)
    assert len(sent) == 1
    statement, params = sent[0]
    if engine.dialect.name == "postgresql":
        assert statement.count("unnest(") == 8
        assert isinstance(params, dict)
        assert list(params.values()).count(sorted(ids)) == 1
        assert len(params) == 1
    else:
        assert "unnest" not in statement
        assert statement.count("json_each(") == 8
        assert isinstance(params, tuple | list)
        assert list(params).count(json.dumps(sorted(ids))) == 8
        assert len(params) == 8
    with svc.uow() as uow:
        left = uow.session.execute(text("SELECT count(*) FROM contact_email")).scalar()
    assert left == 0


def test_every_statement_of_a_batch_reads_its_ids_by_key_on_sqlite(engine: Engine) -> None:
    """The JSON list of ids (``json_each``) is the only thing a batch's statements scan:
    every table is searched by key, as with a list of parameters."""
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite's plans")
    from privacycrm_desktop.services.erasure_batch import _JSONED

    with engine.connect() as conn:
        for name, statement in _JSONED.items():
            compiled = statement.compile(dialect=engine.dialect)
            bound = compiled.construct_params({"ids": [5, 7, 9], "today": dt.date(2026, 1, 1)})
            values = tuple(
                json.dumps(bound[key]) if key == "ids" else bound[key]
                for key in compiled.positiontup or ()
            )
            plan = [
                row[3] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}", values)
            ]
            scans = [line for line in plan if line.startswith("SCAN")]
            assert scans, (name, plan)
            assert all("VIRTUAL TABLE" in line for line in scans), (name, plan)
