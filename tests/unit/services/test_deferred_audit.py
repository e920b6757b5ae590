"""Sign-in and audited reads while another program holds the write lock.

They do not wait for the lock (and fail after the busy timeout, as before): they read, and
their audit event waits in the unit of work's queue for the next write transaction, which
appends it to the hash chain first. Made real with a second connection's
``BEGIN EXCLUSIVE`` (WAL: readers go on, writers get SQLITE_BUSY).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from privacycrm_desktop.domain.contacts import ContactInput
from privacycrm_desktop.domain.errors import AuthenticationFailed, StorageLocked
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.persistence.sqlite_driver import sqlite3
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services

from ..conftest import OWNER_PASSWORD

SOURCE = SourceInput(SourceKind.PHONE_CALL, "phoned in")


def actions(db_path: Path) -> list[tuple[str, str]]:
    conn = sqlite3.connect(db_path)
    try:
        return [
            (r[0], r[1]) for r in conn.execute("SELECT action, detail FROM audit_event ORDER BY id")
        ]
    finally:
        conn.close()


@pytest.mark.slow
@pytest.mark.sqlite_only  # another program's lock on the file
def test_sign_in_and_a_restricted_read_work_under_another_programs_lock(
    svc: Services, owner: Actor, db_path: Path
) -> None:
    contact = svc.contacts.create(owner, ContactInput(first_name="Zoë", last_name="Kept"), SOURCE)
    before = len(actions(db_path))
    holder = sqlite3.connect(db_path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        started = time.monotonic()
        actor = svc.auth.login("owner", OWNER_PASSWORD)
        detail = svc.contacts.get(actor, contact)
        with pytest.raises(AuthenticationFailed):
            svc.auth.login("owner", "wrong password")
        # Well under the 5 s a save waits for the lock.
        assert time.monotonic() - started < 3
        assert detail.last_name == "Kept"
        with pytest.raises(StorageLocked):
            svc.contacts.create(owner, ContactInput(last_name="Refused"), SOURCE)
        assert svc.uow.deferred == 3
        with pytest.raises(StorageLocked):
            svc.uow.flush_deferred(wait_ms=50)
        assert svc.uow.deferred == 3  # a failed flush forgets nothing
        assert len(actions(db_path)) == before
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    # The next save appends the queued events first, in the order they happened.
    svc.contacts.create(owner, ContactInput(last_name="After"), SOURCE)
    assert svc.uow.deferred == 0
    written = actions(db_path)[before:]
    assert written[0] == ("user.login", "deferred=1")
    assert written[1][0] == "contact.read_restricted"
    assert written[1][1].endswith(";deferred=1")
    assert written[2][0] == "contact.create"
    assert svc.audit.verify() is None
    conn = sqlite3.connect(db_path)
    try:
        failed = conn.execute(
            "SELECT failed_logins FROM app_user WHERE username = 'owner'"
        ).fetchone()[0]
    finally:
        conn.close()
    assert failed == 1  # the wrong password was counted too


@pytest.mark.sqlite_only
def test_flush_deferred_writes_the_queue_on_its_own(
    svc: Services, owner: Actor, db_path: Path
) -> None:
    before = len(actions(db_path))
    holder = sqlite3.connect(db_path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        svc.auth.login("owner", OWNER_PASSWORD)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert svc.uow.deferred == 1
    assert svc.uow.flush_deferred()
    assert actions(db_path)[before:] == [("user.login", "deferred=1")]
    assert svc.audit.verify() is None
