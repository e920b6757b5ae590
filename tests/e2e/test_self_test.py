"""``python -m privacycrm_desktop --self-test``: passes on a good installation, and names the
broken step in one line on a bad one (the same check CI runs on the PyInstaller bundle)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from privacycrm_desktop.config import resources_dir

#: The program runs in its own processes here and signs in with the real costs, so the
#: in-process parts keep them too (a cheap hash would be rehashed at the first sign-in).
pytestmark = pytest.mark.real_key_costs


def self_test(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """Run the self-test in a fresh interpreter with no display and a private data folder."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM", "LANG", "LC_ALL"}
    }
    environment["PRIVACYCRM_DATA_DIR"] = str(tmp_path / "data")
    environment.pop("PRIVACYCRM_RESOURCES_DIR", None)
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-m", "privacycrm_desktop", "--self-test"],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        check=False,
    )


def test_self_test_passes_without_touching_the_users_data(tmp_path: Path) -> None:
    result = self_test(tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Self-test passed in ")
    assert len(result.stdout.splitlines()) == 1
    assert result.stderr == ""  # not even Qt's offscreen notice
    assert not (tmp_path / "data").exists()


def test_a_missing_resources_folder_fails_on_one_line(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-folder"
    result = self_test(tmp_path, PRIVACYCRM_RESOURCES_DIR=str(missing))
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == (
        f"Self-test failed at resources: missing in {missing}: fonts/DejaVuSans.ttf, "
        "fonts/DejaVuSans-Bold.ttf, icons/privacycrm.svg, ...\n"
    )


@pytest.mark.parametrize(
    ("removed", "lang", "expected"),
    [
        ("locale/fr/LC_MESSAGES/privacycrm.mo", "en_GB.UTF-8", "Self-test failed at resources"),
        ("fonts/DejaVuSans-Bold.ttf", "nl_BE.UTF-8", "Zelftest mislukt bij bronbestanden"),
        ("statements/fr.md", "fr_BE.UTF-8", "Autotest échoué à l'étape fichiers de ressources"),
    ],
)
def test_one_missing_file_is_named_in_the_users_language(
    tmp_path: Path, removed: str, lang: str, expected: str
) -> None:
    copy = tmp_path / "resources"
    shutil.copytree(resources_dir(), copy)
    (copy / removed).unlink()
    result = self_test(tmp_path, PRIVACYCRM_RESOURCES_DIR=str(copy), LANG=lang)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith(expected)
    assert str(copy) in result.stderr
    assert result.stderr.endswith(f" {removed}\n")


def test_a_catalogue_that_does_not_translate_fails(tmp_path: Path) -> None:
    copy = tmp_path / "resources"
    shutil.copytree(resources_dir(), copy)
    english = copy / "locale" / "en" / "LC_MESSAGES" / "privacycrm.mo"
    shutil.copy(english, copy / "locale" / "nl" / "LC_MESSAGES" / "privacycrm.mo")
    result = self_test(tmp_path, PRIVACYCRM_RESOURCES_DIR=str(copy))
    assert result.returncode == 1
    assert result.stderr == "Self-test failed at resources: the nl catalogue does not translate\n"


def test_the_cli_self_test_needs_no_qt_and_leaves_the_database_alone(tmp_path: Path) -> None:
    database = tmp_path / "never.db"
    code = (
        "import sys\n"
        "from privacycrm_desktop.cli import main\n"
        f"code = main(['--db', {str(database)!r}, 'self-test', '--format', 'json'])\n"
        "assert 'PySide6' not in sys.modules, 'the CLI self-test imported Qt'\n"
        "raise SystemExit(code)\n"
    )
    environment = {**os.environ, "PRIVACYCRM_DATA_DIR": str(tmp_path / "data")}
    environment.pop("PRIVACYCRM_RESOURCES_DIR", None)
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["passed"] is True
    assert document["seconds"] > 0
    assert not database.exists()
    assert not (tmp_path / "data").exists()


def test_the_cli_self_test_fails_in_the_language_of_lang(tmp_path: Path) -> None:
    copy = tmp_path / "resources"
    shutil.copytree(resources_dir(), copy)
    (copy / "letters" / "nl" / "access_cover.txt").unlink()
    environment = {**os.environ, "PRIVACYCRM_RESOURCES_DIR": str(copy), "LANG": "nl_BE.UTF-8"}
    result = subprocess.run(
        [sys.executable, "-m", "privacycrm_desktop.cli", "--lang", "fr", "self-test"],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == (
        f"Autotest échoué à l'étape fichiers de ressources : manque dans {copy} : "
        "letters/nl/access_cover.txt\n"
    )
