"""Zeroing the unused bytes of b-tree pages (persistence/page_scrub.py): deleted values
leave no copy, every remaining row reads back as it was, the file stays sound, and other
connections (reading meanwhile, or holding cached pages) see correct data and cannot put an
old page back."""

from __future__ import annotations

import random
import struct
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from privacycrm_desktop.persistence.page_scrub import parse_page, scrub_page_gaps, scrubbed
from privacycrm_desktop.persistence.sqlite_driver import sqlite3

SCHEMA = (
    "CREATE TABLE person (id INTEGER PRIMARY KEY, email TEXT NOT NULL, note TEXT NOT NULL)",
    "CREATE INDEX ix_person_email ON person (email)",
    "CREATE TABLE other (id INTEGER PRIMARY KEY, word TEXT NOT NULL)",
)


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), isolation_level=None)
    for pragma in ("journal_mode=WAL", "secure_delete=ON", "busy_timeout=2000"):
        conn.execute(f"PRAGMA {pragma}")
    return conn


@pytest.fixture
def db(tmp_path: Path) -> Iterator[tuple[Path, sqlite3.Connection]]:
    path = tmp_path / "scrub.db"
    conn = _connect(path)
    for statement in SCHEMA:
        conn.execute(statement)
    yield path, conn
    conn.close()


def _token(rng: random.Random, n: int) -> str:
    return f"qz{rng.randrange(10**9):09d}n{n:05d}@example.be"


def _fill(conn: sqlite3.Connection, rng: random.Random, rows: int) -> dict[int, str]:
    """*rows* people with random e-mail keys, added in rounds of inserts and of updates that
    grow and shrink rows (page splits and rebuilt pages); their e-mail addresses by id."""
    emails: dict[int, str] = {}
    for start in range(0, rows, 500):
        conn.execute("BEGIN")
        for n in range(start + 1, start + 501):
            emails[n] = _token(rng, n)
            note = "x" * rng.randrange(80)
            conn.execute("INSERT INTO person VALUES (?, ?, ?)", (n, emails[n], note))
        for n in rng.sample(sorted(emails), min(200, len(emails))):
            note = "y" * rng.randrange(160)
            conn.execute("UPDATE person SET note = ? WHERE id = ?", (note, n))
        conn.execute("COMMIT")
    return emails


def _stale(path: Path, conn: sqlite3.Connection, emails: dict[int, str]) -> list[int]:
    """The people whose e-mail address is found more often in the file than in a VACUUMed
    copy of it (which holds each value only where a row or an index holds it)."""
    _checkpoint(conn)
    compact = path.with_name("compact.db")
    compact.unlink(missing_ok=True)
    conn.execute("VACUUM INTO ?", (str(compact),))
    raw, clean = path.read_bytes(), compact.read_bytes()
    return [i for i, e in emails.items() if raw.count(e.encode()) > clean.count(e.encode())]


def _delete(path: Path, conn: sqlite3.Connection, emails: dict[int, str]) -> list[int]:
    """Delete the people with stale copies, and every tenth; the ids deleted (copies of
    their e-mail addresses are still in the file)."""
    stale = _stale(path, conn, emails)
    gone = sorted({*stale, *(i for i in emails if i % 10 == 0)})
    conn.execute("BEGIN")
    conn.executemany("DELETE FROM person WHERE id = ?", [(i,) for i in gone])
    conn.execute("COMMIT")
    _checkpoint(conn)
    raw = _files(path)
    assert stale
    assert [i for i in stale if emails[i].encode() in raw] == stale
    return gone


def _left(path: Path, emails: dict[int, str], gone: list[int]) -> list[int]:
    raw = _files(path)
    return [i for i in gone if emails[i].encode() in raw]


def _checkpoint(conn: sqlite3.Connection) -> None:
    assert conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0] == 0


def _files(path: Path) -> bytes:
    parts = [path, Path(f"{path}-wal")]
    return b"".join(p.read_bytes() for p in parts if p.exists())


def _rows(conn: sqlite3.Connection) -> list[tuple[object, ...]]:
    return conn.execute("SELECT id, email, note FROM person ORDER BY id").fetchall()


def test_deleted_keys_leave_no_copy(db: tuple[Path, sqlite3.Connection]) -> None:
    path, conn = db
    emails = _fill(conn, random.Random(5), 3000)
    gone = _delete(path, conn, emails)
    before = _rows(conn)
    counts = scrub_page_gaps(path, ["person"], 2000)
    assert counts is not None
    assert counts.pages_written > 0
    assert counts.pages_skipped == 0
    assert _left(path, emails, gone) == []
    assert _rows(conn) == before
    assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    # A second scrub finds nothing more to clean.
    again = scrub_page_gaps(path, ["person"], 2000)
    assert again is not None
    assert again.pages_written == 0


