"""The CLI under storage faults: one line on stderr, exit 1, nothing lost.

- disk full: the CLI runs in a child process whose file-size limit (RLIMIT_FSIZE, with
  SIGXFSZ ignored) is below the database's size, so SQLite's writes fail in the kernel
  (EFBIG), as on a full disk;
- read-only: the file is made immutable (``chattr +i``: even root cannot write it);
- locked: another connection holds ``BEGIN EXCLUSIVE``; the lock wait is shortened with
  ``PRIVACYCRM_BUSY_TIMEOUT_MS``.
After each: the earlier contacts are there, the failed one is not, the database passes
``check``, and the same command works once the fault is gone.
"""

from __future__ import annotations

import json
import resource
import signal
import subprocess
import time
from pathlib import Path

import pytest

from helpers.cli import cli as run_cli
from helpers.databases import copy_migrated, prepared_file
from privacycrm_desktop.persistence.sqlite_driver import sqlite3

#: The program runs in its own processes here and signs in with the real costs, so the
#: in-process parts keep them too (a cheap hash would be rehashed at the first sign-in).
pytestmark = pytest.mark.real_key_costs

INIT = ["init", "--owner", "owner", "--company", "Acme BV", "--address", "Markt 1, 9000 Gent"]
SOURCE = ["--source-kind", "phone_call", "--source", "phoned in"]


def cli(
    db: Path, *argv: str, fsize: int | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    def limit() -> None:
        if fsize is not None:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))

    return run_cli(db, *argv, env=env, preexec_fn=limit)


def add(db: Path, last_name: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return cli(
        db,
        "--user",
        "owner",
        "contacts",
        "add",
        "--first-name",
        "Zoë",
        "--last-name",
        last_name,
        *SOURCE,
        **kwargs,
    )


def last_names(db: Path) -> list[str]:
    conn = sqlite3.connect(db)
    try:
        return sorted(r[0] for r in conn.execute("SELECT last_name FROM contact"))
    finally:
        conn.close()


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Set up once through the CLI; each test gets a copy of its own (``ready``)."""
    return prepared_file(
        tmp_path_factory.mktemp("prepared"),
        lambda db: cli(db, *INIT).check_returncode(),
        lambda db: add(db, "Before").check_returncode(),
    )


@pytest.fixture
def ready(prepared: Path, tmp_path: Path) -> Path:
    db = tmp_path / "crm.db"
    copy_migrated(prepared, db)
    return db


def assert_one_line_failure(done: subprocess.CompletedProcess[str], text: str) -> None:
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert text in lines[0]


def test_a_full_disk(ready: Path) -> None:
    done = add(ready, "Refused", fsize=4096)
    assert_one_line_failure(done, "could not be read or written")
    assert "nothing was saved" in done.stderr
    assert last_names(ready) == ["Before"]
    assert cli(ready, "check").stdout.splitlines()[0] == "ok"
    assert add(ready, "After").returncode == 0
    assert last_names(ready) == ["After", "Before"]


@pytest.mark.skipif(
    subprocess.run(["chattr", "--help"], capture_output=True, check=False).returncode > 1,
    reason="chattr is missing",
)
def test_a_read_only_file(ready: Path) -> None:
    made = subprocess.run(["chattr", "+i", str(ready)], capture_output=True, check=False)
    if made.returncode != 0:
        pytest.skip("chattr +i is not allowed here (no CAP_LINUX_IMMUTABLE)")
    try:
        done = add(ready, "Refused")
        assert_one_line_failure(done, "read-only")
        listed = cli(ready, "--user", "owner", "contacts", "list", "--format", "json")
        assert listed.returncode == 0, listed.stderr
        assert json.loads(listed.stdout)["total"] == 1
        checked = cli(ready, "check", "--format", "json")
        assert json.loads(checked.stdout)["storage"] == "read-only"
        assert json.loads(checked.stdout)["ok"] is True
    finally:
        subprocess.run(["chattr", "-i", str(ready)], check=True)
    assert last_names(ready) == ["Before"]
    assert add(ready, "After").returncode == 0


def test_locked_by_another_program(ready: Path) -> None:
    holder = sqlite3.connect(ready, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        started = time.monotonic()
        done = add(ready, "Refused", env={"PRIVACYCRM_BUSY_TIMEOUT_MS": "200"})
        assert time.monotonic() - started < 10
        assert_one_line_failure(done, "in use by another program")
        checked = cli(ready, "check", "--format", "json", env={"PRIVACYCRM_BUSY_TIMEOUT_MS": "200"})
        assert json.loads(checked.stdout)["storage"] == "locked"
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert last_names(ready) == ["Before"]
    assert add(ready, "After").returncode == 0


def test_check_reports_the_newest_backup_and_storage(ready: Path) -> None:
    checked = json.loads(cli(ready, "check", "--format", "json").stdout)
    assert checked["ok"] is True
    assert checked["problems"] == []
    assert checked["storage"] == "writable"
    assert checked["newest_backup"] is None
    assert checked["last_quick_check"] is not None
    assert cli(ready, "--user", "owner", "backup").returncode == 0
    checked = json.loads(cli(ready, "check", "--format", "json").stdout)
    assert checked["newest_backup"]["age_days"] == 0
    assert checked["newest_backup"]["contact_count"] == 1
    text = cli(ready, "--lang", "nl", "check").stdout.splitlines()
    assert text[0] == "ok"
    assert text[1].startswith("opslag: ")
    assert text[2].startswith("recentste back-up: ")
