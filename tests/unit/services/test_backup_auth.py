"""Backups nobody can forge or mix up and that leave nothing behind.

Each test is a finding of those issues: a forged backup built from a real backup's public
header, a moved ``created_at``, another company's backup, a crafted Scrypt header, the
plaintext copy kept aside at a restore, plaintext left by a killed backup or restore, a
restore that cut off another program, and rotation keeping a damaged backup.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from privacycrm_desktop.domain.contacts import ContactInput
from privacycrm_desktop.domain.erasure import ErasureReason
from privacycrm_desktop.domain.errors import (
    BackupFailed,
    BackupInvalid,
    BackupOtherDatabase,
    DatabaseReplaced,
)
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.persistence import backup as files
from privacycrm_desktop.persistence import backup_temp
from privacycrm_desktop.persistence.backup import manifest_path, manifest_seal
from privacycrm_desktop.persistence.backup_crypto import (
    MAGIC,
    encrypt_file,
    read_header_material,
)
from privacycrm_desktop.persistence.database import create_engine_for
from privacycrm_desktop.persistence.migrate import migrate
from privacycrm_desktop.persistence.sqlite_driver import sqlite3
from privacycrm_desktop.services.backup import BackupTier, restore_unopenable
from privacycrm_desktop.services.backup import keys as backup_keys
from privacycrm_desktop.services.clock import FixedClock
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services
from privacycrm_desktop.services.setup import CompanyInput

SOURCE = SourceInput(SourceKind.BUSINESS_CARD, "fair", dt.date(2026, 2, 20))
PASSPHRASE = "a long backup passphrase"


@pytest.fixture(autouse=True)
def _data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PRIVACYCRM_DATA_DIR", str(tmp_path / "data"))


def rows(db_url: str, sql: str) -> list[tuple[object, ...]]:
    engine = create_engine_for(db_url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(sql))]
    finally:
        engine.dispose()


def person(svc: Services, owner: Actor, name: str, mail: str | None = None) -> int:
    return svc.contacts.create(
        owner,
        ContactInput(first_name=name, last_name="Peeters", emails=(mail,) if mail else ()),
        SOURCE,
    )


def rewrite_manifest(path: Path, change: dict[str, object]) -> None:
    manifest = manifest_path(path)
    data = json.loads(manifest.read_text())
    data.update(change)
    manifest.write_text(json.dumps(data))


def state(db_url: str) -> list[object]:
    """What must not change when a restore is refused."""
    return [
        rows(db_url, "SELECT id, first_name FROM contact ORDER BY id"),
        rows(db_url, "SELECT username FROM app_user ORDER BY id"),
        rows(db_url, "SELECT count(*) FROM audit_event"),
    ]


def _decrypted(info: files.BackupInfo, folder: Path) -> Path:
    from privacycrm_desktop.persistence.backup_crypto import decrypt_file

    plain = folder / "plain.copy"
    decrypt_file(info.path, plain, PASSPHRASE)
    return plain


# -- 1. a forged backup -------------------------------------------------------------------


@pytest.mark.slow
def test_a_backup_forged_from_a_public_header_is_refused(
    svc: Services, owner: Actor, db_url: str, backend: str, tmp_path: Path
) -> None:
    svc.backup.set_passphrase(owner, PASSPHRASE)
    person(svc, owner, "Anna")
    real = svc.backup.create(owner)
    # The attacker holds only the backup folder: the public header of a real backup and
    # a database of their own making (here: the real content with an extra contact).
    plain = _decrypted(real, tmp_path)
    if backend == "sqlite":
        conn = sqlite3.connect(plain)
        conn.execute("UPDATE contact SET first_name = 'Mallory'")
        conn.commit()
        conn.close()
    forged = real.path.with_name(
        files.backup_name(real.created_at + dt.timedelta(hours=1), True, real.backend)
    )
    encrypt_file(plain, forged, read_header_material(real.path))
    data = json.loads(manifest_path(real.path).read_text())
    data.update(
        path=forged.name,
        checksum=hashlib.sha256(forged.read_bytes()).hexdigest(),
        size=forged.stat().st_size,
    )
    manifest_path(forged).write_text(json.dumps(data))
    before = state(db_url)
    for attempt in (svc.backup.plan_restore, svc.backup.restore):
        with pytest.raises(BackupInvalid, match="seal does not match"):
            attempt(owner, forged, PASSPHRASE)
    assert state(db_url) == before
    # Without any seal at all (a manifest written by hand) it is refused too.
    data.pop("mac")
    manifest_path(forged).write_text(json.dumps(data))
    with pytest.raises(BackupInvalid, match="not sealed"):
        svc.backup.restore(owner, forged, PASSPHRASE)
    assert state(db_url) == before


def test_a_changed_plain_backup_is_refused_and_carries_no_key(
    svc: Services, owner: Actor, db_url: str, backend: str
) -> None:
    person(svc, owner, "Anna")
    info = svc.backup.create(owner)
    key = svc.backup.identity()[1]
    # The key that seals manifests is not in the backup a reader of the folder can open.
    assert key.hex().encode() not in info.path.read_bytes()
    if backend == "sqlite":
        conn = sqlite3.connect(info.path)
        conn.execute("UPDATE contact SET first_name = 'Mallory'")
        conn.commit()
        conn.close()
    else:
        info.path.write_bytes(info.path.read_bytes() + b"\0")
    rewrite_manifest(
        info.path,
        {
            "checksum": hashlib.sha256(info.path.read_bytes()).hexdigest(),
            "size": info.path.stat().st_size,
        },
    )
    before = state(db_url)
    with pytest.raises(BackupInvalid, match="seal does not match"):
        svc.backup.restore(owner, info.path)
    assert state(db_url) == before


# -- 2. every manifest field is sealed ---------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [
        {"created_at": "2099-01-01T00:00:00.000000"},
        {"contact_count": 99},
        {"audit_head": "0" * 64},
        {"database_id": "0" * 32},
        {"a_field_added_later": 1},
    ],
)
def test_a_changed_manifest_field_is_refused(
    svc: Services, owner: Actor, db_url: str, clock: FixedClock, change: dict[str, object]
) -> None:
    x = person(svc, owner, "Anna", "anna@example.be")
    info = svc.backup.create(owner)
    clock.advance(dt.timedelta(hours=1))
    svc.erasure.erase(owner, x, ErasureReason.OBJECTION)
    rewrite_manifest(info.path, change)
    before = state(db_url)
    with pytest.raises(BackupInvalid, match="seal does not match"):
        svc.backup.plan_restore(owner, info.path)
    with pytest.raises(BackupInvalid, match="seal does not match"):
        svc.backup.restore(owner, info.path)
    assert state(db_url) == before


# -- 3. another database ------------------------------------------------------------------


def _other_database(backend: str, tmp_path: Path, clock: FixedClock) -> tuple[Path, str]:
    """A backup of another company's database of the same kind: Bob (id 1), Carol
    (id 2) erased with her address on its suppression list. Returns the backup, its id."""
    import pg_support

    url = str(tmp_path / "other" / "other.db") if backend == "sqlite" else pg_support.new_database()
    engine = create_engine_for(url)
    try:
        migrate(engine)
        other = Services.build(engine, clock)
        other.setup.initialise(
            CompanyInput("Other BV", "Markt 1, 9000 Gent", "0403.170.701", "a@b.be", "nl"),
            "boss",
            "correct horse battery",
        )
        boss = other.auth.login("boss", "correct horse battery")
        person(other, boss, "Bob")
        carol = person(other, boss, "Carol", "carol@example.be")
        other.erasure.erase(boss, carol, ErasureReason.ERASURE_REQUEST)
        info = other.backup.create(None, to=tmp_path / "other-backups")
        return info.path, other.backup.identity()[0]
    finally:
        engine.dispose()
        if backend == "postgresql":
            pg_support.drop_database(url)


def test_a_backup_of_another_database_needs_the_owners_choice(
    svc: Services, owner: Actor, db_url: str, backend: str, tmp_path: Path, clock: FixedClock
) -> None:
    anna = person(svc, owner, "Anna", "anna@example.be")
    person(svc, owner, "Ben")
    svc.erasure.erase(owner, anna, ErasureReason.ERASURE_REQUEST)  # Anna had id 1, like Bob
    own_id = svc.backup.identity()[0]
    path, other_id = _other_database(backend, tmp_path, clock)
    assert other_id != own_id
    before = state(db_url)
    with pytest.raises(BackupOtherDatabase):
        svc.backup.plan_restore(owner, path)
    with pytest.raises(BackupOtherDatabase):
        svc.backup.restore(owner, path)
    assert state(db_url) == before
    own_suppression = rows(db_url, "SELECT digest FROM suppression ORDER BY digest")
    plan = svc.backup.plan_restore(owner, path, replace_other=True)
    assert plan.other_database
    assert plan.erasures_to_replay == 0
    result = svc.backup.restore(owner, path, replace_other=True)
    # Bob (id 1, as Anna was) is not erased by this database's ledger, and the suppression
    # list is that database's own: no digest of this one was mixed in.
    assert result.erasures_replayed == 0
    assert rows(db_url, "SELECT first_name FROM contact ORDER BY id") == [("Bob",)]
    suppression = rows(db_url, "SELECT digest FROM suppression ORDER BY digest")
    assert suppression
    assert not set(suppression) & set(own_suppression)
    assert rows(db_url, "SELECT value FROM setting WHERE key = 'database.id'") == [(other_id,)]
    detail = rows(
        db_url, "SELECT detail FROM audit_event WHERE action = 'backup.restore' ORDER BY id DESC"
    )[0][0]
    assert "other_database=1" in str(detail)


# -- 4. crafted headers -------------------------------------------------------------------


@pytest.mark.parametrize("n", [2**40, 3, "16384", True])
def test_a_crafted_scrypt_header_is_refused_with_one_sentence(
    svc: Services, owner: Actor, db_url: str, n: object
) -> None:
    svc.backup.set_passphrase(owner, PASSPHRASE)
    info = svc.backup.create(owner)
    raw = info.path.read_bytes()
    size = int.from_bytes(raw[8:12], "big")
    header = json.loads(raw[12 : 12 + size])
    header["n"] = n
    new_header = json.dumps(header, sort_keys=True).encode("ascii")
    info.path.write_bytes(
        MAGIC + len(new_header).to_bytes(4, "big") + new_header + raw[12 + size :]
    )
    data = json.loads(manifest_path(info.path).read_text())
    data.update(
        checksum=hashlib.sha256(info.path.read_bytes()).hexdigest(), size=info.path.stat().st_size
    )
    data["mac"] = manifest_seal(data, svc.backup.identity()[1])  # even sealed: refused
    manifest_path(info.path).write_text(json.dumps(data))
    before = state(db_url)
    with pytest.raises(BackupInvalid, match="header holds values"):
        svc.backup.restore(owner, info.path, PASSPHRASE)
    assert state(db_url) == before


@pytest.mark.real_key_costs
def test_a_backup_key_costs_what_the_app_promises(svc: Services, owner: Actor) -> None:
    """The other tests derive passphrase keys cheaply; the app writes the real Scrypt cost."""
    svc.backup.set_passphrase(owner, PASSPHRASE)
    info = svc.backup.create(owner)
    raw = info.path.read_bytes()
    header = json.loads(raw[12 : 12 + int.from_bytes(raw[8:12], "big")])
    assert (header["n"], header["r"], header["p"]) == (2**17, 8, 1)
    svc.backup.restore(owner, info.path, PASSPHRASE)


# -- 5. the copy kept aside at a restore --------------------------------------------------


@pytest.mark.slow
def test_the_copy_kept_aside_is_a_protected_short_lived_backup(
    svc: Services, owner: Actor, db_url: str, backend: str, clock: FixedClock
) -> None:
    svc.backup.set_passphrase(owner, PASSPHRASE)
    person(svc, owner, "Anna", "qzxaside@example.be")
    info = svc.backup.create(owner)
    clock.advance(dt.timedelta(hours=1))
    result = svc.backup.restore(owner, info.path, PASSPHRASE)
    assert result.aside.parent == svc.backup.settings(owner).folder
    assert result.aside.read_bytes().startswith(MAGIC)  # encrypted, as the backups are
    assert b"qzxaside" not in result.aside.read_bytes()
    if backend == "sqlite":
        beside = [p.name for p in Path(db_url).parent.iterdir() if "before-restore" in p.name]
        assert beside == []  # no plain full copy beside the database
    listed = {b.path: b.tier for b in svc.backup.list(owner)}
    assert listed[result.aside] == BackupTier.BEFORE_RESTORE
    # Rotation removes it after a week, while the backups stay.
    clock.advance(dt.timedelta(days=8))
    svc.backup.create(None, tier=BackupTier.DAILY)
    remaining = {b.path for b in svc.backup.list(owner)}
    assert result.aside not in remaining
    assert info.path in remaining


# -- 7. a restore and another program -----------------------------------------------------


def test_a_restore_makes_another_program_stop_writing(
    svc: Services, owner: Actor, db_path: Path, clock: FixedClock
) -> None:
    other_engine = create_engine_for(db_path)
    try:
        other = Services.build(other_engine, clock)
        other_owner = other.auth.login("owner", "correct horse battery")
        person(other, other_owner, "Before")
        info = svc.backup.create(owner)
        person(other, other_owner, "Between")
        svc.backup.restore(owner, info.path)
        with pytest.raises(DatabaseReplaced):
            person(other, other_owner, "After")
        # Nothing went to a file that is no longer the database, and nothing was lost
        # beside it: no renamed copy exists at all.
        assert not [p for p in db_path.parent.iterdir() if "before-restore" in p.name]
        names = [r[0] for r in rows(str(db_path), "SELECT first_name FROM contact")]
        assert names == ["Before"]
    finally:
        other_engine.dispose()
    # Started again, the other program works on the restored database.
    again_engine = create_engine_for(db_path)
    try:
        again = Services.build(again_engine, clock)
        person(again, again.auth.login("owner", "correct horse battery"), "After")
    finally:
        again_engine.dispose()


# -- 6. killed backups and restores leave no plaintext -----------------------------------

_KILLED = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    from privacycrm_desktop.persistence.database import create_engine_for
    from privacycrm_desktop.services.clock import FixedClock
    from privacycrm_desktop.services.registry import Services
    import privacycrm_desktop.persistence.backup_crypto as crypto
    import privacycrm_desktop.services.backup.file_restore as swap
    import datetime as dt

    def die(*_args, **_kwargs):
        os.kill(os.getpid(), signal.SIGKILL)

    what, db = sys.argv[1], sys.argv[2]
    svc = Services.build(create_engine_for(db), FixedClock(dt.datetime(2025, 3, 14, 11, 0)))
    owner = svc.auth.login("owner", "correct horse battery")
    if what == "backup":
        crypto.encrypt_file = die  # killed while the plain snapshot exists
        svc.backup.create(owner)
    else:
        swap.migrate = die  # killed while the decrypted copy exists
        svc.backup.restore(owner, Path(sys.argv[3]), sys.argv[4])
    """
)