def test_only_the_named_tables_are_scrubbed(db: tuple[Path, sqlite3.Connection]) -> None:
    path, conn = db
    emails = _fill(conn, random.Random(5), 3000)
    gone = _delete(path, conn, emails)
    counts = scrub_page_gaps(path, ["other"], 2000)
    assert counts is not None
    # The "other" table's b-tree is its root page alone; the person b-trees are untouched.
    assert (counts.pages_read, counts.pages_written) == (1, 0)
    assert _left(path, emails, gone) != []


operations = st.lists(
    st.tuples(
        st.sampled_from(["insert", "update", "delete"]),
        st.integers(min_value=0, max_value=400),
        st.integers(min_value=0, max_value=600),
    ),
    min_size=1,
    max_size=150,
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=operations, seed=st.integers(min_value=0, max_value=2**16))
def test_scrub_keeps_every_row_and_the_file_sound(
    tmp_path: Path, ops: list[tuple[str, int, int]], seed: int
) -> None:
    path = tmp_path / f"prop-{seed}-{len(ops)}.db"
    for part in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        part.unlink(missing_ok=True)
    conn = _connect(path)
    try:
        for statement in SCHEMA:
            conn.execute(statement)
        rng = random.Random(seed)
        _fill(conn, rng, 300)
        for op, key, size in ops:
            if op == "insert":
                conn.execute(
                    "INSERT INTO person (email, note) VALUES (?, ?)", (_token(rng, key), "n" * size)
                )
            elif op == "update":  # rows that grow and shrink move between pages
                conn.execute(
                    "UPDATE person SET note = ?, email = ? WHERE id = ?",
                    ("u" * size, _token(rng, key), key),
                )
            else:
                conn.execute("DELETE FROM person WHERE id BETWEEN ? AND ?", (key, key + size % 7))
        _checkpoint(conn)
        before = _rows(conn)
        assert scrub_page_gaps(path, None, 2000) is not None
        assert _rows(conn) == before
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        fresh = _connect(path)
        try:
            assert _rows(fresh) == before
        finally:
            fresh.close()
    finally:
        conn.close()


def test_a_reader_meanwhile_sees_its_rows(db: tuple[Path, sqlite3.Connection]) -> None:
    path, conn = db
    _fill(conn, random.Random(7), 2000)
    conn.execute("DELETE FROM person WHERE id % 3 = 0")
    _checkpoint(conn)
    before = _rows(conn)
    reader = _connect(path)
    try:
        reader.execute("BEGIN")
        assert _rows(reader) == before  # a read snapshot open during the scrub
        counts = scrub_page_gaps(path, None, 2000)
        assert counts is not None
        assert counts.pages_written > 0
        assert _rows(reader) == before
        reader.execute("COMMIT")
        assert _rows(reader) == before
    finally:
        reader.close()


def test_a_writer_with_cached_pages_does_not_put_old_bytes_back(
    db: tuple[Path, sqlite3.Connection],
) -> None:
    path, conn = db
    emails = _fill(conn, random.Random(5), 3000)
    gone = _delete(path, conn, emails)
    writer = _connect(path)
    try:
        writer.execute("PRAGMA mmap_size=0")  # every page read goes to its cache
        writer.execute("PRAGMA cache_size=-40000")
        writer.execute("SELECT count(*), max(email) FROM person INDEXED BY ix_person_email")
        writer.execute("SELECT * FROM person").fetchall()
        assert scrub_page_gaps(path, None, 2000) is not None
        # Each page written again, from the writer's cache if it had kept its old copy.
        writer.execute("UPDATE person SET email = email || '', note = note || 'y'")
        _checkpoint(writer)
    finally:
        writer.close()
    assert _left(path, emails, gone) == []
    assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]


def test_another_writer_keeps_it_from_running(db: tuple[Path, sqlite3.Connection]) -> None:
    path, conn = db
    _fill(conn, random.Random(9), 500)
    _checkpoint(conn)
    other = _connect(path)
    try:
        other.execute("BEGIN IMMEDIATE")
        assert scrub_page_gaps(path, None, 50) is None
        other.execute("ROLLBACK")
    finally:
        other.close()
    assert scrub_page_gaps(path, None, 50) is not None


def test_a_write_after_the_checkpoint_is_checkpointed_first(
    db: tuple[Path, sqlite3.Connection],
) -> None:
    path, conn = db
    emails = _fill(conn, random.Random(5), 3000)
    gone = _delete(path, conn, emails)
    conn.execute("UPDATE other SET word = 'x'")  # nothing, but a commit into the WAL
    conn.execute("INSERT INTO other (word) VALUES ('w')")
    assert Path(f"{path}-wal").stat().st_size > 0
    assert scrub_page_gaps(path, None, 2000) is not None
    assert _left(path, emails, gone) == []


