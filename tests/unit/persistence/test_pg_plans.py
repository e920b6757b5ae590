"""PostgreSQL query plans of the contact list and the search (issue 23), like the SQLite
plan tests: on 20,000 demo contacts, vacuumed and analysed (a size where the planner
prefers an index when it can use one), each statement the services send for a search or a
list window is explained (``EXPLAIN (FORMAT JSON)``, with the same parameters): the search
reads the GIN indexes of words (migration 0022), the list windows skip rows in a sort
index without reading the table, and nothing reads the whole contact table.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import Engine

import pg_support
from privacycrm_desktop.persistence import contact_queries
from privacycrm_desktop.persistence.contact_queries import SMALL_MATCH_SET
from privacycrm_desktop.persistence.database import create_engine_for
from privacycrm_desktop.persistence.migrate import migrate
from privacycrm_desktop.services.dto import Actor, ContactFilter, ContactSort, ListFilter
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.services.setup import CompanyInput

CONTACTS = 20_000
WORD_INDEXES = {f"ix_contact_fts_{c}_words" for c in ("name", "organisation", "emails")}


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    """A server database with 20,000 demo contacts, vacuumed and analysed."""
    url = pg_support.new_database()
    engine = create_engine_for(url)
    migrate(engine)
    services = Services.build(engine)
    owner = services.setup.initialise(
        CompanyInput(name="Plan BV", address="Markt 1, 9000 Gent"), "owner", "plan-password-1"
    )
    services.demo.generate(owner, CONTACTS, seed=11)
    engine.dispose()
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    yield url
    pg_support.drop_database(url)


@pytest.fixture(autouse=True)
def nothing_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every search reads the server (persistence/server_kept_reads.py would hand out a
    repeated search's results kept from an earlier test, sending no statement to explain)."""
    monkeypatch.setattr(contact_queries, "kept_read", lambda _session, _key, read: read())
    monkeypatch.setattr(contact_queries, "kept_result", lambda _session, _key: (False, None))


@pytest.fixture(scope="module")
def served(pg_url: str) -> Iterator[tuple[Engine, Services, Actor]]:
    engine = create_engine_for(pg_url)
    services = Services.build(engine)
    yield engine, services, services.auth.login("owner", "plan-password-1")
    engine.dispose()


def _statements(engine: Engine, action: Any) -> list[tuple[str, Any]]:
    """The SELECT statements touching ``contact`` that *action* sends, with parameters."""
    sent: list[tuple[str, Any]] = []

    def note(conn: Any, cursor: Any, statement: str, params: Any, *rest: Any) -> None:
        head = statement.lstrip().upper()
        if head.startswith(("SELECT", "WITH")) and " contact" in statement:
            sent.append((statement, params))

    event.listen(engine, "before_cursor_execute", note)
    try:
        action()
    finally:
        event.remove(engine, "before_cursor_execute", note)
    return sent


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", ()):
        yield from _nodes(child)


def _plans(engine: Engine, sent: list[tuple[str, Any]]) -> list[list[dict[str, Any]]]:
    """The nodes of each statement's plan."""
    plans = []
    with engine.connect() as conn:
        raw = conn.connection.driver_connection
        assert raw is not None
        for statement, params in sent:
            found = raw.execute("EXPLAIN (FORMAT JSON) " + statement, params).fetchone()
            assert found is not None
            plans.append(list(_nodes(found[0][0]["Plan"])))
    return plans


def _seq_scans(plans: list[list[dict[str, Any]]]) -> set[str]:
    return {
        str(node.get("Relation Name"))
        for nodes in plans
        for node in nodes
        if node["Node Type"] == "Seq Scan"
    }


@pytest.mark.parametrize("query", ["peeters", "pe", "jan peeters", "telenet.be", "gent"])
def test_a_search_reads_the_word_indexes_and_never_the_whole_table(
    served: tuple[Engine, Services, Actor], query: str
) -> None:
    engine, services, owner = served

    def search() -> None:
        total = services.contacts.count(owner, query)
        assert total > 0
        services.contacts.page(owner, query=query, sort=ContactSort.NAME, limit=200, total=total)

    plans = _plans(engine, _statements(engine, search))
    assert len(plans) >= 2  # the count and the window
    for nodes in plans:
        used = {n.get("Index Name") for n in nodes if n["Node Type"] == "Bitmap Index Scan"}
        assert used & WORD_INDEXES, nodes
    assert not _seq_scans(plans) & {"contact", "contact_fts"}


