"""Zero the unused bytes of SQLite b-tree pages, so an erased value leaves no copy there.

``secure_delete`` zeroes a deleted cell and a freed page, and SQLite zeroes a page's gap
when it defragments it, but when it rebuilds a page while balancing the b-tree (on
inserts, updates and deletes) it writes the page's cells anew and leaves the old bytes in
the page's unallocated gap: a copy of a key from before an earlier page split can outlive
the deletion of the key itself. A byte search of the file then finds the erased person.

``scrub_page_gaps`` walks the b-trees named (their tables, indexes and, for a full-text
table, its shadow tables, read from the schema), reads each page from the main file, parses
its header as the file format documents (https://www.sqlite.org/fileformat2.html) and
zeroes the unallocated gap (between the end of the cell pointer array and the start of the
cell content area) and the bodies of free blocks, and writes back only the pages that had
a non-zero byte there other than the run of old pointer entries SQLite leaves when it
drops a cell (offsets into the page, ``_only_dropped_pointers``; written for those too, the
scrub rewrote every page an erasure had deleted from). It never writes anything else: a
page whose header or offsets do not make sense is left alone (and so are its children).

It runs with SQLite's write lock held (``BEGIN IMMEDIATE`` on a connection of its own) and
only when the WAL is empty (truncated by a checkpoint just before): no other connection can
write the main file meanwhile, and the main file is the whole database. The bytes it
changes are ones SQLite never reads, so a reader at the same time still sees its rows; a
torn write leaves a page with the same cells. After the writes (and ``fsync``) it commits
a one-page change through SQLite (``PRAGMA user_version`` written with its own value): the
WAL index changes, so every other connection drops its cached pages and no writer can put
a cached copy of an old gap back.
"""

from __future__ import annotations

import contextlib
import mmap
import os
import struct
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from sqlalchemy import Engine

from privacycrm_desktop.persistence.database import busy_timeout_ms, is_sqlite, sqlite_file
from privacycrm_desktop.persistence.sqlite_driver import DRIVER_ERRORS, sqlite3

#: b-tree page types (first byte of the page header).
_INTERIOR_INDEX, _INTERIOR_TABLE, _LEAF_INDEX, _LEAF_TABLE = 2, 5, 10, 13
_PAGE_TYPES = {_INTERIOR_INDEX, _INTERIOR_TABLE, _LEAF_INDEX, _LEAF_TABLE}
#: What stops a scrub (it is tried again later): a lock, a read-only file, a full disk.
_FAILURES: tuple[type[Exception], ...] = (*DRIVER_ERRORS, OSError)
#: A b-tree page header's type, first free block, cell count and cell content start.
_HEADER = struct.Struct(">BHHH")
#: Page 1 starts with the 100-byte database file header.
_FILE_HEADER = 100


@dataclass(frozen=True)
class ScrubCounts:
    """What one scrub did (page counts, nothing read from the pages)."""

    pages_read: int
    pages_written: int
    pages_skipped: int


class _Page(NamedTuple):
    """The parsed header of one b-tree page: the ranges that hold no cell."""

    children: tuple[int, ...]
    #: (start, end) byte ranges within the page to zero: the gap, then free-block bodies.
    unused: tuple[tuple[int, int], ...]
    #: The usable size of the page: a cell offset is below it.
    usable: int = 65536


_U16 = struct.Struct(">H")
#: A free block's first four bytes: the next free block, its size.
_FREE_BLOCK = struct.Struct(">HH")
_U32 = struct.Struct(">I")


def _u16(data: bytes, at: int) -> int:
    return int(_U16.unpack_from(data, at)[0])


def _u32(data: bytes, at: int) -> int:
    return int(_U32.unpack_from(data, at)[0])


def _free_blocks(data: bytes, first: int, content: int, usable: int) -> list[tuple[int, int]]:
    """The bodies of the page's free blocks (past their 4-byte link and size), or raise
    ValueError when the chain leaves the cell content area or runs backwards."""
    bodies = []
    block, previous_end = first, content
    while block:
        size = _u16(data, block + 2) if block + 4 <= usable else 0
        if block < previous_end or size < 4 or block + size > usable:
            raise ValueError(block)
        bodies.append((block + 4, block + size))
        previous_end = block + size
        block = _u16(data, block)
    return bodies


