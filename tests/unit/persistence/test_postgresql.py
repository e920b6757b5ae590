"""The PostgreSQL back end itself: migrations under a lock, server failures in
the user's words. Search runs on both back ends in tests/unit/services/test_search.py.
Skipped without a test server, failed in CI."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text

import pg_support
from privacycrm_desktop.domain.contacts import ContactInput
from privacycrm_desktop.domain.errors import StorageFailed, StorageLocked
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.persistence.database import create_engine_for, normalise_url
from privacycrm_desktop.persistence.migrate import HEAD_REVISION, current_revision, migrate
from privacycrm_desktop.persistence.storage_errors import storage_error
from privacycrm_desktop.persistence.unit_of_work import UnitOfWork
from privacycrm_desktop.services.clock import FixedClock
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.services.setup import CompanyInput


@pytest.fixture
def empty_database() -> Iterator[str]:
    """A new database with nothing in it (not even the schema)."""
    admin = pg_support.require_server()
    name = "pcrm_empty_" + threading.get_ident().__format__("x")[-8:]
    pg_support._admin_execute(admin, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    pg_support._admin_execute(admin, f"CREATE DATABASE {name}")
    url = pg_support.database_url(admin, name)
    yield url
    pg_support.drop_database(url)


@pytest.fixture
def pg_engine() -> Iterator[Engine]:
    url = pg_support.new_database()
    engine = create_engine_for(url)
    yield engine
    engine.dispose()
    pg_support.drop_database(url)


def test_libpq_urls_use_psycopg_3() -> None:
    assert normalise_url("postgresql://u:p@h/db") == "postgresql+psycopg://u:p@h/db"
    assert normalise_url("postgres://u@h:5433/db") == "postgresql+psycopg://u@h:5433/db"


def test_two_desks_starting_at_once_migrate_once(empty_database: str) -> None:
    """Both desks start on an empty database at the same moment: one migrates, the other
    waits for the advisory lock, then finds the schema current."""
    engines = [create_engine_for(empty_database) for _ in range(2)]
    outcomes: list[object] = []
    start = threading.Barrier(2)

    def desk(engine: Engine) -> None:
        start.wait()
        try:
            outcomes.append(migrate(engine))
        except Exception as exc:  # pragma: no cover - the failure the test is about
            outcomes.append(exc)

    threads = [threading.Thread(target=desk, args=(e,)) for e in engines]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(outcomes, key=str) == [False, True]
    assert current_revision(engines[0]) == HEAD_REVISION
    for engine in engines:
        engine.dispose()


def _contact(engine: Engine) -> int:
    """One contact, made through the services as a desk would."""
    svc = Services.build(engine, FixedClock(dt.datetime(2026, 3, 2, 10, 0)))
    owner = svc.setup.initialise(
        CompanyInput("Acme BV", "Kerkstraat 1, 9000 Gent", "0403.170.701", "p@acme.be", "nl"),
        "owner",
        "correct horse battery",
    )
    card = SourceInput(SourceKind.BUSINESS_CARD, "Trade fair", dt.date(2026, 2, 20))
    return svc.contacts.create(owner, ContactInput(first_name="An", last_name="Aerts"), card)


def test_a_lock_held_by_another_desk_is_reported_as_locked(
    pg_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PRIVACYCRM_BUSY_TIMEOUT_MS", "300")
    url = pg_engine.url.render_as_string(hide_password=False)
    waiting = create_engine_for(url)
    cid = _contact(pg_engine)
    with pg_engine.connect() as holder, holder.begin():
        holder.execute(text("SELECT id FROM contact WHERE id = :i FOR UPDATE"), {"i": cid})
        with pytest.raises(StorageLocked), UnitOfWork(waiting)(write=True) as uow:
            uow.session.execute(text("UPDATE contact SET notes = 'x' WHERE id = :i"), {"i": cid})
    waiting.dispose()


def test_a_server_that_does_not_answer_is_a_clear_message() -> None:
    engine = create_engine_for("postgresql://nobody:x@127.0.0.1:9/none")
    with pytest.raises(Exception) as caught:  # noqa: PT011 - the driver's own error
        engine.connect()
    mapped = storage_error(caught.value)
    assert isinstance(mapped, StorageFailed)
    assert "server" in str(mapped)
    engine.dispose()


def test_a_short_wait_holds_on_the_server_too(pg_engine: Engine) -> None:
    """A unit with *wait_ms* (the sign-in, the deferred audit's retries) waits that long
    for another transaction's lock on PostgreSQL too, as it does on SQLite: it waited the
    connection's 5 s whenever another desk held the audit turn. Readers keep the default."""
    uow = UnitOfWork(pg_engine)
    with uow(write=True, wait_ms=250) as unit:
        assert unit.session.execute(text("SHOW lock_timeout")).scalar() == "250ms"
    with uow(write=True) as unit:
        assert unit.session.execute(text("SHOW lock_timeout")).scalar() == "5s"
    with uow(write=True, wait_ms=0) as unit:  # 0 would be no limit on the server
        assert unit.session.execute(text("SHOW lock_timeout")).scalar() == "1ms"
