"""``check`` and newer-version databases through the real CLI.

- ``check`` on a file with malformed pages: exit 1, still one JSON document with
  ``--format json``, and the damage remembered beside the file (``.check.json``), also
  when the file is too damaged to open at all;
- ``check`` on a search index that does not match the data: rebuilt, one sentence, exit 0;
- a database a newer version wrote: one translated sentence, exit 1, no traceback, the
  file unchanged;
- ``check`` and ``self-test`` name the bundled SQLite.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from helpers.cli import cli, cli_command
from helpers.databases import copy_migrated, prepared_file
from privacycrm_desktop.i18n import set_language, tr_in
from privacycrm_desktop.persistence.sqlite_driver import sqlite3, sqlite_version
from privacycrm_desktop.services.storage import read_check_record

INIT = ["init", "--owner", "owner", "--company", "Acme BV", "--address", "Markt 1, 9000 Gent"]

pytestmark = [pytest.mark.sqlite_only, pytest.mark.real_key_costs]


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Set up once through the CLI; each test gets a copy of its own (``ready``)."""
    return prepared_file(
        tmp_path_factory.mktemp("prepared"),
        lambda db: cli(db, *INIT).check_returncode(),
        lambda db: cli(
            db, "--user", "owner", "demo", "--count", "600", "--seed", "2"
        ).check_returncode(),
    )


@pytest.fixture
def ready(prepared: Path, tmp_path: Path) -> Path:
    db = tmp_path / "crm.db"
    copy_migrated(prepared, db)
    return db


def garble(db: Path, first_page: int, pages: int) -> None:
    with open(db, "r+b") as file:
        file.seek(first_page * 4096)
        file.write(os.urandom(4096 * pages))


def test_check_names_the_bundled_sqlite(ready: Path) -> None:
    done = cli(ready, "check", "--format", "json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["sqlite_version"] == sqlite_version()
    assert cli(ready, "check").stdout.splitlines()[-1] == f"SQLite {sqlite_version()}"


def test_check_on_malformed_pages_prints_json_and_remembers_the_damage(ready: Path) -> None:
    pages = ready.stat().st_size // 4096
    garble(ready, pages - 30, 20)
    done = cli(ready, "check", "--format", "json")
    assert done.returncode == 1
    document = json.loads(done.stdout)
    assert document["ok"] is False
    assert document["problems"]
    assert "Traceback" not in done.stderr
    record = read_check_record(ready)
    assert record is not None
    assert not record.ok
    # Remembered: the next check (text) finds it again and the record stays.
    assert cli(ready, "check").returncode == 1
    record = read_check_record(ready)
    assert record is not None
    assert not record.ok


def test_check_on_a_file_too_damaged_to_open_still_answers(ready: Path) -> None:
    with open(ready, "r+b") as file:  # keep the header, break the schema page
        file.seek(100)
        file.write(os.urandom(3996))
    done = cli(ready, "check", "--format", "json")
    assert done.returncode == 1
    document = json.loads(done.stdout)
    assert document["ok"] is False
    assert document["storage"] == "damaged"
    assert len(done.stderr.strip().splitlines()) == 1
    record = read_check_record(ready)
    assert record is not None
    assert not record.ok


@pytest.mark.parametrize(
    ("lang", "sentence"),
    [
        (
            "en",
            "This file is not a PrivacyCRM database, or it is too damaged to open: check the "
            "path, or restore the newest good backup.",
        ),
        (
            "fr",
            "Ce fichier n’est pas une base de données PrivacyCRM, ou il est trop endommagé pour "
            "être ouvert : vérifiez le chemin, ou restaurez la sauvegarde valide la plus récente.",
        ),
    ],
)
def test_check_on_random_bytes_says_so_in_a_sentence_of_the_user_s_language(
    tmp_path: Path, lang: str, sentence: str
) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(os.urandom(8192))
    done = cli(junk, "--lang", lang, "check")
    assert done.returncode == 1
    assert (done.stdout, done.stderr) == ("", f"privacycrm-cli: {sentence}\n")
    # Every command says the same (not SQLite's "file is not a database").
    done = cli(junk, "--lang", lang, "--user", "owner", "contacts", "list")
    assert (done.returncode, done.stderr) == (1, f"privacycrm-cli: {sentence}\n")
    done = cli(junk, "--lang", lang, "check", "--format", "json")
    assert done.returncode == 1
    assert done.stderr == f"privacycrm-cli: {sentence}\n"
    document = json.loads(done.stdout)
    assert (document["ok"], document["storage"]) == (False, "damaged")
    assert document["problems"]


def test_check_rebuilds_a_broken_search_index(ready: Path) -> None:
    conn = sqlite3.connect(ready, isolation_level=None)
    conn.execute("DELETE FROM contact_fts_content WHERE id % 5 = 0")
    conn.close()
    done = cli(ready, "check", "--format", "json")
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert document["ok"] is True
    assert document["repaired"] == ["search index"]
    set_language("en")
    assert done.stderr.strip() == tr_in(
        "en", "The search index did not match the data and was rebuilt from it; no data was lost."
    )
    listed = cli(ready, "--user", "owner", "contacts", "list", "--format", "json")
    assert listed.returncode == 0
    again = json.loads(cli(ready, "check", "--format", "json").stdout)
    assert again["repaired"] == []


@pytest.mark.parametrize("lang", ["en", "nl", "fr"])
def test_a_database_from_a_newer_version_gets_one_sentence(ready: Path, lang: str) -> None:
    conn = sqlite3.connect(ready, isolation_level=None)
    conn.execute("UPDATE alembic_version SET version_num = '0099_future'")
    conn.close()
    before = ready.read_bytes()
    done = cli(ready, "--lang", lang, "--user", "owner", "contacts", "list")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1
    expected = tr_in(
        lang,
        "This database was made by a newer version of PrivacyCRM (schema {revision}); "
        "install that version to open it. Nothing was changed.",
        revision="0099_future",
    )
    assert " ".join(expected.split()) in lines[0]
    assert "0099_future" in lines[0]
    assert ready.read_bytes() == before
    checked = cli(ready, "check", "--format", "json")
    assert checked.returncode == 1


def test_self_test_names_the_bundled_sqlite() -> None:
    done = subprocess.run(
        [*cli_command(), "self-test", "--format", "json"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["sqlite_version"] == sqlite_version()
