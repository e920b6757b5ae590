"""Restore drills: erased people stay erased, the audit trail shows the restore, a backup
taken while another connection writes is complete, a damaged database is recovered."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine

from privacycrm_desktop.domain.contacts import ContactInput
from privacycrm_desktop.domain.erasure import ErasureReason
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.persistence.backup import integrity_problems_of, manifest_path
from privacycrm_desktop.persistence.database import create_engine_for
from privacycrm_desktop.persistence.migrate import HEAD_REVISION, current_revision, migrate
from privacycrm_desktop.services.backup import BackupTier, restore_unopenable
from privacycrm_desktop.services.clock import FixedClock
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services

SOURCE = SourceInput(SourceKind.BUSINESS_CARD, "fair", dt.date(2026, 2, 20))
X_NAME = "Qzxrestorename"
X_MAIL = "qzxrestore@example.be"


def make_x(svc: Services, owner: Actor) -> int:
    return svc.contacts.create(
        owner,
        ContactInput(
            first_name=X_NAME,
            last_name="Peeters",
            emails=(X_MAIL,),
            postcode="9000",
            notes="qzxrestorenotes",
        ),
        SOURCE,
    )


def db_bytes(path: Path) -> bytes:
    parts = [path, Path(f"{path}-wal")]
    return b"".join(p.read_bytes().lower() for p in parts if p.exists())


def reopen(db_path: Path, clock: FixedClock) -> tuple[Services, Engine]:
    engine = create_engine_for(db_path)
    return Services.build(engine, clock), engine


def assert_x_gone(svc: Services, owner: Actor, db_path: Path) -> None:
    assert svc.contacts.count(owner, X_NAME) == 0
    assert svc.contacts.count(owner, X_MAIL) == 0
    conn = sqlite3.connect(db_path)
    try:
        assert (
            conn.execute("SELECT count(*) FROM contact WHERE first_name = ?", (X_NAME,)).fetchone()[
                0
            ]
            == 0
        )
        assert (
            conn.execute(
                "SELECT count(*) FROM contact_fts WHERE contact_fts MATCH ?", (X_NAME.lower(),)
            ).fetchone()[0]
            == 0
        )
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    raw = db_bytes(db_path)
    for needle in (X_NAME.lower(), X_MAIL, "qzxrestorenotes"):
        assert needle.encode() not in raw, needle


def test_restore_drill_keeps_the_erased_erased(
    svc: Services, owner: Actor, db_path: Path, clock: FixedClock
) -> None:
    keep = svc.contacts.create(owner, ContactInput(first_name="Bert", last_name="Keep"), SOURCE)
    x = make_x(svc, owner)
    info = svc.backup.create(owner)
    assert X_NAME.encode() in info.path.read_bytes()  # the backup is a picture of the past
    clock.advance(dt.timedelta(hours=2))
    svc.erasure.erase(owner, x, ErasureReason.ERASURE_REQUEST)
    later = svc.contacts.create(owner, ContactInput(first_name="Lotte", last_name="Late"), SOURCE)
    plan = svc.backup.plan_restore(owner, info.path)
    assert (plan.contacts_now, plan.contacts_in_backup, plan.erasures_to_replay) == (2, 2, 1)
    assert not plan.schema_migrates
    clock.advance(dt.timedelta(hours=1))
    result = svc.backup.restore(owner, info.path)
    assert result.erasures_replayed == 1
    assert result.aside.exists()
    assert result.aside != db_path
    assert X_NAME.encode() not in db_bytes(result.aside)  # the set-aside file erased him too

    restored, engine = reopen(db_path, clock)
    try:
        owner2 = restored.auth.login("owner", "correct horse battery")
        assert_x_gone(restored, owner2, db_path)
        assert restored.contacts.count(owner2) == 1
        restored.contacts.get(owner2, keep)
        assert restored.contacts.count(owner2, "Lotte") == 0  # made after the backup
        assert later
        # The suppression list still refuses the erased person.
        assert restored.contacts.suppression_check(
            owner2, ContactInput(first_name="Other", last_name="Name", emails=(X_MAIL,))
        )
        events = [e for e in restored.audit.list_events(owner2) if e.action == "backup.restore"]
        assert len(events) == 1
        assert events[0].actor == "owner"
        assert events[0].entity_id == info.path.name
        assert "erasures_replayed=1" in events[0].detail
        assert restored.audit.verify() is None  # chained to the restored trail
        # A second restore of the same backup replays the same erasure again.
        info2 = restored.backup.list(owner2)[0]
        again = restored.backup.restore(owner2, info2.path)
        assert again.erasures_replayed == 1
    finally:
        engine.dispose()


def test_a_backup_taken_while_another_connection_writes_is_complete(
    svc: Services, owner: Actor, db_path: Path
) -> None:
    writer = sqlite3.connect(db_path, check_same_thread=False, isolation_level=None)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("PRAGMA wal_autocheckpoint=0")  # every new row stays in the WAL
    writer.execute("CREATE TABLE drill (n INTEGER PRIMARY KEY, pad TEXT)")
    committed = 0
    stop = threading.Event()
    started = threading.Event()

    def write() -> None:
        nonlocal committed
        while not stop.is_set():
            writer.execute("INSERT INTO drill (n, pad) VALUES (?, ?)", (committed + 1, "x" * 500))
            committed += 1
            if committed == 500:
                started.set()
            time.sleep(0.0002)  # a busy writer, but one that lets others take the lock

    thread = threading.Thread(target=write)
    thread.start()
    try:
        assert started.wait(30)
        before = committed
        info = svc.backup.create(owner)
        after = committed
    finally:
        stop.set()
        thread.join()
        writer.close()
    assert after > before  # the writer kept going while the backup ran
    conn = sqlite3.connect(info.path)
    try:
        rows = conn.execute("SELECT count(*), max(n) FROM drill").fetchone()
    finally:
        conn.close()
    assert rows[0] == rows[1] >= before
    assert integrity_problems_of(info.path) == []


def test_a_backup_of_an_older_schema_is_migrated(
    tmp_path: Path, svc: Services, owner: Actor, db_path: Path, clock: FixedClock
) -> None:
    old_path = tmp_path / "old" / "crm.db"
    old_engine = create_engine_for(old_path)
    migrate(old_engine, "0003_retention")
    assert current_revision(old_engine) != HEAD_REVISION
    old = Services.build(old_engine, clock)
    try:
        info = old.backup.create(None, to=tmp_path / "old-backups", tier=BackupTier.MANUAL)
    finally:
        old_engine.dispose()
    assert info.schema_version == current_revision(create_engine_for(old_path))
    plan = svc.backup.plan_restore(owner, info.path)
    assert plan.schema_migrates
    assert plan.contacts_in_backup == 0


def test_start_up_recovery_sets_the_damaged_file_aside(
    svc: Services, owner: Actor, db_path: Path, engine: Engine, clock: FixedClock
) -> None:
    x = make_x(svc, owner)
    info = svc.backup.create(owner)
    svc.erasure.erase(owner, x, ErasureReason.OBJECTION)
    engine.dispose()
    # Damage the file past its ledger pages: the ledger can still be read or not; either way
    # the recovery must work. Here: a file that is not a database at all.
    damaged = db_path.read_bytes()
    db_path.write_bytes(b"garbage" * 1000)
    result = restore_unopenable(db_path, info.path)
    assert result.aside.read_bytes() == b"garbage" * 1000
    assert result.erasures_replayed == 0
    restored, engine2 = reopen(db_path, clock)
    try:
        owner2 = restored.auth.login("owner", "correct horse battery")
        event = restored.audit.list_events(owner2)[1]  # [0] is this sign-in
        assert (event.action, event.actor) == ("backup.restore", "start-up recovery")
        assert restored.audit.verify() is None
    finally:
        engine2.dispose()
    # With a readable damaged file, its ledger is replayed.
    db_path.write_bytes(damaged)
    result = restore_unopenable(db_path, info.path)
    assert result.erasures_replayed == 1
    restored, engine3 = reopen(db_path, clock)
    try:
        owner3 = restored.auth.login("owner", "correct horse battery")
        assert_x_gone(restored, owner3, db_path)
    finally:
        engine3.dispose()


@pytest.mark.parametrize("anonymise", [False, True])
def test_replay_keeps_anonymisation_and_reason(
    svc: Services, owner: Actor, db_path: Path, clock: FixedClock, anonymise: bool
) -> None:
    x = make_x(svc, owner)
    info = svc.backup.create(owner)
    svc.erasure.erase(owner, x, ErasureReason.RETENTION_EXPIRED, anonymise=anonymise)
    svc.backup.restore(owner, info.path)
    conn = sqlite3.connect(db_path)
    try:
        ledger = conn.execute(
            "SELECT contact_id, reason_code, anonymised FROM erasure_ledger"
        ).fetchall()
        anonymised = conn.execute("SELECT count(*) FROM anonymised_record").fetchone()[0]
    finally:
        conn.close()
    assert ledger == [(x, "retention_expired", int(anonymise))]
    assert anonymised == int(anonymise)


def test_a_failed_swap_puts_the_current_database_back(tmp_path: Path) -> None:
    from privacycrm_desktop.domain.errors import BackupFailed
    from privacycrm_desktop.services.backup_swap import _swap

    current = tmp_path / "crm.db"
    current.write_bytes(b"current")
    Path(f"{current}-wal").write_bytes(b"wal")
    with pytest.raises(BackupFailed):
        _swap(current, tmp_path / "missing-copy.db", dt.datetime(2026, 1, 1))
    assert current.read_bytes() == b"current"
    assert Path(f"{current}-wal").read_bytes() == b"wal"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["crm.db", "crm.db-wal"]


def test_start_up_recovery_when_the_database_file_is_gone(
    svc: Services, owner: Actor, db_path: Path, engine: Engine, clock: FixedClock
) -> None:
    make_x(svc, owner)
    info = svc.backup.create(owner)
    engine.dispose()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    result = restore_unopenable(db_path, info.path)
    assert not result.aside.exists()
    restored, engine2 = reopen(db_path, clock)
    try:
        owner2 = restored.auth.login("owner", "correct horse battery")
        assert restored.contacts.count(owner2) == 1
        assert restored.audit.verify() is None
    finally:
        engine2.dispose()


def test_opt_outs_since_the_backup_survive_and_newer_backups_are_refused(
    svc: Services, owner: Actor, db_path: Path
) -> None:
    from privacycrm_desktop.domain.consent import Channel, ConsentMethod, ConsentStatus
    from privacycrm_desktop.domain.errors import BackupInvalid
    from privacycrm_desktop.services.consent_dto import ConsentInput

    x = make_x(svc, owner)
    opt_in = ConsentInput(
        x,
        "direct_marketing_consent",
        Channel.EMAIL,
        ConsentStatus.OPT_IN,
        ConsentMethod.FORM_BOX_TICKED,
        evidence="form",
    )
    svc.consent.record(owner, opt_in)
    info = svc.backup.create(owner)
    svc.consent.record(
        owner,
        dataclasses.replace(opt_in, status=ConsentStatus.OPT_OUT, method=ConsentMethod.EMAIL_REPLY),
    )
    svc.backup.restore(owner, info.path)
    conn = sqlite3.connect(db_path)
    try:
        statuses = [r[0] for r in conn.execute("SELECT status FROM consent_event ORDER BY id")]
    finally:
        conn.close()
    assert statuses == ["opt_in", "opt_out"]  # the withdrawal was not undone
    # A backup from a newer version (an unknown schema) is refused before anything changes.
    conn = sqlite3.connect(info.path)
    conn.execute("UPDATE alembic_version SET version_num = '0999_future'")
    conn.commit()
    conn.close()
    manifest = manifest_path(info.path)
    data = json.loads(manifest.read_text())
    data["checksum"] = hashlib.sha256(info.path.read_bytes()).hexdigest()
    data["size"] = info.path.stat().st_size
    manifest.write_text(json.dumps(data))
    with pytest.raises(BackupInvalid, match="newer version"):
        svc.backup.plan_restore(owner, info.path)
