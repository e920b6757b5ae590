"""The headless interface as outside checks use it (docs/architecture.md, "Headless interface").

Most tests drive ``main(argv)`` in-process; a few run the installed ``privacycrm-cli`` in a
subprocess to prove the entry point, exit codes and stdout/stderr split.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers.cli import PASSWORD, cli, cli_argv, cli_env
from helpers.databases import copy_migrated, prepared_file, prepared_on_server
from privacycrm_desktop.cli import main
from privacycrm_desktop.domain.errors import SourceMissing
from privacycrm_desktop.i18n import describe_error, set_language
from privacycrm_desktop.persistence.sqlite_driver import sqlite3

#: The program runs in its own processes here and signs in with the real costs, so the
#: in-process parts keep them too (a cheap hash would be rehashed at the first sign-in).
pytestmark = pytest.mark.real_key_costs

NEW_PASSWORD = "office-password-1"
INIT = ["init", "--owner", "owner", "--company", "Acme BV", "--address", "Markt 1, 9000 Gent"]
ZOE = [
    "contacts",
    "add",
    "--first-name",
    "Zoë",
    "--last-name",
    "Lefèvre",
    "--email",
    "zoe@example.be",
    "--phone",
    "0475 12 34 56",
    "--postcode",
    "4000",
    "--city",
    "Liège",
    "--relationship",
    "customer",
]
SOURCE = ["--source-kind", "business_card", "--source", "Trade fair Gent", "--source-date"]


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    monkeypatch.setenv("PRIVACYCRM_PASSWORD", PASSWORD)
    monkeypatch.setenv("PRIVACYCRM_NEW_PASSWORD", NEW_PASSWORD)
    monkeypatch.setenv("PRIVACYCRM_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("LANG", "C.UTF-8")
    yield
    set_language("en")


@pytest.fixture
def db(backend: str, db_url: str) -> Path:
    """The database the CLI is pointed at: an SQLite file, or a PostgreSQL URL."""
    return Path(db_url) if backend == "sqlite" else db_url


def run(
    capsys: pytest.CaptureFixture[str], db: Path, *argv: str, user: str | None = "owner"
) -> tuple[int, str, str]:
    """Run the CLI in-process; return (exit code, stdout, stderr)."""
    args = ["--db", str(db)] + (["--user", user] if user else []) + list(argv)
    try:
        code = main(args)
    except SystemExit as exc:  # argparse: --help and usage errors
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def run_json(capsys: pytest.CaptureFixture[str], db: Path, *argv: str) -> object:
    code, out, err = run(capsys, db, *argv, "--format", "json")
    assert code == 0, err
    return json.loads(out)


#: The set-up file ``ready`` copies, made by this process's first test that asks for it.
_READY_FILE: dict[str, Path] = {}


@pytest.fixture
def ready(
    capsys: pytest.CaptureFixture[str],
    backend: str,
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
) -> Path:
    """An initialised database with Zoë in it: set up through the CLI once per process
    (on the server: once per process and copied, tests/pg_support.py) and copied."""

    def fill(target: Path | str) -> None:
        code, _out, err = run(capsys, target, *INIT, user=None)
        assert code == 0, err
        assert run_json(capsys, target, *ZOE, *SOURCE, "2024-05-01") == {"id": 1}

    if backend == "postgresql":
        return prepared_on_server(request, "cli: set up, with Zoë", fill)
    if "file" not in _READY_FILE:
        _READY_FILE["file"] = prepared_file(tmp_path_factory.mktemp("ready"), fill)
    db = Path(request.getfixturevalue("db_url"))
    copy_migrated(_READY_FILE["file"], db)
    return db


@pytest.mark.sqlite_only  # the file is created owner-only
def test_init_prints_the_owner_id(capsys: pytest.CaptureFixture[str], db: Path) -> None:
    code, out, err = run(capsys, db, *INIT, "--format", "json", user=None)
    assert code == 0, err
    assert json.loads(out)["id"] == 1
    assert oct(db.stat().st_mode & 0o777) == oct(0o600)
    code, _out, err = run(capsys, db, *INIT, user=None)
    assert code == 1
    assert "set up already" in err
    assert len(err.strip().splitlines()) == 1


def test_full_flow(capsys: pytest.CaptureFixture[str], ready: Path) -> None:
    db = ready
    user = run_json(capsys, db, "user", "add", "anna", "--role", "office")
    assert isinstance(user, dict)
    assert user["id"] == 2
    users = run_json(capsys, db, "user", "list")
    assert isinstance(users, list)
    assert [(u["username"], u["role"], u["active"], u["locked"]) for u in users] == [
        ("anna", "office", True, False),
        ("owner", "owner", True, False),
    ]
    assert {"id", "username", "role", "active", "locked"} <= set(users[0])

    # Global --format before the command works as well as after it.
    code, out, err = run(capsys, db, "--format", "json", "contacts", "list", "--search", "liege")
    assert code == 0, err
    listing = json.loads(out)
    assert listing["total"] == 1
    assert listing["contacts"] == [
        {
            "id": 1,
            "name": "Lefèvre, Zoë",
            "organisation": "",
            "email": "zoe@example.be",
            "phone": "+32475123456",
            "city": "Liège",
            "relationship": "customer",
            "keep_until": None,
            "hidden": [],
        }
    ]

    shown = run_json(capsys, db, "contacts", "show", "1")
    assert isinstance(shown, dict)
    assert shown["first_name"] == "Zoë"
    assert shown["relationship"] == "customer"
    assert shown["language"] == "nl"
    phone = shown["phones"][0]
    assert phone["value"] == "+32475123456"
    expected_source = {
        "kind": "business_card",
        "description": "Trade fair Gent",
        "obtained_on": "2024-05-01",
        "entered_by": "owner",
    }
    assert expected_source.items() <= phone["source"].items()
    assert expected_source.items() <= shown["sources"]["city"].items()

    code, out, _err = run(capsys, db, "contacts", "show", "1")
    assert code == 0
    assert "Trade fair Gent" in out
    assert "Liège" in out

    assert run(capsys, db, "verify-audit")[:2] == (0, "OK\n")
    code, out, _err = run(capsys, db, "check")
    assert (code, out.splitlines()[0]) == (0, "ok")


def test_contact_without_source_is_refused(capsys: pytest.CaptureFixture[str], ready: Path) -> None:
    code, out, err = run(capsys, ready, "contacts", "add", "--last-name", "Peeters")
    assert code == 1
    assert out == ""
    assert err.strip() == "privacycrm-cli: " + describe_error(SourceMissing())
    code, _out, err = run(capsys, ready, "--lang", "nl", *ZOE, "--source-kind", "sale")
    assert code == 1
    assert describe_error(SourceMissing(), "nl") in err
    listing = run_json(capsys, ready, "contacts", "list")
    assert isinstance(listing, dict)
    assert listing["total"] == 1


def test_invalid_values_name_the_option(capsys: pytest.CaptureFixture[str], ready: Path) -> None:
    code, _out, err = run(
        capsys, ready, "contacts", "add", "--last-name", "X", "--email", "bad@", *SOURCE[:4]
    )
    assert code == 1
    assert err.startswith("privacycrm-cli: --email: ")
    assert len(err.strip().splitlines()) == 1


def test_list_sorts_pages_and_searches(capsys: pytest.CaptureFixture[str], ready: Path) -> None:
    for first, last, city in (("Jan", "Peeters", "Gent"), ("An", "Aerts", "Brugge")):
        created = run_json(
            capsys,
            ready,
            *["contacts", "add", "--first-name", first, "--last-name", last, "--city", city],
            *SOURCE[:4],
        )
        assert isinstance(created, dict)
    listing = run_json(capsys, ready, "contacts", "list", "--sort", "city", "--desc")
    assert isinstance(listing, dict)
    assert [c["city"] for c in listing["contacts"]] == ["Liège", "Gent", "Brugge"]
    page = run_json(capsys, ready, "contacts", "list", "--limit", "1", "--offset", "1")
    assert isinstance(page, dict)
    assert page["total"] == 3
    assert [c["name"] for c in page["contacts"]] == ["Lefèvre, Zoë"]
    found = run_json(capsys, ready, "contacts", "list", "--search", "jan peeters")
    assert isinstance(found, dict)
    assert [c["name"] for c in found["contacts"]] == ["Peeters, Jan"]
    junk = run_json(capsys, ready, "contacts", "list", "--search", '"*NEAR(')
    assert junk == {"total": 0, "contacts": []}
    code, out, _err = run(capsys, ready, "contacts", "list")
    assert code == 0
    assert "Peeters, Jan" in out


def test_demo_adds_contacts(capsys: pytest.CaptureFixture[str], ready: Path) -> None:
    assert run_json(capsys, ready, "demo", "--count", "40", "--seed", "3") == {"count": 40}
    code, out, err = run(capsys, ready, "demo", "--count", "10")
    assert (code, out) == (0, "10\n")
    assert "10" in err  # progress goes to stderr
    listing = run_json(capsys, ready, "contacts", "list", "--limit", "0")
    assert isinstance(listing, dict)
    assert listing["total"] == 51
    code, _out, err = run(capsys, ready, "demo", "--count", "0")
    assert code == 1
    assert "between 1 and" in err


def test_roles_and_sign_in_are_enforced(
    capsys: pytest.CaptureFixture[str], ready: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run(capsys, ready, "user", "add", "rita", "--role", "read_only")[0] == 0
    monkeypatch.setenv("PRIVACYCRM_PASSWORD", NEW_PASSWORD)
    code, _out, err = run(capsys, ready, "user", "list", user="rita")
    assert code == 1
    assert err.strip() == "privacycrm-cli: Your role does not allow this."
    assert run(capsys, ready, "demo", "--count", "5", user="rita")[0] == 1
    monkeypatch.setenv("PRIVACYCRM_PASSWORD", "wrong password!")
    code, _out, err = run(capsys, ready, "contacts", "list", user="owner")
    assert code == 1
    assert "Sign-in failed" in err
    code, _out, err = run(capsys, ready, "contacts", "list", user=None)
    assert code == 1
    assert "--user" in err
    monkeypatch.setenv("PRIVACYCRM_PASSWORD", PASSWORD)
    code, _out, err = run(capsys, ready, "contacts", "show", "999")
    assert (code, err.strip()) == (1, "privacycrm-cli: No such record.")


@pytest.mark.sqlite_only  # tampers with the file through sqlite3
def test_tampered_audit_row_is_named(capsys: pytest.CaptureFixture[str], ready: Path) -> None:
    with sqlite3.connect(ready) as conn:
        ids = [r[0] for r in conn.execute("SELECT id FROM audit_event ORDER BY id")]
        conn.execute("UPDATE audit_event SET detail = 'x' WHERE id = ?", (ids[1],))
    code, out, err = run(capsys, ready, "verify-audit", "--format", "json")
    assert code == 1
    report = json.loads(out)
    # The keys scripts read before the anchors keep their meaning; anchor keys were added.
    assert (report["ok"], report["first_bad_event"]) == (False, ids[1])
    assert report["anchor_problems"] == []
    assert f"event {ids[1]}" in err


def test_unusable_databases_fail_in_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, ready: Path
) -> None:
    code, _out, err = run(capsys, tmp_path / "missing.db", "contacts", "list")
    assert code == 1
    assert "run init first" in err
    assert not (tmp_path / "missing.db").exists()

    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite at all" * 100)
    code, _out, err = run(capsys, junk, "check")
    assert code == 1
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1

    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    code, _out, err = run(capsys, empty, "contacts", "list")
    assert (code, "not set up" in err) == (1, True)


@pytest.mark.sqlite_only  # locks the SQLite file
def test_locked_database_fails_in_one_line(
    capsys: pytest.CaptureFixture[str], ready: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        "privacycrm_desktop.persistence.database.SQLITE_PRAGMAS",
        (
            "PRAGMA journal_mode=WAL",
            "PRAGMA foreign_keys=ON",
            "PRAGMA busy_timeout=100",
        ),
    )
    holder = sqlite3.connect(ready, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        code, _out, err = run(capsys, ready, *ZOE, *SOURCE[:4])
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert code == 1
    assert err.strip() == (
        "privacycrm-cli: The database is in use by another program; nothing was saved. "
        "Close the other program, then try again."
    )


COMMANDS = [
    [],
    ["init"],
    ["demo"],
    ["user"],
    ["user", "add"],
    ["user", "list"],
    ["contacts"],
    ["contacts", "list"],
    ["contacts", "show"],
    ["contacts", "add"],
    ["field"],
    ["field", "define"],
    ["field", "list"],
    ["verify-audit"],
    ["check"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "top")
def test_help_on_every_command(capsys: pytest.CaptureFixture[str], command: list[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main([*command, "--help"])
    assert exc.value.code == 0
    assert "usage: privacycrm-cli" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["frobnicate"],
        ["init", "--company", "X"],
        ["contacts", "add", "--source-kind", "rumour"],
        ["contacts", "list", "--limit", "-3"],
        ["contacts", "show", "one"],
        ["--format", "xml", "check"],
    ],
)
def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str], db: Path, argv: list[str]) -> None:
    assert run(capsys, db, *argv)[0] == 2


# -- the installed entry point --------------------------------------------------------


def installed(db: Path, *argv: str, module: bool = False) -> subprocess.CompletedProcess[str]:
    """The installed ``privacycrm-cli`` (``python -m privacycrm_desktop.cli`` with *module*)."""
    return cli(db, *argv, installed=not module, env={"PRIVACYCRM_NEW_PASSWORD": NEW_PASSWORD})


@pytest.mark.sqlite_only  # reads the file through sqlite3
def test_installed_cli_contract(db: Path) -> None:
    done = installed(db, *INIT, "--format", "json")
    assert (done.returncode, json.loads(done.stdout)["id"]) == (0, 1), done.stderr
    done = installed(
        db, "--user", "owner", "user", "add", "anna", "--role", "office", "--format", "json"
    )
    assert (done.returncode, json.loads(done.stdout)) == (
        0,
        {"id": 2, "username": "anna", "role": "office"},
    )
    done = installed(db, "--user", "owner", *ZOE, *SOURCE, "2024-05-01", "--format", "json")
    assert (done.returncode, json.loads(done.stdout)) == (0, {"id": 1}), done.stderr
    done = installed(db, "--user", "owner", *ZOE)
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr == "privacycrm-cli: " + describe_error(SourceMissing()) + "\n"
    assert len(done.stderr.strip().splitlines()) == 1
    assert "Traceback" not in done.stderr
    done = installed(
        db, "--user", "owner", "contacts", "list", "--search", "liege", "--format", "json"
    )
    assert done.returncode == 0
    assert [c["id"] for c in json.loads(done.stdout)["contacts"]] == [1]
    done = installed(db, "--user", "owner", "contacts", "show", "1", "--format", "json")
    assert json.loads(done.stdout)["phones"][0]["source"]["kind"] == "business_card"
    assert installed(db, "verify-audit").stdout == "OK\n"
    assert installed(db, "check", module=True).stdout.splitlines()[0] == "ok"
    assert installed(db, "contacts", "--help").returncode == 0
    assert installed(db, "contacts", "erase-everything").returncode == 2

    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE audit_event SET actor = 'mallory' WHERE id = 3")
    done = installed(db, "verify-audit", module=True)
    assert done.returncode == 1
    assert "event 3" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_reader_that_stops_early_is_not_a_database_error(
    capsys: pytest.CaptureFixture[str], ready: Path
) -> None:
    code, _out, err = run(capsys, ready, "demo", "--count", "1000")
    assert code == 0, err
    argv = ["--user", "owner", "contacts", "list", "--limit", "200"]
    with subprocess.Popen(
        [*cli_argv(ready, *argv, installed=True), "--format", "json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=cli_env(),
    ) as reader:
        assert reader.stdout is not None
        assert reader.stderr is not None
        reader.stdout.read(20)
        reader.stdout.close()  # like `| head -c 20`
        stderr = reader.stderr.read().decode()
        reader.wait(timeout=60)
    assert "database" not in stderr.casefold()
    assert "Traceback" not in stderr


@pytest.mark.sqlite_only  # the disk holding a database file; a server's disk is its own
def test_check_says_in_words_when_the_disk_is_nearly_full(
    capsys: pytest.CaptureFixture[str], ready: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The text of ``check`` says what its JSON's ``low_space`` says."""
    from privacycrm_desktop.services import storage
    from privacycrm_desktop.services.storage import StorageService

    code, out, _err = run(capsys, ready, "check")
    assert code == 0
    assert "nearly full" not in out

    class NearlyFull(StorageService):
        def __init__(self, uow: object, clock: object = None) -> None:
            super().__init__(uow, clock, low_space=1 << 62)  # more than any disk holds

    monkeypatch.setattr(storage, "StorageService", NearlyFull)
    assert run_json(capsys, ready, "check")["low_space"] is True
    code, out, _err = run(capsys, ready, "check")
    assert code == 0
    assert "The disk holding the database is nearly full" in out
