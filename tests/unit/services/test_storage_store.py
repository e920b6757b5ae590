"""The app's own SQLite, a search index that cannot break, checks of what is derived.

- Every engine and every direct opening of a database file (backups, restores, start-up
  probes) runs the SQLite bundled with sqlean.py (3.45 or newer), never the system's 3.40.
- The search index scrubs deleted words by FTS5 secure-delete; erasure no longer rewrites
  the whole index with ``optimize``.
- A check finds a broken search index, a drifted contact counter or keep-until counts,
  rebuilds them from the data with an audit event, and says so; a backup of a database
  whose index is broken is not made (nor called verified).
- A database from a newer version is refused in one sentence, nothing changed.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest
import sqlean
from sqlalchemy import text

from privacycrm_desktop.domain.contacts import ContactInput
from privacycrm_desktop.domain.errors import BackupFailed, BackupInvalid, DatabaseTooNew
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.persistence import backup as backup_files
from privacycrm_desktop.persistence import backup_verify
from privacycrm_desktop.persistence.database import create_engine_for, engine_sqlite_version
from privacycrm_desktop.persistence.migrate import HEAD_REVISION, migrate
from privacycrm_desktop.persistence.sqlite_driver import MINIMUM_VERSION, sqlite3
from privacycrm_desktop.persistence.storage_health import (
    CONTACT_COUNT,
    KEEP_UNTIL_COUNTS,
    SEARCH_INDEX,
    check_engine,
    check_file,
    search_index_problems,
)
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.services.storage import read_check_record

SOURCE = SourceInput(SourceKind.PHONE_CALL, "phoned in")


def version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def add(svc: Services, owner: Actor, last: str, email: str) -> int:
    return svc.contacts.create(
        owner,
        ContactInput(first_name="Zoë", last_name=last, emails=(email,), city="Liège"),
        SOURCE,
    )


def found(svc: Services, owner: Actor, query: str) -> list[int]:
    return [row.id for row in svc.contacts.page(owner, query=query, limit=1000)]


def raw_write(db_path: Path, *statements: str) -> None:
    """Change the file behind the app's back, with the same SQLite library."""
    conn = sqlite3.connect(db_path, isolation_level=None)
    try:
        for statement in statements:
            conn.execute(statement)
    finally:
        conn.close()


# -- the bundled SQLite ------------------------------------------------------------------


@pytest.mark.sqlite_only
def test_every_engine_runs_the_bundled_sqlite(svc: Services) -> None:
    engine = svc.uow.engine
    version = engine_sqlite_version(engine)
    assert version is not None
    assert version_tuple(version) >= MINIMUM_VERSION >= (3, 45, 0)
    assert version == sqlean.sqlite_version
    assert engine.dialect.dbapi is sqlean


def test_backups_restores_and_probes_open_files_with_the_same_library() -> None:
    from privacycrm_desktop.persistence import storage_errors, storage_health
    from privacycrm_desktop.services.backup import carry_over as backup_restore

    assert backup_files.sqlite3 is sqlean
    assert backup_restore.sqlite3 is sqlean
    conn = sqlite3.connect(":memory:")
    with pytest.raises(sqlite3.Error) as caught:
        conn.execute("SELECT * FROM nowhere")
    conn.close()
    # The bundled library's errors are understood where storage errors are mapped.
    assert storage_errors.result_code(caught.value) == 1
    assert storage_health.check_file is check_file


# -- FTS5 secure-delete ------------------------------------------------------------------


@pytest.mark.sqlite_only
def test_the_search_index_scrubs_deleted_words_itself(svc: Services, owner: Actor) -> None:
    with svc.uow.engine.connect() as conn:
        setting = conn.exec_driver_sql(
            "SELECT v FROM contact_fts_config WHERE k = 'secure-delete'"
        ).scalar()
        revision = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    assert setting == 1
    assert revision == HEAD_REVISION


@pytest.mark.sqlite_only
def test_an_erasure_leaves_the_index_sound_without_rewriting_it(
    svc: Services, owner: Actor, db_path: Path
) -> None:
    from privacycrm_desktop.domain.erasure import ErasureReason

    ids = [add(svc, owner, f"Person{n}", f"p{n}@example.be") for n in range(30)]
    with svc.uow.engine.connect() as conn:
        segments_before = conn.exec_driver_sql("SELECT count(*) FROM contact_fts_data").scalar()
    svc.erasure.erase(owner, ids[3], ErasureReason.ERASURE_REQUEST)
    with svc.uow.engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        assert search_index_problems(raw) == []
        segments_after = conn.exec_driver_sql("SELECT count(*) FROM contact_fts_data").scalar()
    # optimize merged every segment into one (fewer rows); secure-delete edits in place.
    assert segments_after >= segments_before - 1
    assert b"p3@example.be" not in db_path.read_bytes()
    assert found(svc, owner, "p4@example.be") == [ids[4]]


