"""Contract points of DESIGN.md's headless interface an outside attack found unkept:
``check --format json`` prints its document whatever stops it from opening the database
(README: "always prints one JSON document"), and a command that creates something names
it with an ``"id"`` (an import its batch, a merge the merge)."""

from __future__ import annotations

import json
from pathlib import Path

from helpers.cli import cli

INIT = ["init", "--owner", "owner", "--company", "Acme BV", "--address", "Markt 1, 9000 Gent"]


def test_check_prints_its_json_for_a_database_it_cannot_open(tmp_path: Path) -> None:
    done = cli(tmp_path / "missing" / "crm.db", "--user", "owner", "check", "--format", "json")
    assert done.returncode == 1
    document = json.loads(done.stdout)
    assert document["ok"] is False
    assert document["storage"] == "unavailable"
    [problem] = document["problems"]
    assert done.stderr.strip().endswith(problem)


def test_an_import_and_a_merge_name_what_they_created_by_id(tmp_path: Path) -> None:
    db = tmp_path / "crm.db"
    assert cli(db, *INIT).returncode == 0
    rows = tmp_path / "people.csv"
    rows.write_text(
        "First name,Last name,E-mail\nJan,Peeters,jan@example.be\nJan,Peeters,jan2@example.be\n",
        encoding="utf-8",
    )
    imported = cli(
        db,
        "--user",
        "owner",
        "import",
        str(rows),
        "--source-kind",
        "business_card",
        "--source",
        "Fair",
        "--purpose",
        "customer_relationship",
        "--format",
        "json",
    )
    assert imported.returncode == 0, imported.stderr
    batch = json.loads(imported.stdout)
    assert batch["id"] == batch["batch_id"]
    listed = json.loads(cli(db, "--user", "owner", "contacts", "list", "--format", "json").stdout)
    ids = [str(c["id"]) for c in listed["contacts"]]
    merged = cli(db, "--user", "owner", "duplicates", "merge", *ids, "--format", "json")
    assert merged.returncode == 0, merged.stderr
    document = json.loads(merged.stdout)
    assert document["id"] == document["merge_id"]
