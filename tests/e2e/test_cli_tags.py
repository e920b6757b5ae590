"""``privacycrm-cli tag add|remove|list`` (and rename, colour, merge, delete) and
``contacts list --tag``, on SQLite and PostgreSQL, as a script uses them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from helpers.cli import PASSWORD, cli
from privacycrm_desktop.cli import main
from privacycrm_desktop.i18n import set_language

pytestmark = pytest.mark.real_key_costs

INIT = ["init", "--owner", "owner", "--company", "Acme BV", "--address", "Markt 1, 9000 Gent"]
SOURCE = ["--source-kind", "business_card", "--source", "Trade fair Gent"]
PEOPLE = (("Zoë", "Lefèvre", "Liège"), ("Jan", "Peeters", "Gent"), ("An", "Claes", "Gent"))


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    monkeypatch.setenv("PRIVACYCRM_PASSWORD", PASSWORD)
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


def run_json(capsys: pytest.CaptureFixture[str], db: Path | str, *argv: str) -> object:
    code, out, err = run(capsys, db, *argv, "--format", "json")
    assert code == 0, err
    return json.loads(out)


@pytest.fixture
def db(capsys: pytest.CaptureFixture[str], backend: str, db_url: str) -> Path | str:
    target: Path | str = Path(db_url) if backend == "sqlite" else db_url
    code, _out, err = run(capsys, target, *INIT, user=None)
    assert code == 0, err
    for first, last, city in PEOPLE:
        run_json(
            capsys,
            target,
            "contacts",
            "add",
            "--first-name",
            first,
            "--last-name",
            last,
            "--city",
            city,
            *SOURCE,
        )
    return target


def test_tags_go_on_and_off_and_filter_the_list(
    capsys: pytest.CaptureFixture[str], db: Path | str
) -> None:
    made = run_json(capsys, db, "tag", "add", "VIP", "1", "2", "--colour", "#112233")
    assert made == {"id": 1, "added": 2}
    # The same tag, however it is written: no second tag, the one contact new to it added.
    assert run_json(capsys, db, "tag", "add", "vip", "2", "3") == {"id": 1, "added": 1}
    assert run_json(capsys, db, "tag", "list") == {
        "tags": [{"id": 1, "name": "VIP", "colour": "#112233", "contacts": 3}]
    }
    assert run_json(capsys, db, "tag", "remove", "VIP", "1") == {"id": 1, "removed": 1}
    listed = run_json(capsys, db, "contacts", "list", "--tag", "vip")
    assert isinstance(listed, dict)
    assert listed["total"] == 2
    assert [c["name"] for c in listed["contacts"]] == ["Claes, An", "Peeters, Jan"]
    shown = run_json(capsys, db, "contacts", "show", "2")
    assert isinstance(shown, dict)
    assert [(t["name"], t["colour"], t["tagged_by"]) for t in shown["tags"]] == [
        ("VIP", "#112233", "owner")
    ]
    # Text output: a count line, the table, the contact's tags.
    code, out, err = run(capsys, db, "tag", "list")
    assert code == 0, err
    assert "VIP" in out
    assert "#112233" in out
    code, out, err = run(capsys, db, "contacts", "show", "2")
    assert code == 0, err
    assert "Tags" in out
    assert "VIP" in out


def test_a_tag_goes_on_what_a_search_or_another_tag_finds(
    capsys: pytest.CaptureFixture[str], db: Path | str
) -> None:
    assert run_json(capsys, db, "tag", "add", "Gent", "--search", "gent") == {"id": 1, "added": 2}
    assert run_json(capsys, db, "tag", "add", "Mailing", "--with-tag", "Gent") == {
        "id": 2,
        "added": 2,
    }
    assert run_json(capsys, db, "tag", "remove", "Mailing", "--search", "claes") == {
        "id": 2,
        "removed": 1,
    }
    code, _out, err = run(capsys, db, "tag", "add", "Gent", "1", "--search", "x")
    assert code == 1
    assert "not both" in err


def test_a_marketing_list_takes_a_tag(capsys: pytest.CaptureFixture[str], db: Path | str) -> None:
    run_json(capsys, db, "tag", "add", "VIP", "1")
    listed = run_json(
        capsys,
        db,
        "marketing",
        "list",
        "--purpose",
        "direct_marketing_consent",
        "--channel",
        "post",
        "--tag",
        "VIP",
    )
    assert isinstance(listed, dict)
    assert listed["contacts"] == []  # nobody gave consent: the tag narrows, never widens
    code, _out, err = run(
        capsys,
        db,
        "marketing",
        "list",
        "--purpose",
        "direct_marketing_consent",
        "--channel",
        "post",
        "--tag",
        "Nothing",
    )
    assert code == 1
    assert "no tag named" in err.lower()


def test_a_tag_is_renamed_recoloured_merged_and_deleted(
    capsys: pytest.CaptureFixture[str], db: Path | str
) -> None:
    run_json(capsys, db, "tag", "add", "VIP", "1", "2")
    run_json(capsys, db, "tag", "add", "Klant", "2", "3")
    assert run_json(capsys, db, "tag", "rename", "VIP", "Topklant") == {"id": 1}
    assert run_json(capsys, db, "tag", "colour", "topklant", "#aabbcc") == {"id": 1}
    assert run_json(capsys, db, "tag", "merge", "Klant", "Topklant") == {
        "id": 1,
        "merged": 2,
        "contacts": 1,
    }
    tags = run_json(capsys, db, "tag", "list")
    assert tags == {"tags": [{"id": 1, "name": "Topklant", "colour": "#aabbcc", "contacts": 3}]}
    assert run_json(capsys, db, "tag", "delete", "Topklant") == {"id": 1, "removed": 3}
    assert run_json(capsys, db, "tag", "list") == {"tags": []}


def test_refusals_are_one_line_with_exit_code_one(
    capsys: pytest.CaptureFixture[str], db: Path | str
) -> None:
    for argv, words in (
        (["tag", "remove", "Nothing", "1"], "no tag named"),
        (["contacts", "list", "--tag", "Nothing"], "no tag named"),
        (["tag", "add", "a,b", "1"], "comma"),
        (["tag", "add", "VIP", "99"], "no contact with id 99"),
        (["tag", "add", "VIP", "1", "--colour", "red"], "#rrggbb"),
    ):
        code, out, err = run(capsys, db, *argv)
        assert code == 1, (argv, out)
        assert words in err.lower(), (argv, err)
        assert len(err.strip().splitlines()) == 1
    # A refused tag add leaves no new tag behind.
    assert run_json(capsys, db, "tag", "list") == {"tags": []}


@pytest.mark.sqlite_only
def test_the_installed_program_prints_the_new_tags_id(db: Path | str) -> None:
    done = cli(db, "--user", "owner", "tag", "add", "Beurs", "1", "--format", "json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"id": 1, "added": 1}
    done = cli(db, "--user", "owner", "tag", "add", "Beurs2", "1")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == "2"


def _doc(capsys: pytest.CaptureFixture[str], db: Path | str, *argv: str) -> dict[str, Any]:
    document = run_json(capsys, db, *argv)
    assert isinstance(document, dict)
    return document


def test_tag_add_and_remove_with_company_and_company_list_by_tag(
    capsys: pytest.CaptureFixture[str], db: Path | str
) -> None:
    made = _doc(capsys, db, "company", "add", "--name", "Brouwerij Zoë NV", *SOURCE)
    _doc(capsys, db, "company", "add", "--name", "Bakkerij Peeters", *SOURCE)
    company = int(made["id"])
    added = _doc(capsys, db, "tag", "add", "Leverancier", "--company", str(company))
    assert added == {"id": added["id"], "company": company, "added": 1}
    again = _doc(capsys, db, "tag", "add", "leverancier", "--company", str(company))
    assert again["added"] == 0
    shown = _doc(capsys, db, "company", "show", str(company))
    assert shown["tags"] == ["Leverancier"]
    listed = _doc(capsys, db, "company", "list", "--tag", "Leverancier")
    assert listed["total"] == 1
    assert [c["id"] for c in listed["companies"]] == [company]
    assert listed["companies"][0]["tags"] == ["Leverancier"]
    # The contacts carry no company tag; ids next to --company are refused.
    contacts = _doc(capsys, db, "tag", "list")
    assert [t["contacts"] for t in contacts["tags"]] == [0]
    code, _out, err = run(capsys, db, "tag", "add", "VIP", "1", "--company", str(company))
    assert code != 0
    assert "--company" in err
    removed = _doc(capsys, db, "tag", "remove", "Leverancier", "--company", str(company))
    assert removed["removed"] == 1
    listed = _doc(capsys, db, "company", "list", "--tag", "Leverancier")
    assert listed["total"] == 0