def parse_page(data: bytes, pgno: int, usable: int, page_count: int) -> _Page | None:
    """The unused ranges and child pages of a b-tree page, or None when its header is not
    that of a valid b-tree page or its offsets do not make sense.

    The gap's bounds come from the header alone (the end of the cell pointer array, the
    start of the cell content area); an interior page's cell pointers are checked too, as
    its children are followed (checking every leaf's would double the scrub's time)."""
    header = _FILE_HEADER if pgno == 1 else 0
    if len(data) < usable or usable < 480 or data[header] not in _PAGE_TYPES:
        return None
    kind, first_block, cells, content = _HEADER.unpack_from(data, header)
    interior = kind in (_INTERIOR_INDEX, _INTERIOR_TABLE)
    content = content or 65536
    pointers_start = header + (12 if interior else 8)
    pointers_end = pointers_start + 2 * cells
    if not pointers_end <= content <= usable:
        return None
    unused = [(pointers_end, content)]
    if first_block:
        try:
            unused.extend(_free_blocks(data, first_block, content, usable))
        except ValueError:
            return None
    if not interior:
        return _Page((), tuple(unused), usable)
    pointers = struct.unpack_from(f">{cells}H", data, pointers_start)
    read_u32 = _U32.unpack_from
    children = (*[read_u32(data, p)[0] for p in pointers], _u32(data, header + 8))
    cells_inside = not cells or (content <= min(pointers) and max(pointers) <= usable - 4)
    if not cells_inside or not 1 <= min(children) <= max(children) <= page_count:
        return None
    return _Page(children, tuple(unused), usable)


def _only_dropped_pointers(gap: bytes, start: int, usable: int) -> bool:
    """True when the gap (starting at offset *start* of its page) is zero but for a run of
    cell offsets from its start.

    Dropping a cell, SQLite shifts the pointer array down by one entry and leaves the old
    copy of its last entry just past the array's new end: each deletion lengthens a run of
    2-byte offsets into the page (at or past the array's end, below the usable size),
    never bytes of a row (secure_delete zeroed the cell itself)."""
    used = len(gap.rstrip(b"\0"))
    used += used % 2
    if used > len(gap):
        return False
    words = struct.unpack_from(f">{used // 2}H", gap)
    return not words or (min(words) >= start and max(words) < usable)


def _is_zero(data: bytes, start: int, end: int) -> bool:
    return data.count(0, start, end) == end - start


def scrubbed(data: bytes, page: _Page) -> bytes | None:
    """*data* with its unused ranges zeroed, or None when nothing there needs it: they are
    zero already, or the gap holds only the cell offsets SQLite leaves when it drops a cell
    (``_only_dropped_pointers``; a page written for those alone rewrote every page an
    erasure deleted from, most of the bytes of a cleanup)."""
    (gap_start, gap_end), *free = page.unused
    if not _only_dropped_pointers(data[gap_start:gap_end], gap_start, page.usable):
        return _zeroed(data, page)
    if all(_is_zero(data, start, end) for start, end in free):
        return None
    return _zeroed(data, page)


def _zeroed(data: bytes, page: _Page) -> bytes:
    out = bytearray(data)
    for start, end in page.unused:
        out[start:end] = bytes(end - start)
    return bytes(out)


def _roots(conn: sqlite3.Connection, tables: Collection[str] | None) -> list[int]:
    """Root pages of the named tables' b-trees: each table, its indexes and, for a
    full-text (virtual) table, its shadow tables and their indexes (all when None)."""
    rows = conn.execute("SELECT type, name, tbl_name, rootpage, sql FROM sqlite_schema").fetchall()
    wanted = set(tables) if tables is not None else None
    virtual = {
        name
        for kind, name, _tbl, _root, sql in rows
        if kind == "table" and str(sql or "").upper().startswith("CREATE VIRTUAL")
    }
    prefixes = tuple(f"{name}_" for name in virtual if wanted is None or name in wanted)
    roots = []
    for kind, _name, table, root, _sql in rows:
        if kind not in ("table", "index") or not root:
            continue
        if wanted is None or table in wanted or str(table).startswith(prefixes):
            roots.append(int(root))
    return sorted(set(roots))


