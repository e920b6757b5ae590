"""Restore drills: erased people stay erased, the audit trail shows the restore, a backup
taken while another connection writes is complete, a damaged database is recovered.

The drills run on SQLite and on PostgreSQL (pg_dump); the tests of the file
itself (WAL, start-up recovery, the swap of files) on SQLite only.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from privacycrm_desktop.domain.contacts import ContactInput
from privacycrm_desktop.domain.erasure import ErasureReason
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.persistence import pg_dump
from privacycrm_desktop.persistence.backup import (
    integrity_problems_of,
    manifest_path,
    manifest_seal,
)
from privacycrm_desktop.persistence.database import create_engine_for
from privacycrm_desktop.persistence.migrate import HEAD_REVISION, current_revision, migrate
from privacycrm_desktop.persistence.sqlite_driver import sqlite3
from privacycrm_desktop.services.backup import BackupTier, restore_unopenable
from privacycrm_desktop.services.clock import FixedClock
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.services.setup import CompanyInput

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


@pytest.fixture(autouse=True)
def _data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Server backups go to the data folder: a temporary one."""
    monkeypatch.setenv("PRIVACYCRM_DATA_DIR", str(tmp_path / "data"))


def reseal(svc: Services, data: dict[str, object]) -> None:
    """Seal a changed manifest with the database's own key (what only this app can do)."""
    data["mac"] = manifest_seal(data, svc.backup.identity()[1])


def reopen(db_url: Path | str, clock: FixedClock) -> tuple[Services, Engine]:
    engine = create_engine_for(db_url)
    return Services.build(engine, clock), engine


def rows(db_url: str, sql: str) -> list[tuple[object, ...]]:
    """Rows of *sql* through a connection of its own (either back end)."""
    engine = create_engine_for(db_url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(sql))]
    finally:
        engine.dispose()


def pages_holding(db_url: str, needle: bytes) -> dict[str, int]:
    """PostgreSQL: in how many places each table or index of the database holds *needle*,
    read from its raw pages (pageinspect; the test server's superuser may use it)."""
    import psycopg
    from sqlalchemy.engine import make_url

    libpq = make_url(db_url).set(drivername="postgresql").render_as_string(hide_password=False)
    found: dict[str, int] = {}
    with psycopg.connect(libpq, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS pageinspect")
        relations = conn.execute(
            "SELECT c.oid::regclass::text, "
            "pg_relation_size(c.oid) / current_setting('block_size')::int "
            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname IN ('public', 'pg_toast') AND c.relkind IN ('r', 'i', 't')"
        ).fetchall()
        for name, blocks in relations:
            hits = 0
            for block in range(int(blocks)):
                page = conn.execute("SELECT get_raw_page(%s, %s)", (str(name), block)).fetchone()
                assert page is not None
                hits += bytes(page[0]).lower().count(needle.lower())
            if hits:
                found[str(name)] = hits
    return found


def assert_no_page_holds(db_url: str, *needles: str) -> None:
    """PostgreSQL: no table or index page holds any of *needles* once the erasure's
    vacuum ran. On the shared test server another session's snapshot can keep a dead row
    a moment longer (the vacuum is best effort); the vacuum is then run again, at most
    twice, before the test fails."""
    from privacycrm_desktop.services.erasure import ERASURE_TABLES

    for attempt in range(3):
        found = {n: pages_holding(db_url, n.encode()) for n in needles}
        if not any(found.values()):
            return
        if attempt < 2:
            engine = create_engine_for(db_url)
            try:
                time.sleep(0.5)
                pg_dump.vacuum(engine, ERASURE_TABLES)
            finally:
                engine.dispose()
    raise AssertionError(f"still in the pages: {found}")


def assert_x_gone(svc: Services, owner: Actor, db_url: str, backend: str = "sqlite") -> None:
    assert svc.contacts.count(owner, X_NAME) == 0
    assert svc.contacts.count(owner, X_MAIL) == 0
    if backend == "postgresql":
        assert rows(db_url, f"SELECT count(*) FROM contact WHERE first_name = '{X_NAME}'") == [(0,)]
        # The search table holds folded text: no row of X, nothing with his name or address.
        assert rows(
            db_url,
            f"SELECT count(*) FROM contact_fts WHERE name LIKE '%{X_NAME.lower()}%' "
            f"OR emails LIKE '%{X_MAIL}%'",
        ) == [(0,)]
        assert rows(db_url, "SELECT count(*) FROM contact_email WHERE address LIKE 'qzx%'") == [
            (0,)
        ]
        # Erasure means gone: no dead row version in any table or index page either.
        assert_no_page_holds(db_url, X_NAME, X_MAIL, "qzxrestorenotes")
        return
    db_path = Path(db_url)
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
    svc: Services, owner: Actor, db_url: str, backend: str, clock: FixedClock
) -> None:
    keep = svc.contacts.create(owner, ContactInput(first_name="Bert", last_name="Keep"), SOURCE)
    x = make_x(svc, owner)
    info = svc.backup.create(owner)
    if backend == "sqlite":
        assert X_NAME.encode() in info.path.read_bytes()  # the backup is a picture of the past
    else:
        assert x in pg_dump.contact_ids_in_dump(info.path)
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
    if backend == "sqlite":
        assert result.aside != Path(db_url)
        assert X_NAME.encode() not in db_bytes(result.aside)  # the set-aside file erased him
    else:
        # The live database, dumped just before the restore: Lotte in it, X not.
        assert result.aside.parent == info.path.parent
        assert pg_dump.contact_ids_in_dump(result.aside) == {keep, later}

    restored, engine = reopen(db_url, clock)
    try:
        owner2 = restored.auth.login("owner", "correct horse battery")
        assert_x_gone(restored, owner2, db_url, backend)
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
        again = restored.backup.restore(owner2, info.path)
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
    # Another database's backup: only on purpose.
    plan = svc.backup.plan_restore(owner, info.path, replace_other=True)
    assert plan.other_database
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
    svc: Services, owner: Actor, db_url: str, clock: FixedClock, anonymise: bool
) -> None:
    x = make_x(svc, owner)
    info = svc.backup.create(owner)
    svc.erasure.erase(owner, x, ErasureReason.RETENTION_EXPIRED, anonymise=anonymise)
    svc.backup.restore(owner, info.path)
    ledger = rows(db_url, "SELECT contact_id, reason_code, anonymised FROM erasure_ledger")
    anonymised = rows(db_url, "SELECT count(*) FROM anonymised_record")[0][0]
    assert [(c, r, bool(a)) for c, r, a in ledger] == [(x, "retention_expired", anonymise)]
    assert anonymised == int(anonymise)


