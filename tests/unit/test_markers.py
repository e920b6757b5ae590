"""Each test is marked by its folder, and by ``postgresql`` where it runs on the server; the
long modules are collected first."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PYTEST = [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"]

#: A plugin for the collecting run: prints each collected test with the names of its marks.
_PLUGIN = """
def pytest_collection_finish(session):
    for item in session.items:
        names = sorted({mark.name for mark in item.iter_markers()})
        print("MARKS", item.nodeid, ",".join(names))
"""


def _collected(tmp_path: Path, *paths: str) -> dict[str, set[str]]:
    """Each test under *paths* with its marks, as a separate pytest run collects them."""
    (tmp_path / "print_marks.py").write_text(_PLUGIN, encoding="utf-8")
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")]),
    }
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--collect-only",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "print_marks",
            *paths,
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        check=False,
    )
    marks = {}
    for line in done.stdout.splitlines():
        if line.startswith("MARKS "):
            _tag, nodeid, *names = line.split(" ")
            marks[nodeid] = set(",".join(names).split(",")) - {""}
    assert marks, done.stdout + done.stderr
    return marks


@pytest.mark.slow
def test_folders_and_the_server_give_their_markers(tmp_path: Path) -> None:
    ui, e2e = "tests/ui/test_keyboard.py", "tests/e2e/test_cli_i18n.py"
    services = "tests/unit/services/test_contact_ids.py"
    marks = _collected(tmp_path, ui, e2e, services)
    of = {
        path: [m for node, m in marks.items() if node.startswith(path)]
        for path in (ui, e2e, services)
    }
    assert of[ui]
    assert all("ui" in m and "e2e" not in m for m in of[ui])
    assert of[e2e]
    assert all("e2e" in m and "ui" not in m for m in of[e2e])
    assert of[services]
    assert not any({"ui", "e2e"} & m for m in of[services])
    on_server = [
        node for node, m in marks.items() if node.startswith(services) and "postgresql" in m
    ]
    assert 0 < len(on_server) < len(of[services])
    assert all("[postgresql" in node for node in on_server)
    # The long modules come first, whatever order the paths were given in: the test
    # processes take whole modules in this order (see pytest_collection_modifyitems).
    order = [next(p for p in (ui, e2e, services) if node.startswith(p)) for node in marks]
    assert order == sorted(order, key=lambda path: path != e2e)
    assert order[0] == e2e