def test_a_search_matching_most_contacts_walks_the_sort_index(
    served: tuple[Engine, Services, Actor],
) -> None:
    engine, services, owner = served
    total = services.contacts.count(owner, "be")  # half the demo addresses end in .be
    assert total > SMALL_MATCH_SET  # walked, not sorted
    for offset in (0, total // 3):

        def window(at: int = offset) -> None:
            services.contacts.page(owner, query="be", offset=at, limit=200, total=total)

        sent = _statements(engine, window)
        plans = _plans(engine, sent)
        assert not _seq_scans(plans) & {"contact", "contact_fts"}
        nodes = [n for nodes in plans for n in nodes]
        walked = [
            n
            for n in nodes
            if n["Node Type"] in ("Index Only Scan", "Index Scan")
            and n.get("Relation Name") == "contact"
            and "hashed SubPlan" in str(n.get("Filter", ""))
        ]
        assert walked, nodes


@pytest.mark.parametrize(("query", "many"), [("jan peeters", False), ("be", True)])
def test_a_search_count_reads_the_matches_once_with_its_first_window(
    served: tuple[Engine, Services, Actor], query: str, many: bool
) -> None:
    """The count's statement reads the first window too (persistence/server_kept_reads.py):
    the search index and the matches' heap pages once, then one of the two ways to read
    the window, chosen by the count (the other never runs): few matches read by key and
    sorted, many found by walking the sort index probing them."""
    engine, services, owner = served
    sent = _statements(engine, lambda: services.contacts.count(owner, query))
    assert len(sent) == 1, sent
    statement, params = sent[0]
    with engine.connect() as conn:
        raw = conn.connection.driver_connection
        assert raw is not None
        found = raw.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + statement, params).fetchone()
    assert found is not None
    nodes = list(_nodes(found[0][0]["Plan"]))
    heap = [n for n in nodes if n.get("Relation Name") == "contact_fts"]
    assert [n["Node Type"] for n in heap] == ["Bitmap Heap Scan"], heap
    assert heap[0]["Actual Loops"] == 1
    walks = [
        n
        for n in nodes
        if n.get("Relation Name") == "contact" and "hashed SubPlan" in str(n.get("Filter", ""))
    ]
    assert len(walks) == 1, nodes
    by_key = [
        n
        for n in nodes
        if n.get("Relation Name") == "contact" and n.get("Index Name") == "pk_contact"
    ]
    walked_loops = walks[0]["Actual Loops"]
    assert walked_loops == (1 if many else 0)
    assert not _seq_scans([nodes]) & {"contact", "contact_fts"}
    assert by_key, nodes


def test_a_number_being_typed_walks_the_sort_index_probing_a_hash_of_its_matches(
    served: tuple[Engine, Services, Actor], monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the walk to a number's window passes far more contacts than match (0475 at a
    million: 8,500 walked for 23,555 matches), the matching ids are read once from the
    number index and hashed, not each walked contact's numbers looked up (167 -> 28 ms)."""
    engine, services, owner = served
    monkeypatch.setattr(contact_queries, "_SORT_COST_PER_MATCH", 1e9)
    monkeypatch.setattr(contact_queries, "_KEEP_COST_PER_MATCH", 0.0)
    total = services.contacts.count(owner, "0475")
    assert total > 0

    def window() -> None:
        services.contacts.page(owner, query="0475", limit=200, total=total)

    plans = _plans(engine, _statements(engine, window))
    nodes = [n for nodes in plans for n in nodes]
    walked = [
        n
        for n in nodes
        if n.get("Relation Name") == "contact" and "hashed SubPlan" in str(n.get("Filter", ""))
    ]
    assert walked, nodes
    numbers = [n for n in nodes if n.get("Relation Name") == "contact_phone"]
    assert [n.get("Index Name") for n in numbers] == ["ix_contact_phone_number"], numbers
    assert not _seq_scans(plans) & {"contact", "contact_phone"}


@pytest.mark.parametrize("sort", [ContactSort.NAME, ContactSort.CITY])
def test_a_window_in_the_middle_skips_rows_in_an_index_without_reading_the_table(
    served: tuple[Engine, Services, Actor], sort: ContactSort
) -> None:
    engine, services, owner = served
    total = services.contacts.count(owner)
    sent = _statements(
        engine,
        lambda: services.contacts.page(
            owner, sort=sort, offset=total // 2 - 100, limit=200, total=total
        ),
    )
    plans = _plans(engine, sent)
    assert "contact" not in _seq_scans(plans)
    nodes = [n for nodes in plans for n in nodes]
    skipping = [
        n
        for n in nodes
        if n["Node Type"] == "Limit"
        and any(
            c["Node Type"] == "Index Only Scan" and c.get("Relation Name") == "contact"
            for c in _nodes(n)
        )
    ]
    assert skipping, nodes


def test_no_list_statement_is_compiled_to_machine_code_first(
    served: tuple[Engine, Services, Actor],
) -> None:
    """The app's connections run with ``jit`` off (persistence/database.py, PG_SETTINGS):
    even with ``jit_above_cost`` at 0, so that every statement would qualify, a search's
    count and window and a view's count run without compiling (at 100,000 contacts the
    server spent 3-11 ms compiling a search that ran in 12)."""
    engine, services, owner = served

    def lists() -> None:
        total = services.contacts.count(owner, "gent")
        services.contacts.page(owner, query="gent", limit=200, total=total)
        services.contacts.count(owner, "", ListFilter(ContactFilter.NO_CONSENT))

    sent = _statements(engine, lists)
    assert len(sent) >= 3
    with engine.connect() as conn:
        raw = conn.connection.driver_connection
        assert raw is not None
        raw.execute("SET LOCAL jit_above_cost = 0")
        for statement, params in sent:
            found = raw.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + statement, params).fetchone()
            assert found is not None
            assert "JIT" not in found[0][0], statement


