"""Backups: manifest, checksum, encryption, second folder, rotation, permissions.

Run on SQLite (the backup API) and on PostgreSQL (pg_dump).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import stat
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from privacycrm_desktop.domain.access import Role
from privacycrm_desktop.domain.contacts import ContactInput
from privacycrm_desktop.domain.errors import (
    BackupInvalid,
    BackupPassphraseWrong,
    PermissionDenied,
    ValidationFailed,
)
from privacycrm_desktop.domain.provenance import SourceInput, SourceKind
from privacycrm_desktop.persistence import pg_dump
from privacycrm_desktop.persistence.backup import manifest_path
from privacycrm_desktop.persistence.migrate import HEAD_REVISION
from privacycrm_desktop.persistence.sqlite_driver import sqlite3
from privacycrm_desktop.services.backup import (
    BackupTier,
    default_backup_folder,
    find_backups,
    verify_backup,
)
from privacycrm_desktop.services.clock import FixedClock
from privacycrm_desktop.services.dto import Actor
from privacycrm_desktop.services.registry import Services

PASSPHRASE = "a long backup passphrase"
SOURCE = SourceInput(SourceKind.BUSINESS_CARD, "fair", dt.date(2026, 2, 20))


def add_contacts(svc: Services, owner: Actor, *names: str) -> list[int]:
    return [
        svc.contacts.create(owner, ContactInput(first_name=n, last_name="Peeters"), SOURCE)
        for n in names
    ]


@pytest.fixture(autouse=True)
def _data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Server backups go to the data folder: a temporary one."""
    monkeypatch.setenv("PRIVACYCRM_DATA_DIR", str(tmp_path / "data"))


def setting(engine: Engine, key: str) -> str:
    with engine.connect() as conn:
        value = conn.execute(text("SELECT value FROM setting WHERE key = :k"), {"k": key})
        return str(value.scalar_one())


def expected_folder(backend: str, db_url: str, tmp_path: Path) -> Path:
    if backend == "sqlite":
        return default_backup_folder(Path(db_url))
    url = make_url(db_url)
    return tmp_path / "data" / "backups" / f"{url.database}@{url.host}-{url.port}"


def test_a_backup_has_a_true_manifest_and_owner_only_file(
    svc: Services, owner: Actor, engine: Engine, backend: str, db_url: str, tmp_path: Path
) -> None:
    add_contacts(svc, owner, "Anna", "Bart")
    head_before = setting(engine, "audit.head")
    info = svc.backup.create(owner)
    assert info.path.parent == expected_folder(backend, db_url, tmp_path)
    assert info.backend == backend
    assert stat.S_IMODE(info.path.stat().st_mode) == 0o600
    assert info.contact_count == 2
    assert info.schema_version == HEAD_REVISION
    assert info.audit_head == head_before
    assert info.checksum == hashlib.sha256(info.path.read_bytes()).hexdigest()
    assert info.tier == BackupTier.MANUAL
    assert info.verified
    assert not info.encrypted
    manifest = json.loads(manifest_path(info.path).read_text())
    assert manifest["checksum"] == info.checksum
    assert manifest["contact_count"] == 2
    assert manifest["backend"] == backend
    assert find_backups(info.path.parent) == [info]
    verify_backup(info.path)
    if backend == "sqlite":
        # The backup is a database of its own: no WAL beside it, the rows are in it.
        assert info.path.name.endswith(".db")
        conn = sqlite3.connect(info.path)
        assert conn.execute("SELECT count(*) FROM contact").fetchone()[0] == 2
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        conn.close()
    else:
        # A pg_dump archive (custom format) holding both contacts.
        assert info.path.name.endswith(".pg")
        assert info.path.read_bytes()[:5] == b"PGDMP"
        assert len(pg_dump.contact_ids_in_dump(info.path)) == 2
    # Making it is audited, without a personal value.
    event = svc.audit.list_events(owner)[0]
    assert (event.action, event.entity_id) == ("backup.create", info.path.name)
    assert not list(info.path.parent.glob(".tmp-*"))


