"""The suite's throw-away PostgreSQL server: each run its own, on a free port."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

SCRIPT = Path(__file__).resolve().parents[2] / "tools" / "pg-test-server.sh"


def _script(*args: str) -> str:
    env = {k: v for k, v in os.environ.items() if k != "PRIVACYCRM_TEST_PG_PORT"}
    done = subprocess.run(
        ["sh", str(SCRIPT), *args], capture_output=True, text=True, check=True, env=env
    )
    return done.stdout.strip()


@pytest.mark.slow
def test_two_runs_start_two_servers_and_each_stops_its_own() -> None:
    if not list(Path("/usr/lib/postgresql").glob("*/bin/initdb")):
        pytest.skip("no PostgreSQL server binaries")
    psycopg = pytest.importorskip("psycopg")
    first = _script("start")
    second = _script("start")
    try:
        ports = {make_url(first).port, make_url(second).port}
        assert len(ports) == 2
        for url in (first, second):
            with psycopg.connect(url) as conn:
                assert conn.execute("SELECT 1").fetchone() == (1,)
    finally:
        for url in (first, second):
            _script("stop", str(make_url(url).port))
    temp = Path(os.environ.get("TMPDIR") or "/tmp")
    for port in ports:
        assert not (temp / f"privacycrm-pgtest-{port}").exists()
