"""The change feed: another connection commits, the callback follows.

SQLite: a second engine on the same file stands for another desk (the CLI importing while
the app is open). PostgreSQL (only with ``PRIVACYCRM_TEST_PG_ADMIN``): a database of the
test's own with the trigger of the migration's contract, notified from another connection.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, insert, text

from privacycrm_desktop.persistence.change_feed import CHANNEL, ChangeFeed
from privacycrm_desktop.persistence.database import create_engine_for
from privacycrm_desktop.persistence.models import Setting

pytestmark = pytest.mark.sqlite_only

POLL = 0.1


class Calls:
    """Counts the feed's callbacks (they arrive on the feed's thread)."""

    def __init__(self) -> None:
        self.count = 0
        self._changed = threading.Condition()

    def __call__(self) -> None:
        with self._changed:
            self.count += 1
            self._changed.notify_all()

    def wait_for(self, count: int, timeout: float = 5.0) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: self.count >= count, timeout)


@pytest.fixture
def other_desk(engine: Engine, db_path: Path) -> Iterator[Engine]:
    """A second engine on the same file: another program's connections."""
    other = create_engine_for(db_path)
    yield other
    other.dispose()


def _commit_setting(engine: Engine, key: str) -> None:
    with engine.begin() as conn:
        conn.execute(insert(Setting).values(key=key, value="1"))


def test_sqlite_commit_elsewhere_calls_back(engine: Engine, other_desk: Engine) -> None:
    calls = Calls()
    feed = ChangeFeed(engine, calls, poll_interval=POLL)
    feed.start()
    try:
        # Once as it starts listening: what changed before was not announced.
        assert calls.wait_for(1)
        time.sleep(3 * POLL)
        assert calls.count == 1, "nothing changed since"
        _commit_setting(other_desk, "a")
        assert calls.wait_for(2)
        time.sleep(3 * POLL)
        assert calls.count == 2, "one commit, one callback"
        # The app's own other connections are "elsewhere" too (the feed has its own).
        _commit_setting(engine, "b")
        assert calls.wait_for(3)
    finally:
        feed.stop()
    assert not feed.active


@pytest.mark.slow
def test_sqlite_commits_between_polls_make_one_callback(engine: Engine, other_desk: Engine) -> None:
    calls = Calls()
    feed = ChangeFeed(engine, calls, poll_interval=0.5)
    feed.start()
    try:
        assert calls.wait_for(1)  # listening
        for n in range(20):
            _commit_setting(other_desk, f"k{n}")
        assert calls.wait_for(2)
        time.sleep(1.2)
        assert calls.count <= 3  # the 20 commits fell into one or two polls
    finally:
        feed.stop()


def test_stop_is_prompt_and_leaves_no_thread(engine: Engine) -> None:
    feed = ChangeFeed(engine, Calls(), poll_interval=30)
    feed.start()
    assert feed.active
    started = time.monotonic()
    feed.stop()
    # Not timed to the millisecond (a loaded machine is slow): stop wakes the thread
    # instead of waiting out the 30 s poll.
    assert time.monotonic() - started < 10
    assert not feed.active
    assert not [t for t in threading.enumerate() if t.name == "privacycrm-change-feed"]


def test_a_failing_callback_does_not_end_the_feed(engine: Engine, other_desk: Engine) -> None:
    calls = Calls()

    def flaky() -> None:
        calls()
        if calls.count == 1:
            raise RuntimeError("subscriber gone")

    feed = ChangeFeed(engine, flaky, poll_interval=POLL)
    feed.start()
    try:
        assert calls.wait_for(1)  # listening: this call raised
        _commit_setting(other_desk, "x")
        assert calls.wait_for(2)
        _commit_setting(other_desk, "y")
        assert calls.wait_for(3)
    finally:
        feed.stop()


def test_in_memory_database_has_no_other_desk() -> None:
    engine = create_engine_for("sqlite://")
    feed = ChangeFeed(engine, Calls(), poll_interval=POLL)
    feed.start()
    assert not feed.active
    feed.stop()
    engine.dispose()


def test_the_feed_connection_is_not_taken_from_the_pool(engine: Engine) -> None:
    feed = ChangeFeed(engine, Calls(), poll_interval=POLL)
    feed.start()
    try:
        deadline = time.monotonic() + 5
        while feed.connects == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert feed.connects == 1
        assert engine.pool.checkedout() == 0
        engine.dispose()  # a restore or read-only recovery: the feed keeps its connection
        time.sleep(3 * POLL)
        assert feed.active
        assert feed.connects == 1
    finally:
        feed.stop()


# -- PostgreSQL ------------------------------------------------------------------------

