"""An erased person's values leave no copy in the unused bytes of the database's pages.

SQLite rebuilds a page while balancing its b-tree and leaves the old bytes in the page's
unallocated gap: with enough contacts, a copy of an e-mail address from before a page
split outlives the erasure unless persistence/page_scrub.py zeroes the gaps.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import text

from privacycrm_desktop.domain.erasure import ErasureReason
from privacycrm_desktop.persistence import page_scrub
from privacycrm_desktop.persistence.database import checkpoint
from privacycrm_desktop.persistence.sqlite_driver import sqlite3
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services

CONTACTS = 3000
ERASED = 3


def _files(database_path: Path) -> bytes:
    parts = [database_path, Path(f"{database_path}-wal"), Path(f"{database_path}-shm")]
    return b"".join(p.read_bytes() for p in parts if p.exists())


def _values(services: Services) -> dict[int, list[bytes]]:
    """Every contact's e-mail addresses and phone numbers as stored."""
    found: dict[int, list[bytes]] = {}
    with services.uow.engine.connect() as conn:
        for table, column in (("contact_email", "address"), ("contact_phone", "number")):
            rows = conn.execute(text(f"SELECT contact_id, {column} FROM {table}"))
            for contact_id, value in rows:
                found.setdefault(int(contact_id), []).append(str(value).encode())
    return found


def _counts(data: bytes, values: set[bytes]) -> Counter[bytes]:
    """How often each of *values* (e-mail addresses, phone numbers) occurs in *data*; one
    pass over the file's "@" and "+" rather than a search for each value."""
    counts: Counter[bytes] = Counter()
    lengths = {len(v) for v in values if v.startswith(b"+")}
    for at in re.finditer(rb"[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9.-]{1,64}", data):
        token, local = at.group(), at.group().index(b"@")
        # A byte before the address (a record header) may look like part of it.
        counts.update(token[k:] for k in range(local) if token[k:] in values)
    for plus in re.finditer(rb"\+[0-9]{6,}", data):
        start = plus.start()
        counts.update(data[start : start + n] for n in lengths if data[start : start + n] in values)
    return counts


def _stale(services: Services, database_path: Path, values: dict[int, list[bytes]]) -> list[int]:
    """The contacts with a value found more often in the file than in a VACUUMed copy of it
    (which holds each live value only where a row or an index holds it)."""
    assert checkpoint(services.uow.engine)
    compact = database_path.with_name("compact.db")
    conn = sqlite3.connect(str(database_path))
    try:
        conn.execute("VACUUM INTO ?", (str(compact),))
    finally:
        conn.close()
    every = {v for vs in values.values() for v in vs}
    raw, clean = _counts(database_path.read_bytes(), every), _counts(compact.read_bytes(), every)
    return [i for i, vs in values.items() if any(raw[v] > clean[v] for v in vs)]


def test_erased_values_leave_no_copy_in_page_gaps(
    services: Services, owner: Actor, database_path: Path
) -> None:
    services.demo.generate(owner, CONTACTS, seed=23)
    values = _values(services)
    stale = _stale(services, database_path, values)
    assert stale  # the demo's inserts left copies in page gaps: the case to clean
    erased = sorted({*stale, *random.Random(23).sample(sorted(values), ERASED)})
    # Only values no other contact shares say anything when searched for.
    others = {v for i, vs in values.items() if i not in erased for v in vs}
    wanted = {v for i in erased for v in values[i] if v not in others}
    assert len(wanted) > len(stale)
    for contact_id in erased:
        assert services.erasure.erase(owner, contact_id, ErasureReason.ERASURE_REQUEST).scrubbed
    raw = _files(database_path)
    left = sorted(v.decode() for v in wanted if v in raw)
    assert left == []


def test_a_scrub_that_cannot_run_leaves_the_erasure_pending(
    services: Services, owner: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    services.demo.generate(owner, 5, seed=3)
    calls: list[Path] = []

    def locked(file: Path, tables: object, busy_timeout_ms: int) -> None:
        calls.append(file)  # as when another program holds the write lock

    monkeypatch.setattr(page_scrub, "scrub_page_gaps", locked)
    contact_id = min(_values(services))
    result = services.erasure.erase(owner, contact_id, ErasureReason.ERASURE_REQUEST)
    assert calls
    assert not result.scrubbed
    assert services.erasure.scrub_pending()
    monkeypatch.undo()
    assert services.erasure.retry_scrub()
    assert not services.erasure.scrub_pending()
