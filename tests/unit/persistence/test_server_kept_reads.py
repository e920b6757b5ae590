"""Results kept on a PostgreSQL connection (persistence/server_kept_reads.py): handed out
again only while the server's snapshot is the one they were read in and the connection's
own transaction has written nothing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

import pg_support
from privacycrm_desktop.persistence.database import create_engine_for
from privacycrm_desktop.persistence.server_kept_reads import kept_read


@pytest.fixture(scope="module")
def server() -> Iterator[Engine]:
    pg_support.require_server()
    url = pg_support.new_database()
    engine = create_engine_for(url)
    yield engine
    engine.dispose()
    pg_support.drop_database(url)


def test_a_result_is_kept_while_the_snapshot_is_the_same(server: Engine) -> None:
    reads: list[int] = []

    def read() -> int:
        reads.append(1)
        return len(reads)

    # REPEATABLE READ: one snapshot for the whole transaction, whatever else the server runs.
    with Session(server.execution_options(isolation_level="REPEATABLE READ")) as session:
        assert kept_read(session, "k", read) == 1
        assert kept_read(session, "k", read) == 1
        assert kept_read(session, "other", read) == 2
        assert kept_read(session, "k", read) == 1


def test_nothing_kept_is_used_once_the_transaction_wrote(server: Engine) -> None:
    """A transaction's own id is not in its snapshot: the snapshot alone does not tell."""
    counter = iter(range(1, 100))
    with Session(server.execution_options(isolation_level="REPEATABLE READ")) as session:
        assert kept_read(session, "w", lambda: next(counter)) == 1
        session.execute(text("SELECT pg_current_xact_id()"))  # as any write does
        assert kept_read(session, "w", lambda: next(counter)) == 2
        assert kept_read(session, "written", lambda: next(counter)) == 3
        assert kept_read(session, "written", lambda: next(counter)) == 4
        session.rollback()


def test_a_result_read_while_another_transaction_ended_is_read_again(server: Engine) -> None:
    counter = iter(range(1, 100))

    def read_while_another_commits() -> int:
        with server.begin() as other:
            other.execute(text("SELECT pg_current_xact_id()"))
        return next(counter)

    with Session(server.execution_options(isolation_level="AUTOCOMMIT")) as session:
        assert kept_read(session, "c", read_while_another_commits) == 1
        assert kept_read(session, "c", lambda: next(counter)) == 2
        assert kept_read(session, "c", lambda: next(counter)) == 2
        with server.begin() as other:
            other.execute(text("SELECT pg_current_xact_id()"))
        assert kept_read(session, "c", lambda: next(counter)) == 3
