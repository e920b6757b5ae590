"""``export --format csv|vcard --out FILE --purpose TEXT --recipient TEXT [ID...]`` as outside
checks use it; ``--format json`` before the command is the global output option."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import vobject

from helpers.cli import PASSWORD, cli
from helpers.databases import prepared_on_server
from privacycrm_desktop.cli import main
from privacycrm_desktop.i18n import set_language

#: The program runs in its own processes here and signs in with the real costs, so the
#: in-process parts keep them too (a cheap hash would be rehashed at the first sign-in).
pytestmark = pytest.mark.real_key_costs

INIT = ["init", "--owner", "owner", "--company", "Acme BV", "--address", "Markt 1, 9000 Gent"]
PURPOSE = "invoicing"


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    monkeypatch.setenv("PRIVACYCRM_PASSWORD", PASSWORD)
    monkeypatch.setenv("PRIVACYCRM_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("LANG", "C.UTF-8")
    yield
    set_language("en")


def run(capsys: pytest.CaptureFixture[str], db: Path | str, *argv: str) -> tuple[int, str, str]:
    try:
        code = main(["--db", str(db), "--user", "owner", *argv])
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def db(
    backend: str, request: pytest.FixtureRequest, capsys: pytest.CaptureFixture[str]
) -> Path | str:
    """Three contacts: a file, or a URL on the server (copied from a database filled once
    per process)."""
    if backend == "postgresql":
        return prepared_on_server(request, "three exported contacts", lambda url: fill(capsys, url))
    return fill(capsys, Path(request.getfixturevalue("db_url")))


def fill(capsys: pytest.CaptureFixture[str], path: Path | str) -> Path | str:
    assert run(capsys, path, *INIT)[0] == 0
    for first, email, phone, notes in (
        ("Zoë", "zoe@example.be", "0475 12 34 56", "Line one\nline two"),
        ("=cmd", "jan@example.be", "0475 65 43 21", ""),
        ("Anne", "anne@example.be", "", ""),
    ):
        code, _out, err = run(
            capsys,
            path,
            *("contacts", "add", "--first-name", first, "--last-name", "Lefèvre"),
            *("--email", email, "--notes", notes),
            *(("--phone", phone) if phone else ()),
            *("--source-kind", "sale", "--source", "Shop Gent"),
        )
        assert code == 0, err
    return path


def export(*extra: str, fmt: str = "csv", out: Path, recipient: str = "Printer NV") -> list[str]:
    return [
        *("export", "--format", fmt, "--out", str(out)),
        *("--purpose", PURPOSE, "--recipient", recipient, *extra),
    ]


def test_export_csv_prints_the_count_and_path(
    capsys: pytest.CaptureFixture[str], db: Path, tmp_path: Path
) -> None:
    out = tmp_path / "two.csv"
    code, stdout, err = run(capsys, db, *export("1", "2", out=out))
    assert (code, err) == (0, "")
    assert stdout == f"2 contacts exported to {out}\n"
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    # Column names in the CLI's language (English here), values as stored.
    assert [r["First name"] for r in rows] == ["Zoë", "'=cmd"]
    assert rows[0]["Phone"] == "+32475123456"  # a number: nothing in it can run
    assert rows[0]["Notes"] == "Line one\nline two"


@pytest.mark.parametrize(
    "argv",
    [
        ["--format", "json", "export", "--format", "vcard"],
        ["--format", "json", "export", "--user", "owner", "--format", "vcard"],
        ["export", "--format", "vcard", "--format", "json"],
        ["export", "--format", "json", "--format", "vcard"],
    ],
    ids=["before", "global-options-after", "json-after", "json-first"],
)
def test_global_json_and_the_export_format_live_together(
    capsys: pytest.CaptureFixture[str], db: Path, tmp_path: Path, argv: list[str]
) -> None:
    out = tmp_path / "all.vcf"
    code, stdout, err = run(
        capsys,
        db,
        *argv,
        *("--out", str(out), "--purpose", PURPOSE, "--recipient", "Printer NV"),
    )
    assert code == 0, err
    document = json.loads(stdout)
    assert document["count"] == 3
    assert document["format"] == "vcard"
    assert document["path"] == str(out)
    assert document["disclosures"] == 3
    assert isinstance(document["recipient_id"], int)
    assert "notes" in document["fields"]
    cards = list(vobject.readComponents(out.read_text(encoding="utf-8")))
    assert [c.version.value for c in cards] == ["4.0"] * 3
    assert cards[0].note.value == "Line one\nline two"


def test_a_csv_profile_and_a_vcard_version_are_chosen(
    capsys: pytest.CaptureFixture[str], db: Path, tmp_path: Path
) -> None:
    out = tmp_path / "excel.csv"
    argv = export("--csv-profile", "excel-nl", "--format", "json", out=out)
    code, stdout, err = run(capsys, db, *argv)
    assert code == 0, err
    document = json.loads(stdout)
    assert (document["count"], document["format"], document["variant"]) == (3, "csv", "excel-nl")
    text = out.read_bytes().decode("utf-8-sig")
    assert text.startswith("Voornaam;Achternaam;")
    rows = list(csv.DictReader(io.StringIO(text, newline=""), delimiter=";"))
    assert (rows[0]["Voornaam"], rows[0]["Telefoon"]) == ("Zoë", "0475 12 34 56")
    out = tmp_path / "old.vcf"
    code, stdout, err = run(capsys, db, *export("--vcard-version", "3.0", fmt="vcard", out=out))
    assert code == 0, err
    cards = list(vobject.readComponents(out.read_text(encoding="utf-8")))
    assert [c.version.value for c in cards] == ["3.0"] * 3
    assert all(c.uid.value.startswith("urn:uuid:") for c in cards)
    code, _out, err = run(capsys, db, *export("--csv-profile", "lotus", out=tmp_path / "x.csv"))
    assert code == 2


def test_own_use_is_refused_in_one_line(
    capsys: pytest.CaptureFixture[str], db: Path, tmp_path: Path
) -> None:
    out = tmp_path / "sister.csv"
    code, stdout, err = run(
        capsys, db, *export("--recipient-own-use", out=out, recipient="Sister NV")
    )
    assert (code, stdout) == (1, "")
    assert err.startswith("privacycrm-cli: Refused:")
    assert len(err.strip().splitlines()) == 1
    assert not out.exists()
    # Remembered: the same recipient is refused without the flag too.
    code, _out, err = run(capsys, db, *export(out=out, recipient="Sister NV"))
    assert code == 1
    assert "Refused" in err
    code, stdout, _err = run(capsys, db, "--format", "json", "verify-audit")
    assert json.loads(stdout)["ok"] is True


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--purpose", "selling", "--recipient", "X"], "--purpose: Choose a purpose"),
        (["--purpose", PURPOSE, "--recipient", " "], "--recipient: Name the recipient."),
        (["--purpose", PURPOSE, "--recipient", "X", "1", "77"], "no contact with id 77"),
    ],
)
def test_bad_requests_fail_in_one_line_and_write_nothing(
    capsys: pytest.CaptureFixture[str], db: Path, tmp_path: Path, argv: list[str], message: str
) -> None:
    out = tmp_path / "out.csv"
    code, stdout, err = run(capsys, db, "export", "--format", "csv", "--out", str(out), *argv)
    assert (code, stdout) == (1, "")
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert not out.exists()


@pytest.mark.parametrize(
    "argv",
    [
        ["export", "--format", "xml", "--out", "x", "--purpose", PURPOSE, "--recipient", "X"],
        ["export", "--format", "csv", "--purpose", PURPOSE, "--recipient", "X"],
        ["export", "--format", "csv", "--out", "x", "--recipient", "X"],
        ["export", "--format", "csv", "--out", "x", "--purpose", PURPOSE],
        ["export", "--out", "x", "--purpose", PURPOSE, "--recipient", "X"],
        ["export", "--format", "csv", "--out", "x", "--purpose", PURPOSE, "--recipient", "X", "a"],
        [
            "export",
            "--format",
            "csv",
            "--out",
            "x",
            "--purpose",
            "p",
            "--recipient",
            "X",
            "--recipient-kind",
            "sister",
        ],
    ],
)
def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str], db: Path, argv: list[str]) -> None:
    assert run(capsys, db, *argv)[0] == 2


def test_json_alone_is_not_a_file_format(
    capsys: pytest.CaptureFixture[str], db: Path, tmp_path: Path
) -> None:
    out = tmp_path / "x.csv"
    argv = ["export", "--format", "json", "--out", str(out), "--purpose", PURPOSE]
    code, stdout, err = run(capsys, db, *argv, "--recipient", "X")
    assert (code, stdout) == (1, "")
    assert "--format csv or --format vcard" in err
    assert not out.exists()


def test_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["export", "--help"])
    assert exc.value.code == 0
    text = capsys.readouterr().out
    assert "--recipient-own-use" in text
    assert "{csv,vcard}" in text


def test_a_role_without_export_is_refused(
    capsys: pytest.CaptureFixture[str], db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PRIVACYCRM_NEW_PASSWORD", "office-password-1")
    assert run(capsys, db, "user", "add", "anna", "--role", "office")[0] == 0
    monkeypatch.setenv("PRIVACYCRM_PASSWORD", "office-password-1")
    out = tmp_path / "a.csv"
    code = main(["--db", str(db), "--user", "anna", *export(out=out)])
    _stdout, err = capsys.readouterr()
    assert code == 1
    assert "Your role does not allow this." in err
    assert not out.exists()


def test_the_installed_command(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "all.csv"
    done = cli(
        db,
        "--user",
        "owner",
        "--format",
        "json",
        *export("--recipient-kind", "internal", out=out),
        installed=True,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["count"] == 3
    assert json.loads(done.stdout)["recipient_id"] is None
    assert out.stat().st_mode & 0o077 == 0  # personal data: readable by its owner only