# -- checks and repairs --------------------------------------------------------------------


@pytest.mark.sqlite_only
def test_a_broken_search_index_is_found_and_rebuilt_from_the_data(
    svc: Services, owner: Actor, db_path: Path
) -> None:
    ids = [add(svc, owner, f"Name{n}", f"n{n}z@example.be") for n in range(40)]
    svc.uow.engine.dispose()
    # The index loses rows its pages still point at (as a broken optimize left it).
    raw_write(db_path, "DELETE FROM contact_fts_content WHERE id % 3 = 0")
    health = check_engine(svc.uow.engine)
    assert SEARCH_INDEX in health.derived
    assert not health.damage

    outcome = svc.storage.run_check()

    assert outcome.repaired == (SEARCH_INDEX,)
    assert outcome.problems == ()
    assert check_engine(svc.uow.engine).ok
    assert found(svc, owner, "n3z@example.be") == [ids[3]]
    assert svc.contacts.count(owner, "liege") == 40
    record = read_check_record(db_path)
    assert record is not None
    assert record.ok
    assert record.repaired == (SEARCH_INDEX,)
    events = svc.audit.list_events(owner, limit=5)
    assert any(e.action == "storage.repair" for e in events)
    assert svc.audit.verify() is None


@pytest.mark.slow
@pytest.mark.sqlite_only
def test_garbled_index_pages_are_rebuilt(svc: Services, owner: Actor, db_path: Path) -> None:
    for n in range(200):
        add(svc, owner, f"Garble{n}", f"g{n}@example.be")
    svc.uow.engine.dispose()
    raw_write(
        db_path,
        "UPDATE contact_fts_data SET block = randomblob(length(block)) "
        "WHERE id = (SELECT max(id) FROM contact_fts_data)",
    )
    outcome = svc.storage.run_quick_check()
    assert outcome == []
    record = read_check_record(db_path)
    assert record is not None
    assert record.repaired == (SEARCH_INDEX,)
    assert svc.contacts.count(owner, "garble") == 200


@pytest.mark.sqlite_only
def test_drifted_counters_are_recounted(svc: Services, owner: Actor, db_path: Path) -> None:
    for n in range(5):
        add(svc, owner, f"Count{n}", f"c{n}@example.be")
    svc.uow.engine.dispose()
    raw_write(
        db_path,
        "UPDATE contact_count SET n = n + 7",
        "INSERT INTO keep_until_count (day, n) VALUES ('2031-01-01', 3) "
        "ON CONFLICT (day) DO UPDATE SET n = n + 3",
    )
    assert set(check_engine(svc.uow.engine).derived) == {CONTACT_COUNT, KEEP_UNTIL_COUNTS}
    outcome = svc.storage.run_check()
    assert set(outcome.repaired) == {CONTACT_COUNT, KEEP_UNTIL_COUNTS}
    assert outcome.problems == ()
    assert svc.contacts.count(owner) == 5
    assert check_engine(svc.uow.engine).ok


@pytest.mark.sqlite_only
def test_a_backup_of_a_broken_index_is_not_made_nor_verified(
    svc: Services, owner: Actor, db_path: Path, tmp_path: Path
) -> None:
    for n in range(20):
        add(svc, owner, f"Backup{n}", f"b{n}@example.be")
    good = svc.backup.create(owner)
    svc.uow.engine.dispose()
    raw_write(db_path, "DELETE FROM contact_fts_content WHERE id = 2")
    with pytest.raises(BackupFailed):
        svc.backup.create(owner)
    # The same check is what verifying a backup runs: break the good one's index and
    # give its manifest the new checksum, as if it had been written that way.
    raw_write(good.path, "DELETE FROM contact_fts_content WHERE id = 2")
    database_id, key = svc.backup.identity()
    backup_files.write_manifest(
        backup_files.new_backup_info(
            good.path,
            good.created_at,
            backup_files.snapshot_facts(good.path),
            encrypted=False,
            tier=good.tier,
            database_id=database_id,
        ),
        key,
    )
    assert check_file(good.path).derived == (SEARCH_INDEX,)
    with pytest.raises(BackupInvalid):
        backup_verify.verify_backup(good.path, keys=[key])


@pytest.mark.slow
@pytest.mark.sqlite_only
def test_a_malformed_page_is_damage_and_stays_remembered(
    svc: Services, owner: Actor, db_path: Path
) -> None:
    for n in range(400):
        add(svc, owner, f"Page{n}", f"page{n}@example.be")
    with svc.uow.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    svc.uow.engine.dispose()
    import os

    pages = db_path.stat().st_size // 4096
    with open(db_path, "r+b") as file:
        file.seek((pages - 8) * 4096)
        file.write(os.urandom(4096 * 4))
    outcome = svc.storage.run_check()
    assert outcome.damaged
    assert outcome.problems
    record = read_check_record(db_path)
    assert record is not None
    assert not record.ok