@pytest.mark.slow
@pytest.mark.parametrize("what", ["backup", "restore"])
def test_a_killed_backup_or_restore_leaves_no_plain_copy_behind(
    svc: Services, owner: Actor, db_path: Path, engine: Engine, what: str
) -> None:
    svc.backup.set_passphrase(owner, PASSPHRASE)
    person(svc, owner, "Anna")
    info = svc.backup.create(owner)
    folder = svc.backup.settings(owner).folder
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    child = subprocess.run(
        [sys.executable, "-c", _KILLED, what, str(db_path), str(info.path), PASSPHRASE],
        env=env,
        capture_output=True,
        check=False,
        timeout=120,
    )
    assert child.returncode == -9, child.stderr.decode()
    # The backup folder never received plaintext; what the killed process left is in the
    # owner-only folder beside the database, and the next start (or backup) removes it.
    assert not [p for p in folder.iterdir() if p.name.startswith(".tmp-")]
    private = db_path.parent / backup_temp.PRIVATE_TEMP
    assert oct(private.stat().st_mode & 0o777) == "0o700"
    assert not [p for p in db_path.parent.iterdir() if p.name.startswith(".tmp-")]
    left = list(private.iterdir())
    assert left, "the kill should have left the plain copy it interrupted"
    Services.build(create_engine_for(db_path), FixedClock(dt.datetime(2025, 3, 14, 12, 0)))
    assert list(private.iterdir()) == []