def test_a_changed_backup_is_refused(svc: Services, owner: Actor) -> None:
    add_contacts(svc, owner, "Anna")
    info = svc.backup.create(owner)
    data = bytearray(info.path.read_bytes())
    data[5000] ^= 0xFF
    info.path.write_bytes(bytes(data))
    with pytest.raises(BackupInvalid):
        verify_backup(info.path)
    with pytest.raises(BackupInvalid):
        svc.backup.plan_restore(owner, info.path)
    manifest_path(info.path).write_text("{not json")
    assert find_backups(info.path.parent) == []


@pytest.mark.slow
def test_encrypted_backup_needs_the_right_passphrase(
    svc: Services, owner: Actor, engine: Engine, backend: str, db_url: str
) -> None:
    add_contacts(svc, owner, "Qzxencrypted")
    svc.backup.set_passphrase(owner, PASSPHRASE)
    # Not stored anywhere in clear: only a public key and a sealed private key.
    stored = setting(engine, "backup.encryption")
    assert PASSPHRASE not in stored
    if backend == "sqlite":
        assert PASSPHRASE.encode() not in Path(db_url).read_bytes()
    info = svc.backup.create(owner)
    assert info.encrypted
    assert info.path.name.endswith(".db.enc" if backend == "sqlite" else ".pg.enc")
    assert b"Qzxencrypted" not in info.path.read_bytes()
    assert b"SQLite format" not in info.path.read_bytes()
    assert b"PGDMP" not in info.path.read_bytes()
    verify_backup(info.path)  # checksum only without the passphrase
    verify_backup(info.path, PASSPHRASE)
    with pytest.raises(BackupPassphraseWrong):
        verify_backup(info.path, "not the passphrase")
    with pytest.raises(BackupPassphraseWrong):
        svc.backup.plan_restore(owner, info.path, None)
    plan = svc.backup.plan_restore(owner, info.path, PASSPHRASE)
    assert plan.contacts_in_backup == 1
    # A change the checksum no longer catches (manifest rewritten) fails decryption.
    data = bytearray(info.path.read_bytes())
    data[-100] ^= 0x01
    info.path.write_bytes(bytes(data))
    manifest = json.loads(manifest_path(info.path).read_text())
    manifest["checksum"] = hashlib.sha256(bytes(data)).hexdigest()
    manifest_path(info.path).write_text(json.dumps(manifest))
    with pytest.raises(BackupInvalid):
        verify_backup(info.path, PASSPHRASE)
    with pytest.raises(ValidationFailed):
        svc.backup.set_passphrase(owner, "short")
    svc.backup.set_passphrase(owner, None)
    assert not svc.backup.create(owner).encrypted


def test_second_folder_gets_a_checked_copy(svc: Services, owner: Actor, tmp_path: Path) -> None:
    second = tmp_path / "usb" / "backups"
    svc.backup.update_settings(
        owner, folder=tmp_path / "main", second_folder=second, max_age_days=30
    )
    info = svc.backup.create(owner)
    assert info.path.parent == tmp_path / "main"
    assert info.second_copy == second / info.path.name
    assert info.second_copy.read_bytes() == info.path.read_bytes()
    assert stat.S_IMODE(info.second_copy.stat().st_mode) == 0o600  # a USB stick is shared
    assert stat.S_IMODE(manifest_path(info.second_copy).stat().st_mode) == 0o600
    assert find_backups(second)[0].checksum == info.checksum
    verify_backup(info.second_copy)
    # A second folder that cannot be written to: the backup stands, the problem is told.
    blocker = tmp_path / "blocker"
    blocker.write_text("a file, not a folder")
    svc.backup.update_settings(
        owner, folder=tmp_path / "main", second_folder=blocker / "x", max_age_days=30
    )
    info = svc.backup.create(owner)
    assert info.second_copy is None
    assert info.second_copy_error
    verify_backup(info.path)
    with pytest.raises(ValidationFailed):
        svc.backup.update_settings(
            owner, folder=tmp_path / "main", second_folder=tmp_path / "main", max_age_days=30
        )
    with pytest.raises(ValidationFailed):
        svc.backup.update_settings(owner, folder=Path("rel"), second_folder=None, max_age_days=1)


