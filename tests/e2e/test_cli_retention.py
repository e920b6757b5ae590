"""``cleanup --dry-run|--apply`` and ``erase ID --reason TEXT`` through the CLI."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from .test_cli import INIT, SOURCE, ZOE, _env, db, run, run_json  # noqa: F401 (fixtures: the autouse environment, the file)


@pytest.fixture
def ready(capsys: pytest.CaptureFixture[str], db: Path) -> Path:  # noqa: F811 (fixture)
    """An initialised database with Zoë in it."""
    code, _out, err = run(capsys, db, *INIT, user=None)
    assert code == 0, err
    assert run_json(capsys, db, *ZOE, *SOURCE, "2024-05-01") == {"id": 1}
    return db


def _expire(path: Path, contact_id: int, reason: str) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute(
            "UPDATE contact SET keep_until = '2001-01-01', keep_reason = ? WHERE id = ?",
            (reason, contact_id),
        )
    conn.close()


@pytest.mark.sqlite_only  # ages contacts through sqlite3
def test_cleanup_dry_run_then_apply(capsys: pytest.CaptureFixture[str], ready: Path) -> None:
    empty = run_json(capsys, ready, "cleanup", "--dry-run")
    assert empty == {"dry_run": True, "by_action": {}, "by_reason": {}, "skipped": 0, "total": 0}
    _expire(ready, 1, "customer_relationship")
    dry = run_json(capsys, ready, "cleanup", "--dry-run")
    assert dry["by_action"] == {"anonymise": 1}  # type: ignore[index]
    assert dry["by_reason"] == {"customer_relationship": 1}  # type: ignore[index]
    applied = run_json(capsys, ready, "cleanup", "--apply")
    assert applied["dry_run"] is False  # type: ignore[index]
    assert applied["total"] == 1  # type: ignore[index]
    assert run_json(capsys, ready, "cleanup", "--dry-run")["total"] == 0  # type: ignore[index]
    code, _out, err = run(capsys, ready, "cleanup")
    assert code == 2
    assert "--dry-run" in err


def test_erase_one_contact(capsys: pytest.CaptureFixture[str], ready: Path) -> None:
    assert run_json(capsys, ready, "erase", "1", "--reason", "erasure_request") == {
        "id": 1,
        "erased": True,
        "anonymised": False,
        "cleaned": True,
    }
    code, _out, err = run(capsys, ready, "erase", "1", "--reason", "again")
    assert code == 1
    assert err.strip()
    code, _out, err = run(capsys, ready, *ZOE, *SOURCE, "2024-05-01")
    assert code == 1
    assert "forgotten" in err
