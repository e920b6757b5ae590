"""``backup [--to DIR]``, ``backup list`` and ``restore FILE`` through the CLI,
with ``--db FILE`` and ``--db postgresql://...`` (pg_dump)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text as sql_text
from sqlalchemy.engine import make_url

from privacycrm_desktop.domain.access import Role
from privacycrm_desktop.persistence.database import create_engine_for
from privacycrm_desktop.persistence.sqlite_driver import sqlite3
from privacycrm_desktop.services.registry import Services

from .test_cli import (  # noqa: F401 (fixtures: the autouse environment, the file)
    INIT,
    PASSWORD,
    SOURCE,
    ZOE,
    _env,
    db,
    run,
    run_json,
)

OTHER = ["contacts", "add", "--first-name", "Bert", "--last-name", "Keep"]


@pytest.fixture
def ready(capsys: pytest.CaptureFixture[str], db: Path) -> Path:  # noqa: F811 (fixture)
    """An initialised database with Zoë (1) and Bert (2)."""
    code, _out, err = run(capsys, db, *INIT, user=None)
    assert code == 0, err
    assert run_json(capsys, db, *ZOE, *SOURCE, "2024-05-01") == {"id": 1}
    assert run_json(capsys, db, *OTHER, *SOURCE, "2024-05-01") == {"id": 2}
    return db


def _scalar(path: Path, sql: str) -> object:
    if str(path).startswith("postgresql"):
        engine = create_engine_for(path)
        try:
            with engine.connect() as conn:
                return conn.execute(sql_text(sql)).scalar()
        finally:
            engine.dispose()
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchone()[0]
    finally:
        conn.close()


def _default_folder(database: Path, tmp_path: Path) -> Path:
    if not str(database).startswith("postgresql"):
        return tmp_path / "backups"
    url = make_url(str(database))
    return tmp_path / "data" / "backups" / f"{url.database}@{url.host}-{url.port}"


def test_backup_prints_its_path_and_lists(
    capsys: pytest.CaptureFixture[str], ready: Path, tmp_path: Path
) -> None:
    code, out, err = run(capsys, ready, "backup")
    assert code == 0, err
    path = Path(out.strip())
    assert path.is_file()
    assert path.parent == _default_folder(ready, tmp_path)
    made = run_json(capsys, ready, "backup", "--to", str(tmp_path / "elsewhere"))
    assert isinstance(made, dict)
    assert Path(made["path"]).parent == tmp_path / "elsewhere"
    assert made["id"] == Path(made["path"]).name
    assert made["contacts"] == 2
    listed = run_json(capsys, ready, "backup", "list")
    assert isinstance(listed, list)
    assert [b["path"] for b in listed] == [str(path)]
    code, out, _err = run(capsys, ready, "backup", "list")
    assert code == 0
    assert str(path) in out


def test_restore_drill_through_the_cli(
    capsys: pytest.CaptureFixture[str], ready: Path, tmp_path: Path
) -> None:
    made = run_json(capsys, ready, "backup", "--to", str(tmp_path / "drill"))
    assert isinstance(made, dict)
    assert run_json(capsys, ready, "erase", "1", "--reason", "erasure_request")["erased"]
    code, _out, err = run(capsys, ready, "restore", made["path"])
    assert code == 1
    assert "--yes" in err
    result = run_json(capsys, ready, "restore", made["path"], "--yes")
    assert isinstance(result, dict)
    assert result["erasures_replayed"] == 1
    assert Path(result["aside"]).is_file()
    listing = run_json(capsys, ready, "contacts", "list")
    assert [c["id"] for c in listing["contacts"]] == [2]
    for text in ("Zoë", "zoe@example.be"):
        assert run_json(capsys, ready, "contacts", "list", "--search", text)["total"] == 0
    code, _out, err = run(capsys, ready, "verify-audit")
    assert code == 0, err
    assert _scalar(ready, "SELECT count(*) FROM audit_event WHERE action = 'backup.restore'") == 1
    if str(ready).startswith("postgresql"):
        # No search row of Zoë (the server's search table holds folded text).
        assert _scalar(ready, "SELECT count(*) FROM contact_fts WHERE rowid = 1") == 0
        assert _scalar(ready, "SELECT count(*) FROM contact_fts WHERE emails LIKE '%zoe%'") == 0
    else:
        assert _scalar(ready, "SELECT count(*) FROM contact_fts WHERE contact_fts MATCH 'zoe'") == 0
        _scalar(ready, "PRAGMA wal_checkpoint(TRUNCATE)")
        raw = ready.read_bytes().lower()
        for needle in ("zoe@example.be", "lefèvre", "zoë"):
            assert needle.encode() not in raw, needle
    # Zoë cannot come back: the suppression list survived the restore.
    code, _out, err = run(capsys, ready, *ZOE, *SOURCE, "2024-05-01")
    assert code == 1
    assert "forgotten" in err


def test_only_the_owner_restores_and_passphrases_are_checked(
    capsys: pytest.CaptureFixture[str],
    ready: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    engine = create_engine_for(ready)
    try:
        services = Services.build(engine)
        owner = services.auth.login("owner", PASSWORD)
        services.backup.set_passphrase(owner, "a long backup passphrase")
    finally:
        engine.dispose()
    made = run_json(capsys, ready, "backup")
    assert isinstance(made, dict)
    assert made["encrypted"] is True
    code, _out, err = run(capsys, ready, "user", "add", "desk", "--role", Role.OFFICE.value)
    assert code == 0, err
    monkeypatch.setenv("PRIVACYCRM_PASSWORD", "office-password-1")
    monkeypatch.setenv("PRIVACYCRM_BACKUP_PASSPHRASE", "a long backup passphrase")
    code, _out, err = run(capsys, ready, "restore", made["path"], "--yes", user="desk")
    assert code == 1
    assert "role" in err
    monkeypatch.setenv("PRIVACYCRM_PASSWORD", PASSWORD)
    monkeypatch.setenv("PRIVACYCRM_BACKUP_PASSPHRASE", "the wrong passphrase")
    code, _out, err = run(capsys, ready, "restore", made["path"], "--yes")
    assert code == 1
    assert "passphrase" in err
    monkeypatch.setenv("PRIVACYCRM_BACKUP_PASSPHRASE", "a long backup passphrase")
    result = run_json(capsys, ready, "restore", made["path"], "--yes")
    assert result["erasures_replayed"] == 0


def test_another_databases_backup_needs_the_explicit_flag(
    capsys: pytest.CaptureFixture[str], ready: Path, tmp_path: Path, backend: str
) -> None:
    """Issue 15: a backup of another company's database is refused with one sentence and
    changes nothing; ``--replace-with-other-database`` replaces the data on purpose."""
    import pg_support

    other: Path = (
        tmp_path / "other" / "other.db" if backend == "sqlite" else pg_support.new_database()
    )
    try:
        code, _out, err = run(capsys, other, *INIT, user=None)
        assert code == 0, err
        assert run_json(capsys, other, *OTHER, *SOURCE, "2024-05-01") == {"id": 1}
        made = run_json(capsys, other, "backup", "--to", str(tmp_path / "other-backups"))
        assert isinstance(made, dict)
    finally:
        if backend == "postgresql":
            pg_support.drop_database(str(other))
    code, _out, err = run(capsys, ready, "restore", made["path"], "--yes")
    assert code == 1
    assert "another database" in err
    assert "Traceback" not in err
    assert _scalar(ready, "SELECT count(*) FROM contact") == 2
    result = run_json(
        capsys, ready, "restore", made["path"], "--yes", "--replace-with-other-database"
    )
    assert isinstance(result, dict)
    assert result["other_database"] is True
    assert result["erasures_replayed"] == 0
    assert _scalar(ready, "SELECT count(*) FROM contact") == 1


def test_a_forged_or_crafted_backup_is_one_sentence_through_the_cli(
    capsys: pytest.CaptureFixture[str], ready: Path, tmp_path: Path
) -> None:
    import json

    made = run_json(capsys, ready, "backup", "--to", str(tmp_path / "b"))
    assert isinstance(made, dict)
    manifest = Path(made["path"] + ".json")
    data = json.loads(manifest.read_text())
    data["created_at"] = "2099-01-01T00:00:00.000000"
    manifest.write_text(json.dumps(data))
    code, _out, err = run(capsys, ready, "restore", made["path"], "--yes")
    assert code == 1
    assert "seal does not match" in err
    assert "Traceback" not in err


def _plant_unsealed_copy(ready: Path, folder: Path) -> Path:
    """What someone who can write the backup folder plants: a doctored copy of the
    database (a contact renamed) with a hand-written manifest without a seal."""
    import datetime as dt
    import hashlib
    import json
    import shutil

    from privacycrm_desktop.persistence import backup as files

    folder.mkdir(parents=True, exist_ok=True)
    _scalar(ready, "PRAGMA wal_checkpoint(TRUNCATE)")
    planted = folder / files.backup_name(dt.datetime(2020, 1, 1), False)
    shutil.copyfile(ready, planted)
    conn = sqlite3.connect(planted)
    conn.execute("UPDATE contact SET first_name = 'Mallory'")
    conn.commit()
    conn.close()
    revision = _scalar(ready, "SELECT version_num FROM alembic_version")
    manifest = {
        "format": 1,
        "path": planted.name,
        "created_at": "2020-01-01T00:00:00.000000",
        "app_version": "0.1",
        "schema_version": revision,
        "contact_count": 2,
        "audit_head": "",
        "checksum": hashlib.sha256(planted.read_bytes()).hexdigest(),
        "encrypted": False,
        "tier": "manual",
        "size": planted.stat().st_size,
        "verified": True,
    }
    files.manifest_path(planted).write_text(json.dumps(manifest))
    return planted


def test_a_backup_planted_before_the_first_backup_is_never_sealed(
    capsys: pytest.CaptureFixture[str], ready: Path, tmp_path: Path, backend: str
) -> None:
    """Finding: the first backup sealed every unsealed manifest in the folder (trust on
    first use), so a doctored copy planted before it was restored as genuine."""
    if backend != "sqlite":
        pytest.skip("a planted database file")
    planted = _plant_unsealed_copy(ready, _default_folder(ready, tmp_path))
    code, _out, err = run(capsys, ready, "backup")
    assert code == 0, err
    assert '"mac"' not in (planted.parent / (planted.name + ".json")).read_text()
    listed = run_json(capsys, ready, "backup", "list")
    assert isinstance(listed, list)
    entry = next(b for b in listed if b["id"] == planted.name)
    assert entry["sealed"] is False
    assert entry["verified"] is False
    code, out, _err = run(capsys, ready, "backup", "list")
    assert "not sealed" in out
    code, _out, err = run(capsys, ready, "restore", str(planted), "--yes")
    assert code == 1
    assert "not sealed" in err
    assert "--accept-unsealed" in err
    assert "Traceback" not in err
    assert _scalar(ready, "SELECT count(*) FROM contact WHERE first_name = 'Mallory'") == 0
    # The owner's explicit choice restores it (a backup of an older version).
    result = run_json(capsys, ready, "restore", str(planted), "--yes", "--accept-unsealed")
    assert isinstance(result, dict)
    assert _scalar(ready, "SELECT count(*) FROM contact WHERE first_name = 'Mallory'") == 2


def test_backup_list_marks_a_changed_manifest(
    capsys: pytest.CaptureFixture[str], ready: Path, tmp_path: Path
) -> None:
    """Finding: a manifest with an edited created_at and contact_count was listed as
    verified, without a warning."""
    import json

    made = run_json(capsys, ready, "backup")
    assert isinstance(made, dict)
    manifest = Path(made["path"] + ".json")
    data = json.loads(manifest.read_text())
    data.update(created_at="2099-01-01T00:00:00.000000", contact_count=99)
    manifest.write_text(json.dumps(data))
    listed = run_json(capsys, ready, "backup", "list")
    assert isinstance(listed, list)
    (entry,) = listed
    assert entry["authentic"] is False
    assert entry["verified"] is False
    code, out, _err = run(capsys, ready, "backup", "list")
    assert code == 0
    assert "seal not recognised" in out


def test_backup_list_leaves_out_another_databases_backups(
    capsys: pytest.CaptureFixture[str], ready: Path, tmp_path: Path, backend: str
) -> None:
    """Finding: two databases sharing a backup folder each listed the other's backups."""
    if backend != "sqlite":
        pytest.skip("two database files sharing a folder")
    shared = tmp_path / "shared"
    other = tmp_path / "other" / "other.db"
    code, _out, err = run(capsys, other, *INIT, user=None)
    assert code == 0, err
    theirs = run_json(capsys, other, "backup", "--to", str(shared))
    ours = run_json(capsys, ready, "backup", "--to", str(shared))
    assert isinstance(theirs, dict)
    assert isinstance(ours, dict)
    for database, mine in ((ready, ours), (other, theirs)):
        engine = create_engine_for(database)
        try:
            services = Services.build(engine)
            owner = services.auth.login("owner", PASSWORD)
            services.backup.update_settings(
                owner, folder=shared, second_folder=None, max_age_days=90
            )
        finally:
            engine.dispose()
        listed = run_json(capsys, database, "backup", "list")
        assert isinstance(listed, list)
        assert [b["path"] for b in listed] == [mine["path"]]