def test_due_once_a_day(svc: Services, owner: Actor, clock: FixedClock) -> None:
    assert svc.backup.due()
    svc.backup.create(None, tier=BackupTier.DAILY)
    assert not svc.backup.due()
    clock.advance(dt.timedelta(days=1))
    assert svc.backup.due()


@pytest.mark.slow
@pytest.mark.sqlite_only  # rotation is file work, the same for both; 58 pg_dumps take ~30 s
def test_rotation_keeps_daily_weekly_monthly_tiers_within_the_maximum_age(
    svc: Services, owner: Actor, clock: FixedClock, db_path: Path
) -> None:
    svc.backup.update_settings(
        owner, folder=default_backup_folder(db_path), second_folder=None, max_age_days=45
    )
    clock.current = dt.datetime(2026, 1, 1, 18, 0)
    manual = svc.backup.create(owner)
    for day in range(55):
        clock.advance(dt.timedelta(hours=18))
        svc.backup.create(None, tier=BackupTier.DAILY)
        if day >= 52:  # two a day: only the newest of each day stays
            clock.advance(dt.timedelta(hours=2))
            svc.backup.create(None, tier=BackupTier.EXIT)
            clock.advance(dt.timedelta(hours=4))
        else:
            clock.advance(dt.timedelta(hours=6))
    now = clock.now()
    kept = svc.backup.list(owner)
    assert manual.path not in [k.path for k in kept]  # older than 45 days
    assert all(now - k.created_at <= dt.timedelta(days=45) for k in kept)
    ages = [(now.date() - k.created_at.date()).days for k in kept]
    daily = [k for k, a in zip(kept, ages, strict=True) if a < 7]
    weekly = [k for k, a in zip(kept, ages, strict=True) if 7 <= a < 35]
    monthly = [k for k, a in zip(kept, ages, strict=True) if a >= 35]
    assert len({k.created_at.date() for k in daily}) == len(daily) == 7  # newest of each day
    assert [k.tier for k in daily[:3]] == [BackupTier.EXIT] * 3
    assert set(k.tier for k in daily[3:]) == {BackupTier.DAILY}
    assert len({k.created_at.isocalendar()[:2] for k in weekly}) == len(weekly)
    assert 3 <= len(weekly) <= 5
    assert {k.tier for k in weekly} == {BackupTier.WEEKLY}
    assert len({(k.created_at.year, k.created_at.month) for k in monthly}) == len(monthly)
    assert 1 <= len(monthly) <= 2
    assert {k.tier for k in monthly} == {BackupTier.MONTHLY}
    assert len(kept) == len(daily) + len(weekly) + len(monthly)
    # The files on disk are exactly the kept backups and their manifests.
    assert len(list(kept[0].path.parent.iterdir())) == 2 * len(kept)
    # A shorter maximum age rotates out more at once.
    svc.backup.update_settings(
        owner, folder=kept[0].path.parent, second_folder=None, max_age_days=10
    )
    deleted = svc.backup.rotate()
    assert deleted
    assert all(now - k.created_at <= dt.timedelta(days=10) for k in svc.backup.list(owner))
    assert svc.backup.max_age_days() == 10


@pytest.mark.parametrize("role", [Role.OFFICE, Role.SALES, Role.PRIVACY_OFFICER])
def test_only_the_owner_restores(svc: Services, owner: Actor, role: Role) -> None:
    info = svc.backup.create(owner)
    svc.auth.add_user(owner, "other", "another good password", role)
    other = svc.auth.login("other", "another good password")
    with pytest.raises(PermissionDenied):
        svc.backup.restore(other, info.path)
    with pytest.raises(PermissionDenied):
        svc.backup.plan_restore(other, info.path)
    if role is Role.PRIVACY_OFFICER:
        assert svc.backup.create(other).path.exists()
    else:
        with pytest.raises(PermissionDenied):
            svc.backup.create(other)
        with pytest.raises(PermissionDenied):
            svc.backup.list(other)