def _leaf(cells: list[int], content: int, first_block: int = 0) -> bytearray:
    """A 4096-byte table leaf page with the given cell pointers, content start and free
    block chain, every other byte 0x55."""
    page = bytearray(b"\x55" * 4096)
    page[0:8] = bytes([13]) + struct.pack(">HHH", first_block, len(cells), content) + b"\x00"
    for n, pointer in enumerate(cells):
        page[8 + 2 * n : 10 + 2 * n] = struct.pack(">H", pointer)
    return page


@pytest.mark.parametrize(
    ("page", "why"),
    [
        (bytearray(4096), "type 0 is no b-tree page"),
        (bytearray(b"\x03" + bytes(4095)), "type 3 is no b-tree page"),
        (_leaf([4000, 4050], content=11), "content start inside the pointer array"),
        (_leaf([4000], content=4097), "content start past the page"),
        (_leaf([4000], content=3000, first_block=2000), "free block before the content"),
        (_leaf([4000], content=3000, first_block=3000), "free block with a bad size"),
        (bytes(100), "a short read"),
    ],
)
def test_a_page_that_makes_no_sense_is_left_alone(page: bytes, why: str) -> None:
    assert parse_page(bytes(page), 2, 4096, 10) is None, why


def test_only_the_gap_and_free_block_bodies_are_zeroed() -> None:
    page = _leaf([3900, 3950], content=3000, first_block=3000)
    page[3000:3004] = struct.pack(">HH", 0, 100)  # one free block of 100 bytes, the last
    parsed = parse_page(bytes(page), 2, 4096, 10)
    assert parsed is not None
    assert parsed.unused == ((12, 3000), (3004, 3100))
    clean = scrubbed(bytes(page), parsed)
    assert clean is not None
    changed = [i for i in range(4096) if clean[i] != page[i]]
    assert changed == [*range(12, 3000), *range(3004, 3100)]
    assert scrubbed(clean, parsed) is None


def test_an_interior_page_pointing_outside_the_file_is_left_alone() -> None:
    page = bytearray(b"\x55" * 4096)
    page[0:12] = bytes([5]) + struct.pack(">HHH", 0, 1, 4000) + b"\x00" + struct.pack(">I", 3)
    page[12:14] = struct.pack(">H", 4000)
    page[4000:4004] = struct.pack(">I", 2)
    parsed = parse_page(bytes(page), 2, 4096, 10)
    assert parsed is not None
    assert parsed.children == (2, 3)
    page[4000:4004] = struct.pack(">I", 11)  # past the last page
    assert parse_page(bytes(page), 2, 4096, 10) is None


def test_the_offsets_sqlite_leaves_when_it_drops_a_cell_are_no_reason_to_write() -> None:
    """Dropping a cell leaves old copies of pointer entries just past the array: offsets
    into the page, no bytes of a row. A gap holding only those is left as it is; anything
    else in it (an offset past the page, a byte of text, a byte after the run) has the
    whole gap zeroed as before."""
    page = _leaf([3900, 3950], content=3000)
    page[12:3000] = bytes(2988)
    page[12:16] = struct.pack(">HH", 3950, 3850)  # two cells dropped
    parsed = parse_page(bytes(page), 2, 4096, 10)
    assert parsed is not None
    assert scrubbed(bytes(page), parsed) is None
    for where, value in ((14, b"\x10\x00"), (14, b"ja"), (40, b"\x00\x01")):
        dirty = bytearray(page)
        dirty[where : where + 2] = value
        clean = scrubbed(bytes(dirty), parsed)
        assert clean is not None, (where, value)
        assert clean[12:3000] == bytes(2988)


def test_a_deleted_row_leaves_no_page_to_write_on_a_scrubbed_file(
    db: tuple[Path, sqlite3.Connection],
) -> None:
    """After a full scrub, deleting rows (secure_delete zeroes their cells) leaves only
    dropped pointer entries: the next scrub writes no page, and the rows' values are
    nowhere in the file."""
    path, conn = db
    rng = random.Random(7)
    emails = _fill(conn, rng, 3000)
    _checkpoint(conn)
    assert scrub_page_gaps(path, None, 2000) is not None
    assert scrub_page_gaps(path, None, 2000).pages_written == 0
    gone = list(range(5, 3000, 97))
    conn.execute("BEGIN")
    conn.executemany("DELETE FROM person WHERE id = ?", [(i,) for i in gone])
    conn.execute("COMMIT")
    _checkpoint(conn)
    counts = scrub_page_gaps(path, None, 2000)
    assert counts is not None
    assert counts.pages_written == 0
    assert _left(path, emails, gone) == []
