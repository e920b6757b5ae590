"""``privacycrm-cli activity add|list|delete`` on SQLite and PostgreSQL, as a script uses
them: ids printed, JSON documents, an attached file, an e-mail file, refusals with exit 1."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from helpers.cli import PASSWORD
from privacycrm_desktop.cli import main
from privacycrm_desktop.i18n import set_language

pytestmark = pytest.mark.real_key_costs

INIT = ["init", "--owner", "owner", "--company", "Acme BV", "--address", "Markt 1, 9000 Gent"]
SOURCE = ["--source-kind", "business_card", "--source", "Trade fair Gent"]
EML = (
    b"From: Jan Peeters <jan@example.be>\r\n"
    b"To: sales@acme.be\r\n"
    b"Subject: Vraag naar een offerte\r\n"
    b"Date: Tue, 03 Feb 2026 14:05:00 +0100\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"\r\n"
    b"Kunt u mij een prijs geven voor 3 ramen?\r\n"
)


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    monkeypatch.setenv("PRIVACYCRM_PASSWORD", PASSWORD)
    monkeypatch.setenv("PRIVACYCRM_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("LANG", "C.UTF-8")
    monkeypatch.setenv("TZ", "Europe/Brussels")
    time.tzset()  # a time typed without a zone is local: Brussels here
    yield
    monkeypatch.undo()
    time.tzset()
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


def run_json(capsys: pytest.CaptureFixture[str], db: Path | str, *argv: str) -> Any:
    code, out, err = run(capsys, db, *argv, "--format", "json")
    assert code == 0, err
    document = json.loads(out)
    assert isinstance(document, dict)
    return document


@pytest.fixture
def db(capsys: pytest.CaptureFixture[str], backend: str, db_url: str) -> Path | str:
    target: Path | str = Path(db_url) if backend == "sqlite" else db_url
    code, _out, err = run(capsys, target, *INIT, user=None)
    assert code == 0, err
    return target


def _person(capsys: pytest.CaptureFixture[str], db: Path | str) -> int:
    made = run_json(
        capsys, db, "contacts", "add", "--first-name", "Jan", "--last-name", "Peeters", *SOURCE
    )
    return int(str(made["id"]))


def test_add_list_and_delete(
    capsys: pytest.CaptureFixture[str], db: Path | str, tmp_path: Path
) -> None:
    person = _person(capsys, db)
    code, out, err = run(
        capsys, db, "activity", "add", str(person), "--kind", "call", "--summary", "Asked a quote",
        "--at", "2026-01-10T09:30",
    )  # fmt: skip
    assert code == 0, err
    call = int(out.strip())
    scan = tmp_path / "brief.pdf"
    scan.write_bytes(b"%PDF-1.4 letter")
    letter = run_json(
        capsys, db, "activity", "add", str(person), "--kind", "letter", "--summary", "Offer sent",
        "--details", "Three windows", "--attach", str(scan), "--at", "2026-01-20",
    )["id"]  # fmt: skip
    mail = tmp_path / "vraag.eml"
    mail.write_bytes(EML)
    email = run_json(capsys, db, "activity", "add", str(person), "--eml", str(mail))["id"]
    listed = run_json(capsys, db, "activity", "list", str(person))["activities"]
    assert isinstance(listed, list)
    assert [a["id"] for a in listed] == [email, letter, call]  # newest first
    by_id = {a["id"]: a for a in listed}
    assert by_id[email]["kind"] == "email"
    assert by_id[email]["summary"] == "Vraag naar een offerte"
    assert by_id[email]["occurred_at"] == "2026-02-03T13:05:00Z"
    assert "jan@example.be" in by_id[email]["details"]
    assert by_id[email]["attachment"] == "vraag.eml"
    assert by_id[call]["occurred_at"] == "2026-01-10T08:30:00Z"  # local time given
    assert by_id[letter]["attachment"] == "brief.pdf"
    assert by_id[call]["recorded_by"] == "owner"
    only_calls = run_json(capsys, db, "activity", "list", str(person), "--kind", "call")
    assert [a["id"] for a in only_calls["activities"]] == [call]
    code, out, _err = run(capsys, db, "activity", "list", str(person))
    assert "Asked a quote" in out
    assert "Call" in out
    assert run_json(capsys, db, "activity", "delete", str(letter))["deleted"] is True
    listed = run_json(capsys, db, "activity", "list", str(person))["activities"]
    assert [a["id"] for a in listed] == [email, call]


def test_refusals_exit_1_with_a_reason(
    capsys: pytest.CaptureFixture[str], db: Path | str, tmp_path: Path
) -> None:
    person = _person(capsys, db)
    base = ["activity", "add", str(person), "--kind", "visit"]
    for argv, words in (
        ([*base, "--summary", ""], "few words"),
        ([*base, "--summary", "x", "--at", "2999-01-01"], "future"),
        ([*base, "--summary", "His diabetes"], "--confirm-special"),
        (["activity", "add", str(person + 99), "--kind", "call", "--summary", "x"], ""),
        (["activity", "add", "--kind", "call", "--summary", "x"], "contact id"),
        (["activity", "list", str(person + 99)], ""),
    ):
        code, out, err = run(capsys, db, *argv)
        assert code == 1, (argv, out, err)
        assert words in err, (argv, err)
        assert err.count("\n") == 1, (argv, err)
    not_mail = tmp_path / "x.eml"
    not_mail.write_bytes(b"just some words\n")
    code, _out, err = run(capsys, db, "activity", "add", str(person), "--eml", str(not_mail))
    assert code == 1
    assert "not an e-mail" in err
    code, _out, _err = run(capsys, db, *base, "--summary", "x", "--at", "yesterday")
    assert code == 2
    assert run(capsys, db, *base, "--summary", "His diabetes", "--confirm-special")[0] == 0


def test_a_file_over_the_limit_is_refused_without_being_read_whole(
    capsys: pytest.CaptureFixture[str],
    db: Path | str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Seen from outside: --attach /dev/zero read until the memory ran out.
    person = _person(capsys, db)
    endless = tmp_path / "endless.bin"
    endless.write_bytes(b"")
    asked: list[int] = []

    class Endless(io.RawIOBase):
        def readable(self) -> bool:
            return True

        def readinto(self, buffer: Any) -> int:
            asked.append(len(buffer))
            buffer[: len(buffer)] = b"\0" * len(buffer)
            return len(buffer)

    real_open = Path.open

    def fake_open(self: Path, *args: Any, **kwargs: Any) -> Any:
        return io.BufferedReader(Endless()) if self == endless else real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", fake_open)
    argv = ["activity", "add", str(person), "--kind", "note", "--summary", "x"]
    code, _out, err = run(capsys, db, *argv, "--attach", str(endless))
    assert code == 1
    assert "larger than 10 MB" in err
    assert sum(asked) <= 12 * 1024 * 1024