def test_check_and_recovery_name_only_this_databases_backups(
    capsys: pytest.CaptureFixture[str], ready: Path, tmp_path: Path, backend: str
) -> None:
    """Finding: with a backup folder shared by two databases, ``check`` named the other
    database's newer backup as this file's newest (also for a damaged file), and start-up
    recovery could offer it."""
    if backend != "sqlite":
        pytest.skip("two database files sharing a folder")
    from privacycrm_desktop.services.storage import own_backups_of
    from privacycrm_desktop.ui.startup.recovery_dialog import find_good_backup

    shared = _default_folder(ready, tmp_path)
    ours = run_json(capsys, ready, "backup")
    other = tmp_path / "other" / "other.db"
    code, _out, err = run(capsys, other, *INIT, user=None)
    assert code == 0, err
    theirs = run_json(capsys, other, "backup", "--to", str(shared))
    assert isinstance(ours, dict)
    assert isinstance(theirs, dict)
    document = run_json(capsys, ready, "check")
    assert isinstance(document, dict)
    assert document["newest_backup"]["path"] == ours["path"]
    # The file damaged (its header gone): its identity is found in its bytes.
    _scalar(ready, "PRAGMA wal_checkpoint(TRUNCATE)")
    with ready.open("r+b") as handle:
        handle.write(b"\0" * 100)
    assert [str(b.path) for b in own_backups_of(ready, shared)] == [ours["path"]]
    good = find_good_backup(shared, db_file=ready)
    assert good is not None
    assert str(good.path) == ours["path"]


def test_restore_names_a_missing_file_and_a_renamed_backup(
    capsys: pytest.CaptureFixture[str], ready: Path, tmp_path: Path
) -> None:
    missing = tmp_path / "nothing-here.pcrm"
    code, _out, err = run(capsys, ready, "restore", str(missing), "--yes")
    assert code == 1
    assert err.strip().endswith(f": There is no backup at {missing}.")
    made = run_json(capsys, ready, "backup", "--to", str(tmp_path / "kept"))
    assert isinstance(made, dict)
    original = Path(made["path"])
    renamed = original.with_name("renamed" + original.suffix)
    original.rename(renamed)
    manifest = original.with_name(original.name + ".json")
    manifest.rename(renamed.with_name(renamed.name + ".json"))
    code, _out, err = run(capsys, ready, "restore", str(renamed), "--yes")
    assert code == 1
    assert len(err.strip().splitlines()) == 1
    assert f"names another file, {original.name}" in err
