"""``privacycrm-cli user ...`` administration and ``verify-audit`` on a tampered trail."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from privacycrm_desktop.cli import main
from privacycrm_desktop.i18n import set_language
from privacycrm_desktop.persistence.sqlite_driver import sqlite3

PASSWORD = "owner-password-1"
NEW_PASSWORD = "office-password-1"
INIT = ["init", "--owner", "owner", "--company", "Acme BV", "--address", "Markt 1, 9000 Gent"]
COLUMNS = ("at", "actor", "action", "entity", "entity_id", "detail", "prev_hash", "hash")


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    monkeypatch.setenv("PRIVACYCRM_PASSWORD", PASSWORD)
    monkeypatch.setenv("PRIVACYCRM_NEW_PASSWORD", NEW_PASSWORD)
    monkeypatch.setenv("PRIVACYCRM_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("LANG", "C.UTF-8")
    yield
    set_language("en")


def run(
    capsys: pytest.CaptureFixture[str], db: Path, *argv: str, user: str | None = "owner"
) -> tuple[int, str, str]:
    args = ["--db", str(db)] + (["--user", user] if user else []) + list(argv)
    try:
        code = main(args)
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def db(backend: str, db_url: str, capsys: pytest.CaptureFixture[str]) -> Path:
    path = Path(db_url) if backend == "sqlite" else db_url
    assert run(capsys, path, *INIT, user=None)[0] == 0
    code, out, err = run(
        capsys, path, "user", "add", "anna", "--role", "office", "--format", "json"
    )
    assert code == 0, err
    assert json.loads(out)["id"] == 2
    return path


def _users(capsys: pytest.CaptureFixture[str], db: Path) -> dict[str, dict[str, object]]:
    code, out, err = run(capsys, db, "user", "list", "--format", "json")
    assert code == 0, err
    return {u["username"]: u for u in json.loads(out)}


def test_user_administration(
    capsys: pytest.CaptureFixture[str], db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run(capsys, db, "user", "deactivate", "anna")[:2] == (0, "OK\n")
    assert _users(capsys, db)["anna"]["active"] is False
    monkeypatch.setenv("PRIVACYCRM_PASSWORD", NEW_PASSWORD)
    code, _out, err = run(capsys, db, "contacts", "list", user="anna")
    assert code == 1
    assert "Sign-in failed" in err
    monkeypatch.setenv("PRIVACYCRM_PASSWORD", PASSWORD)
    assert run(capsys, db, "user", "reactivate", "anna")[0] == 0
    monkeypatch.setenv("PRIVACYCRM_NEW_PASSWORD", "yet another password")
    assert run(capsys, db, "user", "reset-password", "anna")[0] == 0
    if not isinstance(db, Path):  # the server: the old password's sign-ins are over
        # (pcrm_bar_login bars the login role until then)
        import pg_support

        pg_support.end_login_bar(str(db), "anna")
    code, out, _err = run(capsys, db, "user", "role", "anna", "sales", "--format", "json")
    assert (code, json.loads(out)) == (0, {"username": "anna", "role": "sales"})
    assert _users(capsys, db)["anna"]["role"] == "sales"
    monkeypatch.setenv("PRIVACYCRM_PASSWORD", "yet another password")
    assert run(capsys, db, "contacts", "list", user="anna")[0] == 0
    # Sales may not administer users.
    code, _out, err = run(capsys, db, "user", "deactivate", "owner", user="anna")
    assert code == 1
    assert "role does not allow" in err


def test_the_last_owner_stays(capsys: pytest.CaptureFixture[str], db: Path) -> None:
    for argv in (["user", "role", "owner", "office"], ["user", "deactivate", "owner"]):
        code, out, err = run(capsys, db, *argv)
        assert code == 1
        assert out == ""
        assert len(err.strip().splitlines()) == 1
    assert "last active owner" in run(capsys, db, "user", "role", "owner", "office")[2]
    code, _out, err = run(capsys, db, "user", "role", "nobody", "office")
    assert (code, "No user named nobody.") == (1, err.split(": ", 1)[1].strip())


@pytest.mark.sqlite_only  # tampers with the file through sqlite3
def test_verify_audit_names_every_tampered_or_deleted_event(
    capsys: pytest.CaptureFixture[str], db: Path
) -> None:
    assert run(capsys, db, "verify-audit")[:2] == (0, "OK\n")
    conn = sqlite3.connect(db)
    try:
        ids = [r[0] for r in conn.execute("SELECT id FROM audit_event ORDER BY id")]
        assert len(ids) >= 3
        for event_id in ids:
            for column in COLUMNS:
                (old,) = conn.execute(
                    f"SELECT {column} FROM audit_event WHERE id = ?", (event_id,)
                ).fetchone()
                new = ("y" if old[-1:] == "x" else "x") + old[1:]
                conn.execute(f"UPDATE audit_event SET {column} = ? WHERE id = ?", (new, event_id))
                conn.commit()
                code, out, err = run(capsys, db, "verify-audit", "--format", "json")
                assert code == 1, (event_id, column)
                report = json.loads(out)
                # Issue 15 added anchor keys; these two keep their meaning.
                assert (report["ok"], report["first_bad_event"]) == (False, event_id)
                assert f"event {event_id}." in err
                conn.execute(f"UPDATE audit_event SET {column} = ? WHERE id = ?", (old, event_id))
                conn.commit()
        row = conn.execute("SELECT * FROM audit_event WHERE id = ?", (ids[1],)).fetchone()
        conn.execute("DELETE FROM audit_event WHERE id = ?", (ids[1],))
        conn.commit()
        code, out, err = run(capsys, db, "verify-audit")
        assert code == 1
        assert f"event {ids[2]}." in err
        conn.execute(f"INSERT INTO audit_event VALUES ({', '.join('?' * len(row))})", row)
        conn.commit()
    finally:
        conn.close()
    assert run(capsys, db, "verify-audit")[:2] == (0, "OK\n")


def test_verify_audit_names_the_anchor_that_caught_a_truncation(
    capsys: pytest.CaptureFixture[str], db: Path, backend: str
) -> None:
    """Issue 15: deleting the newest event and the ``audit.head`` row (two plain DELETEs)
    passed ``verify-audit`` on main; the anchors outside the audit table now catch it."""
    from sqlalchemy import text

    from privacycrm_desktop.persistence.database import create_engine_for

    engine = create_engine_for(str(db))
    try:
        with engine.begin() as conn:
            conn.execute(
                text("DELETE FROM audit_event WHERE id = (SELECT max(id) FROM audit_event)")
            )
            conn.execute(text("DELETE FROM setting WHERE key = 'audit.head'"))
    finally:
        engine.dispose()
    code, out, err = run(capsys, db, "verify-audit", "--format", "json")
    assert code == 1
    report = json.loads(out)
    assert report["ok"] is False
    assert report["first_bad_event"] is None
    kinds = {(p["anchor"], p["kind"]) for p in report["anchor_problems"]}
    assert ("server" if backend == "postgresql" else "file", "removed") in kinds
    assert "events were removed" in err
    assert ("server's anchor table" if backend == "postgresql" else "anchor file") in err


def test_verify_audit_after_demo(capsys: pytest.CaptureFixture[str], db: Path) -> None:
    """The demo records its event through a session of its own: it reaches the anchor
    file, so a demo database is not reported as holding events PrivacyCRM did not write."""
    code, _out, err = run(capsys, db, "demo", "--count", "20")
    assert code == 0, err
    code, out, err = run(capsys, db, "verify-audit")
    assert (code, out) == (0, "OK\n"), err


def _raw_sql(db: Path, *statements: str) -> None:
    from sqlalchemy import text

    from privacycrm_desktop.persistence.database import create_engine_for

    engine = create_engine_for(str(db))
    try:
        with engine.begin() as conn:
            for statement in statements:
                conn.execute(text(statement))
    finally:
        engine.dispose()


@pytest.mark.parametrize("wipe", [False, True])
def test_verify_audit_still_fails_after_the_app_reuses_the_deleted_numbers(
    capsys: pytest.CaptureFixture[str], db: Path, backend: str, wipe: bool
) -> None:
    """The newest event (or every event) and the head row deleted, then as many ordinary
    actions as events deleted: the anchor file still names what was removed."""
    if wipe:
        _raw_sql(db, "DELETE FROM audit_event", "DELETE FROM setting WHERE key = 'audit.head'")
    else:
        _raw_sql(
            db,
            "DELETE FROM audit_event WHERE id = (SELECT max(id) FROM audit_event)",
            "DELETE FROM setting WHERE key = 'audit.head'",
        )
    assert run(capsys, db, "verify-audit")[0] == 1
    code, _out, err = run(capsys, db, "user", "add", "bert", "--role", "office")
    assert code == 0, err
    code, out, err = run(capsys, db, "verify-audit", "--format", "json")
    assert code == 1, out
    report = json.loads(out)
    assert report["first_bad_event"] is None
    from_file = [p for p in report["anchor_problems"] if p["anchor"] == "file"]
    assert from_file, report
    assert "anchor file" in err
