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


def test_a_refusal_names_the_option_as_the_command_spells_it(tmp_path: Path) -> None:
    # The attack read "--received-on", "--occurred-at" and "--source-obtained-on": the
    # options are --received, --at and --source-date (the import's own refusal of a
    # future --obtained names no option).
    db = tmp_path / "crm.db"
    assert cli(db, *INIT).returncode == 0
    source = ["--source-kind", "business_card", "--source", "Fair"]
    added = cli(db, "--user", "owner", "contacts", "add", "--first-name", "An", *source)
    assert added.returncode == 0, added.stderr
    refused = {
        "--received": [
            "request",
            "add",
            "--kind",
            "access",
            "--contact",
            "1",
            "--received",
            "2999-01-01",
        ],
        "--at": ["activity", "add", "1", "--kind", "call", "--summary", "x", "--at", "2999-01-01"],
        "--source-date": [
            "contacts",
            "add",
            "--first-name",
            "Bo",
            *source,
            "--source-date",
            "2999-01-01",
        ],
    }
    for option, argv in refused.items():
        done = cli(db, "--user", "owner", *argv)
        assert done.returncode == 1, (option, done.stderr)
        assert f" {option}: " in done.stderr, (option, done.stderr)


def test_every_option_a_refusal_may_name_is_one_of_a_command() -> None:
    import argparse

    from privacycrm_desktop.cli.context import _OPTIONS_OF_FIELDS
    from privacycrm_desktop.cli.parser import build_parser

    def leaves(parser: argparse.ArgumentParser) -> list[frozenset[str]]:
        children = [
            child
            for action in parser._actions
            if isinstance(action, argparse._SubParsersAction)
            for child in action.choices.values()
        ]
        if not children:
            return [parser.get_default("options")]
        return [options for child in children for options in leaves(child)]

    known = frozenset().union(*leaves(build_parser()))
    named = {o for options in _OPTIONS_OF_FIELDS.values() for o in options}
    assert named - known == set()
