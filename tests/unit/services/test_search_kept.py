"""The matches a search count keeps for the list's next window (persistence/search_matches.py):
never out of date, whoever changed the data; the window then reads no search index."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import Engine, event, text

from privacycrm_desktop.domain.access import Role
from privacycrm_desktop.domain.contacts import ContactInput
from privacycrm_desktop.domain.erasure import ErasureReason
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.persistence import contact_queries
from privacycrm_desktop.persistence.database import create_engine_for
from privacycrm_desktop.persistence.search import search_terms
from privacycrm_desktop.services.clock import FixedClock
from privacycrm_desktop.services.dto import Actor, ContactSort
from privacycrm_desktop.services.registry import Services

CARD = SourceInput(SourceKind.BUSINESS_CARD, "Batibouw 2026, stand 12", dt.date(2026, 2, 20))


@contextmanager
def statements(engine: Engine) -> Iterator[list[str]]:
    """The SQL the engine runs inside the block."""
    seen: list[str] = []

    def record(*args: object) -> None:
        seen.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def listed(svc: Services, actor: Actor, query: str) -> list[int]:
    """What the list shows for *query*: its count, then its first window."""
    total = svc.contacts.count(actor, query)
    rows = svc.contacts.page(actor, query=query, sort=ContactSort.NAME, total=total)
    assert len(rows) == total
    return [r.id for r in rows]


def peeters(svc: Services, owner: Actor, first_name: str) -> int:
    data = ContactInput(
        first_name=first_name, last_name="Peeters", emails=(f"{first_name}@telenet.be",)
    )
    return svc.contacts.create(owner, data, CARD)


@pytest.fixture(params=[True, False], ids=["sorted", "walked"])
def walked(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> bool:
    """Both ways to read a window: the few matches sorted, or the name index walked."""
    monkeypatch.setattr(contact_queries, "SMALL_MATCH_SET", 0 if request.param else 10_000)
    return bool(request.param)


def test_the_window_after_its_count_reads_no_search_index(
    svc: Services, owner: Actor, engine: Engine, walked: bool
) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite: the server keeps what it read (the test below)")
    ids = {peeters(svc, owner, name) for name in ("Jan", "An", "Piet")}
    # The pool holds more than one connection (as with the app's background threads).
    with engine.connect(), engine.connect():
        pass
    total = svc.contacts.count(owner, "telenet.be")
    with statements(engine) as seen:
        assert svc.contacts.count(owner, "telenet.be") == total == 3
        rows = svc.contacts.page(owner, query="telenet.be", total=total)
    assert {r.id for r in rows} == ids
    assert seen, "the window was read"
    assert not [sql for sql in seen if "contact_fts" in sql], seen


def test_a_search_read_again_on_the_server_sends_only_a_look_at_its_snapshot(
    svc: Services, owner: Actor, engine: Engine, walked: bool
) -> None:
    """PostgreSQL (persistence/server_kept_reads.py): the count and the window of a search
    read again while nothing was written are those kept on the connection."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite keeps the matches (above)")
    for name in ("Jan", "An", "Piet"):
        peeters(svc, owner, name)
    svc.contacts.create(owner, ContactInput(last_name="Jacobs", phones=("0475 11 22 33",)), CARD)
    for query in ("telenet.be", "0475 11"):
        # The snapshot is the whole server's: a test writing in another database between
        # the two reads ends what was kept (read again, as it should), so a few tries.
        for _attempt in range(5):
            first = listed(svc, owner, query)
            with statements(engine) as seen:
                assert listed(svc, owner, query) == first
            assert seen, "the snapshot was looked at"
            if all("pg_current_snapshot()" in sql for sql in seen):
                break
        else:
            pytest.fail(f"read again every time: {seen}")


def test_kept_matches_follow_an_edit(svc: Services, owner: Actor, walked: bool) -> None:
    jan = peeters(svc, owner, "Jan")
    an = peeters(svc, owner, "An")
    assert sorted(listed(svc, owner, "peeters")) == sorted([jan, an])
    detail = svc.contacts.get(owner, an)
    moved = ContactInput(first_name="An", last_name="Janssens", emails=("an@example.be",))
    svc.contacts.update(owner, an, detail.version, moved, CARD)
    assert listed(svc, owner, "peeters") == [jan]
    assert listed(svc, owner, "telenet.be") == [jan]


