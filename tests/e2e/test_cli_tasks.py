"""``privacycrm-cli task add|list|done|assign|my-day`` on SQLite and PostgreSQL, as a script
uses them: ids printed, JSON documents, exit codes, and the field matrix in JSON."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from helpers.cli import PASSWORD
from privacycrm_desktop.cli import main
from privacycrm_desktop.i18n import set_language

INIT = ["init", "--owner", "owner", "--company", "Acme BV", "--address", "Markt 1, 9000 Gent"]
SOURCE = ["--source-kind", "business_card", "--source", "Trade fair Gent"]


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    monkeypatch.setenv("PRIVACYCRM_PASSWORD", PASSWORD)
    monkeypatch.setenv("PRIVACYCRM_NEW_PASSWORD", PASSWORD)
    monkeypatch.setenv("PRIVACYCRM_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("LANG", "C.UTF-8")
    yield
    set_language("en")


def run(
    capsys: pytest.CaptureFixture[str], db: Path | str, *argv: str, user: str | None = "owner"
) -> tuple[int, str, str]:
    args = ["--db", str(db)] + (["--user", user] if user else []) + list(argv)
    try:
        code = main(args)
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def run_json(
    capsys: pytest.CaptureFixture[str], db: Path | str, *argv: str, user: str = "owner"
) -> Any:
    code, out, err = run(capsys, db, *argv, "--format", "json", user=user)
    assert code == 0, err
    document = json.loads(out)
    assert isinstance(document, dict)
    return document


@pytest.fixture
def db(capsys: pytest.CaptureFixture[str], backend: str, db_url: str) -> Path | str:
    target: Path | str = Path(db_url) if backend == "sqlite" else db_url
    code, _out, err = run(capsys, target, *INIT, user=None)
    assert code == 0, err
    run_json(
        capsys, target, "contacts", "add", "--first-name", "Jan", "--last-name", "Peeters", *SOURCE
    )
    for name, role in (("sara", "sales"), ("olga", "office"), ("reader", "read_only")):
        code, _out, err = run(capsys, target, "user", "add", name, "--role", role)
        assert code == 0, err
    return target


def test_tasks_are_added_listed_ticked_off_and_handed_on(
    capsys: pytest.CaptureFixture[str], db: Path | str
) -> None:
    today = dt.date.today()
    late = (today - dt.timedelta(days=2)).isoformat()
    code, out, err = run(
        capsys, db, "task", "add", "Call Jan back", "--due", f"{late} 09:30", "--contact", "1"
    )
    assert code == 0, err
    first = int(out.strip())
    second = run_json(
        capsys, db, "task", "add", "--title", "Order paper", "--assignee", "sara", "--details", "A4"
    )["id"]
    listed = run_json(capsys, db, "task", "list")["tasks"]
    assert [t["id"] for t in listed] == [first, second]  # dated first
    assert listed[0]["due_on"] == late
    assert listed[0]["due_time"] == "09:30"
    assert listed[0]["contact"] == "Peeters, Jan"
    assert listed[1]["assignee"] == "sara"
    mine = run_json(capsys, db, "task", "list", "--mine")["tasks"]
    assert [t["id"] for t in mine] == [first]
    overdue = run_json(capsys, db, "task", "list", "--overdue")["tasks"]
    assert [t["id"] for t in overdue] == [first]
    day = run_json(capsys, db, "task", "my-day")
    assert [(i["task_id"], i["group"]) for i in day["items"]] == [(first, "overdue")]
    assert run_json(capsys, db, "task", "done", str(first)) == {"id": first, "done": True}
    assert run_json(capsys, db, "task", "list")["tasks"][0]["id"] == second
    everything = run_json(capsys, db, "task", "list", "--all")["tasks"]
    assert [t["id"] for t in everything] == [second, first]
    assert everything[1]["done_by"] == "owner"
    assert run_json(capsys, db, "task", "done", str(first), "--undo")["done"] is False
    run_json(capsys, db, "task", "assign", str(first), "olga")
    theirs = run_json(capsys, db, "task", "list", "--mine", user="olga")["tasks"]
    assert [t["id"] for t in theirs] == [first]
    code, out, _err = run(capsys, db, "task", "list")
    assert "Call Jan back" in out
    assert "Peeters, Jan" in out


def test_bad_input_is_refused_with_one_line(
    capsys: pytest.CaptureFixture[str], db: Path | str
) -> None:
    for argv in (
        ("task", "add", ""),
        ("task", "add", "x", "--due", "tomorrow"),
        ("task", "add", "x", "--assign", "nobody"),
        ("task", "add", "x", "--contact", "99"),
        ("task", "done", "99"),
        ("task", "add"),
    ):
        code, out, err = run(capsys, db, *argv)
        assert code == 1, argv
        assert out == ""
        assert len(err.strip().splitlines()) == 1, (argv, err)
    code, _out, _err = run(capsys, db, "task", "add", "x", "--contact", "1", "--company", "1")
    assert code == 2
    code, _out, err = run(capsys, db, "task", "add", "x", user="reader")
    assert code == 1
    assert run_json(capsys, db, "task", "list", "--all") == {"tasks": []}


@pytest.mark.parametrize("command", ["", "add", "list", "done", "assign", "my-day"])
def test_help_on_every_task_command(capsys: pytest.CaptureFixture[str], command: str) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["task", *([command] if command else []), "--help"])
    assert exc.value.code == 0
    assert "usage:" in capsys.readouterr().out


def test_assigning_a_task_keeps_the_user_who_signs_in() -> None:
    # Seen from outside: the positional USER overwrote the global --user, so the assignee
    # signed in (and a wrong password counted against their account).
    from privacycrm_desktop.cli.parser import build_parser

    args = build_parser().parse_args(["--user", "owner", "task", "assign", "5", "olga"])
    assert (args.user, args.assignee, args.id) == ("owner", "olga", 5)