# -- 8. smaller findings ------------------------------------------------------------------


def test_a_full_backup_disk_is_named_as_such(
    svc: Services, owner: Actor, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(*_args: object) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(files, "snapshot", full)
    with pytest.raises(BackupFailed, match="disk of the backup folder is full"):
        svc.backup.create(owner)


def test_an_unplugged_drive_gets_no_copy_in_its_empty_mount_folder(
    svc: Services, owner: Actor, tmp_path: Path
) -> None:
    mount = tmp_path / "media" / "usb"
    svc.backup.update_settings(
        owner, folder=tmp_path / "main", second_folder=mount, max_age_days=30
    )
    assert svc.backup.create(owner).second_copy is not None
    # The drive is pulled: its mount point is an empty folder again.
    for path in mount.iterdir():
        path.unlink()
    info = svc.backup.create(owner)
    assert info.second_copy is None
    assert "plugged in" in info.second_copy_error
    assert list(mount.iterdir()) == []


def test_rotation_keeps_a_sound_backup_over_a_damaged_newer_one(
    svc: Services, owner: Actor, clock: FixedClock
) -> None:
    good = svc.backup.create(None, tier=BackupTier.DAILY)
    clock.advance(dt.timedelta(hours=2))
    folder = svc.backup.settings(owner).folder
    # A newer backup of the same day, damaged on the disk before the next rotation.
    damaged = svc.backup.create(None, tier=BackupTier.DAILY, to=folder)
    raw = bytearray(damaged.path.read_bytes())
    raw[-100] ^= 0xFF
    damaged.path.write_bytes(bytes(raw))
    clock.advance(dt.timedelta(days=2))
    svc.backup.create(None, tier=BackupTier.DAILY)
    kept = {b.path for b in svc.backup.list(owner)}
    assert good.path in kept
    assert damaged.path not in kept


def test_manual_backups_age_like_the_others(svc: Services, owner: Actor, clock: FixedClock) -> None:
    first = svc.backup.create(owner)
    clock.advance(dt.timedelta(hours=1))
    second = svc.backup.create(owner)
    clock.advance(dt.timedelta(days=10))
    svc.backup.create(None, tier=BackupTier.DAILY)
    kept = {b.path for b in svc.backup.list(owner)}
    assert second.path in kept  # the newest of its week
    assert first.path not in kept


def test_a_restore_checks_the_disk_space_it_needs_first(
    svc: Services, owner: Actor, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    from privacycrm_desktop.services.backup import file_restore as backup_swap

    person(svc, owner, "Anna")
    info = svc.backup.create(owner)
    person(svc, owner, "Ben")
    usage = shutil.disk_usage(db_path.parent)
    monkeypatch.setattr(backup_swap.shutil, "disk_usage", lambda _p: usage._replace(free=1 << 20))
    before = state(str(db_path))
    with pytest.raises(BackupFailed, match="not enough free space"):
        svc.backup.restore(owner, info.path)
    assert state(str(db_path)) == before


# -- recovery where the database is gone ------------------------------------------------


@pytest.mark.slow
def test_recovery_on_another_computer_needs_the_passphrase_or_the_key_file(
    svc: Services, owner: Actor, db_path: Path, engine: Engine, clock: FixedClock
) -> None:
    person(svc, owner, "Anna")
    plain = svc.backup.create(owner, to=db_path.parent / "plain")
    svc.backup.set_passphrase(owner, PASSPHRASE)
    clock.advance(dt.timedelta(minutes=1))
    sealed = svc.backup.create(owner)
    database_id = svc.backup.identity()[0]
    engine.dispose()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    # Another computer: no database, no key file.
    backup_keys.key_file(database_id).unlink()
    with pytest.raises(BackupInvalid, match="seal does not match"):
        restore_unopenable(db_path, plain.path)
    result = restore_unopenable(db_path, sealed.path, PASSPHRASE)
    assert result.erasures_replayed == 0
    restored_engine = create_engine_for(db_path)
    try:
        restored = Services.build(restored_engine, clock)
        boss = restored.auth.login("owner", "correct horse battery")
        assert restored.contacts.count(boss) == 1
        # The restored database has its identity and key back, and can check both again.
        assert restored.backup.identity()[0] == database_id
        restored.backup.verify(files.read_manifest(plain.path))
    finally:
        restored_engine.dispose()


def test_plain_copies_left_by_an_older_version_go_at_the_next_start(
    svc: Services, owner: Actor, db_path: Path, clock: FixedClock
) -> None:
    """Issue 17: killed restores of the version before left ``.tmp-*.restore.db`` beside
    the database and killed backups ``.tmp-*.db`` in the backup folder."""
    folder = svc.backup.settings(owner).folder
    folder.mkdir(parents=True, exist_ok=True)
    old = [db_path.parent / ".tmp-k3j2h1.restore.db", folder / ".tmp-x8y7z6.db"]
    young = db_path.parent / ".tmp-a1b2c3.restore.db"
    foreign = folder / ".tmp-notes.txt"
    for path in (*old, young, foreign):
        path.write_bytes(b"SQLite format 3\0 plain")
    hours_ago = dt.datetime.now().timestamp() - 7200
    for path in (*old, foreign):
        os.utime(path, (hours_ago, hours_ago))
    Services.build(create_engine_for(db_path), clock)
    assert not old[0].exists()
    assert young.exists()  # perhaps another program's restore under way
    assert foreign.exists()  # not ours
    svc.backup.create(owner)
    assert not old[1].exists()


def test_a_failed_copy_in_leaves_the_other_programs_writing(
    svc: Services, owner: Actor, db_path: Path, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    from privacycrm_desktop.services.backup import file_restore as backup_swap

    other_engine = create_engine_for(db_path)
    try:
        other = Services.build(other_engine, clock)
        other_owner = other.auth.login("owner", "correct horse battery")
        person(other, other_owner, "Before")
        info = svc.backup.create(owner)
        person(other, other_owner, "Between")

        def broken(*_args: object) -> None:
            raise sqlite3.OperationalError("disk I/O error")

        monkeypatch.setattr(backup_swap, "copy_in", broken)
        with pytest.raises(BackupFailed, match="nothing was changed"):
            svc.backup.restore(owner, info.path)
        person(other, other_owner, "After")  # not cut off: the restore did not happen
        names = [r[0] for r in rows(str(db_path), "SELECT first_name FROM contact ORDER BY id")]
        assert names == ["Before", "Between", "After"]
    finally:
        other_engine.dispose()


# -- files beside the database are owner-only; the private folder is never a link ----------


@pytest.mark.skipif(os.name == "nt", reason="POSIX modes and links")
def test_the_job_lock_and_the_check_record_are_owner_only(tmp_path: Path) -> None:
    """Finding: ``<db>-jobs.lock`` and ``<db>.check.json`` were created 0644."""
    from privacycrm_desktop.persistence.job_lock import JobLock, lock_path
    from privacycrm_desktop.persistence.storage_health import remember_damage
    from privacycrm_desktop.services.storage import (
        CheckRecord,
        check_record_path,
        write_check_record,
    )

    db_file = tmp_path / "crm.db"
    engine = create_engine_for(db_file)
    old = os.umask(0o022)
    try:
        migrate(engine)
        lock_path(db_file).write_bytes(b"")  # an older version's, readable by others
        with engine.connect() as conn:
            lock = JobLock(engine, conn)
            lock.hold(7)
            lock.release()
        assert lock_path(db_file).stat().st_mode & 0o777 == 0o600
        remember_damage(engine, "database disk image is malformed")
        assert check_record_path(db_file).stat().st_mode & 0o777 == 0o600
        check_record_path(db_file).chmod(0o644)
        assert write_check_record(db_file, CheckRecord(dt.datetime(2026, 1, 1), (), ()))
        assert check_record_path(db_file).stat().st_mode & 0o777 == 0o600
    finally:
        os.umask(old)
        engine.dispose()


@pytest.mark.skipif(os.name == "nt", reason="POSIX links")
def test_a_linked_private_temp_folder_is_refused_and_left_alone(tmp_path: Path) -> None:
    """Finding: an existing ``.privacycrm-tmp`` was chmod-ed and a symbolic link there was
    followed (the plaintext copy was written into the link's target)."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(mode=0o755)
    elsewhere.chmod(0o755)
    db_folder = tmp_path / "data"
    db_folder.mkdir()
    (db_folder / backup_temp.PRIVATE_TEMP).symlink_to(elsewhere)
    with pytest.raises(BackupFailed, match="is a link or belongs to another user"):
        backup_temp.private_temp_folder(db_folder)
    assert elsewhere.stat().st_mode & 0o777 == 0o755  # not chmod-ed
    assert list(elsewhere.iterdir()) == []
    # Nothing in the link's target is cleaned up either (not ours).
    gone = elsewhere / f".tmp-{backup_temp.host_tag()}-999999999-x.db"
    gone.write_bytes(b"")
    assert backup_temp.clean_leftovers(db_folder / backup_temp.PRIVATE_TEMP) == []
    assert gone.exists()
    gone.unlink()
    # A real folder of ours that others could read is made owner-only again.
    own = tmp_path / "own"
    (own / backup_temp.PRIVATE_TEMP).mkdir(parents=True, mode=0o755)
    (own / backup_temp.PRIVATE_TEMP).chmod(0o755)
    assert backup_temp.private_temp_folder(own).stat().st_mode & 0o777 == 0o700


def test_a_restore_refuses_a_linked_private_temp_folder(
    svc: Services, owner: Actor, db_url: str, backend: str, tmp_path: Path
) -> None:
    if backend != "sqlite" or os.name == "nt":
        pytest.skip("the private folder beside a database file")
    person(svc, owner, "Anna")
    info = svc.backup.create(owner)
    private = Path(db_url).parent / backup_temp.PRIVATE_TEMP
    if private.exists():
        private.rmdir()
    target = tmp_path / "planted-target"
    target.mkdir()
    private.symlink_to(target)
    before = state(db_url)
    with pytest.raises(BackupFailed, match="is a link"):
        svc.backup.restore(owner, info.path)
    assert list(target.iterdir()) == []
    assert state(db_url) == before
