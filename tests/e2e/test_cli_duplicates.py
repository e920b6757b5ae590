"""``privacycrm-cli duplicates find|merge|undo|merges`` and ``contacts show`` of a merged-away
id, on SQLite and PostgreSQL, as a script uses them."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers.cli import PASSWORD
from privacycrm_desktop.cli import main
from privacycrm_desktop.i18n import set_language

INIT = ["init", "--owner", "owner", "--company", "Acme BV", "--address", "Markt 1, 9000 Gent"]
SOURCE = ["--source-kind", "business_card", "--source", "Trade fair Gent"]


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


def run_json(capsys: pytest.CaptureFixture[str], db: Path | str, *argv: str) -> object:
    code, out, err = run(capsys, db, *argv, "--format", "json")
    assert code == 0, err
    return json.loads(out)


@pytest.fixture
def db(capsys: pytest.CaptureFixture[str], backend: str, db_url: str) -> Path | str:
    target: Path | str = Path(db_url) if backend == "sqlite" else db_url
    with contextlib.suppress(SystemExit):
        main(["--db", str(target), *INIT])
    capsys.readouterr()
    for city in ("Gent", "Brugge", "Liège"):
        run_json(
            capsys,
            target,
            "contacts",
            "add",
            "--first-name",
            "Zoë",
            "--last-name",
            "Lefèvre",
            "--email",
            "zoe@example.be",
            "--city",
            city,
            *SOURCE,
        )
    return target


def test_find_merge_show_the_old_id_and_undo(
    capsys: pytest.CaptureFixture[str], db: Path | str
) -> None:
    found = run_json(capsys, db, "duplicates", "find", "--rule", "email")
    assert found == {"groups": [{"contacts": [1, 2, 3], "rules": ["email"]}]}
    merged = run_json(
        capsys, db, "duplicates", "merge", "1", "2", "3", "--keep", "2", "--take", "city=3"
    )
    assert merged == {"id": 1, "merge_id": 1, "survivor": 2, "merged": [1, 3]}
    shown = run_json(capsys, db, "contacts", "show", "3")
    assert isinstance(shown, dict)
    assert (shown["id"], shown["merged_from"], shown["city"]) == (2, 3, "Liège")
    code, out, _err = run(capsys, db, "contacts", "show", "1")
    assert code == 0
    assert "Contact 1 was merged into contact 2." in out
    assert run_json(capsys, db, "duplicates", "find") == {"groups": []}
    # Erasing a merged-away id names the contact that holds its data (seen: "No such
    # record."), and erases nothing.
    code, _out, err = run(capsys, db, "erase", "1", "--reason", "erasure_request")
    assert code == 1
    assert "Contact 1 was merged into contact 2" in err
    assert "Erase contact 2" in err
    listed = run_json(capsys, db, "duplicates", "merges")
    assert isinstance(listed, dict)
    assert [(m["id"], m["closed"]) for m in listed["merges"]] == [(1, "")]
    assert run_json(capsys, db, "duplicates", "undo", "1") == {
        "merge_id": 1,
        "survivor": 2,
        "restored": [1, 3],
    }
    shown = run_json(capsys, db, "contacts", "show", "3")
    assert isinstance(shown, dict)
    assert (shown["id"], shown["city"]) == (3, "Liège")
    code, _out, err = run(capsys, db, "duplicates", "undo", "1")
    assert code != 0
    assert "undone already" in err
    code, _out, err = run(capsys, db, "duplicates", "merge", "1", "2", "--take", "city")
    assert code != 0
    assert "FIELD=ID" in err
    assert run_json(capsys, db, "duplicates", "undo-days") == {"undo_days": 30}
    assert run_json(capsys, db, "duplicates", "undo-days", "7") == {"undo_days": 7}
    code, _out, err = run(capsys, db, "duplicates", "undo-days", "0")
    assert code != 0
    assert "between 1 and" in err


def test_companies_are_found_merged_shown_by_their_old_id_and_unmerged(
    capsys: pytest.CaptureFixture[str], db: Path | str
) -> None:
    for name, city in (("Brouwerij Zoë", "Gent"), ("Brouwerij Zoe NV", "Brugge")):
        added = run_json(
            capsys, db, "company", "add", "--name", name, "--vat", "BE0403170701",
            "--city", city, *SOURCE,
        )  # fmt: skip
        assert isinstance(added, dict)
    found = run_json(capsys, db, "duplicates", "find", "--companies")
    assert found == {"groups": [{"companies": [1, 2], "rules": ["vat"]}]}
    assert run_json(
        capsys, db, "duplicates", "find", "--companies", "--company-rule", "name_postcode"
    ) == {"groups": []}
    merged = run_json(
        capsys, db, "duplicates", "merge", "--companies", "1", "2", "--take", "city=2"
    )
    assert merged == {"id": 1, "merge_id": 1, "survivor": 1, "merged": [2]}
    shown = run_json(capsys, db, "company", "show", "2")
    assert isinstance(shown, dict)
    assert (shown["id"], shown["merged_from"]) == (1, 2)
    code, out, _err = run(capsys, db, "company", "show", "2")
    assert code == 0
    assert "Company 2 was merged into company 1." in out
    listed = run_json(capsys, db, "duplicates", "merges", "--companies")
    assert isinstance(listed, dict)
    assert [(m["id"], m["survivor"], m["merged"]) for m in listed["merges"]] == [(1, 1, [2])]
    # The contacts' merges are a list of their own.
    assert run_json(capsys, db, "duplicates", "merges") == {"merges": []}
    assert run_json(capsys, db, "duplicates", "undo", "--companies", "1") == {
        "merge_id": 1,
        "survivor": 1,
        "restored": [2],
    }
    code, out, _err = run(capsys, db, "company", "show", "2")
    assert code == 0
    assert "merged" not in out
    assert "Brugge" in out