def _clean_leaf(pages: mmap.mmap, base: int, usable: int) -> bool:
    """True for a leaf page (not page 1) whose gap (but for dropped pointers) and free-block
    bodies are zero, checked as ``parse_page`` checks them: what ``scrubbed`` would leave
    alone, read from the mapping without copying the page (most pages of a file scrubbed
    before). ``_walk`` runs the same test inline (a function call a page cost more than
    the test)."""
    kind, block, cells, content = _HEADER.unpack_from(pages, base)
    if kind not in (_LEAF_INDEX, _LEAF_TABLE) or usable < 480:
        return False
    content = content or 65536
    start = 8 + 2 * cells
    return (
        start <= content <= usable
        and _only_dropped_pointers(pages[base + start : base + content], start, usable)
        and _free_bodies_zero(pages, base, block, content, usable)
    )


def _free_bodies_zero(pages: mmap.mmap, base: int, block: int, content: int, usable: int) -> bool:
    """True when the page's free-block chain is sound (as ``_free_blocks`` checks it) and
    every body in it is zero."""
    previous_end = content
    while block:
        if block + 4 > usable:
            return False
        following, size = _FREE_BLOCK.unpack_from(pages, base + block)
        if block < previous_end or size < 4 or block + size > usable:
            return False
        if not _ZEROS.startswith(pages[base + block + 4 : base + block + size]):
            return False
        previous_end, block = block + size, following
    return True


#: Zero bytes to compare with: ``_ZEROS.startswith(chunk)`` is True when *chunk* is zero
#: (a ``memcmp``; ``rstrip`` of a page's gap went byte by byte, a third of the scrub).
_ZEROS = bytes(65536)


def _dropped_run(gap: bytes, start: int, usable: int) -> bool:
    """``_only_dropped_pointers`` for a gap that is not zero: the non-zero 2-byte words
    from its start (a dropped offset is never zero: it is at least *start*), then nothing
    but zeros."""
    end, length = 0, len(gap)
    while end + 2 <= length and (gap[end] or gap[end + 1]):
        end += 2
    if not _ZEROS.startswith(gap[end:]):
        return False
    words: tuple[int, ...] = struct.unpack_from(f">{end >> 1}H", gap)
    return not words or (min(words) >= start and max(words) < usable)


def _walk(
    pages: mmap.mmap,
    roots: list[int],
    page_size: int,
    usable: int,
    page_count: int,
    clean: list[int],
) -> Iterator[tuple[int, bytes, _Page | None]]:
    """The pages of the b-trees under *roots* that may need writing, parsed (None when a
    page makes no sense); the clean leaves (``_clean_leaf``: nothing to write, most pages
    of a file scrubbed before) are only counted, in ``clean[0]``.

    A cleanup's scrub walks every page of the file: the leaf test is inlined here, with
    the struct readers bound to locals, and a clean leaf is not yielded (a generator step,
    three calls and two header reads a page were most of the scrub's time)."""
    seen: set[int] = set()
    add = seen.add
    stack = list(reversed(roots))
    pop = stack.pop
    header = _HEADER.unpack_from
    zeros = _ZEROS
    leaves_possible = usable >= 480
    while stack:
        pgno = pop()
        if pgno in seen or not 1 <= pgno <= page_count:
            continue
        add(pgno)
        base = (pgno - 1) * page_size
        if pgno != 1 and leaves_possible:
            kind, block, cells, content = header(pages, base)
            if kind in (_LEAF_TABLE, _LEAF_INDEX):
                content = content or 65536
                start = 8 + 2 * cells
                if start <= content <= usable:
                    gap = pages[base + start : base + content]
                    if (zeros.startswith(gap) or _dropped_run(gap, start, usable)) and (
                        not block or _free_bodies_zero(pages, base, block, content, usable)
                    ):
                        clean[0] += 1
                        continue
        data = pages[base : base + page_size]
        page = parse_page(data, pgno, usable, page_count)
        yield pgno, data, page
        if page is not None:
            stack.extend(reversed(page.children))


