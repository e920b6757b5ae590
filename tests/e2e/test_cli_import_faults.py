"""Imports that do not end normally: killed, or stopped by a full disk.

- A CLI killed (SIGKILL) while its worker processes check rows leaves no worker and no
  multiprocessing resource tracker running.
- A CLI killed after it committed a chunk leaves a batch "running"; the next start (any
  command) closes it as "interrupted", with the count of the contacts it committed and an
  audit event, and ``import list`` shows it so; the batch can be undone.
- A real full disk (a small tmpfs; root only) during an import or ``demo``: the message
  says what was kept and what was not, the batch is closed and audited.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers.cli import cli as run_cli
from helpers.cli import cli_argv, cli_env
from privacycrm_desktop.persistence.sqlite_driver import sqlite3

#: The program runs in its own processes here and signs in with the real costs, so the
#: in-process parts keep them too (a cheap hash would be rehashed at the first sign-in).
pytestmark = pytest.mark.real_key_costs

INIT = ["init", "--owner", "owner", "--company", "Acme BV", "--address", "Markt 1, 9000 Gent"]
IMPORT = [
    "--source-kind",
    "third_party",
    "--source",
    "Fair list",
    "--purpose",
    "customer_relationship",
]


def cli(db: Path, *argv: str, timeout: int = 300) -> subprocess.CompletedProcess[str]:
    return run_cli(db, *argv, timeout=timeout)


def write_people(path: Path, rows: int) -> Path:
    lines = ["first_name,last_name,email,city"]
    lines += [f"Anna{n},Peeters{n},anna.peeters{n}@example.be,Gent" for n in range(rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def children(pid: int) -> set[int]:
    """The processes whose parent is *pid* (from /proc)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid ...: comm may hold spaces, so split after the last ")".
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid:
            found.add(int(entry.name))
    return found