# -- a newer version's database -------------------------------------------------------------


def test_a_database_from_a_newer_version_is_refused_unchanged(engine: object) -> None:
    from sqlalchemy import Engine

    assert isinstance(engine, Engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0042_from_the_future'"))
    with pytest.raises(DatabaseTooNew) as caught:
        migrate(engine)
    assert caught.value.params["revision"] == "0042_from_the_future"
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == (
            "0042_from_the_future"
        )


def test_a_backup_from_a_newer_version_is_never_good(
    svc: Services, owner: Actor, tmp_path: Path
) -> None:
    info = backup_files.BackupInfo(
        path=tmp_path / "privacycrm-20990101T000000.db",
        created_at=dt.datetime(2099, 1, 1),
        app_version="9.9",
        schema_version="0099_newer",
        contact_count=0,
        audit_head="",
        checksum="",
        encrypted=True,
        tier="manual",
    )
    with pytest.raises(BackupInvalid) as caught:
        backup_verify.verify_backup(info)
    assert "newer version" in caught.value.message


@pytest.mark.sqlite_only
def test_a_newer_database_in_the_engine_is_refused_before_anything_runs(
    db_path: Path,
) -> None:
    engine = create_engine_for(db_path)
    migrate(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0100_newer'"))
    with pytest.raises(DatabaseTooNew):
        migrate(engine)
    engine.dispose()


@pytest.mark.sqlite_only
def test_a_save_that_meets_a_damaged_file_is_remembered_for_the_next_start(
    svc: Services, owner: Actor, db_path: Path
) -> None:
    from privacycrm_desktop.domain.edit_conflicts import input_from
    from privacycrm_desktop.domain.errors import StorageDamaged

    cid = add(svc, owner, "Saved", "saved@example.be")
    svc.uow.engine.dispose()
    # The index's pages garbled (as a broken optimize left them); the rows are sound.
    raw_write(
        db_path, "UPDATE contact_fts_data SET block = randomblob(length(block)) WHERE id > 10"
    )
    detail = svc.contacts.get(owner, cid)
    changed = dataclasses.replace(input_from(detail), city="Gent")
    with pytest.raises(StorageDamaged):
        svc.contacts.update(owner, cid, detail.version, changed, SOURCE)
    record = read_check_record(db_path)
    assert record is not None
    assert not record.ok
    # What the next start runs: the index is rebuilt, and the save then works.
    outcome = svc.storage.run_check()
    assert outcome.repaired == (SEARCH_INDEX,)
    assert not outcome.problems
    svc.contacts.update(owner, cid, detail.version, changed, SOURCE)
    assert found(svc, owner, "gent") == [cid]


@pytest.mark.sqlite_only
def test_the_upgrade_turns_on_secure_delete_even_over_a_broken_index(db_path: Path) -> None:
    from privacycrm_desktop.services.clock import FixedClock

    engine = create_engine_for(db_path)
    migrate(engine, target="0006_shared_server")
    with engine.begin() as conn:
        for n in range(300):
            conn.execute(
                text("INSERT INTO contact_fts (rowid, name) VALUES (:n, :name)"),
                {"n": n + 1, "name": f"old {n}"},
            )
        conn.execute(text("DELETE FROM contact_fts WHERE rowid % 2 = 0"))
    engine.dispose()
    raw_write(
        db_path, "UPDATE contact_fts_data SET block = randomblob(length(block)) WHERE id > 10"
    )
    assert migrate(engine)
    with engine.connect() as conn:
        assert (
            conn.exec_driver_sql(
                "SELECT v FROM contact_fts_config WHERE k = 'secure-delete'"
            ).scalar()
            == 1
        )
    # The broken index (rows without contacts) is found and rebuilt from the contacts.
    services = Services.build(engine, FixedClock(dt.datetime(2026, 3, 2, 10, 0)))
    outcome = services.storage.run_check()
    assert outcome.repaired == (SEARCH_INDEX,)
    assert check_engine(engine).ok
    engine.dispose()


def test_no_module_opens_a_database_with_the_standard_sqlite3() -> None:
    """Two SQLite libraries in one process do not see each other's locks (POSIX locks are
    per process): everything goes through persistence/sqlite_driver.py."""
    import ast

    import privacycrm_desktop

    package = Path(privacycrm_desktop.__file__).parent
    offenders = []
    for source in package.rglob("*.py"):
        if source.name == "sqlite_driver.py":
            continue
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            if any(name == "sqlite3" or name.startswith("sqlite3.") for name in names):
                offenders.append(str(source.relative_to(package)))
    assert offenders == []