TRIGGER_SQL = (
    "CREATE TABLE contact (id serial PRIMARY KEY, name text)",
    "CREATE FUNCTION notify_contacts() RETURNS trigger LANGUAGE plpgsql AS $$ "
    f"BEGIN PERFORM pg_notify('{CHANNEL}', TG_OP); RETURN NULL; END $$",
    "CREATE TRIGGER contact_notify AFTER INSERT OR UPDATE OR DELETE ON contact "
    "FOR EACH STATEMENT EXECUTE FUNCTION notify_contacts()",
)


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A database of this test's own on the test server, with the contract's trigger."""
    import pg_support

    admin = pg_support.require_server()
    psycopg = pytest.importorskip("psycopg")
    name = f"pcrm_feed_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    url = pg_support.database_url(admin, name)
    with psycopg.connect(url, autocommit=True) as conn:
        for statement in TRIGGER_SQL:
            conn.execute(statement)
    yield url
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _pg_insert(url: str, rows: int = 1) -> None:
    import psycopg

    with psycopg.connect(url) as conn:  # one transaction: commit at the end
        for n in range(rows):
            conn.execute("INSERT INTO contact (name) VALUES (%s)", (f"n{n}",))


def test_postgresql_notify_calls_back_and_coalesces(pg_url: str) -> None:
    engine = create_engine_for(pg_url)
    calls = Calls()
    feed = ChangeFeed(engine, calls, poll_interval=0.2)
    feed.start()
    try:
        assert calls.wait_for(1)  # LISTEN is in effect
        time.sleep(0.3)
        assert calls.count == 1
        _pg_insert(pg_url)
        assert calls.wait_for(2, timeout=3)
        # 500 statements in one transaction: one notification, one callback.
        _pg_insert(pg_url, rows=500)
        assert calls.wait_for(3, timeout=3)
        time.sleep(0.6)
        assert calls.count == 3
        with engine.begin() as conn:  # the app's own engine: another connection too
            conn.execute(text("UPDATE contact SET name = 'x'"))
        assert calls.wait_for(4, timeout=3)
    finally:
        feed.stop()
        engine.dispose()


def test_postgresql_reconnects_after_losing_the_server(pg_url: str) -> None:
    import psycopg

    engine = create_engine_for(pg_url)
    calls = Calls()
    feed = ChangeFeed(engine, calls, poll_interval=0.2, min_backoff=0.1)
    feed.start()
    try:
        assert calls.wait_for(1)  # listening
        with psycopg.connect(pg_url, autocommit=True) as conn:
            ended = conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND query LIKE 'LISTEN%'"
            ).fetchall()
        assert ended == [(True,)]
        # Back again, and a callback for what may have changed meanwhile.
        assert calls.wait_for(2, timeout=5)
        assert feed.connects == 2
        _pg_insert(pg_url)
        assert calls.wait_for(3, timeout=3)
        started = time.monotonic()
    finally:
        feed.stop()
        engine.dispose()
    assert time.monotonic() - started < 10  # woken, not waiting for the next poll
    assert not feed.active
    with psycopg.connect(pg_url, autocommit=True) as conn:
        listening = conn.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND query LIKE 'LISTEN%'"
        ).fetchone()
    assert listening == (0,), "stop() closes the feed's connection"


def test_postgresql_reconnects_with_the_engine_of_the_moment(pg_url: str) -> None:
    """After a reset password the desk's services go on with an engine of the new
    password; the feed's lost connection is opened again with that one (with the engine
    it started with, whose password the server no longer takes, it never came back)."""
    import psycopg

    role, old, new = f"feed_{uuid.uuid4().hex[:8]}", "old-password-1", "new-password-2"
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{old}'")
    from sqlalchemy.engine import make_url

    def as_role(password: str) -> Engine:
        url = make_url(pg_url).set(username=role, password=password)
        return create_engine_for(url.render_as_string(hide_password=False))

    engines = {"now": as_role(old)}
    first = engines["now"]
    calls = Calls()
    feed = ChangeFeed(
        first, calls, poll_interval=0.2, min_backoff=0.1, current_engine=lambda: engines["now"]
    )
    feed.start()
    try:
        assert calls.wait_for(1)  # listening, as the role with its old password
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute(f"ALTER ROLE {role} PASSWORD '{new}'")
            engines["now"] = as_role(new)
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s",
                (role,),
            )
        assert calls.wait_for(2, timeout=5)
        assert feed.connects == 2
        _pg_insert(pg_url)
        assert calls.wait_for(3, timeout=3)
    finally:
        feed.stop()
        for engine in (first, engines["now"]):
            engine.dispose()
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s",
                (role,),
            )
            conn.execute(f"DROP ROLE {role}")  # it owns nothing: a login only


def test_postgresql_a_refused_reconnection_calls_back_once(pg_url: str) -> None:
    """The owner reset this desk's password and ended its sessions: the feed cannot come
    back with the password it has. It calls back once all the same, so the desk checks its
    sign-in (refused: it locks) instead of waiting for a change that never arrives."""
    import psycopg

    role = f"feed_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {role} LOGIN PASSWORD 'old-password-1'")
    from sqlalchemy.engine import make_url

    url = make_url(pg_url).set(username=role, password="old-password-1")
    engine = create_engine_for(url.render_as_string(hide_password=False))
    calls = Calls()
    feed = ChangeFeed(engine, calls, poll_interval=0.2, min_backoff=0.1, max_backoff=0.2)
    feed.start()
    try:
        assert calls.wait_for(1)  # listening
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute(f"ALTER ROLE {role} PASSWORD 'new-password-2'")
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s",
                (role,),
            )
        assert calls.wait_for(2, timeout=5)
        time.sleep(1.0)  # several refused attempts: still the one callback
        assert calls.count == 2
        assert feed.connects == 1
    finally:
        feed.stop()
        engine.dispose()
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute(f"DROP ROLE {role}")
