"""What keeps the batched erasure fast (issue 23): every reference to a contact is
indexed, and a cleanup's batches leave the WAL checkpoint to the end."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, inspect, text

from privacycrm_desktop.persistence import database
from privacycrm_desktop.persistence.database import (
    BULK_CACHE_KIB,
    DEFAULT_AUTOCHECKPOINT,
    DEFAULT_CACHE_SIZE,
    bulk_transaction,
)
from privacycrm_desktop.services import cleanup as cleanup_module
from privacycrm_desktop.services.cleanup import CleanupService
from privacycrm_desktop.services.clock import FixedClock
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services

from .test_erasure_batch import LATER, erase_all, people


def test_every_reference_to_a_contact_has_an_index(engine: Engine) -> None:
    # Deleting a contact looks up every table that refers to it (cascade, set null): a
    # reference without an index that starts with it reads the whole table per contact.
    inspector = inspect(engine)
    references = [
        (table, fk["constrained_columns"][0])
        for table in inspector.get_table_names()
        for fk in inspector.get_foreign_keys(table)
        if fk["referred_table"] == "contact"
    ]
    assert len(references) >= 10  # enumerated from the schema, not listed here
    unindexed = []
    for table, column in references:
        leading = {tuple(ix["column_names"])[:1] for ix in inspector.get_indexes(table)}
        leading |= {tuple(uq["column_names"])[:1] for uq in inspector.get_unique_constraints(table)}
        primary = inspector.get_pk_constraint(table)["constrained_columns"][:1]
        if (column,) not in leading and [column] != primary:
            unindexed.append(f"{table}.{column}")
    assert unindexed == []


def test_only_the_contacts_an_import_brought_are_in_its_index(engine: Engine) -> None:
    """``ix_contact_import_batch_id`` is partial (migration 0026): a contact typed in has
    no entry, so erasing it changes one b-tree less; undoing an import still finds its
    contacts by it."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            definition = conn.exec_driver_sql(
                "SELECT sql FROM sqlite_schema WHERE name = 'ix_contact_import_batch_id'"
            ).scalar_one()
            plan = " ".join(
                row[3]
                for row in conn.exec_driver_sql(
                    "EXPLAIN QUERY PLAN SELECT id FROM contact WHERE import_batch_id = 7"
                )
            )
            assert "INDEX ix_contact_import_batch_id (import_batch_id=?)" in plan
        else:
            definition = conn.exec_driver_sql(
                "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_contact_import_batch_id'"
            ).scalar_one()
    assert "WHERE" in definition, definition
    assert "import_batch_id IS NOT NULL" in definition, definition


@pytest.mark.sqlite_only
def test_a_bulk_transaction_holds_for_one_transaction_only(engine: Engine) -> None:
    def pragmas() -> tuple[int, int]:
        with engine.begin() as conn:
            return (
                int(conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one()),
                int(conn.exec_driver_sql("PRAGMA cache_size").scalar_one()),
            )

    assert pragmas() == (DEFAULT_AUTOCHECKPOINT, DEFAULT_CACHE_SIZE) == (1000, -2000)
    with engine.begin() as conn:
        bulk_transaction(conn, 50_000)
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one() == 50_000
        assert conn.exec_driver_sql("PRAGMA cache_size").scalar_one() == -BULK_CACHE_KIB
    # The next transaction on the same pooled connection runs with SQLite's defaults again.
    assert pragmas() == (DEFAULT_AUTOCHECKPOINT, DEFAULT_CACHE_SIZE)


def test_each_batch_of_a_cleanup_defers_the_checkpoint(
    svc: Services, owner: Actor, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cleanup_module, "APPLY_BATCH", 3)
    deferred: list[int] = []

    def spy(conn: Connection, pages: int) -> None:
        deferred.append(pages)
        database.bulk_transaction(conn, pages)

    monkeypatch.setattr(cleanup_module, "bulk_transaction", spy)
    ids = people(svc, owner, 7)
    clock.advance(LATER - clock.now())
    erase_all(CleanupService(svc.uow, clock), owner, ids)
    assert deferred == [cleanup_module.CHECKPOINT_PAGES] * 3
    assert cleanup_module.CHECKPOINT_PAGES > DEFAULT_AUTOCHECKPOINT
    with svc.uow() as uow:
        assert uow.session.execute(text("SELECT count(*) FROM erasure_ledger")).scalar() == 7


def test_a_cleanup_erases_in_id_order(
    svc: Services, owner: Actor, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Expired in the opposite order of their ids: the batches still go by id, so a batch's
    # contacts share the pages of the contact, e-mail and phone tables.
    monkeypatch.setattr(cleanup_module, "APPLY_BATCH", 2)
    ids = people(svc, owner, 6)
    with svc.uow(write=True) as uow:
        for n, cid in enumerate(reversed(ids)):
            uow.session.execute(
                text("UPDATE contact SET keep_until = :d WHERE id = :c"),
                {"d": dt.date(2027, 1, 1) + dt.timedelta(days=n), "c": cid},
            )
    batches: list[list[int]] = []
    original = cleanup_module.erase_many

    def spy(session: Any, actor: Any, contact_ids: Any, *args: Any, **kwargs: Any) -> Any:
        batches.append(list(contact_ids))
        return original(session, actor, contact_ids, *args, **kwargs)

    monkeypatch.setattr(cleanup_module, "erase_many", spy)
    clock.advance(LATER - clock.now())
    erase_all(CleanupService(svc.uow, clock), owner, ids)
    assert batches == [sorted(ids)[i : i + 2] for i in range(0, 6, 2)]