def test_a_failed_swap_puts_the_current_database_back(tmp_path: Path) -> None:
    from privacycrm_desktop.domain.errors import BackupFailed
    from privacycrm_desktop.services.backup.file_restore import swap_files

    current = tmp_path / "crm.db"
    current.write_bytes(b"current")
    Path(f"{current}-wal").write_bytes(b"wal")
    with pytest.raises(BackupFailed):
        swap_files(current, tmp_path / "missing-copy.db", dt.datetime(2026, 1, 1))
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
    svc: Services, owner: Actor, db_url: str, backend: str
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
    statuses = [r[0] for r in rows(db_url, "SELECT status FROM consent_event ORDER BY id")]
    assert statuses == ["opt_in", "opt_out"]  # the withdrawal was not undone
    # A backup from a newer version (an unknown schema) is refused before anything changes.
    manifest = manifest_path(info.path)
    data = json.loads(manifest.read_text())
    if backend == "sqlite":
        conn = sqlite3.connect(info.path)
        conn.execute("UPDATE alembic_version SET version_num = '0999_future'")
        conn.commit()
        conn.close()
    else:
        data["schema_version"] = "0999_future"
    data["checksum"] = hashlib.sha256(info.path.read_bytes()).hexdigest()
    data["size"] = info.path.stat().st_size
    reseal(svc, data)
    manifest.write_text(json.dumps(data))
    with pytest.raises(BackupInvalid, match="newer version"):
        svc.backup.plan_restore(owner, info.path)


# -- PostgreSQL ----------------------------------------------------------------------------


def _other_kind(backend: str, tmp_path: Path, clock: FixedClock) -> Path:
    """A backup of the other back end's database (with one contact)."""
    import pg_support

    other_url = str(tmp_path / "other.db") if backend == "postgresql" else pg_support.new_database()
    engine = create_engine_for(other_url)
    try:
        migrate(engine)
        other = Services.build(engine, clock)
        other.setup.initialise(
            CompanyInput("Other BV", "Markt 1, 9000 Gent", "0403.170.701", "a@b.be", "nl"),
            "boss",
            "correct horse battery",
        )
        return other.backup.create(None, to=tmp_path / "other-backups").path
    finally:
        engine.dispose()
        if backend == "sqlite":
            pg_support.drop_database(other_url)


def test_a_backup_of_the_other_back_end_is_refused(
    svc: Services, owner: Actor, backend: str, tmp_path: Path, clock: FixedClock
) -> None:
    from privacycrm_desktop.domain.errors import BackupInvalid

    path = _other_kind(backend, tmp_path, clock)
    assert path.name.endswith(".pg" if backend == "sqlite" else ".db")
    with pytest.raises(BackupInvalid, match="PostgreSQL"):
        svc.backup.plan_restore(owner, path)
    with pytest.raises(BackupInvalid, match="PostgreSQL"):
        svc.backup.restore(owner, path)
    assert svc.contacts.count(owner) == 0