def running(pid: int) -> bool:
    """True while *pid* exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def contact_count(db: Path) -> int:
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
        try:
            return int(conn.execute("SELECT count(*) FROM contact").fetchone()[0])
        finally:
            conn.close()
    except sqlite3.Error:
        return 0


def wait_for(condition: object, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


@pytest.fixture
def ready(tmp_path: Path) -> Path:
    db = tmp_path / "crm.db"
    done = cli(db, *INIT)
    assert done.returncode == 0, done.stderr
    return db


linux_only = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")


@linux_only
def test_a_killed_import_leaves_no_worker_processes(ready: Path, tmp_path: Path) -> None:
    people = write_people(tmp_path / "people.csv", 6_000)
    proc = subprocess.Popen(
        cli_argv(ready, "--user", "owner", "import", str(people), *IMPORT),
        env=cli_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        # The pool is up (the resource tracker and at least one worker) while rows are checked.
        assert wait_for(lambda: len(children(proc.pid)) >= 2, 60), "no worker started"
        helpers = children(proc.pid)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        assert wait_for(lambda: not any(running(p) for p in helpers), 5), [
            Path(f"/proc/{p}/cmdline").read_text().replace("\0", " ")[:120]
            for p in helpers
            if running(p)
        ]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for pid in children(proc.pid):
            if running(pid):
                os.kill(pid, signal.SIGKILL)


@linux_only
def test_a_killed_import_is_closed_at_the_next_start(ready: Path, tmp_path: Path) -> None:
    people = write_people(tmp_path / "people.csv", 25_000)
    proc = subprocess.Popen(
        cli_argv(ready, "--user", "owner", "import", str(people), *IMPORT),
        env=cli_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert wait_for(lambda: contact_count(ready) > 0, 120), "no chunk was written"
        helpers = children(proc.pid)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        assert wait_for(lambda: not any(running(p) for p in helpers), 5)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    committed = contact_count(ready)
    assert 0 < committed < 25_000
    listed = cli(ready, "--user", "owner", "import", "list", "--format", "json")
    assert listed.returncode == 0, listed.stderr
    assert "Import 1 was interrupted" in listed.stderr
    [batch] = json.loads(listed.stdout)
    assert batch["status"] == "interrupted"
    assert batch["contacts"] == committed
    assert batch["undoable"] is True
    conn = sqlite3.connect(ready)
    try:
        status, imported = conn.execute("SELECT status, imported FROM import_batch").fetchone()
        details = [
            r[0] for r in conn.execute("SELECT detail FROM audit_event WHERE action = 'import.run'")
        ]
    finally:
        conn.close()
    assert (status, imported) == ("interrupted", committed)
    assert details == [
        f"imported={committed};merged=0;skipped=0;invalid=0;cancelled=0;interrupted=1"
    ]
    # Closed once: the next start says nothing more.
    again = cli(ready, "--user", "owner", "import", "list")
    assert "interrupted when" not in again.stderr
    assert "interrupted, can be undone" in again.stdout
    assert cli(ready, "verify-audit").returncode == 0
    undone = cli(ready, "--user", "owner", "import", "undo", "1", "--format", "json")
    assert json.loads(undone.stdout)["removed"] == committed


# -- a real full disk: a small tmpfs ---------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 12 MiB tmpfs (mounting needs root; skipped otherwise)."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a small disk needs root")
    where = tmp_path / "disk"
    where.mkdir()
    made = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=12m", "tmpfs", str(where)],
        capture_output=True,
        check=False,
    )
    if made.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {made.stderr!r}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def _grow(disk: Path, size: str = "128m") -> None:
    """Free space: the small disk becomes a bigger one."""
    subprocess.run(["mount", "-o", f"remount,size={size}", str(disk)], check=True)


def _batch_and_audit(db: Path) -> tuple[tuple[str, int, int], list[str]]:
    conn = sqlite3.connect(db)
    try:
        row = conn.execute("SELECT status, imported, merged FROM import_batch").fetchone()
        details = [
            r[0] for r in conn.execute("SELECT detail FROM audit_event WHERE action = 'import.run'")
        ]
    finally:
        conn.close()
    return row, details


def test_a_full_disk_during_an_import_says_what_was_kept(small_disk: Path, tmp_path: Path) -> None:
    db = small_disk / "crm.db"
    assert cli(db, *INIT).returncode == 0
    people = write_people(tmp_path / "people.csv", 60_000)
    done = cli(db, "--user", "owner", "import", str(people), *IMPORT)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "nothing was saved" not in done.stderr
    committed = contact_count(db)
    assert 0 < committed < 60_000
    assert f"Saved: {committed} new contacts and 0 rows merged" in done.stderr, done.stderr
    assert "kept as import 1, which the import history can undo" in done.stderr
    (status, imported, merged), details = _batch_and_audit(db)
    # The committed chunks counted themselves in the batch row, whatever came after.
    assert (imported, merged) == (committed, 0)
    if status == "running":
        # Not even the closing record fitted: the message says when it follows.
        assert "marked as interrupted in the history and the audit trail" in done.stderr
        assert details == []
        _grow(small_disk)
        listed = cli(db, "--user", "owner", "import", "list", "--format", "json")
        assert "Import 1 was interrupted" in listed.stderr
        [batch] = json.loads(listed.stdout)
        assert (batch["status"], batch["contacts"], batch["undoable"]) == (
            "interrupted",
            committed,
            True,
        )
        (status, imported, merged), details = _batch_and_audit(db)
        assert status == "interrupted"
        assert details == [
            f"imported={committed};merged=0;skipped=0;invalid=0;cancelled=0;interrupted=1"
        ]
    else:
        assert status == "failed"
        assert len(details) == 1
        assert details[0].startswith(f"imported={committed};merged=0;")
        assert details[0].endswith("failed=1")
        _grow(small_disk)
    assert cli(db, "check").stdout.splitlines()[0] == "ok"
    assert cli(db, "verify-audit").returncode == 0
    undone = cli(db, "--user", "owner", "import", "undo", "1", "--format", "json")
    assert json.loads(undone.stdout)["removed"] == committed


def test_a_full_disk_during_demo_says_what_was_kept(small_disk: Path) -> None:
    _grow(small_disk, "40m")  # room for a few chunks of 20,000
    db = small_disk / "crm.db"
    assert cli(db, *INIT).returncode == 0
    done = cli(db, "--user", "owner", "demo", "--count", "100000")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "nothing was saved" not in done.stderr
    committed = contact_count(db)
    assert 0 < committed < 100_000
    assert f"{committed} of the 100000 demo contacts were added and kept" in done.stderr, (
        done.stderr
    )
    conn = sqlite3.connect(db)
    try:
        details = [
            r[0]
            for r in conn.execute("SELECT detail FROM audit_event WHERE action = 'demo.generate'")
        ]
    finally:
        conn.close()
    # Audited with the first chunk; how many were kept is added when there is room.
    assert details[0] == "count=100000 seed=1"
    assert details[1:] in ([], [f"stopped: count={committed} of=100000 seed=1"])
    _grow(small_disk)
    assert cli(db, "check").stdout.splitlines()[0] == "ok"


def _leave_free(disk: Path, free: int) -> None:
    """Fill *disk* with a filler file until *free* bytes are left."""
    stat = os.statvfs(disk)
    available = stat.f_bavail * stat.f_frsize
    with (disk / "filler").open("wb") as handle:
        handle.truncate(0)
        os.posix_fallocate(handle.fileno(), 0, max(0, available - free))


def test_an_erasure_on_a_nearly_full_disk_is_reported_as_it_ended(
    small_disk: Path, tmp_path: Path
) -> None:
    """With little space left the erasure either fails whole (the contact is still there:
    "nothing was saved" is true) or succeeds, and is then reported as done, also when the
    clean-up after it (index merge, WAL checkpoint) found no room."""
    source = tmp_path / "source.db"
    assert cli(source, *INIT).returncode == 0
    assert cli(source, "--user", "owner", "demo", "--count", "3000").returncode == 0
    outcomes = set()
    for free in (48, 96, 160, 256, 384, 512, 768, 1024, 1600, 2400):
        for entry in small_disk.iterdir():
            entry.unlink()
        db = small_disk / "crm.db"
        shutil.copy(source, db)
        _leave_free(small_disk, free * 1024)
        done = cli(
            db, "--user", "owner", "erase", "1", "--reason", "erasure_request", "--format", "json"
        )
        (small_disk / "filler").unlink()
        conn = sqlite3.connect(db)
        try:
            gone = conn.execute("SELECT count(*) FROM contact WHERE id = 1").fetchone()[0] == 0
            ledger = conn.execute("SELECT count(*) FROM erasure_ledger").fetchone()[0]
        finally:
            conn.close()
        assert "Traceback" not in done.stderr
        if gone:
            assert ledger == 1
            assert done.returncode == 0, (free, done.stderr)
            document = json.loads(done.stdout)
            assert document["erased"] is True
            # The clean-up after the commit found no room: said, never reported as failed.
            waits = document.get("cleaned") is False or document.get("scrub") == "pending"
            outcomes.add("erased, clean-up waits" if waits else "erased, clean")
        else:
            assert ledger == 0
            assert done.returncode == 1, (free, done.stderr)
            assert "nothing was saved" in done.stderr
            outcomes.add("refused")
    assert "refused" in outcomes
    # With FTS5 secure-delete the clean-up after the commit is only a WAL checkpoint, which
    # seldom lacks room: an erasure that went through is seen, its clean-up waiting or not.
    assert outcomes & {"erased, clean", "erased, clean-up waits"}, outcomes
