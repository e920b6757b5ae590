"""The suite's throw-away PostgreSQL server: each run its own, on a free port."""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

SCRIPT = Path(__file__).resolve().parents[2] / "tools" / "pg-test-server.sh"


def _script(*args: str, env: dict[str, str] | None = None) -> str:
    env = {k: v for k, v in os.environ.items() if k != "PRIVACYCRM_TEST_PG_PORT"} | (env or {})
    done = subprocess.run(
        ["sh", str(SCRIPT), *args], capture_output=True, text=True, check=True, env=env
    )
    return done.stdout.strip()


@pytest.mark.slow
def test_two_runs_start_two_servers_and_each_stops_its_own() -> None:
    if not list(Path("/usr/lib/postgresql").glob("*/bin/initdb")):
        pytest.skip("no PostgreSQL server binaries")
    psycopg = pytest.importorskip("psycopg")
    # Where the servers keep their data: a folder the test chose (else /dev/shm or TMPDIR).
    # (Not under tmp_path: the server's user must reach it, and pytest's folders are
    # owner-only.)
    folder = Path(tempfile.mkdtemp(prefix="pcrm-pg-servers-"))
    folder.chmod(0o777)
    env = {"PRIVACYCRM_TEST_PG_DIR": str(folder)}
    first = _script("start", env=env)
    second = _script("start", env=env)
    try:
        ports = {make_url(first).port, make_url(second).port}
        assert len(ports) == 2
        for url in (first, second):
            with psycopg.connect(url) as conn:
                assert conn.execute("SELECT 1").fetchone() == (1,)
        assert {p.name for p in folder.iterdir()} == {f"privacycrm-pgtest-{p}" for p in ports}
    finally:
        for url in (first, second):
            _script("stop", str(make_url(url).port), env=env)
    assert list(folder.iterdir()) == []
    folder.rmdir()


def test_the_server_keeps_its_data_in_memory_where_the_machine_has_it(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PRIVACYCRM_TEST_PG_DIR"}
    shm = Path("/dev/shm")
    expected = str(shm) if shm.is_dir() and os.access(shm, os.W_OK) else env.get("TMPDIR", "/tmp")
    done = subprocess.run(
        ["sh", str(SCRIPT), "basedir"], capture_output=True, text=True, check=True, env=env
    )
    assert done.stdout.strip() == expected
    assert _script("basedir", env={"PRIVACYCRM_TEST_PG_DIR": str(tmp_path)}) == str(tmp_path)