def _write_page(fd: int, offset: int, data: bytes) -> None:
    if hasattr(os, "pwrite"):
        written = os.pwrite(fd, data, offset)
    else:  # Windows has no pwrite
        os.lseek(fd, offset, os.SEEK_SET)
        written = os.write(fd, data)
    if written != len(data):
        raise OSError("short write")


def _wal_empty(file: Path) -> bool:
    wal = file.with_name(file.name + "-wal")
    return not wal.exists() or wal.stat().st_size == 0


def scrub_page_gaps(
    file: Path, tables: Collection[str] | None, busy_timeout_ms: int
) -> ScrubCounts | None:
    """Zero the unused bytes of the named tables' b-tree pages (all b-trees when None).

    Returns the counts, or None when it could not run: another connection holds the write
    lock or has written to the WAL since the last checkpoint, or the file cannot be written
    (read-only, full disk). Nothing is lost then; the caller tries again later.
    """
    try:
        conn = sqlite3.connect(str(file), isolation_level=None, timeout=busy_timeout_ms / 1000)
    except DRIVER_ERRORS:
        return None
    try:
        return _scrub(conn, file, tables)
    except _FAILURES:
        return None
    finally:
        if conn.in_transaction:
            with contextlib.suppress(*DRIVER_ERRORS):
                conn.execute("ROLLBACK")
        conn.close()


def _scrub(
    conn: sqlite3.Connection, file: Path, tables: Collection[str] | None
) -> ScrubCounts | None:
    if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
        return None
    conn.execute("BEGIN IMMEDIATE")
    if not _wal_empty(file):
        # A write after the caller's checkpoint: move it into the main file first.
        conn.execute("ROLLBACK")
        busy = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
        conn.execute("BEGIN IMMEDIATE")
        if busy or not _wal_empty(file):
            return None
    page_size = int(conn.execute("PRAGMA page_size").fetchone()[0])
    page_count = int(conn.execute("PRAGMA page_count").fetchone()[0])
    roots = _roots(conn, tables)
    read = written = skipped = 0
    with open(file, "r+b", buffering=0) as handle:
        handle.seek(20)  # bytes reserved at the end of each page
        reserved = handle.read(1)[0]
        usable = page_size - reserved
        if os.fstat(handle.fileno()).st_size < page_count * page_size:
            return None  # not the whole database: leave it alone
        pages = mmap.mmap(handle.fileno(), page_count * page_size, access=mmap.ACCESS_READ)
        clean_leaves = [0]
        try:
            for pgno, data, page in _walk(
                pages, roots, page_size, usable, page_count, clean_leaves
            ):
                read += 1
                clean = None if page is None else scrubbed(data, page)
                skipped += page is None
                if clean is not None:
                    _write_page(handle.fileno(), (pgno - 1) * page_size, clean)
                    written += 1
        finally:
            pages.close()
        read += clean_leaves[0]
        if written:
            os.fsync(handle.fileno())
    if written:
        # A one-page commit: the WAL index changes, so every connection drops its cache.
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        conn.execute(f"PRAGMA user_version={version}")
    conn.execute("COMMIT")
    return ScrubCounts(read, written, skipped)


def scrub_engine_files(engine: Engine, tables: Collection[str] | None = None) -> bool:
    """``scrub_page_gaps`` on an engine's SQLite file (all b-trees unless *tables* names
    some); True when done or when there is no file (another back end, a memory database),
    False when it could not run (see there)."""
    file = sqlite_file(str(engine.url)) if is_sqlite(engine) else None
    if file is None:
        return True
    return scrub_page_gaps(file, tables, busy_timeout_ms()) is not None