def test_searches_typed_one_after_another_are_each_planned_for_their_words(
    served: tuple[Engine, Services, Actor],
) -> None:
    """A search is the same statement text whatever its words. Prepared (psycopg does so
    for a statement run 5 times on a connection that does not roll back, as the list's
    reads no longer do), the server may keep one generic plan for every value after 5
    runs, and that plan read the whole contact table (0.8 s at a million contacts against
    0.05-0.13 s planned for the words). The app's connections prepare nothing
    (persistence/database.py): every run is planned for its words."""
    engine, services, owner = served
    for _ in range(3):
        for query in ("peeters", "pe", "gent", "jan", "marie", "lambert", "telenet.be"):
            total = services.contacts.count(owner, query)
            services.contacts.page(owner, query=query, limit=200, total=total)
    with engine.connect() as conn:
        prepared = conn.execute(
            text(
                "SELECT generic_plans, custom_plans, statement FROM pg_prepared_statements "
                "WHERE statement LIKE '%contact%'"
            )
        ).all()
    assert prepared == []


def test_the_no_consent_views_middle_walks_the_name_index_without_sorting(
    served: tuple[Engine, Services, Actor],
) -> None:
    """No consent (nearly every contact): its middle window walks the name order's own
    index, ``ix_contact_sort`` (sort_name, id). Not the smaller ``ix_contact_name_postcode``
    (sort_name, postcode, id) with an incremental sort of each run of equal names by id:
    at a million contacts that sorted 500,000 rows, 159 ms against 68 (EXPLAIN ANALYZE on
    the bench database). The app's connections run with ``enable_incremental_sort`` off
    (persistence/database.py, PG_SETTINGS)."""
    engine, services, owner = served
    view = ListFilter(ContactFilter.NO_CONSENT)
    total = services.contacts.count(owner, "", view)
    assert total > SMALL_MATCH_SET  # walked, not sorted

    def middle() -> None:
        services.contacts.page(
            owner, sort=ContactSort.NAME, offset=total // 2 - 100, limit=200, total=total, view=view
        )

    sent = _statements(engine, middle)
    assert sent
    plans = []
    with engine.connect() as conn:
        raw = conn.connection.driver_connection
        assert raw is not None
        # 20,000 contacts: the planner would still sort them all (from the table or any
        # index); at a million it walks an index in order, and which one is what this
        # checks.
        raw.execute("SET LOCAL enable_seqscan = off")
        raw.execute("SET LOCAL enable_sort = off")
        for statement, params in sent:
            found = raw.execute("EXPLAIN (FORMAT JSON) " + statement, params).fetchone()
            assert found is not None
            plans.append(list(_nodes(found[0][0]["Plan"])))
    for nodes in plans:
        types = {n["Node Type"] for n in nodes}
        assert "Incremental Sort" not in types, nodes
        walked = {n.get("Index Name") for n in nodes if "Index" in n["Node Type"]}
        assert "ix_contact_sort" in walked, walked


def test_a_tag_put_on_half_the_contacts_at_once_lists_from_its_order_index(
    served: tuple[Engine, Services, Actor],
) -> None:
    """A tag put on many contacts in one statement: a window of the list filtered by it
    walks the link table's index for the order (tag, column, sort name, contact) and
    reads no table to sort. Before the link table's statistics were taken again
    (tag_queries.restat), the planner took the 100,000 links of a tag at a million
    contacts for 35 and sorted them all, on disk: 190 ms against 75 (EXPLAIN ANALYZE on the
    bench database)."""
    engine, services, owner = served
    tag_id = services.tags.create(owner, "plan-half")
    added = services.tags.assign_matching(
        owner, tag_id, ("SELECT id FROM contact WHERE id % 2 = 0", {})
    )
    total = services.contacts.count(owner, tag=tag_id)
    assert total == added > CONTACTS // 3
    for sort, index in (
        (ContactSort.NAME, "ix_contact_tag_sort"),
        (ContactSort.CITY, "ix_contact_tag_city_sort"),
    ):
        sent = _statements(
            engine,
            lambda s=sort: services.contacts.page(
                owner, sort=s, offset=total // 2 - 100, limit=200, total=total, tag=tag_id
            ),
        )
        plans = [
            nodes
            for nodes in _plans(engine, sent)
            if any(n.get("Relation Name") == "contact_tag" for n in nodes)
        ]
        assert plans, sent
        for nodes in plans:
            links = [n for n in nodes if n.get("Relation Name") == "contact_tag"]
            assert [(n["Node Type"], n.get("Index Name")) for n in links] == [
                ("Index Only Scan", index)
            ], nodes
            limit = next(n for n in nodes if n["Node Type"] == "Limit")
            assert not any(n["Node Type"] == "Sort" for n in _nodes(limit)), nodes
