"""The test commands end, with an error, when a test crashes its worker process.

README: "a test worker that crashes ends the run rather than hanging it". After a crash
pytest-xdist replaces the worker, and with ``--dist loadfile`` the run was seen to hang with
both workers idle until CI's time limit; ``--max-worker-restart=0`` stops it instead.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CRASHING_TEST = """
import os


def test_crashes_its_worker():
    os.abort()
"""


SLOW_TEST = """
import time


def test_takes_a_while():
    time.sleep(0.5)
"""


def _pytest_options(target: str) -> list[str]:
    """The options of the pytest command under Makefile target *target* (its number of
    workers as on two cores)."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    block = re.search(rf"^{target}:.*?(?=^\S|\Z)", makefile, re.S | re.M)
    assert block is not None, target
    command = re.search(r"-m pytest (.*?)(?:\\\n|$)", block.group(0), re.M)
    assert command is not None, target
    return [{"$(WORKERS)": "3"}.get(option, option) for option in command.group(1).split()]


@pytest.mark.slow
def test_a_crashed_worker_ends_the_run_with_an_error(tmp_path: Path) -> None:
    for target in ("pytest", "check"):
        assert "--max-worker-restart=0" in _pytest_options(target), target
    (tmp_path / "test_a_crash.py").write_text(CRASHING_TEST, encoding="utf-8")
    for number in range(4):  # work left for the crashed worker's replacement
        (tmp_path / f"test_b_slow{number}.py").write_text(SLOW_TEST, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", *_pytest_options("pytest"), "-p", "no:cacheprovider"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode != 0
    assert "worker restarting disabled" in done.stdout


def test_make_test_runs_one_process_more_than_there_are_cores() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^WORKERS \?= .*nproc.*\+ 1", makefile, re.M)
    assert "-n $(WORKERS)" in makefile
