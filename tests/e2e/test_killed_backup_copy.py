"""A backup killed while it wrote its copy into the backup folder left a whole copy of
the data there (``.tmp-<host>-<pid>-...db``), which outlived the commands after it and an
erasure of a person it holds (an outside attack, December 2026). It goes at the next
command, and with any erasure."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers.cli import PASSWORD
from privacycrm_desktop.cli import main
from privacycrm_desktop.i18n import set_language
from privacycrm_desktop.persistence import backup_temp
from privacycrm_desktop.persistence.backup_names import default_backup_folder

INIT = ["init", "--owner", "owner", "--company", "Acme BV", "--address", "Markt 1, 9000 Gent"]


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    monkeypatch.setenv("PRIVACYCRM_PASSWORD", PASSWORD)
    monkeypatch.setenv("PRIVACYCRM_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("LANG", "C.UTF-8")
    yield
    set_language("en")


def _run(capsys: pytest.CaptureFixture[str], db: Path, *argv: str) -> int:
    try:
        code = main(["--db", str(db), "--user", "owner", *argv])
    except SystemExit as exc:
        code = int(exc.code or 0)
    capsys.readouterr()
    return code


def _killed_copy(db: Path) -> Path:
    """A copy named as a backup's, of a process that is gone."""
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    folder = default_backup_folder(db)
    folder.mkdir(parents=True, exist_ok=True)
    copy = folder / f".tmp-{backup_temp.host_tag()}-{gone.stdout.strip()}-backup.db"
    copy.write_bytes(b"SQLite format 3\x00 jan.canary@example.be")
    return copy


@pytest.mark.parametrize(
    "argv", [["contacts", "list"], ["erase", "1", "--reason", "erasure_request"]]
)
def test_a_killed_backups_copy_in_the_backup_folder_goes_at_the_next_command(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, argv: list[str]
) -> None:
    db = tmp_path / "crm.db"
    with contextlib.suppress(SystemExit):
        main(["--db", str(db), *INIT])
    capsys.readouterr()
    assert (
        _run(
            capsys,
            db,
            "contacts",
            "add",
            "--first-name",
            "Jan",
            "--last-name",
            "Canary",
            "--email",
            "jan.canary@example.be",
            "--source-kind",
            "business_card",
            "--source",
            "Fair",
        )
        == 0
    )
    copy = _killed_copy(db)
    live = copy.with_name(f".tmp-{backup_temp.host_tag()}-1-running.db")  # pid 1 lives
    live.write_bytes(b"a backup being written")
    assert _run(capsys, db, *argv) == 0
    assert not copy.exists()
    assert live.exists()  # a process that still runs keeps its file
