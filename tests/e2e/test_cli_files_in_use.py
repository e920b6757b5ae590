"""No file the CLI writes (an export, a report, a list, an import's invalid rows) may replace
the database it works on, its WAL, or the file being imported: refused before anything is
written or imported, with one sentence."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from privacycrm_desktop.cli.parser import build_parser

from .test_cli import INIT, SOURCE, ZOE, _env, db, run, run_json  # noqa: F401 (fixtures)

IMPORT = ["--source-kind", "third_party", "--source", "Fair list", "--purpose"]


def file_options() -> set[str]:
    """Every option of every command that names a file the CLI writes."""
    found: set[str] = set()

    def walk(parser: argparse.ArgumentParser) -> None:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for sub in action.choices.values():
                    walk(sub)
            for option in action.option_strings:
                if option in ("--out", "--invalid-out", "--json"):
                    found.add(option)

    walk(build_parser())
    return found


def writes(database: Path, tmp_path: Path) -> list[list[str]]:
    """A command per way out, each aimed at the database file."""
    people = tmp_path / "people.csv"
    people.write_text("First name,Last name,E-mail\nJan,Peeters,jan@x.be\nbroken\n", "utf-8")
    target = str(database)
    return [
        ["export", "--format", "csv", "--out", target, "--purpose", "customer_relationship",
         "--recipient", "us"],
        ["export-report", "1", "--out", target],
        ["export-report", "1", "--out", str(tmp_path / "r.pdf"), "--json", target],
        ["marketing", "list", "--purpose", "direct_marketing_consent", "--channel", "email",
         "--out", target],
        ["import", str(people), *IMPORT, "customer_relationship", "--invalid-out", target],
        ["import", str(people), *IMPORT, "customer_relationship", "--invalid-out",
         f"{target}-wal"],
    ]  # fmt: skip


@pytest.mark.sqlite_only  # a server's database is no file here
def test_no_command_writes_over_the_database_or_the_file_it_reads(
    capsys: pytest.CaptureFixture[str],
    db: Path,  # noqa: F811 (fixture)
    tmp_path: Path,
) -> None:
    code, _out, err = run(capsys, db, *INIT, user=None)
    assert code == 0, err
    assert run_json(capsys, db, *ZOE, *SOURCE, "2024-05-01") == {"id": 1}
    commands = writes(db, tmp_path)
    covered = {arg for command in commands for arg in command if arg.startswith("--")}
    assert file_options() <= covered, "a file option no case here aims at the database"
    for command in commands:
        before = db.read_bytes()[:16]
        code, _out, err = run(capsys, db, *command)
        assert code == 1, (command, err)
        assert "working on" in err, err
        assert db.read_bytes()[:16] == before == b"SQLite format 3\x00"
    # Nothing was imported either, and the database opens as before.
    assert run_json(capsys, db, "contacts", "list")["total"] == 1
    # The import's own file is not replaced by its invalid rows, even in a dry run.
    people = tmp_path / "people.csv"
    text = people.read_text("utf-8")
    code, _out, err = run(
        capsys, db, "import", str(people), *IMPORT, "customer_relationship", "--dry-run",
        "--invalid-out", str(people),
    )  # fmt: skip
    assert code == 1, err
    assert people.read_text("utf-8") == text
