"""Read-only file, read-only folder, read-only filesystem, another program's write lock:
look-ups and sign-in work, saving says why not, the file's mode is never
changed, and the audit events of the sign-in and of the restricted read are not lost.

Run as root, the CLI child drops CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH from its
capability bounding set before it starts, so file permissions bind it as they bind a
user; the read-only filesystem is a read-only bind mount (root only).
"""

from __future__ import annotations

import ctypes
import json
import os
import shutil
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers.cli import cli as run_cli
from privacycrm_desktop.persistence.sqlite_driver import sqlite3

#: The program runs in its own processes here and signs in with the real costs, so the
#: in-process parts keep them too (a cheap hash would be rehashed at the first sign-in).
pytestmark = pytest.mark.real_key_costs

INIT = ["init", "--owner", "owner", "--company", "Acme BV", "--address", "Markt 1, 9000 Gent"]
ADD = ["contacts", "add", "--first-name", "Zoë", "--source-kind", "phone_call", "--source", "x"]

_PR_CAPBSET_DROP = 24
_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH = 1, 2


def _like_a_user() -> None:
    if os.geteuid() != 0:
        return
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH):
        if libc.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "cannot drop a capability")


def cli(
    db: Path, *argv: str, config: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return run_cli(
        db,
        *argv,
        env={"PRIVACYCRM_CONFIG_DIR": str(config), **(env or {})},
        preexec_fn=_like_a_user,
    )


def audit(db: Path, *, read_only: bool = False) -> list[tuple[str, str]]:
    # A read-only folder or filesystem: no -shm can be made; nothing writes it meanwhile.
    conn = sqlite3.connect(f"file:{db}?immutable=1", uri=True) if read_only else sqlite3.connect(db)
    try:
        return [(r[0], r[1]) for r in conn.execute("SELECT action, detail FROM audit_event")]
    finally:
        conn.close()


def _can_drop_capabilities() -> bool:
    if os.geteuid() != 0:
        return True
    done = subprocess.run(
        [sys.executable, "-c", "pass"], preexec_fn=_like_a_user, capture_output=True, check=False
    )
    return done.returncode == 0


class Fault:
    """Makes the database read-only in one way, and undoes it."""

    def __init__(self, kind: str, db: Path) -> None:
        self.kind, self.db = kind, db
        self.mode = 0
        self.applied = False

    def apply(self) -> None:
        if self.kind == "file":
            self.db.chmod(0o400)
        elif self.kind == "folder":
            self.db.parent.chmod(0o500)
        else:
            folder = str(self.db.parent)
            subprocess.run(["mount", "--bind", folder, folder], check=True)
            subprocess.run(["mount", "-o", "remount,bind,ro", folder, folder], check=True)
        self.mode = stat.S_IMODE(self.db.stat().st_mode)
        self.applied = True

    def undo(self) -> None:
        self.applied = False
        if self.kind == "file":
            self.db.chmod(0o600)
        elif self.kind == "folder":
            self.db.parent.chmod(0o700)
        else:
            subprocess.run(["umount", str(self.db.parent)], check=True)


@pytest.fixture(params=["file", "folder", "filesystem"])
def fault(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Fault]:
    if not _can_drop_capabilities():
        pytest.skip("cannot drop capabilities here")
    if request.param == "filesystem" and (os.geteuid() != 0 or shutil.which("mount") is None):
        pytest.skip("a read-only bind mount needs root")
    folder = tmp_path / "data"
    folder.mkdir(mode=0o700)
    made = Fault(request.param, folder / "crm.db")
    yield made
    if made.applied:  # a failed test: leave nothing read-only behind
        made.undo()


def test_read_only_storage_reads_signs_in_and_refuses_saves(fault: Fault, tmp_path: Path) -> None:
    db, config = fault.db, tmp_path / "config"
    assert cli(db, *INIT, config=config).returncode == 0
    assert cli(db, "--user", "owner", *ADD, "--last-name", "Before", config=config).returncode == 0
    before = len(audit(db))
    fault.apply()
    try:
        listed = cli(db, "--user", "owner", "contacts", "list", "--format", "json", config=config)
        assert listed.returncode == 0, listed.stderr
        assert json.loads(listed.stdout)["total"] == 1
        shown = cli(db, "--user", "owner", "contacts", "show", "1", config=config)
        assert shown.returncode == 0, shown.stderr
        assert "Before" in shown.stdout
        assert "kept aside" in shown.stderr
        refused = cli(db, "--user", "owner", *ADD, "--last-name", "Refused", config=config)
        assert refused.returncode == 1
        assert "read-only" in refused.stderr
        assert "Traceback" not in refused.stderr
        checked = cli(db, "check", "--format", "json", config=config)
        assert json.loads(checked.stdout)["storage"] == "read-only"
        # Never chmod-ed back, never written.
        assert stat.S_IMODE(db.stat().st_mode) == fault.mode
        assert len(audit(db, read_only=True)) == before
    finally:
        fault.undo()
    # The next start that can write adds the events kept aside, in the chain.
    after = cli(db, "--user", "owner", "contacts", "list", config=config)
    assert after.returncode == 0, after.stderr
    added = audit(db)[before:]
    deferred = [(a, d) for a, d in added if d.endswith("deferred=1")]
    assert ("user.login", "deferred=1") in deferred
    assert any(a == "contact.read_restricted" for a, _d in deferred)
    assert cli(db, "verify-audit", config=config).returncode == 0
    assert cli(db, "--user", "owner", *ADD, "--last-name", "After", config=config).returncode == 0


def _one_version_older(db: Path) -> None:
    """Take the database back one schema revision, as a file the previous version wrote."""
    from alembic import command

    from privacycrm_desktop.persistence.database import create_engine_for
    from privacycrm_desktop.persistence.migrate import alembic_config

    engine = create_engine_for(str(db))
    try:
        with engine.begin() as conn:
            command.downgrade(alembic_config(conn), "-1")
    finally:
        engine.dispose()


def test_read_only_storage_that_needs_an_update_says_so(fault: Fault, tmp_path: Path) -> None:
    """A look-up cannot run on an older schema: the sentence asks for a writable file
    instead of offering look-ups (it said "you can still look things up", then failed)."""
    db, config = fault.db, tmp_path / "config"
    assert cli(db, *INIT, config=config).returncode == 0
    _one_version_older(db)
    fault.apply()
    try:
        listed = cli(db, "--user", "owner", "contacts", "list", config=config)
        assert listed.returncode == 1
        assert "must be updated to this version" in listed.stderr
        assert "look things up" not in listed.stderr
        assert "Traceback" not in listed.stderr
        assert stat.S_IMODE(db.stat().st_mode) == fault.mode
    finally:
        fault.undo()
    assert cli(db, "--user", "owner", "contacts", "list", config=config).returncode == 0


def test_a_write_lock_held_by_another_program(tmp_path: Path) -> None:
    db, config = tmp_path / "crm.db", tmp_path / "config"
    assert cli(db, *INIT, config=config).returncode == 0
    assert cli(db, "--user", "owner", *ADD, "--last-name", "Before", config=config).returncode == 0
    started = time.monotonic()
    assert cli(db, "--user", "owner", "contacts", "show", "1", config=config).returncode == 0
    unlocked = time.monotonic() - started
    before = len(audit(db))
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        started = time.monotonic()
        shown = cli(db, "--user", "owner", "contacts", "show", "1", config=config)
        assert shown.returncode == 0, shown.stderr
        assert "Before" in shown.stdout
        # Sign-in and the read do not wait the 5 s a save waits for the lock (each of
        # them did); only the last attempt to write their audit events waits, 1 s.
        assert time.monotonic() - started < unlocked + 3.5
        refused = cli(
            db,
            "--user",
            "owner",
            *ADD,
            "--last-name",
            "Refused",
            config=config,
            env={"PRIVACYCRM_BUSY_TIMEOUT_MS": "200"},
        )
        assert refused.returncode == 1
        assert "in use by another program" in refused.stderr
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert cli(db, "--user", "owner", "contacts", "list", config=config).returncode == 0
    added = audit(db)[before:]
    assert ("user.login", "deferred=1") in added
    assert any(a == "contact.read_restricted" and d.endswith("deferred=1") for a, d in added)
    assert cli(db, "verify-audit", config=config).returncode == 0


@pytest.mark.skipif(not _can_drop_capabilities(), reason="cannot drop capabilities here")
def test_an_access_report_not_written_is_not_recorded_as_given(tmp_path: Path) -> None:
    """The trail records a report given only once its file is written: a read-only folder
    (or a full disk) leaves no "access report made" that no one ever received."""
    db, config = tmp_path / "crm.db", tmp_path / "config"
    assert cli(db, *INIT, config=config).returncode == 0
    assert cli(db, "--user", "owner", *ADD, "--last-name", "Peeters", config=config).returncode == 0
    folder = tmp_path / "reports"
    folder.mkdir(mode=0o700)
    report = ["--user", "owner", "export-report", "1", "--out", str(folder / "r.pdf")]
    folder.chmod(0o500)
    try:
        refused = cli(db, *report, "--json", str(folder / "r.json"), config=config)
    finally:
        folder.chmod(0o700)
    assert refused.returncode == 1
    assert refused.stdout == ""
    assert len(refused.stderr.strip().splitlines()) == 1
    assert "could not be written" in refused.stderr
    assert list(folder.iterdir()) == []
    assert [a for a, _d in audit(db) if a == "report.access"] == []
    # The PDF written but its JSON copy refused: no report given either, no PDF left.
    refused = cli(db, *report, "--json", str(tmp_path / "no such folder" / "r.json"), config=config)
    assert refused.returncode == 1
    assert list(folder.iterdir()) == []
    assert [a for a, _d in audit(db) if a == "report.access"] == []
    done = cli(db, *report, config=config)
    assert done.returncode == 0, done.stderr
    assert [p.name for p in folder.iterdir()] == ["r.pdf"]
    assert [a for a, _d in audit(db) if a == "report.access"] == ["report.access"]
