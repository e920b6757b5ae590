"""``cleanup --dry-run|--apply`` and ``erase ID --reason TEXT`` through the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

from privacycrm_desktop.persistence.sqlite_driver import sqlite3

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
    assert empty == {
        "dry_run": True,
        "by_action": {},
        "by_reason": {},
        "skipped": 0,
        "total": 0,
        "scrub": "not needed",  # nothing was erased, so nothing scrubbed
        "companies_without_people": [],
        "values_erased": 0,
        "expired_values": [],
    }
    _expire(ready, 1, "customer_relationship")
    dry = run_json(capsys, ready, "cleanup", "--dry-run")
    assert dry["by_action"] == {"anonymise": 1}
    assert dry["by_reason"] == {"customer_relationship": 1}
    assert dry["scrub"] == "not needed"  # a dry run erases nothing: it said "done"
    applied = run_json(capsys, ready, "cleanup", "--apply")
    assert applied["dry_run"] is False
    assert applied["total"] == 1
    assert applied["scrub"] == "done"  # the anonymised contact's data left the files
    assert run_json(capsys, ready, "cleanup", "--apply")["scrub"] == "not needed"
    assert run_json(capsys, ready, "cleanup", "--dry-run")["total"] == 0
    code, _out, err = run(capsys, ready, "cleanup")
    assert code == 2
    assert "--dry-run" in err


def test_erase_one_contact(capsys: pytest.CaptureFixture[str], ready: Path) -> None:
    assert run_json(capsys, ready, "erase", "1", "--reason", "erasure_request") == {
        "id": 1,
        "erased": True,
        "anonymised": False,
        "scrub": "done",
    }
    code, _out, err = run(capsys, ready, "erase", "1", "--reason", "again")
    assert code == 1
    assert err.strip()
    code, _out, err = run(capsys, ready, *ZOE, *SOURCE, "2024-05-01")
    assert code == 1
    assert "forgotten" in err


def test_erase_refuses_free_text_reason(capsys: pytest.CaptureFixture[str], ready: Path) -> None:
    """Issue 16: "asked to be forgotten" was read as "other" and suppressed nothing."""
    code, out, err = run(capsys, ready, "erase", "1", "--reason", "asked to be forgotten")
    assert code == 1
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    for valid in ("erasure_request", "objection", "retention_expired", "other"):
        assert valid in err
    # Nothing was erased: the contact is still there and can be erased with a valid code.
    assert run_json(capsys, ready, "erase", "1", "--reason", "Erasure request")["erased"] is True
    code, _out, err = run(capsys, ready, *ZOE, *SOURCE, "2024-05-01")
    assert code == 1
    assert "forgotten" in err


def test_reconfirm_months_is_shown_and_set(capsys: pytest.CaptureFixture[str], ready: Path) -> None:
    """Issue 16: the re-confirmation horizon of consents is configurable (default 24)."""
    assert run_json(capsys, ready, "reconfirm-months") == {"reconfirm_months": 24}
    changed = run_json(capsys, ready, "reconfirm-months", "12")
    assert changed["reconfirm_months"] == 12
    assert run_json(capsys, ready, "reconfirm-months") == {"reconfirm_months": 12}
    for wrong in ("0", "-5", "121", "twelve"):
        # A number the command cannot take is a usage error, naming the argument.
        code, _out, err = run(capsys, ready, "reconfirm-months", wrong)
        assert code == 2
        assert "months" in err.splitlines()[-1]
        assert "--reconfirm-months" not in err
    assert run_json(capsys, ready, "reconfirm-months") == {"reconfirm_months": 12}


def _on_disk(path: Path, needle: bytes) -> list[str]:
    """Which of the database files hold *needle* (a byte search, as a forensic tool would)."""
    files = [path, Path(f"{path}-wal")]
    return [f.name for f in files if f.exists() and needle in f.read_bytes()]


@pytest.mark.sqlite_only  # holds a read snapshot through sqlite3
def test_erase_with_a_reader_open_says_pending_then_finishes(
    capsys: pytest.CaptureFixture[str], ready: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 16: with another connection holding a read snapshot the WAL checkpoint failed
    silently and ``erase`` said OK while the person was still in the files."""
    monkeypatch.setenv("PRIVACYCRM_BUSY_TIMEOUT_MS", "300")
    email = b"zoe@example.be"
    assert _on_disk(ready, email)
    reader = sqlite3.connect(ready)
    reader.execute("BEGIN")
    assert reader.execute("SELECT count(*) FROM contact").fetchone() == (1,)
    try:
        document = run_json(capsys, ready, "erase", "1", "--reason", "erasure_request")
        assert document["erased"] is True
        assert document["scrub"] == "pending"
        assert _on_disk(ready, email)  # it really is still there
        code, _out, _err = run(capsys, ready, "contacts", "list")
        assert code == 0
        assert _on_disk(ready, email)
    finally:
        reader.rollback()
        reader.close()
    # The next command finishes the scrub.
    code, _out, err = run(capsys, ready, "contacts", "list")
    assert code == 0, err
    assert _on_disk(ready, email) == []
    with sqlite3.connect(ready) as conn:
        marker = conn.execute(
            "SELECT count(*) FROM setting WHERE key = 'erasure.scrub_pending'"
        ).fetchone()
    conn.close()
    assert marker == (0,)


@pytest.mark.sqlite_only
def test_erase_text_says_pending_not_ok(
    capsys: pytest.CaptureFixture[str], ready: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PRIVACYCRM_BUSY_TIMEOUT_MS", "300")
    reader = sqlite3.connect(ready)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM contact").fetchone()
    try:
        code, out, err = run(capsys, ready, "erase", "1", "--reason", "erasure_request")
    finally:
        reader.rollback()
        reader.close()
    assert code == 0, err
    assert "OK" not in out
    assert "pending" in out.lower()


@pytest.mark.sqlite_only  # ages contacts through sqlite3
def test_cleanup_by_tag_only_or_except_the_tagged(
    capsys: pytest.CaptureFixture[str], ready: Path
) -> None:
    for first in ("An", "Bo"):
        added = run_json(
            capsys, ready, "contacts", "add", "--first-name", first, "--last-name", "Maes",
            *SOURCE, "2024-05-01",
        )  # fmt: skip
        _expire(ready, added["id"], "prospect")
    _expire(ready, 1, "prospect")
    assert run_json(capsys, ready, "tag", "add", "Dispute", "2") == {"id": 1, "added": 1}
    kept = run_json(capsys, ready, "cleanup", "--dry-run", "--except-tag", "Dispute")
    assert (kept["total"], kept["skipped"]) == (2, 1)
    only = run_json(capsys, ready, "cleanup", "--apply", "--tag", "Dispute")
    assert (only["total"], only["skipped"]) == (1, 2)
    with sqlite3.connect(ready) as conn:
        left = [r[0] for r in conn.execute("SELECT id FROM contact ORDER BY id")]
    conn.close()
    assert left == [1, 3]
    code, _out, err = run(capsys, ready, "cleanup", "--dry-run", "--tag", "Nonesuch")
    assert code != 0
    assert "Nonesuch" in err
