"""Tamper evidence: change any character of any stored audit event, or delete one event,
and the chain check names the event where the chain breaks."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from privacycrm_desktop.domain.access import Role
from privacycrm_desktop.domain.contacts import ContactInput
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.persistence.sqlite_driver import sqlite3
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services

COLUMNS = ("id", "at", "actor", "action", "entity", "entity_id", "detail", "prev_hash", "hash")
CARD = SourceInput(SourceKind.BUSINESS_CARD, "Trade fair", dt.date(2026, 2, 20))


def fill_trail(svc: Services, owner: Actor) -> None:
    """A handful of events of different kinds (with a detail text on some)."""
    svc.auth.add_user(owner, "olga", "another good password", Role.OFFICE)
    cid = svc.contacts.create(owner, ContactInput(first_name="Anne", notes="x"), CARD)
    svc.contacts.get(owner, cid)
    svc.auth.change_role(owner, "olga", Role.SALES)


def changed(char: str) -> str:
    """Another character of the same kind (a digit stays a digit: ids are integers)."""
    if char.isdigit():
        return str((int(char) + 1) % 10)
    return "y" if char == "x" else "x"


def tamperings(conn: sqlite3.Connection) -> list[tuple[int, str, object, object]]:
    """Every (row id, column, original value, value with one character changed)."""
    found = []
    for row in conn.execute(f"SELECT {', '.join(COLUMNS)} FROM audit_event ORDER BY id"):
        for column, value in zip(COLUMNS, row, strict=True):
            text = str(value)
            for position in range(len(text)):
                new = text[:position] + changed(text[position]) + text[position + 1 :]
                found.append((row[0], column, value, int(new) if column == "id" else new))
    return found


def expected_names(conn: sqlite3.Connection, row_id: int, column: str, new: object) -> set[int]:
    """Which event a correct check names: the edited one; after a renumbering, the new id
    or the event that followed the moved one in the old order."""
    if column != "id":
        return {row_id}
    following = conn.execute("SELECT min(id) FROM audit_event WHERE id > ?", (row_id,)).fetchone()[
        0
    ]
    return {int(str(new)), following} - {None}


@pytest.mark.slow
def test_every_changed_character_is_caught_and_named(
    svc: Services, owner: Actor, db_path: Path
) -> None:
    fill_trail(svc, owner)
    assert svc.audit.verify() is None
    conn = sqlite3.connect(db_path)
    checked = 0
    try:
        for row_id, column, old, new in tamperings(conn):
            names = expected_names(conn, row_id, column, new)
            try:
                conn.execute(f"UPDATE audit_event SET {column} = ? WHERE id = ?", (new, row_id))
            except sqlite3.IntegrityError:
                continue  # the new id is taken: the database itself refuses the change
            conn.commit()
            assert svc.audit.verify() in names, (row_id, column, new)
            key = new if column == "id" else row_id
            conn.execute(f"UPDATE audit_event SET {column} = ? WHERE id = ?", (old, key))
            conn.commit()
            checked += 1
        assert svc.audit.verify() is None
    finally:
        conn.close()
    assert checked > 900  # about 7 events x 9 columns x their characters


def test_a_deleted_event_is_caught_at_the_next_one(
    svc: Services, owner: Actor, db_path: Path
) -> None:
    fill_trail(svc, owner)
    conn = sqlite3.connect(db_path)
    try:
        ids = [r[0] for r in conn.execute("SELECT id FROM audit_event ORDER BY id")]
        for index, event_id in enumerate(ids[:-1]):
            row = conn.execute("SELECT * FROM audit_event WHERE id = ?", (event_id,)).fetchone()
            conn.execute("DELETE FROM audit_event WHERE id = ?", (event_id,))
            conn.commit()
            assert svc.audit.verify() == ids[index + 1]
            conn.execute(f"INSERT INTO audit_event VALUES ({', '.join('?' * len(row))})", row)
            conn.commit()
        assert svc.audit.verify() is None
    finally:
        conn.close()


def test_deleting_the_newest_events_is_caught(svc: Services, owner: Actor, db_path: Path) -> None:
    fill_trail(svc, owner)
    conn = sqlite3.connect(db_path)
    try:
        ids = [r[0] for r in conn.execute("SELECT id FROM audit_event ORDER BY id")]
        conn.execute("DELETE FROM audit_event WHERE id = ?", (ids[-1],))
        conn.commit()
        assert svc.audit.verify() == ids[-1]
        conn.execute("DELETE FROM audit_event WHERE id >= ?", (ids[-3],))
        conn.commit()
        assert svc.audit.verify() == ids[-3]
    finally:
        conn.close()
