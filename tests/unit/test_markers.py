"""Each test is marked by its folder, and by ``postgresql`` where it runs on the server."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PYTEST = [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"]


def _selected(marker: str, *paths: str) -> int:
    done = subprocess.run(
        [*PYTEST, "-m", marker, *paths],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    counted = [line for line in done.stdout.splitlines() if "::" in line]
    return len(counted)


@pytest.mark.slow
def test_folders_and_the_server_give_their_markers() -> None:
    ui, e2e = "tests/ui/test_keyboard.py", "tests/e2e/test_cli_i18n.py"
    services = "tests/unit/services/test_contact_ids.py"
    assert _selected("ui", ui) > 0
    assert _selected("not ui", ui) == 0
    assert _selected("e2e", e2e) > 0
    assert _selected("not e2e", e2e) == 0
    assert _selected("ui or e2e", services) == 0
    both = _selected("not ui", services)
    on_server = _selected("postgresql", services)
    assert 0 < on_server < both