def test_kept_matches_follow_an_erasure(svc: Services, owner: Actor, walked: bool) -> None:
    jan = peeters(svc, owner, "Jan")
    an = peeters(svc, owner, "An")
    assert sorted(listed(svc, owner, "peeters")) == sorted([jan, an])
    svc.erasure.erase(owner, an, ErasureReason.ERASURE_REQUEST)
    assert listed(svc, owner, "peeters") == [jan]
    svc.erasure.erase(owner, jan, ErasureReason.ERASURE_REQUEST)
    assert listed(svc, owner, "peeters") == []


def test_kept_matches_follow_another_programs_commit(
    svc: Services, owner: Actor, migrated_url: str, clock: FixedClock, walked: bool
) -> None:
    jan = peeters(svc, owner, "Jan")
    assert listed(svc, owner, "peeters") == [jan]
    other_engine = create_engine_for(migrated_url)
    try:
        other = Services.build(other_engine, clock)
        an = peeters(other, owner, "An")
        assert sorted(listed(svc, owner, "peeters")) == sorted([jan, an])
        detail = other.contacts.get(owner, jan)
        moved = ContactInput(first_name="Jan", last_name="Janssens")
        other.contacts.update(owner, jan, detail.version, moved, CARD)
        assert listed(svc, owner, "peeters") == [an]
    finally:
        other_engine.dispose()


def test_kept_matches_are_those_of_the_columns_a_role_may_read(
    svc: Services, owner: Actor, walked: bool
) -> None:
    data = ContactInput(first_name="Eva", last_name="Jacobs", phones=("0475 99 88 77",))
    eva = svc.contacts.create(owner, data, CARD)
    assert listed(svc, owner, "jacobs 0475998877") == [eva]
    svc.auth.add_user(owner, "reader", "reader-password-1", Role.READ_ONLY)
    reader = svc.auth.login("reader", "reader-password-1")
    # Read-only staff see phone numbers masked: a number finds nobody for them.
    assert listed(svc, reader, "jacobs 0475998877") == []
    assert listed(svc, reader, "jacobs") == [eva]
    assert listed(svc, owner, "jacobs 0475998877") == [eva]


def test_matches_of_uncommitted_changes_are_not_kept(
    svc: Services, owner: Actor, walked: bool
) -> None:
    jan = peeters(svc, owner, "Jan")
    assert listed(svc, owner, "peeters") == [jan]
    with svc.uow() as uow:  # a reading unit: it ends in a rollback
        uow.session.execute(
            text("UPDATE contact_fts SET name = 'ghost' WHERE rowid = :id"), {"id": jan}
        )
        ghost = search_terms("ghost")
        assert ghost is not None
        assert contact_queries.count_matches(uow.session, ghost) == 1
        jan_terms = search_terms("peeters")
        assert jan_terms is not None
        assert contact_queries.count_matches(uow.session, jan_terms) == 0
    assert listed(svc, owner, "ghost") == []
    assert listed(svc, owner, "peeters") == [jan]


def test_a_writing_unit_keeps_no_matches(svc: Services, owner: Actor, engine: Engine) -> None:
    """Keeping matches commits the transaction: never a writer's, which would let go of
    its write lock halfway through its action."""
    if engine.dialect.name != "sqlite":
        pytest.skip("the matches are kept on SQLite only")
    jan = peeters(svc, owner, "Jan")
    terms = search_terms("peeters")
    assert terms is not None
    commits: list[object] = []

    def committed(conn: object) -> None:
        commits.append(conn)

    with svc.uow(write=True) as uow:
        event.listen(engine, "commit", committed)
        try:
            assert contact_queries.count_matches(uow.session, terms) == 1
        finally:
            event.remove(engine, "commit", committed)
        assert commits == []
    assert listed(svc, owner, "peeters") == [jan]