def _postgresql_only(backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("pg_dump and pg_restore are for PostgreSQL databases")


def test_a_restore_failing_halfway_leaves_the_server_database_unchanged(
    svc: Services, owner: Actor, db_url: str, backend: str, clock: FixedClock
) -> None:
    from privacycrm_desktop.domain.errors import BackupFailed

    _postgresql_only(backend)
    keep = svc.contacts.create(owner, ContactInput(first_name="Bert", last_name="Keep"), SOURCE)
    x = make_x(svc, owner)
    info = svc.backup.create(owner)
    clock.advance(dt.timedelta(hours=1))
    svc.erasure.erase(owner, x, ErasureReason.ERASURE_REQUEST)
    later = svc.contacts.create(owner, ContactInput(first_name="Lotte", last_name="Late"), SOURCE)
    head = svc.audit.list_events(owner)[0]
    # Damage compressed table data near the end: the table of contents still reads
    # (pg_restore --list), the restore fails while the rows stream in; the manifest is
    # made to match, so only the content check can catch it.
    data = bytearray(info.path.read_bytes())
    data[-500] ^= 0xFF
    info.path.write_bytes(bytes(data))
    manifest = manifest_path(info.path)
    described = json.loads(manifest.read_text())
    described["checksum"] = hashlib.sha256(info.path.read_bytes()).hexdigest()
    described["size"] = info.path.stat().st_size
    reseal(svc, described)
    manifest.write_text(json.dumps(described))
    assert pg_dump.dump_is_readable(info.path)
    with pytest.raises(BackupFailed):
        svc.backup.restore(owner, info.path)
    # Nothing changed: the same people, X still erased, no restore in the trail.
    assert sorted(r[0] for r in rows(db_url, "SELECT id FROM contact")) == [keep, later]
    assert_x_gone(svc, owner, db_url, backend)
    events = svc.audit.list_events(owner)
    assert events[0] == head
    assert "backup.restore" not in {e.action for e in events}
    assert svc.audit.verify() is None


def test_a_server_backup_of_an_older_schema_is_migrated_in_the_restore(
    svc: Services, owner: Actor, db_url: str, backend: str, clock: FixedClock, tmp_path: Path
) -> None:
    import pg_support

    _postgresql_only(backend)
    admin = pg_support.require_server()
    name = "pcrm_old_" + Path(str(tmp_path)).name.replace("-", "_")[-20:]
    old_url = pg_support.database_url(admin, name)
    pg_support._admin_execute(admin, f"DROP DATABASE IF EXISTS {name}", f"CREATE DATABASE {name}")
    old_engine = create_engine_for(old_url)
    try:
        migrate(old_engine, "0003_retention")
        info = Services.build(old_engine, clock).backup.create(None, to=tmp_path / "old")
    finally:
        old_engine.dispose()
        pg_support.drop_database(old_url)
    assert info.schema_version == "0003_retention"
    make_x(svc, owner)
    plan = svc.backup.plan_restore(owner, info.path, replace_other=True)
    assert plan.schema_migrates
    assert (plan.contacts_now, plan.contacts_in_backup) == (1, 0)
    svc.backup.restore(owner, info.path, replace_other=True)
    engine = create_engine_for(db_url)
    try:
        assert current_revision(engine) == HEAD_REVISION
    finally:
        engine.dispose()
    assert rows(db_url, "SELECT count(*) FROM contact") == [(0,)]
    assert rows(db_url, "SELECT action FROM audit_event ORDER BY id DESC LIMIT 1") == [
        ("backup.restore",)
    ]


def test_a_server_backup_taken_while_another_desk_writes_is_one_snapshot(
    svc: Services, owner: Actor, db_url: str, backend: str
) -> None:
    import subprocess

    import psycopg
    from sqlalchemy.engine import make_url

    _postgresql_only(backend)
    libpq = make_url(db_url).set(drivername="postgresql").render_as_string(hide_password=False)
    writer = psycopg.connect(libpq, autocommit=True)
    writer.execute("CREATE TABLE drill (n integer PRIMARY KEY, pad text)")
    committed = 0
    stop = threading.Event()
    started = threading.Event()

    def write() -> None:
        nonlocal committed
        while not stop.is_set():
            writer.execute("INSERT INTO drill VALUES (%s, %s)", (committed + 1, "x" * 500))
            committed += 1
            if committed == 300:
                started.set()

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
    assert after > before  # the desk kept writing while the dump ran
    restore = pg_dump.find_tools().restore
    script = subprocess.run(
        [str(restore), "--data-only", "--table=drill", "-f", "-", str(info.path)],
        capture_output=True,
        check=True,
    ).stdout.decode()
    numbers = [
        int(line.split("\t")[0])
        for line in script.split("FROM stdin;\n")[1].split("\n\\.")[0].splitlines()
    ]
    assert len(numbers) == max(numbers) >= before  # no gap: one consistent snapshot
