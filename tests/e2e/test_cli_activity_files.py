"""``privacycrm-cli activity export|import`` and the ``--with``/``--company`` options, on
SQLite and PostgreSQL: Teamleader and Odoo files recognised by their headers, people
matched by e-mail address or id, dates in the file's own format, the special-category
check, a source on each, formula-safe cells, a JSON summary, a dry run writing nothing."""

from __future__ import annotations

import csv
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from helpers.cli import PASSWORD
from privacycrm_desktop.cli import main
from privacycrm_desktop.i18n import set_language
from privacycrm_desktop.persistence.database import create_engine_for

pytestmark = pytest.mark.real_key_costs

INIT = ["init", "--owner", "owner", "--company", "Acme BV", "--address", "Markt 1, 9000 Gent"]
DISCLOSED = ("--purpose", "customer_relationship", "--recipient", "Accountant X")
SOURCE = ["--source-kind", "business_card", "--source", "Trade fair Gent"]


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    monkeypatch.setenv("PRIVACYCRM_PASSWORD", PASSWORD)
    monkeypatch.setenv("PRIVACYCRM_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("LANG", "C.UTF-8")
    monkeypatch.setenv("TZ", "Europe/Brussels")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()
    set_language("en")


def run(capsys: pytest.CaptureFixture[str], db: Path | str, *argv: str) -> tuple[int, str, str]:
    try:
        code = main(["--db", str(db), "--user", "owner", *argv])
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def run_json(capsys: pytest.CaptureFixture[str], db: Path | str, *argv: str) -> Any:
    code, out, err = run(capsys, db, *argv, "--format", "json")
    assert code == 0, err
    return json.loads(out)


@pytest.fixture
def db(capsys: pytest.CaptureFixture[str], backend: str, db_url: str) -> Path | str:
    target: Path | str = Path(db_url) if backend == "sqlite" else db_url
    try:
        code = main(["--db", str(target), *INIT])
    except SystemExit as exc:
        code = int(exc.code or 0)
    assert code == 0, capsys.readouterr().err
    capsys.readouterr()
    return target


def _person(capsys: pytest.CaptureFixture[str], db: Path | str, first: str, email: str) -> int:
    made = run_json(
        capsys, db, "contacts", "add", "--first-name", first, "--last-name", "Peeters",
        "--email", email, *SOURCE,
    )  # fmt: skip
    return int(made["id"])


def _listed(capsys: pytest.CaptureFixture[str], db: Path | str, *owner: str) -> list[Any]:
    return list(run_json(capsys, db, "activity", "list", *owner)["activities"])


def test_company_interactions_and_linked_people_from_the_cli(
    capsys: pytest.CaptureFixture[str], db: Path | str
) -> None:
    jan = _person(capsys, db, "Jan", "jan@example.be")
    piet = _person(capsys, db, "Piet", "piet@example.be")
    company = run_json(capsys, db, "company", "add", "--name", "Brouwerij NV", *SOURCE)["id"]
    made = run_json(
        capsys, db, "activity", "add", "--company", str(company), "--kind", "visit",
        "--summary", "Plant visit", "--with", str(jan), "--with", str(piet),
    )["id"]  # fmt: skip
    listed = _listed(capsys, db, "--company", str(company))
    assert [(a["id"], a["linked"], sorted(a["people"])) for a in listed] == [
        (made, False, sorted([jan, piet]))
    ]
    assert [(a["id"], a["linked"]) for a in _listed(capsys, db, str(piet))] == [(made, True)]
    code, _out, err = run(
        capsys, db, "activity", "add", str(jan), "--kind", "call", "--summary", "x",
        "--with", "99999",
    )  # fmt: skip
    assert code == 1, err


def _write(path: Path, rows: list[list[str]], delimiter: str = ",") -> Path:
    with path.open("w", encoding="utf-8", newline="") as stream:
        csv.writer(stream, delimiter=delimiter).writerows(rows)
    return path


def test_a_teamleader_file_is_recognised_matched_by_email_with_its_own_dates(
    capsys: pytest.CaptureFixture[str], db: Path | str, tmp_path: Path
) -> None:
    jan = _person(capsys, db, "Jan", "jan@example.be")
    rows = [
        ["Date", "Type", "Subject", "Description", "Email", "User"],
        ["14/03/2025 10:30", "Telefoongesprek", "Offerte besproken", "3 ramen", "JAN@example.be",
         "An"],
        ["25/02/2025", "Meeting", "Kennismaking", "", "jan@example.be", "An"],
        ["01/03/2025", "Call", "Nobody", "", "nobody@example.be", "An"],
        ["02/03/2025", "Call", "Over zijn diabetes", "", "jan@example.be", "An"],
        ["31/02/2025", "Call", "Bad date", "", "jan@example.be", "An"],
        ["03/03/2025", "Fax", "Odd kind", "", "jan@example.be", "An"],
    ]  # fmt: skip
    file = _write(tmp_path / "teamleader.csv", rows, ";")
    before = _listed(capsys, db, str(jan))
    trial = run_json(capsys, db, "activity", "import", str(file), "--dry-run")
    assert trial["profile"] == "teamleader"
    assert trial["dry_run"] is True
    assert (trial["rows"], trial["imported"]) == (6, 2)
    assert _listed(capsys, db, str(jan)) == before  # a dry run writes nothing
    summary = run_json(capsys, db, "activity", "import", str(file))
    assert (summary["rows"], summary["imported"]) == (6, 2)
    assert {r["row"]: r["reason"] for r in summary["refused"]} == {
        4: "no_person",
        5: "special",
        6: "no_date",
        7: "no_kind",
    }
    assert summary["columns"]["Email"] == "email"
    listed = {a["summary"]: a for a in _listed(capsys, db, str(jan))}
    call = listed["Offerte besproken"]
    assert call["kind"] == "call"
    assert call["occurred_at"] == "2025-03-14T09:30:00Z"  # 10:30 in Brussels
    assert call["details"] == "3 ramen"
    assert call["source"]["kind"] == "import_file"
    assert listed["Kennismaking"]["occurred_at"] == "2025-02-24T23:00:00Z"
    again = run_json(capsys, db, "activity", "import", str(file), "--confirm-special")
    assert again["imported"] == 3
    # The audit names counts and codes, never a summary or an address.
    engine = create_engine_for(db)
    try:
        with engine.connect() as conn:
            trail = [
                f"{action} {detail}"
                for action, detail in conn.execute(
                    text("SELECT action, detail FROM audit_event WHERE action LIKE 'activity.%'")
                )
            ]
    finally:
        engine.dispose()
    assert any(e.startswith("activity.import profile=teamleader;rows=6") for e in trail), trail
    assert not any("Offerte" in e or "example.be" in e or "diabetes" in e for e in trail)


def test_an_odoo_export_with_html_notes_and_iso_dates(
    capsys: pytest.CaptureFixture[str], db: Path | str, tmp_path: Path
) -> None:
    jan = _person(capsys, db, "Jan", "jan@example.be")
    rows = [
        ["Activity Type", "Summary", "Note", "Due Date", "Assigned to", "Email"],
        ["Email", "Prijs", "<p>Prijs <b>besproken</b></p><p>tweede</p>", "2025-03-14", "An",
         "jan@example.be"],
        ["To Do", "Terugbellen", "", "2025-03-10 08:00:00", "An", "jan@example.be"],
    ]  # fmt: skip
    summary = run_json(capsys, db, "activity", "import", str(_write(tmp_path / "o.csv", rows)))
    assert summary["profile"] == "odoo"
    assert summary["imported"] == 2
    listed = {a["summary"]: a for a in _listed(capsys, db, str(jan))}
    assert listed["Prijs"]["kind"] == "email"
    assert listed["Prijs"]["details"] == "Prijs besproken\ntweede"
    assert listed["Terugbellen"]["kind"] == "note"


def test_a_file_of_its_own_with_a_mapping_and_a_mapping_that_names_nothing(
    capsys: pytest.CaptureFixture[str], db: Path | str, tmp_path: Path
) -> None:
    jan = _person(capsys, db, "Jan", "jan@example.be")
    rows = [["Wanneer", "Wat", "Persoon"], ["2025-03-01", "Langs geweest", str(jan)]]
    file = _write(tmp_path / "own.csv", rows)
    maps = ["--map", "Wanneer=occurred_at", "--map", "Wat=summary", "--map", "Persoon=contact_id"]
    summary = run_json(capsys, db, "activity", "import", str(file), *maps)
    assert summary["profile"] == "generic"
    assert summary["imported"] == 1
    assert [a["summary"] for a in _listed(capsys, db, str(jan))] == ["Langs geweest"]
    code, _out, err = run(capsys, db, "activity", "import", str(file), "--map", "Nope=summary")
    assert code == 1
    assert "Nope" in err
    code, _out, err = run(capsys, db, "activity", "import", str(file), "--map", "Wat=nonsense")
    assert code == 1


@pytest.mark.parametrize("profile", ["privacycrm", "teamleader", "odoo"])
def test_export_writes_formula_safe_cells_and_reads_back(
    capsys: pytest.CaptureFixture[str], db: Path | str, tmp_path: Path, profile: str
) -> None:
    jan = _person(capsys, db, "Jan", "jan@example.be")
    run_json(
        capsys, db, "activity", "add", str(jan), "--kind", "meeting",
        "--summary", "=HYPERLINK(\"http://evil\")", "--details", "+32 9 123", "--at",
        "2025-03-14T10:30",
    )  # fmt: skip
    out = tmp_path / f"{profile}.csv"
    done = run_json(
        capsys, db, "activity", "export", str(out), "--format-profile", profile, *DISCLOSED
    )
    assert done["count"] == 1
    assert out.stat().st_mode & 0o077 == 0  # owner-only
    with out.open(encoding="utf-8-sig", newline="") as stream:
        rows = list(csv.reader(stream))
    assert len(rows) == 2
    assert '\'=HYPERLINK("http://evil")' in rows[1]
    assert all(not cell.startswith(("=", "+", "-", "@")) for cell in rows[1])
    assert "jan@example.be" in rows[1]
    assert any(cell.startswith("2025-03-14 10:30") for cell in rows[1])  # local time
    trial = run_json(capsys, db, "activity", "import", str(out), "--dry-run")
    assert trial["profile"] == profile
    assert trial["imported"] == 1, trial
    run_json(capsys, db, "activity", "import", str(out))
    summaries = [a["summary"] for a in _listed(capsys, db, str(jan))]
    assert summaries == ['=HYPERLINK("http://evil")'] * 2  # read back as written


def test_an_export_without_purpose_or_recipient_is_refused_as_a_contacts_export(
    capsys: pytest.CaptureFixture[str], db: Path | str, tmp_path: Path
) -> None:
    jan = _person(capsys, db, "Jan", "jan@example.be")
    run_json(capsys, db, "activity", "add", str(jan), "--kind", "call", "--summary", "Gebeld")
    out = tmp_path / "out.csv"
    code, _out, err = run(capsys, db, "activity", "export", str(out))
    contacts_code, _out, contacts_err = run(
        capsys, db, "export", "--format", "csv", "--out", str(tmp_path / "c.csv")
    )
    assert code == contacts_code == 2
    wording = contacts_err.strip().splitlines()[-1].split(": ", 2)[-1]
    assert wording in err, (wording, err)
    assert "--purpose" in wording
    assert not out.exists()
    done = run_json(capsys, db, "activity", "export", str(out), *DISCLOSED)
    assert (done["count"], done["disclosures"]) == (1, 1)


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"\x00\x01\x02\xff" * 5000, "binary"),
        (b'contact_id,summary\n1,"open\n1,next\n', "quote"),
    ],
    ids=["binary", "open-quote"],
)
def test_a_bad_file_is_one_sentence_and_no_traceback(
    capsys: pytest.CaptureFixture[str], db: Path | str, tmp_path: Path, content: bytes, words: str
) -> None:
    file = tmp_path / "bad.csv"
    file.write_bytes(content)
    code, out, err = run(capsys, db, "activity", "import", str(file))
    assert code == 1
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    assert words in err.lower()
    assert "Traceback" not in err