def test_kept_phone_matches_follow_edits_and_erasures(
    svc: Services,
    owner: Actor,
    engine: Engine,
    migrated_url: str,
    clock: FixedClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A number being typed, its matches found by walking the name index: kept when that
    walk passes many more contacts than match (here always)."""
    monkeypatch.setattr(contact_queries, "_SORT_COST_PER_MATCH", 1e9)
    monkeypatch.setattr(contact_queries, "_KEEP_COST_PER_MATCH", 0.0)

    def called(name: str, number: str) -> int:
        return svc.contacts.create(owner, ContactInput(last_name=name, phones=(number,)), CARD)

    eva = called("Jacobs", "0475 11 22 33")
    tom = called("Maes", "0475 11 22 44")
    called("Wouters", "0476 11 22 55")
    assert listed(svc, owner, "0475 11") == [eva, tom]
    if engine.dialect.name == "sqlite":
        with statements(engine) as seen:
            assert listed(svc, owner, "0475 11") == [eva, tom]
        walks = [sql for sql in seen if "ix_contact_sort" in sql]
        assert walks, seen
        assert not [sql for sql in walks if "contact_phone" in sql], walks
    detail = svc.contacts.get(owner, tom)
    moved = ContactInput(last_name="Maes", phones=("0499 11 22 44",))
    svc.contacts.update(owner, tom, detail.version, moved, CARD)
    assert listed(svc, owner, "0475 11") == [eva]
    other_engine = create_engine_for(migrated_url)
    try:
        other = Services.build(other_engine, clock)
        an = other.contacts.create(
            owner, ContactInput(last_name="Aerts", phones=("0475 11 90 00",)), CARD
        )
    finally:
        other_engine.dispose()
    assert listed(svc, owner, "0475 11") == [an, eva]
    svc.erasure.erase(owner, eva, ErasureReason.ERASURE_REQUEST)
    assert listed(svc, owner, "0475 11") == [an]


def test_matches_found_in_a_transaction_the_session_does_not_own_are_not_kept(
    svc: Services, owner: Actor, engine: Engine, walked: bool
) -> None:
    """A session joined to a connection's transaction (as the demo's) cannot commit the
    table of kept ids: they go when that transaction rolls back, and must not be used."""
    from sqlalchemy.orm import Session

    jan = peeters(svc, owner, "Jan")
    terms = search_terms("peeters")
    assert terms is not None
    with engine.connect() as conn:
        transaction = conn.begin()
        session = Session(bind=conn)
        assert contact_queries.count_matches(session, terms) == 1
        session.close()
        transaction.rollback()
        again = Session(bind=conn)
        total = contact_queries.count_matches(again, terms)
        rows = contact_queries.search_window(again, terms, total, "name", False, 0, 10)
        again.close()
        conn.rollback()
    assert (total, [r.id for r in rows]) == (1, [jan])


@pytest.mark.parametrize("sort", list(ContactSort))
@pytest.mark.parametrize("descending", [False, True], ids=["ascending", "descending"])
def test_the_first_window_read_with_the_count_is_the_window_read_alone(
    svc: Services,
    owner: Actor,
    engine: Engine,
    walked: bool,
    sort: ContactSort,
    descending: bool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """PostgreSQL reads a search's first window with its count, in the order, direction
    and size of the latest first window: the same rows as the window read on its own."""
    places = ("Gent", "Aalst", "Brugge", "Zele", "Gent", "Aalst", "")
    for i, city in enumerate(places):
        data = ContactInput(
            first_name=f"Jan{i % 3}",
            last_name="Peeters" if i % 2 else "Maes",
            organisation=("Bakkerij Zon", "", "Atelier")[i % 3],
            emails=(f"p{i}@telenet.be",),
            city=city,
        )
        svc.contacts.create(owner, data, CARD)

    def first_window(query: str) -> list[int]:
        total = svc.contacts.count(owner, query)
        rows = svc.contacts.page(
            owner, query=query, sort=sort, descending=descending, limit=4, total=total
        )
        return [r.id for r in rows]

    first_window("telenet.be")  # the list's shape: the next count reads its window along
    along = first_window("jan")
    monkeypatch.setattr(contact_queries, "kept_result", lambda _session, _key: (False, None))
    monkeypatch.setattr(contact_queries, "kept_read", lambda _session, _key, read: read())
    assert along == first_window("jan")
    assert len(along) == 4


def test_an_empty_first_window_is_kept_empty(svc: Services, owner: Actor) -> None:
    """A first window of no rows asked for (the list before it knows its height): the
    count's statement then reads no window, and none is handed out."""
    peeters(svc, owner, "Jan")
    total = svc.contacts.count(owner, "telenet.be")
    assert svc.contacts.page(owner, query="telenet.be", limit=0, total=total) == []
    total = svc.contacts.count(owner, "peeters")  # read along in that shape
    assert svc.contacts.page(owner, query="peeters", limit=0, total=total) == []
