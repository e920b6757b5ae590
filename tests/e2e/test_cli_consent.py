"""``consent record``, ``unsubscribe`` and ``marketing list`` as outside checks use them."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from privacycrm_desktop.cli import main
from privacycrm_desktop.i18n import set_language

PASSWORD = "owner-password-1"
INIT = ["init", "--owner", "owner", "--company", "Acme BV", "--address", "Markt 1, 9000 Gent"]
NEWSLETTER = "direct_marketing_consent"


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    monkeypatch.setenv("PRIVACYCRM_PASSWORD", PASSWORD)
    monkeypatch.setenv("PRIVACYCRM_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("LANG", "C.UTF-8")
    yield
    set_language("en")


def run(capsys: pytest.CaptureFixture[str], db: Path, *argv: str) -> tuple[int, str, str]:
    try:
        code = main(["--db", str(db), "--user", "owner", *argv])
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def db(backend: str, db_url: str, capsys: pytest.CaptureFixture[str]) -> Path:
    path = Path(db_url) if backend == "sqlite" else db_url
    assert run(capsys, path, *INIT)[0] == 0
    for first, email, phone in (
        ("Zoë", "zoe@example.be", "0475 12 34 56"),
        ("=cmd", "jan@example.be", "0475 65 43 21"),
    ):
        code, _out, err = run(
            capsys,
            path,
            "contacts",
            "add",
            "--first-name",
            first,
            "--last-name",
            "Lefèvre",
            "--email",
            email,
            "--phone",
            phone,
            "--relationship",
            "customer",
            "--source-kind",
            "sale",
            "--source",
            "Shop Gent",
        )
        assert code == 0, err
    return path


def record(capsys: pytest.CaptureFixture[str], db: Path, *extra: str) -> tuple[int, str, str]:
    return run(capsys, db, "consent", "record", *extra)


def test_consent_record_prints_the_new_id(capsys: pytest.CaptureFixture[str], db: Path) -> None:
    code, out, err = record(
        capsys,
        db,
        "1",
        "--purpose",
        NEWSLETTER,
        "--channel",
        "email",
        "--status",
        "opt-in",
        "--method",
        "form_box_ticked",
        "--evidence",
        "web form 4711",
        "--format",
        "json",
    )
    assert code == 0, err
    assert isinstance(json.loads(out)["id"], int)
    code, out, _err = record(
        capsys,
        db,
        "2",
        "--purpose",
        "direct_marketing_soft_opt_in",
        "--channel",
        "email",
        "--status",
        "soft-opt-in",
        "--method",
        "sale",
        "--evidence",
        "invoice 17",
        "--category",
        "coffee",
        "--opt-out-offered",
        "--statement-version",
        "1",
    )
    assert code == 0
    assert out.strip().isdigit()


def test_consent_record_refuses_with_one_line(capsys: pytest.CaptureFixture[str], db: Path) -> None:
    code, out, err = record(
        capsys,
        db,
        "1",
        "--purpose",
        NEWSLETTER,
        "--channel",
        "email",
        "--status",
        "opt-in",
        "--method",
        "form_box_ticked",
        "--evidence",
        "",
    )
    assert code == 1
    assert out == ""
    assert "--evidence" in err
    assert len(err.strip().splitlines()) == 1
    code, _out, err = record(
        capsys,
        db,
        "1",
        "--purpose",
        NEWSLETTER,
        "--channel",
        "fax",
        "--status",
        "opt-in",
        "--method",
        "form_box_ticked",
        "--evidence",
        "x",
    )
    assert code == 2
    code, _out, err = record(
        capsys,
        db,
        "99",
        "--purpose",
        NEWSLETTER,
        "--channel",
        "email",
        "--status",
        "opt-out",
        "--method",
        "verbal_phone",
    )
    assert code == 1


def test_marketing_list_json_csv_and_unsubscribe(
    capsys: pytest.CaptureFixture[str], db: Path, tmp_path: Path
) -> None:
    for contact in ("1", "2"):
        code, _out, err = record(
            capsys,
            db,
            contact,
            "--purpose",
            NEWSLETTER,
            "--channel",
            "email",
            "--status",
            "opt-in",
            "--method",
            "signed_paper",
            "--evidence",
            "paper",
        )
        assert code == 0, err
    listing = ["marketing", "list", "--purpose", NEWSLETTER, "--channel", "email"]
    code, out, err = run(capsys, db, *listing, "--format", "json")
    assert code == 0, err
    document = json.loads(out)
    assert {c["id"] for c in document["contacts"]} == {1, 2}
    assert {c["reason"] for c in document["contacts"]} == {"opted_in"}
    assert document["excluded"] == {}

    target = tmp_path / "list.csv"
    code, _out, err = run(capsys, db, *listing, "--out", str(target), "--recipient", "Mail BV")
    assert code == 0, err
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert "'=cmd" in [cell for row in rows for cell in row]

    code, out, err = run(capsys, db, "unsubscribe", "1", "--format", "json")
    assert code == 0, err
    assert json.loads(out)["opt_outs"] == 8
    code, out, _err = run(capsys, db, *listing, "--format", "json")
    document = json.loads(out)
    assert [c["first_name"] for c in document["contacts"]] == ["=cmd"]
    assert document["excluded"] == {"suppressed": 1}

    code, _out, err = run(
        capsys,
        db,
        "marketing",
        "list",
        "--purpose",
        "direct_marketing_soft_opt_in",
        "--channel",
        "email",
    )
    assert code == 1
    assert "--category" in err


def test_help_names_the_options(capsys: pytest.CaptureFixture[str], db: Path) -> None:
    code, out, _err = run(capsys, db, "marketing", "list", "--help")
    assert code == 0
    for option in ("--purpose", "--channel", "--category", "--format", "--out"):
        assert option in out
