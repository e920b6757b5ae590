"""A cleanup's batches delete what points at the erased contacts themselves, set-based,
with SQLite's foreign keys off (persistence/erasure_cascade.py): the same rows go as with
the per-contact foreign key actions, keys added later are followed, a key that refuses
still refuses, and no connection keeps foreign keys off afterwards."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Connection, Engine, event, text

from privacycrm_desktop.domain.retention import CleanupAction, Selection
from privacycrm_desktop.persistence import erasure_cascade
from privacycrm_desktop.services.cleanup import CleanupPlan, CleanupService
from privacycrm_desktop.services.clock import FixedClock
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services

from .test_erasure import canary_contact, fill_everything
from .test_erasure_batch import SOURCE, people

pytestmark = pytest.mark.sqlite_only
LATER = dt.datetime(2032, 1, 1, 9, 0)


def _erase(svc: Services, clock: FixedClock, owner: Actor, ids: list[int]) -> dict[str, int]:
    """Erase *ids* through the cleanup, years later (past every keep-until date)."""
    if clock.now() < LATER:
        clock.advance(LATER - clock.now())
    plan = CleanupPlan(
        overrides=dict.fromkeys(ids, CleanupAction.ERASE),
        selection=Selection.none().with_checked(ids, True),
    )
    return dict(CleanupService(svc.uow, clock).apply(owner, plan).by_action)


def _pointing_at(engine: Engine, ids: list[int]) -> dict[str, int]:
    """Rows of every table with a key to ``contact`` that point at one of *ids*."""
    found = {}
    with engine.connect() as conn:
        for key in erasure_cascade.foreign_keys(conn):
            if key.parent == "contact":
                n = conn.exec_driver_sql(
                    f'SELECT count(*) FROM "{key.table}" WHERE "{key.column}" IN '
                    f"({','.join(str(i) for i in ids)})"
                ).scalar_one()
                if n:
                    found[f"{key.table}.{key.column}"] = n
    return found


def test_the_plan_follows_every_key_to_contact_read_from_the_schema(engine: Engine) -> None:
    with engine.connect() as conn:
        keys = erasure_cascade.foreign_keys(conn)
        steps = erasure_cascade.plan(keys, "contact", "1")
    to_contact = {(k.table, k.column) for k in keys if k.parent == "contact"}
    planned = [(k.table, k.column) for k, _rows in steps]
    assert to_contact <= set(planned)
    # An interaction's links go before the interaction they point at.
    assert planned.index(("activity_person", "activity_id")) < planned.index(
        ("activity", "contact_id")
    )


def test_a_cleanup_batch_leaves_no_row_pointing_at_an_erased_contact(
    svc: Services, owner: Actor, engine: Engine, clock: FixedClock
) -> None:
    ids = [svc.contacts.create(owner, canary_contact(t), SOURCE) for t in ("", "1")]
    fill_everything(svc, owner, ids[0], engine)
    kept = people(svc, owner, 3)
    with engine.begin() as conn:
        before = conn.exec_driver_sql("SELECT count(*) FROM consent_event").scalar_one()
    foreign_keys_in_batch: list[int] = []

    def look(conn: Connection, _cursor: object, statement: str, *_args: object) -> None:
        if statement.startswith("DELETE FROM contact "):
            raw = conn.connection.driver_connection
            assert raw is not None
            foreign_keys_in_batch.append(raw.execute("PRAGMA foreign_keys").fetchone()[0])

    event.listen(engine, "before_cursor_execute", look)
    try:
        assert _erase(svc, clock, owner, ids) == {"erase": 2}
    finally:
        event.remove(engine, "before_cursor_execute", look)
    assert foreign_keys_in_batch == [0]  # the set-based deletes did it, not the actions
    assert _pointing_at(engine, ids) == {}
    with engine.begin() as conn:
        # The consent events stay, no longer linked (ON DELETE SET NULL).
        assert conn.exec_driver_sql("SELECT count(*) FROM consent_event").scalar_one() == before
        assert conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall() == []
        # No connection keeps foreign keys off after the cleanup.
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
    raw = engine.raw_connection()
    try:
        assert raw.driver_connection is not None
        assert raw.driver_connection.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    finally:
        raw.close()
    assert svc.contacts.count(owner) == len(kept)


def test_a_key_added_later_is_followed_and_one_that_refuses_still_refuses(
    svc: Services, owner: Actor, engine: Engine, clock: FixedClock
) -> None:
    ids = people(svc, owner, 3)
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE later_note (id INTEGER PRIMARY KEY, contact_id INTEGER "
            "REFERENCES contact (id) ON DELETE CASCADE, body TEXT)"
        )
        conn.exec_driver_sql(
            "CREATE TABLE later_claim (id INTEGER PRIMARY KEY, contact_id INTEGER "
            "REFERENCES contact (id))"
        )
        conn.execute(
            text("INSERT INTO later_note (contact_id, body) VALUES (:a, 'x'), (:b, 'y')"),
            {"a": ids[0], "b": ids[1]},
        )
    assert _erase(svc, clock, owner, ids[:2]) == {"erase": 2}
    with engine.begin() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM later_note").scalar_one() == 0
        conn.execute(text("INSERT INTO later_claim (contact_id) VALUES (:c)"), {"c": ids[2]})
    # A key without ON DELETE (NO ACTION): SQLite would refuse the delete; so does the batch,
    # and nothing of it stays.
    with pytest.raises(erasure_cascade.ForeignKeyViolation):
        _erase(svc, clock, owner, [ids[2]])
    assert svc.contacts.count(owner) == 1
