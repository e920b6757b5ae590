"""Every id the CLI takes goes through ``options.record_id``: an id too large for any
database (an outside attack's ``contacts show 99999999999999999999999``) is refused as a
value the option cannot take (exit 2, argparse's usage and one sentence), not sent to the
SQLite driver, whose overflow ended in a traceback."""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers.cli import PASSWORD
from privacycrm_desktop.cli import main
from privacycrm_desktop.cli.options import record_id
from privacycrm_desktop.cli.parser import build_parser
from privacycrm_desktop.i18n import set_language

INIT = ["init", "--owner", "owner", "--company", "Acme BV", "--address", "Markt 1, 9000 Gent"]
HUGE = str(10**23)


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    monkeypatch.setenv("PRIVACYCRM_PASSWORD", PASSWORD)
    monkeypatch.setenv("PRIVACYCRM_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("LANG", "C.UTF-8")
    yield
    set_language("en")


def _leaves(
    parser: argparse.ArgumentParser, path: str = ""
) -> Iterator[tuple[str, argparse.Action]]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield from _leaves(child, f"{path} {name}".strip())
        else:
            yield path, action


def _names_a_record(action: argparse.Action) -> bool:
    words = f"{action.dest} {action.metavar or ''}".replace("-", "_").lower().split()
    # "--contact 5", "--with 7": a name that is a record's, taking a number (init's
    # "--company" takes the company's name).
    by_name = action.dest in {"contact", "company", "people", "request", "keep", "batch"}
    return any(w in ("id", "ids") or w.endswith(("_id", "_ids")) for w in words) or (
        by_name and action.type in (int, record_id)
    )


def test_every_id_argument_of_every_command_is_a_record_id() -> None:
    ids = [(path, action) for path, action in _leaves(build_parser()) if _names_a_record(action)]
    assert len(ids) > 20  # the walk found the commands' ids
    wrong = [(path, action.dest) for path, action in ids if action.type is not record_id]
    assert wrong == []


@pytest.mark.parametrize(
    "argv",
    [
        ["contacts", "show", HUGE],
        ["erase", HUGE, "--reason", "erasure_request"],
        ["unsubscribe", HUGE],
        ["task", "done", HUGE],
        ["company", "show", HUGE],
        ["duplicates", "merge", HUGE, "1"],
        ["request", "add", "--kind", "access", "--contact", HUGE],
        # Not an id, a number as large (the second attack): refused the same way.
        [
            "consent",
            "record",
            "1",
            "--purpose",
            "direct_marketing_consent",
            "--channel",
            "email",
            "--status",
            "opt-in",
            "--method",
            "form_box_ticked",
            "--evidence",
            "x",
            "--statement-version",
            HUGE,
        ],
    ],
)
def test_an_id_too_large_for_any_database_is_refused_in_a_sentence(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, argv: list[str]
) -> None:
    db = tmp_path / "crm.db"
    with contextlib.suppress(SystemExit):
        main(["--db", str(db), *INIT])
    capsys.readouterr()
    try:
        code = main(["--db", str(db), "--user", "owner", *argv])
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    assert (
        err.strip()
        .splitlines()[-1]
        .endswith(("no record has an id this large", "use a whole number, 0 or more"))
    ), err
    assert "Traceback" not in err
